"""A report (db/report.py) as one self-contained HTML file: inline CSS, no script, nothing fetched.

It is well-formed XML as well (XHTML syntax), so that any XML parser reads it. Pack text is
made inert (controls shown as `\\x1b`) and escaped; only plain web addresses become links.
"""

from __future__ import annotations

import html
import re

from .report import EntitySection, Footnote, Mention, ReportDocument
from .text import inert, xml_safe

_SAFE_URL = re.compile(r"https?://[^\s<>\"'`\\]+", re.IGNORECASE)

STYLE = """
body { font-family: Georgia, 'Times New Roman', serif; max-width: 46em; margin: 2em auto; padding: 0 1em;
       line-height: 1.5; color: #1a1a1a; background: #fdfdfb; }
h1 { font-size: 1.7em; border-bottom: 2px solid #444; padding-bottom: .2em; }
h2 { font-size: 1.35em; margin-top: 2.2em; border-bottom: 1px solid #bbb; }
h3 { font-size: 1.05em; margin-bottom: .3em; color: #333; }
dl.facts { display: grid; grid-template-columns: max-content auto; gap: .1em 1em; margin: .5em 0; }
dl.facts dt { font-weight: bold; }
dl.facts dd { margin: 0; }
sup.fn a { text-decoration: none; padding: 0 .1em; }
.more, .uncited, .scope { color: #666; font-style: italic; }
.ref { color: #666; font-size: .9em; }
ol.footnotes { font-size: .92em; }
ol.footnotes li { margin-bottom: .4em; }
ol.footnotes q { font-style: italic; }
a { color: #1f4e8c; }
blockquote.mine { border-left: 3px solid #c90; margin: .8em 0; padding: .2em .8em; background: #fff8e6; }
@media print { a { color: inherit; } }
"""


def h(text: object) -> str:
    """Pack text escaped for HTML content or an attribute value, controls shown inert."""
    return html.escape(xml_safe(inert(str(text))), quote=True)


def _marks(notes: tuple[int, ...]) -> str:
    """Footnote references, or a plain warning where a database holds a fact with no citation."""
    if not notes:
        return ' <em class="uncited">(no citation)</em>'
    return "".join(f'<sup class="fn"><a href="#fn-{n}">[{n}]</a></sup>' for n in notes)


def _mention(m: Mention) -> str:
    if m.anchor:
        return f'<a href="#{m.anchor}">{h(m.name)}</a>'
    return f'{h(m.name)} <span class="ref">({h(m.ref)})</span>'


def _section(s: EntitySection) -> list[str]:
    out = [f'<section id="{s.anchor}">', f"<h2>{h(s.name)}</h2>", '<dl class="facts">']
    out += [f"<dt>{h(f.label)}</dt><dd>{h(f.value)}</dd>" for f in s.facts]
    out.append("</dl>")
    if s.summary:
        paragraphs = [p for p in re.split(r"\n\s*\n", s.summary.strip()) if p.strip()]
        for n, paragraph in enumerate(paragraphs):
            out.append(f"<p>{h(paragraph)}{_marks(s.notes) if n == len(paragraphs) - 1 else ''}</p>")
    else:
        out.append(f"<p>Cited: {_marks(s.notes)}</p>")
    if s.mine:
        text = "<br />".join(h(line) for line in s.mine.splitlines())
        out.append(f'<blockquote class="mine"><strong>Your note</strong> (yours, not a cited fact):<br />{text}'
                   '</blockquote>')
    for group in s.links:
        out += [f"<h3>{h(group.title)}</h3>", "<ul>"]
        for k in group.links:
            note = f" ({h(k.note)})" if k.note else ""
            out.append(f"<li>{h(k.label)} {_mention(k.other)}{note}{_marks(k.notes)}</li>")
        if group.more:
            out.append(f'<li class="more">… and {group.more} more not listed</li>')
        out.append("</ul>")
    if s.positions:
        out += ["<h3>Stated positions</h3>", "<ul>"]
        for p in s.positions:
            about = f" ({_mention(p.about)})" if p.about else ""
            date = f", {h(p.date)}" if p.date else ""
            out.append(f"<li>{_mention(p.actor)} <em>{h(p.stance)}</em> on {h(p.topic)}{about}{date}: "
                       f"{h(p.statement)}{_marks(p.notes)}</li>")
        out.append("</ul>")
    if s.remarks:
        out += ["<h3>Notes (cited, from the sources)</h3>", "<ul>"]
        out += [f"<li>{h(n.text)}{_marks(n.notes)}</li>" for n in s.remarks]
        out.append("</ul>")
    out.append("</section>")
    return out


def _footnote(f: Footnote) -> str:
    where = [f"<cite>{h(f.title)}</cite>"]
    where += [h(part) for part in (f.publisher, f.date) if part]
    if f.via:
        where.append(f"in {h(f.via)}")
    if f.address:
        where.append(f'<a href="{h(f.address)}">{h(f.address)}</a>' if _SAFE_URL.fullmatch(f.address)
                     else h(f.address))
    return (f'<li id="fn-{f.n}"><q>{h(f.quote)}</q> \u2014 {", ".join(where)} '
            f'<span class="ref">({h(f.source_id)})</span></li>')


def render_html(doc: ReportDocument) -> str:
    """The whole report as one HTML document."""
    out = ["<!DOCTYPE html>", '<html lang="en" xmlns="http://www.w3.org/1999/xhtml">', "<head>",
           '<meta charset="utf-8" />', '<meta name="viewport" content="width=device-width, initial-scale=1" />',
           f"<title>{h(doc.title)}</title>", f"<style>{STYLE}</style>", "</head>", "<body>",
           f"<h1>{h(doc.title)}</h1>"]
    if doc.scope:
        out.append(f'<p class="scope">{h(doc.scope)}</p>')
    for section in doc.sections:
        out += _section(section)
    if doc.footnotes:
        out += ["<h2>Sources</h2>", '<ol class="footnotes">']
        out += [_footnote(f) for f in doc.footnotes]
        out.append("</ol>")
    out += ["</body>", "</html>"]
    return "\n".join(out) + "\n"
