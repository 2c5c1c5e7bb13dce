"""The one cache: what the server's worker processes share (one loads, the others read its
bytes), its key recipe, its bounds, and that it never holds or reads a pickle."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dashboard.cache import Cache, UnsafeCacheValue, key
from dashboard.importing.importer import import_csv
from queries.db import PROJECT_ROOT, init_db
from queries.loaders import Filters

# A worker process: counts the statements it sends and the datasets it loads from the database.
WORKER = r"""
import json, os, sys, time
from pathlib import Path
from sqlalchemy import event
import dashboard.data as data
from dashboard.cache import Cache
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
dataset = data.dataset_for(Settings(database_url=url, cache_dir=cache_dir, cache_seconds=cache_seconds),
                           cache=Cache(cache_dir))
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


def entries_in(cache_dir: Path, kind: str) -> list[str]:
    cache = Cache(cache_dir)
    try:
        return sorted(name for name in cache.disk.iterkeys() if name.startswith(f"{kind}:"))
    finally:
        cache.close()


def test_a_second_process_reads_the_first_ones_file_without_asking_the_database(leads_db, tmp_path):
    url, engine = leads_db
    cache_dir = tmp_path / "cache"
    first = run_worker(url, cache_dir, 60)
    assert first["loads"] == 1 and first["statements"] > 0
    assert first["leads"] == ["L1", "L2"]
    assert len(entries_in(cache_dir, "records")) == 1

    second = run_worker(url, cache_dir, 60)
    assert second == {**first, "loads": 0, "statements": 0}  # same dataset, same loaded_at: the bytes

    (tmp_path / "more.csv").write_text("id,created_at\nL3,2026-03-06\n")
    import_csv(engine, "leads", tmp_path / "more.csv")
    third = run_worker(url, cache_dir, 0)  # version asked again: it changed, so only what changed is read
    assert third["loads"] == 0 and third["statements"] > 0 and third["leads"] == ["L1", "L2", "L3"]
    assert len(entries_in(cache_dir, "records")) == 1  # one database, one kept copy of its records
    fourth = run_worker(url, cache_dir, 60)
    assert fourth["statements"] == 0 and fourth["leads"] == ["L1", "L2", "L3"]


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


def test_the_key_changes_with_everything_an_entry_depends_on():
    base = dict(data_version="v1", agreement=None, as_of="2026-11-20", params=("sqlite:///a.db", Filters()),
                role="viewer")
    assert key("figures", **base) == key("figures", **base)
    for change in ({"data_version": "v2"}, {"as_of": "2026-11-21"}, {"role": "manager"},
                   {"params": ("sqlite:///b.db", Filters())}, {"params": ("sqlite:///a.db", Filters(segments=("SMB",)))}):
        assert key("figures", **base) != key("figures", **{**base, **change}), change
    assert key("figures", **base) != key("wall", **base)


MINIMAL_AGREEMENT = """\
name: Test agreement
agreed_on: 2026-01-12
agreed_by: [Head of Marketing, Head of Sales]
timezone: Europe/Helsinki
currency: EUR
working_days: [mon, tue, wed, thu, fri]
definitions: {lead: a, mql: b, sal: c, sql: d, opportunity: e}
commitments:
  - {id: mql_volume, team: marketing, metric: mqls, target: {month: 400}}
"""


def test_the_key_changes_with_the_agreement(tmp_path):
    from dashboard.sla import load_agreement

    (tmp_path / "sla.yaml").write_text(MINIMAL_AGREEMENT)
    first = load_agreement(tmp_path / "sla.yaml")
    again = load_agreement(tmp_path / "sla.yaml")
    renegotiated = first.model_copy(update={"name": "Renegotiated"})
    assert key("figures", agreement=first) == key("figures", agreement=again)
    assert key("figures", agreement=first) != key("figures", agreement=renegotiated)


def test_the_memory_layer_keeps_the_most_recently_used():
    cache = Cache(memory_entries=2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # a read is a use: b is now the oldest
    cache.put("c", 3)
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (1, None, 3)


def test_the_shared_folder_keeps_bytes_and_text_never_a_pickle(tmp_path):
    cache = Cache(tmp_path / "cache")
    assert cache.write("k", b"\x00bytes") and cache.read("k") == b"\x00bytes"
    assert cache.write("t", "text") and cache.read("t") == "text"
    with pytest.raises(UnsafeCacheValue):
        cache.write("d", {"leads": 2})
    # an entry planted as a pickle (by anyone who could write the folder) is refused, not loaded
    import diskcache

    planted = diskcache.Cache(str(tmp_path / "cache"))
    planted.set("planted", {"leads": 2})  # diskcache's own storage pickles a dict
    planted.close()
    assert cache.read("planted") is None


def test_the_shared_folder_is_private_to_the_service_user(tmp_path):
    cache = Cache(tmp_path / "cache")
    cache.write("k", b"1")
    with cache.locked("k"):
        pass
    assert (tmp_path / "cache").stat().st_mode & 0o777 == 0o700
    assert all(path.stat().st_mode & 0o077 == 0 for path in (tmp_path / "cache").glob("cache.db*"))
    assert all(path.stat().st_mode & 0o077 == 0 for path in (tmp_path / "cache" / "locks").iterdir())


def test_shared_computes_once_and_reset_forgets_both_layers(tmp_path):
    calls = []
    cache = Cache(tmp_path / "cache")
    compute = lambda: calls.append(1) or {"mqls": 67}  # noqa: E731
    assert cache.shared("figures:x", compute) == {"mqls": 67}
    assert Cache(tmp_path / "cache").shared("figures:x", compute) == {"mqls": 67}  # another worker: the bytes
    assert len(calls) == 1
    cache.reset()
    assert cache.get("figures:x") is None and cache.read("figures:x") is None
    cache.shared("figures:x", compute)
    assert len(calls) == 2


def test_an_unusable_cache_folder_never_fails_a_page(leads_db, tmp_path):
    """A cache folder that cannot be created (a file is in the way): the data still loads."""
    from dashboard.data import dataset_for
    from dashboard.settings import Settings

    url, _ = leads_db
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file, not a folder")
    cache = Cache(blocker / "cache")
    dataset = dataset_for(Settings(database_url=url, cache_dir=blocker / "cache", cache_seconds=0), cache=cache)
    assert cache.disk is None
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
