"""An import running while people look at the dashboard: a reader sees the data before the
import or after it, never part of it (SQLite in WAL mode, PostgreSQL, MariaDB)."""
from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import text

from dashboard.data import dataset_for, forget_cached_data
from dashboard.importing.importer import ImportFailed, import_folder
from dashboard.settings import Settings
from queries.db import init_db
from queries.loaders import Filters

BEFORE = 40  # leads (each with one deal) of the first export
ADDED = 1500  # leads (each with one deal) the second export adds


def write_export(folder: Path, first: int, last: int) -> Path:
    """An export folder with leads first..last-1, each with its contact and one deal."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "owners.csv").write_text("id,name,team\nO1,Aino Virtanen,sales\n")
    contacts = ["id,name,created_at"] + [f"P{i},Person {i},2026-03-01" for i in range(first, last)]
    leads = ["id,contact_id,created_at,source,owner_id"] + [
        f"L{i},P{i},2026-03-02,webinar,O1" for i in range(first, last)]
    deals = ["id,lead_id,owner_id,name,amount,created_at"] + [
        f"D{i},L{i},O1,Deal {i},100,2026-03-10" for i in range(first, last)]
    for name, lines in (("contacts", contacts), ("leads", leads), ("deals", deals)):
        (folder / f"{name}.csv").write_text("\n".join(lines) + "\n")
    return folder


def counts_in_one_statement(engine) -> tuple[int, int]:
    """Leads and deals counted by one statement, so both come from one snapshot."""
    with engine.connect() as connection:
        row = connection.execute(text("SELECT (SELECT COUNT(*) FROM leads), (SELECT COUNT(*) FROM deals)")).one()
    return int(row[0]), int(row[1])


def test_a_reader_sees_a_folder_import_whole_or_not_at_all(db_url, tmp_path):
    engine = init_db(db_url)
    import_folder(engine, write_export(tmp_path / "first", 0, BEFORE))
    second = write_export(tmp_path / "second", 0, BEFORE + ADDED)
    settings = Settings(database_url=db_url, cache_seconds=0)
    seen_by_sql: list[tuple[int, int]] = []
    seen_by_pages: list[tuple[int, int]] = []
    started, finished = threading.Event(), threading.Event()

    def read_while_importing():
        while True:
            done = finished.is_set()  # read once more after the import ended
            seen_by_sql.append(counts_in_one_statement(engine))
            forget_cached_data()
            dataset = dataset_for(settings, Filters())
            seen_by_pages.append((len(dataset.leads), len(dataset.deals)))
            started.set()
            if done:
                return

    reader = threading.Thread(target=read_while_importing)
    reader.start()
    try:
        assert started.wait(30)
        import_folder(engine, second)
    finally:
        finished.set()
        reader.join(60)

    before, after = (BEFORE, BEFORE), (BEFORE + ADDED, BEFORE + ADDED)
    assert seen_by_sql[0] == before and seen_by_sql[-1] == after
    assert set(seen_by_sql) <= {before, after}
    assert seen_by_pages[0] == before and seen_by_pages[-1] == after
    assert set(seen_by_pages) <= {before, after}


def test_a_failing_folder_import_leaves_the_reader_on_the_old_data(db_url, tmp_path):
    engine = init_db(db_url)
    import_folder(engine, write_export(tmp_path / "first", 0, BEFORE))
    broken = write_export(tmp_path / "broken", 0, BEFORE + ADDED)
    (broken / "deals.csv").write_text("id,lead_id,owner_id,name,amount,created_at\nD1,L1,O1,x,lots,2026-03-10\n")
    with pytest.raises(ImportFailed, match="deals.csv"):
        import_folder(engine, broken)
    assert counts_in_one_statement(engine) == (BEFORE, BEFORE)
