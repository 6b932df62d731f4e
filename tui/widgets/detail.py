"""The detail view: one entity as a list of lines where every link, position, note and
citation can be reached by keyboard and opened with Enter."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import groupby

from textual.binding import Binding
from textual.content import Content
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from ...db.dates import format_date, format_span
from ...db.records import CitationView, EntityDetail, EntityRow, NoteView


def row_label(row: EntityRow) -> str:
    date = format_date(row.date, row.date_precision, row.date_uncertain)
    return f"{row.name} ({row.type}{', ' + date if date else ''})"


class DetailView(OptionList):
    """Shows an EntityDetail; Enter follows a link or opens a citation's source passage."""

    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False, id="detail.down"),
        Binding("k", "cursor_up", "Up", show=False, id="detail.up"),
        Binding("g", "first", "First", show=False, id="detail.first"),
        Binding("G", "last", "Last", show=False, id="detail.last"),
    ]

    @dataclass
    class Follow(Message):
        """Go to this entity."""

        ref: str

    @dataclass
    class ShowCitation(Message):
        """Show this passage in its source."""

        citation: CitationView

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.detail: EntityDetail | None = None
        self._targets: dict[str, EntityRow | CitationView | NoteView] = {}

    def show(self, detail: EntityDetail) -> None:
        """Replace the view with `detail`, the cursor on its first link."""
        self.detail = detail
        self._targets = {}
        self.border_title = detail.row.name
        self.clear_options()
        self.add_options(list(self._build_lines(detail)))
        first = next((i for i in range(self.option_count) if not self.get_option_at_index(i).disabled), None)
        self.highlighted = first
        self.scroll_to(y=0, animate=False)
        self._show_extent()

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        self._show_extent()

    def on_resize(self) -> None:
        self._show_extent()

    def _show_extent(self) -> None:
        """Say in the bottom border whether there is more below (the pane has no scrollbar)."""
        most = self.virtual_size.height - self.scrollable_content_region.height
        top = round(self.scroll_y)
        text = "" if most <= 0 else "more below" if top <= 0 else "end" if top >= most else f"{round(100 * top / most)}%"
        if self.border_subtitle != text:
            self.border_subtitle = text

    def _text(self, text: str | Content, style: str = "") -> Option:
        content = text if isinstance(text, Content) else Content.styled(text, style) if style else Content(text)
        return Option(content, disabled=True)

    def _target(self, key: str, prompt: Content, target) -> Option:
        self._targets[key] = target
        return Option(prompt, id=key)

    def _build_lines(self, d: EntityDetail):
        r = d.row
        yield self._text(r.name, "bold")
        facts = r.type + (f" / {r.kind}" if r.kind else "")
        span = format_span(r.date, d.date_end, r.date_precision, r.date_uncertain)
        if span:
            facts += f"  {span}  (precision: {r.date_precision}{', uncertain' if r.date_uncertain else ''})"
        yield self._text(facts, "italic")
        if d.date_note:
            yield self._text(f"Date: {d.date_note}")
        if d.aliases:
            yield self._text("Also: " + ", ".join(d.aliases))
        for key, value in d.attributes.items():
            yield self._text(f"{key.replace('_', ' ')}: {value}")
        if d.summary:
            yield None
            yield self._text(d.summary)
        n = 0
        for title, links, total in (("Links", d.links_out, d.links_out_total),
                                    ("Referred to by", d.links_in, d.links_in_total)):
            if not links:
                continue
            yield None
            yield self._text(f"{title} ({total})", "bold underline")
            if total > len(links):
                yield self._text(f"showing the first {len(links)}", "italic")
            for label, group in groupby(links, key=lambda k: k.label):
                for link in group:
                    n += 1
                    note = f"  - {link.note}" if link.note else ""
                    prompt = Content.assemble((f"{label}: ", "bold"), row_label(link.other), (note, "dim"))
                    yield self._target(f"link-{n}", prompt, link.other)
        if d.positions:
            yield None
            yield self._text(f"Stated positions ({len(d.positions)})", "bold underline")
            for i, p in enumerate(d.positions):
                date = format_date(p.date, p.date_precision)
                who = p.actor if p.actor.ref != r.ref else (p.about or p.actor)
                head = f"{p.actor.name} {p.stance}: {p.topic}" + (f" ({date})" if date else "")
                prompt = Content.assemble((head, "bold"), "\n", p.statement, ("\n-> " + who.name, "dim"))
                yield self._target(f"position-{i}", prompt, who)
                for j, c in enumerate(p.citations, start=1):
                    yield self._target(f"position-{i}-cite-{j}", self._citation_prompt(j, c, indent=True), c)
        if d.notes:
            yield None
            yield self._text(f"Notes ({len(d.notes)})", "bold underline")
            for i, note in enumerate(d.notes):
                yield self._text("* " + note.text)
                for j, c in enumerate(note.citations, start=1):
                    yield self._target(f"note-{i}-cite-{j}", self._citation_prompt(j, c, indent=True), c)
        yield None
        yield self._text(f"Sources ({len(d.citations)})", "bold underline")
        for j, c in enumerate(d.citations, start=1):
            yield self._target(f"cite-{j}", self._citation_prompt(j, c), c)

    @staticmethod
    def _citation_prompt(n: int, c: CitationView, indent: bool = False) -> Content:
        where = c.source_id + (f", line {c.line}" if c.line and not c.via else "") + (f", via {c.via}" if c.via else "")
        mark = f"  [{n}] " if indent else f"[{n}] "
        return Content.assemble((mark, "bold"), f'"{c.quote}"', (f" -- {where}", "dim"))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        target = self._targets.get(event.option.id or "")
        if isinstance(target, EntityRow):
            self.post_message(self.Follow(target.ref))
        elif isinstance(target, CitationView):
            self.post_message(self.ShowCitation(target))
