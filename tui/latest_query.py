"""A query thread that always answers the newest question: typed search runs here, off the UI thread.

A Textual thread worker per keystroke took 1-7 ms to start (a Worker, a task, an executor
hop) before the query even began; this thread is waiting already, and skips questions a
newer one has replaced.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

Answer = TypeVar("Answer")
_STOP = object()


class LatestQuery(Generic[Answer]):
    """Runs `ask(text)` on its own thread for the newest text submitted; `answered` gets the result.

    `answered(text, answer, error)` is called on the query thread, with `error` set instead of
    `answer` when `ask` raised; texts submitted while a query runs are skipped but for the last.
    """

    def __init__(self, ask: Callable[[str], Answer],
                 answered: Callable[[str, Answer | None, Exception | None], None]) -> None:
        self._ask = ask
        self._answered = answered
        self._inbox: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="crisis-tui-query", daemon=True)
        self._thread.start()

    def submit(self, text: str) -> None:
        self._inbox.put(text)

    def close(self) -> None:
        """Stop after the query under way, if any (not waited for: it may be handing back its answer)."""
        self._inbox.put(_STOP)

    def _run(self) -> None:
        while True:
            text = self._inbox.get()
            while not self._inbox.empty():  # only the newest question matters
                text = self._inbox.get()
            if text is _STOP:
                return
            assert isinstance(text, str)
            try:
                answer, error = self._ask(text), None
            except Exception as exc:  # handed over, not lost on this thread
                answer, error = None, exc
            try:
                self._answered(text, answer, error)
            except RuntimeError:  # the app has stopped: nobody to answer
                return
