"""PostgreSQL restarting under load: requests during the outage fail cleanly, the dashboard
recovers by itself with the same figures, and no data is lost.

Runs on a private PostgreSQL cluster started for this test (initdb + pg_ctl on a free port),
never on the machine's shared server; skips, saying why, without the server binaries.
"""
from __future__ import annotations

import time

import pytest
import requests
from sqlalchemy import create_engine, text

from bench.dash_client import DashCallbacks
from bench.load_test import Browser, Recorder, Sample, run_load
from bench.server import GunicornServer
from dashboard.demo import generate_demo
from queries.db import init_db
from queries.schema import LOAD_ORDER
from tests.demo_fixture import TODAY
from tests.private_postgres import PrivatePostgres, postgres_bin

pytestmark = pytest.mark.serving

FROZEN_AS_OF = "2026-11-20T12:00:00+02:00"
OUTAGE_AT, OUTAGE_SECONDS, LOAD_SECONDS = 6.0, 5.0, 24.0


@pytest.fixture
def private_postgres():
    if postgres_bin() is None:
        pytest.skip("no PostgreSQL server binaries (/usr/lib/postgresql/*/bin/initdb) to start a private cluster")
    try:
        server = PrivatePostgres().init()
    except Exception as error:  # noqa: BLE001 - any failure to start it means: not available here
        pytest.skip(f"cannot start a private PostgreSQL cluster: {str(error).splitlines()[0]}")
    try:
        yield server
    finally:
        server.destroy()


def row_counts(url: str) -> dict[str, int]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return {table: connection.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar() for table in LOAD_ORDER}
    finally:
        engine.dispose()


def figures(base_url: str, callbacks: DashCallbacks) -> dict:
    """What the scoreboard and the marketing page show (their callbacks' outputs)."""
    shown = {}
    for path, target in (("/", "scoreboard-body.children"), ("/marketing", "marketing-body.children")):
        browser = Browser(base_url, callbacks, Recorder(), timeout=60)
        browser.open_page(path)
        assert all(s.status == 200 and not s.fault_shown for s in browser.recorder.samples if "figures" in s.kind)
        shown[path] = browser.values[target]
    return shown


def test_a_database_restart_under_load_fails_cleanly_and_recovers(private_postgres, tmp_path):
    admin = create_engine(private_postgres.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text("CREATE DATABASE smarketing"))
    admin.dispose()
    url = private_postgres.url.rsplit("/", 1)[0] + "/smarketing"
    generate_demo(init_db(url), seed=7, today=TODAY, n_leads=1500)
    counts_before = row_counts(url)

    outage: dict[str, float] = {}
    probe = Recorder()

    def restart_database(recorder: Recorder) -> None:
        """Stop the server mid-load; while it is down, open the scoreboard as a new tab would."""
        time.sleep(OUTAGE_AT)
        outage["down"] = time.monotonic() - recorder.started
        private_postgres.stop()
        time.sleep(1.5)  # past CACHE_SECONDS: the pages must ask the database again
        Browser(server.base_url, callbacks, probe, timeout=30, expect_faults=True).open_page("/")
        probe.add(Sample("health", 0, 0, requests.get(f"{server.base_url}/healthz", timeout=30).status_code))
        time.sleep(max(0.0, outage["down"] + OUTAGE_SECONDS - (time.monotonic() - recorder.started)))
        private_postgres.start()
        outage["up"] = time.monotonic() - recorder.started

    with GunicornServer(url, tmp_path / "gunicorn.log", workers=2, threads=2, cache_dir=tmp_path / "cache",
                        extra_env={"AS_OF": FROZEN_AS_OF, "CACHE_SECONDS": "1"}) as server:
        callbacks = DashCallbacks.fetch(requests, server.base_url)
        before = figures(server.base_url, callbacks)
        recorder = run_load(server.base_url, clients=8, seconds=LOAD_SECONDS, wall_seconds=1.0, think=(0.3, 1.0),
                            timeout=30, expect_faults=True, during=restart_database)
        after = figures(server.base_url, callbacks)
        health = requests.get(f"{server.base_url}/healthz", timeout=10)
        log = server.log()

    # the tab opened during the outage: the shell works, the figures say the database is gone
    assert [(s.kind, s.status, s.fault_shown) for s in probe.samples] == [
        ("page html", 200, False), ("page layout", 200, False), ("filter sync", 200, False),
        ("filter options", 503, False), ("agreement check", 200, False), ("/ figures", 200, True), ("health", 503, False),
    ]
    samples = recorder.samples
    unanswered = [(s.kind, round(s.at, 1), s.error) for s in samples if s.status is None]
    assert unanswered == [], "requests that got no HTTP answer (hung or dropped)"
    assert {s.status for s in samples} <= {200, 204, 503}, "only clean answers: the page's message or a JSON 503"
    recovered = [s for s in samples if s.at >= outage["up"] + 5]
    assert recovered, "no request after the database came back"
    assert [(s.kind, s.status) for s in recovered if s.status == 503 or s.fault_shown] == []
    assert after == before  # the same figures as before the restart
    assert row_counts(url) == counts_before  # nothing lost
    assert health.status_code == 200 and health.json()["status"] == "ok"
    assert "Worker timeout" not in log and "Traceback" not in log
