"""Dates shown at their precision: `22 Apr 2025`, `May 2025`, `1965`, `4 May 2025?`.

A date that is not a real ISO date (a database written by another tool can hold anything)
is shown as its own text, made inert, never raised.
"""

from __future__ import annotations

import datetime as dt
import re

from .text import inert

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_DATE = re.compile(r"([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?")


def format_date(date: str | None, precision: str | None = None, uncertain: bool = False) -> str:
    """Format an ISO date (YYYY, YYYY-MM, YYYY-MM-DD) at its precision; '' when there is none."""
    if not date:
        return ""
    match = _DATE.fullmatch(date) if isinstance(date, str) else None
    year, month, day = match.groups() if match else (None, None, None)
    try:
        dt.date(int(year or "x"), int(month or 1), int(day or 1))
    except ValueError:
        text = inert(str(date), one_line=True)
    else:
        assert year is not None  # a date that parsed has a year
        if day and month and precision in (None, "day"):
            text = f"{int(day)} {_MONTHS[int(month) - 1]} {year}"
        elif month and precision in (None, "day", "month"):
            text = f"{_MONTHS[int(month) - 1]} {year}"
        else:
            text = year
    return text + "?" if uncertain else text


def format_span(date: str | None, end: str | None, precision: str | None, uncertain: bool = False) -> str:
    """A date, or a span `24 Apr 2025 – 5 May 2025` when the record has an end date."""
    start = format_date(date, precision, uncertain)
    return f"{start} – {format_date(end)}" if start and end else start
