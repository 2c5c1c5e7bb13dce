"""The progress bar of long imports on a terminal (rich): percent by bytes, rows and rows/s.

`TerminalProgress` is passed as the importer's `report` callback by `app.py import` when
stderr is a terminal or `--progress` is given; it redraws at most every `interval` seconds
and draws the final state when `finish` is called.
"""
from __future__ import annotations

import time
from typing import TextIO

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn

from dashboard.importing.importer import ImportProgress


class TerminalProgress:
    """`table <- file.csv  ━━━━━━━━━━━━━━━━╸━━━━━━━  42%  120,000 rows  35,100 rows/s` on one line."""

    def __init__(self, stream: TextIO, interval: float = 0.2, clock=time.monotonic, width: int | None = None):
        self.interval, self.clock = interval, clock
        self.started = clock()
        self.drawn_at: float | None = None
        self.rows_by_pass: dict[tuple[str, str], int] = {}
        self.console = Console(file=stream, force_terminal=True, width=width, highlight=False)
        self.bar = Progress(
            TextColumn("{task.description}"), BarColumn(bar_width=30), TaskProgressColumn(),
            TextColumn("{task.fields[rows]:,} rows"), TextColumn("{task.fields[rate]:,.0f} rows/s"),
            console=self.console, auto_refresh=False, transient=False,
        )
        self.task = None

    def __call__(self, progress: ImportProgress) -> None:
        self.rows_by_pass[(progress.file, progress.table)] = progress.rows
        rows = sum(self.rows_by_pass.values())
        now = self.clock()
        rate = rows / max(now - self.started, 1e-9)
        name = progress.file.rsplit("/", 1)[-1]
        described = {"description": f"{progress.table} <- {name}", "completed": progress.bytes_read,
                     "total": progress.bytes_total or 1, "rows": rows, "rate": rate}
        if self.task is None:
            self.bar.start()
            self.task = self.bar.add_task(**described)
        else:
            self.bar.update(self.task, **described)
        if self.drawn_at is None or now - self.drawn_at >= self.interval:
            self.drawn_at = now
            self.bar.refresh()

    def finish(self) -> None:
        """Draw the final state and end the line (call once the import returned or failed)."""
        if self.task is not None:
            self.bar.refresh()
            self.bar.stop()
