"""The import's progress bar: percent by bytes, rows and rows/s; shown on a terminal or with --progress."""
from __future__ import annotations

import io

from typer.testing import CliRunner

from dashboard.importing.importer import ImportProgress
from dashboard.importing.progress import TerminalProgress


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_bar_shows_share_of_bytes_rows_and_rate():
    clock, out = Clock(), io.StringIO()
    bar = TerminalProgress(out, interval=0.5, clock=clock)
    clock.now = 102.0  # 2 s after start: 10,000 rows -> 5,000 rows/s; 250 of 1,000 bytes -> 25 %
    bar(ImportProgress("/x/leads.csv", "leads", 10_000, 250, 1_000))
    assert out.getvalue() == ("\r[########----------------------]  25%  10,000 rows  5,000 rows/s  leads <- leads.csv"
                              "\x1b[K")


def test_bar_redraws_at_most_every_interval_and_ends_its_line():
    clock, out = Clock(), io.StringIO()
    bar = TerminalProgress(out, interval=0.5, clock=clock)
    bar(ImportProgress("a.csv", "owners", 5, 10, 100))
    clock.now += 0.1
    bar(ImportProgress("a.csv", "owners", 10, 20, 100))  # too soon: not drawn
    assert out.getvalue().count("\r") == 1
    clock.now += 1
    bar(ImportProgress("a.csv", "leads", 7, 100, 100))  # rows of every pass add up: 10 + 7
    assert "17 rows" in out.getvalue().rsplit("\r", 1)[1]
    bar.finish()
    assert out.getvalue().endswith("100%  17 rows  15 rows/s  leads <- a.csv\x1b[K\n")


def test_progress_option_draws_on_stderr(tmp_path):
    from app import cli

    path = tmp_path / "owners.csv"
    path.write_text("id,name\nO1,Aino\nO2,Mikko\n")
    result = CliRunner().invoke(cli, ["import", "owners", str(path), "--db", f"sqlite:///{tmp_path}/x.db", "--progress"])
    assert result.exit_code == 0, result.output
    assert "owners: 2 rows, 2 inserted" in result.stdout
    assert "100%  2 rows" in result.stderr and "owners <- owners.csv" in result.stderr

    quiet = CliRunner().invoke(cli, ["import", "owners", str(path), "--db", f"sqlite:///{tmp_path}/x.db"])
    assert quiet.exit_code == 0 and quiet.stderr == ""  # the test runner's stderr is no terminal
