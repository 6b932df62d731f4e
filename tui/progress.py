"""How far a long import or build has got, on stderr while it runs (Rich's progress bars).

Shown only when stderr is a terminal: piped or redirected, a command prints its summary and
nothing else. Each file read is a bar of bytes (with the rate and the time left), then the
merged records checked and written are a bar of records. The bars go when the work ends.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Column
from rich.text import Text

from .shown import line


class _Amount(ProgressColumn):
    """Bytes for a file being read, records for the rest (in thousands past 10,000), at a fixed width."""

    def __init__(self) -> None:
        super().__init__(table_column=Column(width=15, no_wrap=True, overflow="crop"))
        self.bytes = DownloadColumn()

    def render(self, task: Task) -> Text:
        if not task.fields.get("sized"):  # a step of no known size: how many so far, if it counts
            return Text(f"{task.completed:,.0f} records" if task.completed > 1 else "", style="progress.download")
        if task.fields.get("bytes"):
            return self.bytes.render(task)
        return Text(f"{_count(task.completed)}/{_count(task.total or 0)}", style="progress.download")


def _count(n: float) -> str:
    return f"{n / 1000:,.0f}k" if n >= 10_000 else f"{n:,.0f}"


class _Rate(ProgressColumn):
    def __init__(self) -> None:
        super().__init__(table_column=Column(width=13, no_wrap=True, overflow="crop"))
        self.bytes = TransferSpeedColumn()

    def render(self, task: Task) -> Text:
        if task.fields.get("bytes"):
            return self.bytes.render(task)
        speed = task.finished_speed or task.speed
        if speed is None or not task.fields.get("sized"):
            return Text("")
        return Text(f"{_count(speed)} records/s", style="progress.data.speed")


class _Bar(BarColumn):
    """A bar for a step of known size; none for the others (a pulsing bar looks broken without colour)."""

    def render(self, task: Task) -> Any:
        return super().render(task) if task.fields.get("sized") else Text("")


class _Time(ProgressColumn):
    """The time left of a step of known size; the time taken so far of the others."""

    def __init__(self) -> None:
        super().__init__(table_column=Column(width=7, no_wrap=True, overflow="crop"))
        self.left, self.taken = TimeRemainingColumn(), TimeElapsedColumn()

    def render(self, task: Task) -> Text:
        return (self.left if task.fields.get("sized") else self.taken).render(task)


class ProgressBars:
    """The import's progress callback (`seed.importer.Progress`), drawn as bars."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.tasks: dict[str, TaskID] = {}

    def __call__(self, what: str, done: int, total: int | None) -> None:
        task = self.tasks.get(what)
        if task is None:
            for other in self.tasks.values():  # one step at a time: what came before is done
                before = self.progress.tasks[other]
                self.progress.update(other, total=before.total or before.completed or 1,
                                     completed=before.total or before.completed or 1)
            task = self.tasks[what] = self.progress.add_task(line(what), total=total, sized=total is not None,
                                                             bytes=what.startswith("reading") and total is not None)
        self.progress.update(task, completed=done, total=total)


@contextmanager
def progress_bars(console: Console | None = None) -> Iterator[ProgressBars | None]:
    """Progress bars on stderr while the block runs, or None where stderr is not a terminal."""
    console = console or Console(stderr=True)
    if not console.is_terminal or not sys.stderr.isatty() and console.file is sys.stderr:
        yield None
        return
    columns = (TextColumn("{task.description}", markup=False,
                          table_column=Column(width=18, no_wrap=True, overflow="ellipsis")),
               _Bar(bar_width=16), _Amount(), _Rate(), _Time())  # 73 columns: fits 80 with its gaps
    with Progress(*columns, console=console, transient=True, refresh_per_second=4) as progress:
        yield ProgressBars(progress)
