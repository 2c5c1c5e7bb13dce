"""Two imports of one database at once: the second is refused at once, saying another import is
running, on every engine; none ends in a database error."""
from __future__ import annotations

import threading

import pytest

from dashboard.importing.importer import import_csv
from queries.db import init_db
from queries.import_lock import ImportBusy, import_lock

LEADS = "id,created_at,source\nL1,2026-11-19T08:00:00Z,webinar\nL2,2026-11-20T07:00:00Z,ads\n"


def test_il001_an_import_while_another_runs_is_refused_and_the_next_one_runs(db_url, tmp_path):
    engine = init_db(db_url)
    (tmp_path / "leads.csv").write_text(LEADS)
    with import_lock(engine), pytest.raises(ImportBusy, match="^another import is running; try again when it "
                                                             "has finished$"):
        import_csv(engine, "leads", tmp_path / "leads.csv")
    assert import_csv(engine, "leads", tmp_path / "leads.csv").inserted == 2


def test_il002_concurrent_imports_of_one_file_each_load_or_are_refused(db_url, tmp_path):
    """The race that ended in a raw UniqueViolation on PostgreSQL: every outcome is a result or ImportBusy."""
    engine = init_db(db_url)
    path = tmp_path / "leads.csv"
    path.write_text("id,created_at,source\n" + "".join(f"L{n},2026-11-19T08:00:00Z,webinar\n" for n in range(2000)))
    outcomes, start = [], threading.Barrier(4)

    def load():
        start.wait()
        try:
            outcomes.append(import_csv(engine, "leads", path).rows)
        except ImportBusy:
            outcomes.append("busy")
        except Exception as error:  # noqa: BLE001 - the test reports any other outcome
            outcomes.append(repr(error))

    threads = [threading.Thread(target=load) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(outcomes) == 4 and set(outcomes) <= {2000, "busy"}, outcomes
    assert 2000 in outcomes


def test_il003_the_command_line_says_so(db_url, tmp_path):
    from typer.testing import CliRunner

    from app import cli

    engine = init_db(db_url)
    (tmp_path / "leads.csv").write_text(LEADS)
    with import_lock(engine):
        result = CliRunner().invoke(cli, ["import", "leads", str(tmp_path / "leads.csv"), "--db", db_url])
    assert result.exit_code == 2
    assert "error: nothing was written: another import is running; try again when it has finished" in result.stderr
