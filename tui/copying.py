"""What `y` copies and `o` opens: plain text for the clipboard, made from records.

Copies go out by OSC 52 (`App.copy_to_clipboard`), which works over SSH and in tmux with
`set -g set-clipboard on`, and which some terminals ignore (macOS Terminal). `o` opens an
address in the browser of the machine the explorer runs on, so over SSH it copies it instead.
Pack text is copied inert (`db/text.py`): a quote pasted into a terminal sends no controls.
"""

from __future__ import annotations

import os
import sys

from ..db.records import CitationView, CitingRecord, EntityDetail, EntityRow, LinkView, PositionView, SourceText
from . import shown
from .reading import urls


def no_browser_to_show() -> bool:
    """True where no graphical browser can open (a Linux console or server: no X or Wayland
    display, no $BROWSER): Python's webbrowser would find none, or a text browser that would
    take over this very terminal."""
    if sys.platform in ("darwin", "win32") or os.environ.get("BROWSER"):
        return False
    return not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def over_ssh() -> bool:
    """True when the explorer runs in an SSH session (its browser is not the user's)."""
    return bool(os.environ.get("SSH_CONNECTION") or os.environ.get("SSH_TTY"))


def web_address(address: str | None) -> str | None:
    """`address` if it is one web address (http or https) and nothing else, else None."""
    if not address:
        return None
    found = urls(address.strip())
    return address.strip() if found == [(0, len(address.strip()))] else None


def cited(quote: str, title: str, address: str | None = None, line: int | None = None, *,
          publisher: str | None = None, date: str | None = None, via: str | None = None,
          source_id: str | None = None) -> str:
    """A quote with its citation, ready to paste into a report."""
    where = [shown.line(part) for part in (title, publisher, date, address) if part]
    place = [f"source {shown.line(source_id)}"] if source_id else []
    if via:
        place.append(f"quoted via {shown.line(via)}")
    if line:
        place.append(f"line {line}")
    return f"\u201c{shown.text(quote)}\u201d\n\u2014 " + ". ".join(where) + (f" ({', '.join(place)})" if place else "")


def citation_text(c: CitationView) -> str:
    return cited(c.quote, c.source_title, c.address, c.line, via=c.via, source_id=c.source_id)


def passage_text(quote: str, source: SourceText, line: int | None, document: SourceText | None = None) -> str:
    """A passage of the reader with its citation; `document` is the text's own source when
    `source` is quoted via it."""
    via = None
    if source.via or (document is not None and document.id != source.id):
        via = document.title if document is not None else source.via_title or source.via
    return cited(quote, source.title, source.address, line, publisher=source.publisher, date=source.date, via=via,
                 source_id=source.id)


def link_text(detail: EntityDetail, link: LinkView) -> str:
    """`A - label - B` as the detail reads it, and the link as packs write it."""
    this = detail.row
    outgoing = any(link is mine for mine in detail.links_out)
    subject, obj = (this, link.other) if outgoing else (link.other, this)
    return (f"{shown.line(this.name)} - {shown.line(link.label)} - {shown.line(link.other.name)}\n"
            f"{shown.line(subject.ref)} {shown.line(link.relation)} {shown.line(obj.ref)}")


def position_text(p: PositionView) -> str:
    return f"{shown.line(p.actor.name)} {shown.line(p.stance)}: {shown.line(p.topic)}\n{shown.line(p.ref)}"


def entity_text(row: EntityRow) -> str:
    return shown.line(row.ref)


def citer_text(record: CitingRecord) -> str:
    return f"{shown.line(record.label)}\n{shown.line(record.record)}"


def said(text: str, limit: int = 60) -> str:
    """What a notice says was copied: its first line, cut short."""
    first = text.split("\n", 1)[0]
    return first if len(first) <= limit else first[:limit - 1] + "\u2026"


def copy(app, text: str) -> None:
    """Copy `text` by OSC 52 and say what was copied (as data, never markup)."""
    app.copy_to_clipboard(text)
    app.notify(f"Copied: {said(text)}", timeout=3, markup=False)


def open_address(app, address: str | None) -> None:
    """Open a web address in the local browser (the user's, in a served web session); over SSH
    (or for what is not a web address), copy it instead; say which, or that there is no address."""
    if not address:
        app.notify("Nothing here has an address to open", timeout=3)
        return
    url = web_address(address)
    served = getattr(app, "served", None)
    if url is None:
        app.copy_to_clipboard(shown.line(address))
        app.notify(f"Not a web address, so not opened: copied {said(shown.line(address))}", timeout=4, markup=False)
    elif served == "web":  # Textual's web driver opens it in the user's own browser
        app.open_url(url)
        app.notify(f"Opening {said(url)} in a new tab", timeout=3, markup=False)
    elif served == "ssh" or over_ssh():
        app.copy_to_clipboard(url)
        app.notify(f"Over SSH the browser here is not yours: copied the address {said(url)}", timeout=4,
                   markup=False)
    elif no_browser_to_show():
        app.copy_to_clipboard(url)
        app.notify(f"No browser can open here (no display): copied the address {said(url)}", timeout=4,
                   markup=False)
    else:
        app.open_url(url)
        app.notify(f"Opening {said(url)} in the browser", timeout=3, markup=False)


# --- the main screen: the focused list's row, or the detail's line under the cursor ----------

def focused_text(focused) -> str | None:
    """What `y` copies where the focus is: a list's entity id; in the detail, the line under
    the cursor (a link, a citation, a position), else the entity's id. None: nothing."""
    from . import outline
    from .widgets.detail import DetailView
    from .widgets.entity_list import EntityList

    if isinstance(focused, EntityList):
        row = focused.current
        return entity_text(row) if row is not None else None
    if isinstance(focused, DetailView) and focused.detail is not None:
        d = focused.detail
        line = focused.items[focused.highlighted].line if focused.highlighted is not None else None
        if isinstance(line, outline.Link):
            return link_text(d, line.link)
        if isinstance(line, outline.Citation):
            return citation_text(line.citation)
        if isinstance(line, outline.Position):
            return position_text(line.position)
        return entity_text(d.row)
    return None


def focused_address(focused) -> tuple[str | None, int | None]:
    """What `o` opens where the focus is: an address, or a link whose passages have one (its
    id: they are read when asked for); (None, None) where nothing has an address."""
    from . import outline
    from .widgets.detail import DetailView

    if not isinstance(focused, DetailView) or focused.detail is None:
        return None, None
    d = focused.detail
    line = focused.items[focused.highlighted].line if focused.highlighted is not None else None
    if isinstance(line, outline.Link):
        return None, line.link.id
    if isinstance(line, outline.Citation):
        return line.citation.address, None
    cites = line.position.citations if isinstance(line, outline.Position) else d.citations
    return next((c.address for c in cites if c.address), None), None
