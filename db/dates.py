"""Dates shown at their precision: `22 Apr 2025`, `May 2025`, `1965`, `4 May 2025?`."""

from __future__ import annotations

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def format_date(date: str | None, precision: str | None = None, uncertain: bool = False) -> str:
    """Format an ISO date (YYYY, YYYY-MM, YYYY-MM-DD) at its precision; '' when there is none."""
    if not date:
        return ""
    parts = date.split("-")
    if len(parts) == 3 and precision in (None, "day"):
        text = f"{int(parts[2])} {_MONTHS[int(parts[1]) - 1]} {parts[0]}"
    elif len(parts) >= 2 and precision in (None, "day", "month"):
        text = f"{_MONTHS[int(parts[1]) - 1]} {parts[0]}"
    else:
        text = parts[0]
    return text + "?" if uncertain else text


def format_span(date: str | None, end: str | None, precision: str | None, uncertain: bool = False) -> str:
    """A date, or a span `24 Apr 2025 – 5 May 2025` when the record has an end date."""
    start = format_date(date, precision, uncertain)
    return f"{start} – {format_date(end)}" if start and end else start
