"""The import's progress bar (rich): percent by bytes, rows and rows/s; shown on a terminal or with --progress."""
from __future__ import annotations

import io
import re

from typer.testing import CliRunner

from dashboard.importing.importer import ImportProgress
from dashboard.importing.progress import TerminalProgress

ESCAPES = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def drawn(out: io.StringIO) -> list[str]:
    """The states the bar drew, one per redraw, without the terminal's control codes."""
    return [line.strip() for line in ESCAPES.sub("", out.getvalue()).replace("\n", "\r").split("\r") if line.strip()]


def test_bar_shows_share_of_bytes_rows_and_rate():
    clock, out = Clock(), io.StringIO()
    bar = TerminalProgress(out, interval=0.5, clock=clock, width=100)
    clock.now = 102.0  # 2 s after start: 10,000 rows -> 5,000 rows/s; 250 of 1,000 bytes -> 25 %
    bar(ImportProgress("/x/leads.csv", "leads", 10_000, 250, 1_000))
    last = drawn(out)[-1]
    assert last.startswith("leads <- leads.csv")
    assert last.endswith(" 25% 10,000 rows 5,000 rows/s")


def test_bar_redraws_at_most_every_interval_and_ends_its_line():
    clock, out = Clock(), io.StringIO()
    bar = TerminalProgress(out, interval=0.5, clock=clock, width=100)
    bar(ImportProgress("a.csv", "owners", 5, 10, 100))
    drawn_first = len(drawn(out))
    clock.now += 0.1
    bar(ImportProgress("a.csv", "owners", 10, 20, 100))  # too soon: not drawn
    assert len(drawn(out)) == drawn_first
    clock.now += 1
    bar(ImportProgress("a.csv", "leads", 7, 100, 100))  # rows of every pass add up: 10 + 7
    assert "17 rows" in drawn(out)[-1]
    bar.finish()
    assert drawn(out)[-1].endswith("100% 17 rows 15 rows/s")  # 17 rows in 1.1 s
    assert ESCAPES.sub("", out.getvalue()).endswith("\n")


def test_progress_option_draws_on_stderr(tmp_path):
    from app import cli

    path = tmp_path / "owners.csv"
    path.write_text("id,name\nO1,Aino\nO2,Mikko\n")
    result = CliRunner().invoke(cli, ["import", "owners", str(path), "--db", f"sqlite:///{tmp_path}/x.db", "--progress"])
    assert result.exit_code == 0, result.output
    assert "owners: 2 rows, 2 inserted" in result.stdout
    last = ESCAPES.sub("", result.stderr).replace("\n", "\r").split("\r")
    assert any("owners <- owners.csv" in line and "100% 2 rows" in line for line in last)

    quiet = CliRunner().invoke(cli, ["import", "owners", str(path), "--db", f"sqlite:///{tmp_path}/x.db"])
    assert quiet.exit_code == 0 and quiet.stderr == ""  # the test runner's stderr is no terminal
