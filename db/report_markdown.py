"""A report (db/report.py) as Markdown: GitHub-flavoured, with footnotes (`[^1]`).

Pack text is made inert (controls shown as `\\x1b`), put on one line, and every character
Markdown or HTML could act on is escaped with a backslash, so that a name like `<script>`,
`*`, `[x](y)` or `|` reads as written and never becomes markup.
"""

from __future__ import annotations

import re

from .report import EntitySection, Footnote, Mention, ReportDocument
from .text import inert

# ASCII punctuation CommonMark or GFM acts on anywhere in a line (a link needs `[`, an image `![`, a
# footnote `[^`: escaping the bracket is enough); a backslash makes each literal.
_ANYWHERE = re.compile(r"([\\`*_\[\]<>#|&~$])")
# What begins a block only at the start of a line: a list item, a setext underline, an ordered item.
_LINE_START = re.compile(r"^([-+=])|^([0-9]+)([.)])")
_SAFE_URL = re.compile(r"https?://[^\s<>()\[\]\"'`\\]+", re.IGNORECASE)


def md(text: object) -> str:
    """Pack text as literal Markdown on one line."""
    one = " ".join(inert(str(text)).split())
    one = _ANYWHERE.sub(r"\\\1", one)
    return _LINE_START.sub(lambda m: "\\" + m.group(1) if m.group(1) else m.group(2) + "\\" + m.group(3), one)


def _url(address: str) -> str:
    """An address as a link if it is a plain web address, else as escaped text."""
    if _SAFE_URL.fullmatch(address):
        return f"<{address}>"
    return md(address)


def _marks(notes: tuple[int, ...]) -> str:
    """Footnote references, or a plain warning where a database holds a fact with no citation."""
    return "".join(f"[^{n}]" for n in notes) if notes else " *(no citation)*"


def _mention(m: Mention) -> str:
    if m.anchor:
        return f"[{md(m.name)}](#{m.anchor})"
    return f"{md(m.name)} ({md(m.ref)})"


def _section(s: EntitySection) -> list[str]:
    lines = [f'<a id="{s.anchor}"></a>', "", f"## {md(s.name)}", ""]
    lines += [f"- **{md(f.label)}:** {md(f.value)}" for f in s.facts]
    lines.append("")
    if s.summary:
        for paragraph in re.split(r"\n\s*\n", s.summary.strip()):
            lines += [md(paragraph), ""]
        lines[-2] += _marks(s.notes)  # the entity's citations: its fields and summary
    else:
        lines += [f"Cited: {_marks(s.notes)}", ""]
    if s.mine:
        lines += ["**Your note** (yours, not a cited fact):", ""]
        mine = s.mine.splitlines()  # each line its own (a hard break: a backslash at its end)
        lines += [(f"> {md(line)}" if line.strip() else ">") + ("\\" if line.strip() and n < len(mine) - 1
                                                                  and mine[n + 1].strip() else "")
                  for n, line in enumerate(mine)]
        lines.append("")
    for group in s.links:
        lines += [f"### {group.title}", ""]
        for k in group.links:
            note = f" ({md(k.note)})" if k.note else ""
            lines.append(f"- {md(k.label)} {_mention(k.other)}{note}{_marks(k.notes)}")
        if group.more:
            lines.append(f"- … and {group.more} more not listed")
        lines.append("")
    if s.positions:
        lines += ["### Stated positions", ""]
        for p in s.positions:
            about = f" ({_mention(p.about)})" if p.about else ""
            date = f", {md(p.date)}" if p.date else ""
            lines.append(f"- {_mention(p.actor)} *{md(p.stance)}* on {md(p.topic)}{about}{date}: "
                         f"{md(p.statement)}{_marks(p.notes)}")
        lines.append("")
    if s.remarks:
        lines += ["### Notes (cited, from the sources)", ""]
        lines += [f"- {md(n.text)}{_marks(n.notes)}" for n in s.remarks]
        lines.append("")
    return lines


def _footnote(f: Footnote) -> str:
    where = [f"*{md(f.title)}*"]
    where += [md(part) for part in (f.publisher, f.date) if part]
    if f.via:
        where.append(f"in {md(f.via)}")
    if f.address:
        where.append(_url(f.address))
    return f"[^{f.n}]: \u201c{md(f.quote)}\u201d \u2014 {', '.join(where)} ({md(f.source_id)})"


def render_markdown(doc: ReportDocument) -> str:
    """The whole report as one Markdown document."""
    lines = [f"# {md(doc.title)}", ""]
    if doc.scope:
        lines += [f"*{md(doc.scope)}*", ""]
    for section in doc.sections:
        lines += _section(section)
    if doc.footnotes:
        lines += ["---", "", "## Sources", ""]
        lines += [_footnote(f) for f in doc.footnotes]
    return "\n".join(lines).rstrip("\n") + "\n"
