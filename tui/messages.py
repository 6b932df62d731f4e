"""Messages the explorer's widgets and workers send."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.message import Message
from textual.message_pump import MessagePump
from textual.widget import Widget
from textual.worker import Worker, WorkerState

from ..db.records import EntityDetail

if TYPE_CHECKING:  # db/state.py is read off the UI thread, after the first frame
    from ..db.state import Mine


@dataclass
class DetailLoaded(Message):
    """A worker fetched an entity's detail and its row number in its pane, under the crisis
    shown when it was asked for (None: all of them); `position` is None if that pane lacks it;
    `mine` is the user's bookmark and note on it (None: no state database to read)."""

    detail: EntityDetail
    position: int | None
    crisis: str | None = None
    mine: Mine | None = None


@dataclass
class Failed(Message):
    """Something off the UI thread failed: the app reports it (a notice, or the end of a bug)."""

    error: BaseException


def worker_failed(node: MessagePump, event: Worker.StateChanged) -> None:
    """Hand the error of a worker `node` ran to the app, which reports it: Worker.StateChanged
    goes to the worker's node only (it does not bubble), and a worker that fails silently
    leaves a pane saying "loading…" for good."""
    if event.state == WorkerState.ERROR and event.worker.error is not None:
        node.post_message(Failed(event.worker.error))


def act_now(widget: Widget, message: Message) -> None:
    """Have the app act on `message` (a navigation a pane asks for) before the next key.

    A posted message waits behind the keys already handed to the pane: Enter and `b` typed
    together (pasted, or batched by SSH or tmux) went back first, from the page the link was
    followed from, and then followed it. The app's `act_now` runs the message's handler at
    once; an app without one gets the message posted.
    """
    handler = getattr(widget.app, "act_now", None)
    if handler is None or not handler(message):
        widget.post_message(message)
