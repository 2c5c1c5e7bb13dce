"""The cache the server's worker processes share: one loads, the others read its file."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dashboard.shared_cache import DiskCache, cache_key
from queries.db import PROJECT_ROOT, init_db
from dashboard.importing.importer import import_csv
from queries.loaders import Filters

# A worker process: counts the statements it sends and the datasets it loads from the database.
WORKER = r"""
import json, os, sys, time
from pathlib import Path
from sqlalchemy import event
import dashboard.data as data
from dashboard.settings import Settings
from queries.db import get_engine

url, cache_dir, cache_seconds, go = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
statements, loads = [], []
event.listen(get_engine(url), "before_cursor_execute", lambda *args: statements.append(1))
real_load = data.load_marked
def counted_load(*args, **kwargs):
    loads.append(1)
    time.sleep(float(os.environ.get("SLOW_LOAD", "0")))  # holds the lock while others arrive
    return real_load(*args, **kwargs)
data.load_marked = counted_load
if go != "-":
    Path(go + ".ready." + str(os.getpid())).touch()
    while not Path(go).exists():
        time.sleep(0.01)
dataset = data.dataset_for(Settings(database_url=url, cache_dir=cache_dir, cache_seconds=cache_seconds))
print(json.dumps({"statements": len(statements), "loads": len(loads), "leads": sorted(dataset.leads["external_id"]),
                  "loaded_at": dataset.loaded_at.isoformat()}))
"""


def start_worker(url: str, cache_dir: Path, cache_seconds: float, go: str = "-", slow: float = 0):
    environment = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "SLOW_LOAD": str(slow)}
    return subprocess.Popen([sys.executable, "-c", WORKER, url, str(cache_dir), str(cache_seconds), go],
                            cwd=PROJECT_ROOT, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def result(process) -> dict:
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    return json.loads(out.strip().splitlines()[-1])


def run_worker(url: str, cache_dir: Path, cache_seconds: float) -> dict:
    return result(start_worker(url, cache_dir, cache_seconds))


@pytest.fixture
def leads_db(tmp_path):
    url = f"sqlite:///{tmp_path}/leads.db"
    engine = init_db(url)
    (tmp_path / "leads.csv").write_text("id,created_at\nL1,2026-03-02\nL2,2026-03-05\n")
    import_csv(engine, "leads", tmp_path / "leads.csv")
    return url, engine


def datasets_in(cache_dir: Path) -> list[Path]:
    return sorted(cache_dir.glob("*.pickle"))


def test_a_second_process_reads_the_first_ones_file_without_asking_the_database(leads_db, tmp_path):
    url, engine = leads_db
    cache_dir = tmp_path / "cache"
    first = run_worker(url, cache_dir, 60)
    assert first["loads"] == 1 and first["statements"] > 0
    assert first["leads"] == ["L1", "L2"]
    assert len(datasets_in(cache_dir)) == 1

    second = run_worker(url, cache_dir, 60)
    assert second == {**first, "loads": 0, "statements": 0}  # same dataset, same loaded_at: the file

    (tmp_path / "more.csv").write_text("id,created_at\nL3,2026-03-06\n")
    import_csv(engine, "leads", tmp_path / "more.csv")
    third = run_worker(url, cache_dir, 0)  # version asked again: it changed, so a new key
    assert third["loads"] == 1 and third["leads"] == ["L1", "L2", "L3"]
    assert len(datasets_in(cache_dir)) == 2


def test_workers_arriving_together_load_once(leads_db, tmp_path):
    url, _ = leads_db
    cache_dir, go = tmp_path / "cache", str(tmp_path / "go")
    workers = [start_worker(url, cache_dir, 60, go, slow=1.0) for _ in range(3)]
    deadline = time.monotonic() + 60
    while len(list(tmp_path.glob("go.ready.*"))) < len(workers):
        assert time.monotonic() < deadline, "workers did not start"
        time.sleep(0.05)
    Path(go).touch()
    results = [result(worker) for worker in workers]
    assert sum(r["loads"] for r in results) == 1
    assert {r["loaded_at"] for r in results} == {results[0]["loaded_at"]}
    assert all(r["leads"] == ["L1", "L2"] for r in results)


def test_the_key_changes_with_url_filters_and_version():
    base = cache_key("dataset", "sqlite:///a.db", Filters(), ((2, 2),))
    assert base == cache_key("dataset", "sqlite:///a.db", Filters(), ((2, 2),))
    assert base != cache_key("dataset", "sqlite:///b.db", Filters(), ((2, 2),))
    assert base != cache_key("dataset", "sqlite:///a.db", Filters(segments=("SMB",)), ((2, 2),))
    assert base != cache_key("dataset", "sqlite:///a.db", Filters(), ((3, 3),))


def test_only_the_most_recently_used_files_are_kept(tmp_path):
    cache = DiskCache(tmp_path, max_files=3)
    for number in range(3):
        cache.write(f"k{number}", number)
        os.utime(tmp_path / f"k{number}.pickle", ns=(number * 10**9, number * 10**9))
    assert cache.read("k0") == 0  # a read is a use: k0 is now the newest
    cache.write("k3", 3)
    assert sorted(p.name for p in tmp_path.glob("*.pickle")) == ["k0.pickle", "k2.pickle", "k3.pickle"]
    assert cache.read("k1") is None


def test_a_damaged_file_is_a_miss_and_goes(tmp_path):
    cache = DiskCache(tmp_path)
    cache.write("key", {"leads": 2})
    (tmp_path / "key.pickle").write_bytes(b"not a pickle")
    assert cache.read("key") is None
    assert not (tmp_path / "key.pickle").exists()


def test_a_write_leaves_no_temporary_file(tmp_path):
    cache = DiskCache(tmp_path)
    cache.write("key", list(range(1000)))
    assert [p.name for p in tmp_path.iterdir() if p.is_file()] == ["key.pickle"]
    assert cache.read("key") == list(range(1000))


def test_an_unusable_cache_folder_never_fails_a_page(leads_db, tmp_path):
    """A cache folder that cannot be created (a file is in the way): the data still loads."""
    from dashboard.data import dataset_for, forget_cached_data
    from dashboard.settings import Settings

    url, _ = leads_db
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file, not a folder")
    forget_cached_data()
    dataset = dataset_for(Settings(database_url=url, cache_dir=blocker / "cache", cache_seconds=0))
    assert sorted(dataset.leads["external_id"]) == ["L1", "L2"]
    assert blocker.read_text() == "a file, not a folder"


@pytest.mark.parametrize("value, expected", [("", 60.0), ("0", 0.0), ("2.5", 2.5)])
def test_cache_seconds_from_the_environment(monkeypatch, value, expected):
    from dashboard.settings import Settings

    monkeypatch.setenv("CACHE_SECONDS", value)
    assert Settings.from_env().cache_seconds == expected


@pytest.mark.parametrize("value", ["soon", "-1", "nan", "inf"])
def test_a_bad_number_of_seconds_is_refused_saying_how_to_write_it(monkeypatch, value):
    from dashboard.settings import Settings

    monkeypatch.setenv("FIGURES_SECONDS", value)
    with pytest.raises(ValueError, match=rf"FIGURES_SECONDS='{value}': write a number of seconds, 0 or more \(e\.g\. FIGURES_SECONDS=60\)"):
        Settings.from_env()
