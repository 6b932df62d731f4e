"""Messages the explorer's widgets and workers send."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from ..db.records import EntityDetail


@dataclass
class DetailLoaded(Message):
    """A worker fetched an entity's detail and its row number in its pane, under the crisis
    shown when it was asked for (None: all of them); `position` is None if that pane lacks it."""

    detail: EntityDetail
    position: int | None
    crisis: str | None = None


@dataclass
class Failed(Message):
    """Something off the UI thread failed: the app reports it (a notice, or the end of a bug)."""

    error: BaseException
