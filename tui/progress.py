"""How far a long import or build has got, on stderr while it runs (Rich's progress bars).

Shown only when stderr is a terminal: piped or redirected, a command prints its summary and
nothing else. Each file read is a bar of bytes (with the rate and the time left), then the
merged records checked and written are a bar of records. The bars go when the work ends.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.text import Text

from .shown import line


class _Amount(ProgressColumn):
    """Bytes for a file being read, records for the rest."""

    def __init__(self) -> None:
        super().__init__()
        self.bytes, self.records = DownloadColumn(), MofNCompleteColumn()

    def render(self, task: Task) -> Text:
        if not task.fields.get("sized"):  # a step of no known size: how many so far, if it counts
            return Text(f"{task.completed:,.0f}" if task.completed > 1 else "", style="progress.download")
        return (self.bytes if task.fields.get("bytes") else self.records).render(task)


class _Rate(ProgressColumn):
    def __init__(self) -> None:
        super().__init__()
        self.bytes = TransferSpeedColumn()

    def render(self, task: Task) -> Text:
        if task.fields.get("bytes"):
            return self.bytes.render(task)
        speed = task.finished_speed or task.speed
        return Text("" if speed is None else f"{speed:,.0f} records/s", style="progress.data.speed")


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
    columns = (TextColumn("{task.description}", markup=False), BarColumn(), _Amount(), _Rate(), TimeRemainingColumn())
    with Progress(*columns, console=console, transient=True, refresh_per_second=4) as progress:
        yield ProgressBars(progress)
