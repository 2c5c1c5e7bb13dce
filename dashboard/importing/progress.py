"""A one-line progress bar for long imports on a terminal: percent by bytes, rows and rows/s.

`TerminalProgress` is passed as the importer's `report` callback by `app.py import` when
stderr is a terminal or `--progress` is given; it redraws at most every `interval` seconds.
"""
from __future__ import annotations

import time
from typing import TextIO

from dashboard.importing.importer import ImportProgress

BAR_WIDTH = 30


class TerminalProgress:
    """Draws `[#####-----]  42%  120,000 rows  35,100 rows/s  leads <- file.csv` on one line."""

    def __init__(self, stream: TextIO, interval: float = 0.2, clock=time.monotonic):
        self.stream, self.interval, self.clock = stream, interval, clock
        self.started = clock()
        self.drawn_at: float | None = None
        self.rows_by_pass: dict[tuple[str, str], int] = {}
        self.last: ImportProgress | None = None

    def __call__(self, progress: ImportProgress) -> None:
        self.rows_by_pass[(progress.file, progress.table)] = progress.rows
        self.last = progress
        now = self.clock()
        if self.drawn_at is None or now - self.drawn_at >= self.interval:
            self.draw(now)

    def line(self, now: float) -> str:
        """The bar's text for the latest report."""
        progress = self.last
        share = progress.bytes_read / progress.bytes_total if progress.bytes_total else 1.0
        share = min(max(share, 0.0), 1.0)
        filled = round(share * BAR_WIDTH)
        rows = sum(self.rows_by_pass.values())
        elapsed = max(now - self.started, 1e-9)
        name = progress.file.rsplit("/", 1)[-1]
        return (f"[{'#' * filled}{'-' * (BAR_WIDTH - filled)}] {share:4.0%}  {rows:,} rows  "
                f"{rows / elapsed:,.0f} rows/s  {progress.table} <- {name}")

    def draw(self, now: float) -> None:
        self.drawn_at = now
        self.stream.write("\r" + self.line(now) + "\x1b[K")
        self.stream.flush()

    def finish(self) -> None:
        """Draw the final state and end the line (call once the import returned or failed)."""
        if self.last is not None:
            self.draw(self.clock())
            self.stream.write("\n")
            self.stream.flush()
