"""A query thread that always answers the newest question: typed search runs here, off the UI thread.

The thread is waiting already when a key comes (a Textual thread worker per key was slower
to start than most searches took); it skips questions a newer one has replaced, and a
question under way when a newer one comes is cancelled (`Cancel`), so that a slow search
never holds up the answer to what the user typed since.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

from ..db.readers import Cancel

Answer = TypeVar("Answer")
_STOP = object()


class LatestQuery(Generic[Answer]):
    """Runs `ask(text, cancel)` on its own thread for the newest text submitted; `answered` gets the result.

    `answered(text, answer, error)` is called on the query thread, with `error` set instead of
    `answer` when `ask` raised; texts submitted while a query runs are skipped but for the last,
    and the query under way is told to stop (its `cancel` is set). `finished` runs on the thread
    as it ends.
    """

    def __init__(self, ask: Callable[[str, Cancel], Answer],
                 answered: Callable[[str, Answer | None, Exception | None], None],
                 finished: Callable[[], None] | None = None) -> None:
        self._ask = ask
        self._answered = answered
        self._finished = finished
        self._inbox: queue.SimpleQueue[tuple[int, object]] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._submitted = 0
        self._running: tuple[int, Cancel] | None = None
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="crisis-tui-query", daemon=True)
        self._thread.start()

    def submit(self, text: str) -> None:
        """Ask about `text`; a question under way is cancelled."""
        self._put(text)

    def close(self) -> None:
        """Stop, cancelling the query under way (not waited for: it may be handing back its answer)."""
        self._put(_STOP)

    def _put(self, item: object) -> None:
        with self._lock:
            if self._closed:
                return  # a question after close: nobody is left to ask it
            self._closed = item is _STOP
            self._submitted += 1
            self._inbox.put((self._submitted, item))
            if self._running is not None and self._running[0] < self._submitted:
                self._running[1].cancel()

    def _run(self) -> None:
        try:
            self._serve()
        finally:
            if self._finished is not None:
                self._finished()

    def _serve(self) -> None:
        while True:
            number, text = self._inbox.get()
            while not self._inbox.empty():  # only the newest question matters
                number, text = self._inbox.get()
            if text is _STOP:
                return
            assert isinstance(text, str)
            cancel = Cancel()
            with self._lock:
                if not self._inbox.empty():
                    continue  # replaced while it was taken: take the newer one
                self._running = (number, cancel)
            try:
                answer, error = self._ask(text, cancel), None
            except Exception as exc:  # handed over, not lost on this thread
                answer, error = None, exc
            finally:
                with self._lock:
                    self._running = None
            try:
                self._answered(text, answer, error)
            except RuntimeError:  # the app has stopped: nobody to answer
                return
