"""`crisis-tui timeline`: the timeline as plain text, in blocks of the width asked for, one after
another from the first date to the last (a stretch with no event is one line saying so, and the
next block starts at the next event); nothing is drawn past `--to`."""

from __future__ import annotations

from ..db.dates import format_date
from ..db.errors import CrisisError
from ..db.filters import check_date, resolve_entity
from ..db.queries import KnowledgeBase
from ..db.text import inert
from ..db.timeline import OTHER, TimelineReader, day_range, union, window
from .timeline_chart import LABEL_WIDTH, LEGEND, ZOOMS, Cell, Frame, bucket_start, chart, plain, zoom_named

MAX_BLOCKS = 200  # blocks printed at most (a range of years at day zoom would be thousands)


class NoEvents(Exception):
    """The range asked for holds no event (said on stderr; not an error)."""


def _day_text(day: int) -> str:
    import datetime as dt

    return format_date(dt.date.fromordinal(day).isoformat())


def timeline_text(kb: KnowledgeBase, lanes: tuple[str, ...] = (), date_from: str | None = None,
                  date_to: str | None = None, zoom: str | None = None, width: int = 80,
                  crisis: str | None = None) -> str:
    """The timeline of `crisis` (or all) with these lanes (actors: ids, names or aliases; none: the
    main parties), from `date_from` to `date_to` (ISO dates or their beginnings) at `zoom`
    (None: the finest that fits the range in one block); CrisisError says what is wrong."""
    title = "all crises"
    if crisis is not None:
        pack = next((p for p in kb.packs() if p.id == crisis), None)
        if pack is None:
            raise CrisisError(f"no crisis (pack) {inert(repr(crisis), one_line=True, limit=80)} in this database "
                              "(`crisis-tui packs` lists them)")
        title = pack.title
    bounds = [check_date(d, what) if d is not None else None for d, what in ((date_from, "--from"), (date_to, "--to"))]
    if bounds[0] and bounds[1] and bounds[1] < bounds[0][:len(bounds[1])]:
        raise CrisisError(f"the range ends ({bounds[1]}) before it begins ({bounds[0]})")
    reader = TimelineReader(kb, crisis)
    chosen: list[tuple[str, str]] = []
    for text in lanes:
        ref, name = resolve_entity(kb, text)
        row = kb.row(ref)
        if row is not None and row.type != "actor":
            raise CrisisError(inert(f"--lane {text!r} is {row.type} {name!r} [{ref}], not an actor", one_line=True,
                                    limit=300))
        if all(ref != have for have, _ in chosen):  # `--lane India --lane actor/india`: one lane
            chosen.append((ref, name))
    wanted = chosen or reader.parties()
    infos = [reader.lane(ref, name) for ref, name in wanted]
    if not reader.scope.dated:
        return f"Timeline · {inert(title, one_line=True)}: no dated events"
    reader.load_spans()
    first_event, last_event = reader.first_event(), reader.first_event(last=True)
    if first_event is None or last_event is None:
        return f"Timeline · {inert(title, one_line=True)}: no event has a date that can be read"
    start = (day_range(bounds[0]) or (first_event.first, 0))[0] if bounds[0] else first_event.first
    end = (day_range(bounds[1]) or (0, last_event.last))[1] if bounds[1] else last_event.last
    if start > end:
        raise NoEvents("no events in this range")
    columns = max(width - LABEL_WIDTH, 10)
    level = zoom_named(zoom) if zoom else next(
        (z for z in reversed(ZOOMS) if (end - start + 1) / z.per_column <= columns), ZOOMS[0])
    names = [lane.name for lane in infos] + [OTHER]
    lanes_union = union(infos)
    heads = ", ".join(inert(name, one_line=True, limit=40) for name in names[:-1]) or "none"
    out = [inert(f"Timeline · {title} · lanes: {heads}"
                 f" · zoom {level.name} ({level.says}) · {_day_text(start)} – {_day_text(end)}", one_line=True),
           LEGEND]
    undated = reader.scope.total - reader.scope.dated
    if undated:
        out.append(f"{undated} undated event{'s' if undated != 1 else ''} not shown")
    blocks, quiet, first = 0, None, start
    while first <= end:
        frame = Frame.starting(first, level, columns)
        edges = [day for day in frame.edges() if day <= end] + [min(frame.end_day, end + 1)]
        shown = window(reader, infos, lanes_union, edges)
        if any(s.total or s.events for s in shown):
            if quiet is not None:
                out += ["", f"(no events from {_day_text(quiet)} to {_day_text(first - 1)})"]
                quiet = None
            out += ["", plain(_cut(chart(frame, names, shown), frame.last_column(end)))]
            blocks += 1
            if blocks >= MAX_BLOCKS:
                out += ["", f"(stopped after {MAX_BLOCKS} blocks: give --from/--to or a coarser --zoom)"]
                return "\n".join(out)
            first = frame.end_day
            continue
        quiet = first if quiet is None else quiet
        later = reader.first_event(at=reader.position_of_day(frame.end_day))  # an empty block: on to the next event
        if later is None or later.first > end:
            break
        first = max(frame.end_day, bucket_start(later.first, level.bucket))
    if not blocks:
        raise NoEvents("no events in this range")
    if quiet is not None:
        out += ["", f"(no events from {_day_text(quiet)} to {_day_text(end)})"]
    return "\n".join(out)


def _cut(lines: list[list[Cell]], last: int) -> list[list[Cell]]:
    """The cells past column `last` left blank (a range ends there), but for the rest of a label."""
    keep = LABEL_WIDTH + last + 1
    axis = lines[0]
    label_end = keep
    while label_end < len(axis) and axis[label_end][0] not in " │":  # the axis's last label kept whole
        label_end += 1
    return [axis[:label_end]] + [line[:keep] + [(" ", "empty")] * max(len(line) - keep, 0) for line in lines[1:]]
