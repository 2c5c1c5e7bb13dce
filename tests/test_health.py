"""`/healthz` and the clean 503 a callback gets when the database is gone."""
from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from bench.dash_client import DATABASE_DOWN_TEXT, DashCallbacks
from dashboard import __version__
from dashboard.application import create_app
from dashboard.importing.importer import import_csv
from dashboard.settings import Settings
from queries.db import init_db
from tests.agreements import agreement_file

NEWEST = sorted((Path(__file__).resolve().parent.parent / "queries" / "migrations" / "versions").glob("0*.py"))[-1]
HEAD = re.search(r"^revision = '([^']+)'", NEWEST.read_text(), re.M).group(1)  # the newest migration's revision id

AS_OF = pd.Timestamp("2026-11-20 10:00", tz="UTC")
CLOSED_PORT_URL = "postgresql://postgres@127.0.0.1:1/nowhere"  # nothing listens on port 1


@pytest.fixture
def small_db(tmp_path):
    """Two leads and one sales call; the newest record time is the call at 09:45 UTC."""
    url = f"sqlite:///{tmp_path}/health.db"
    engine = init_db(url)
    (tmp_path / "leads.csv").write_text(
        "id,created_at,source,updated_at\n"
        "L1,2026-11-19T08:00:00Z,webinar,2026-11-20T09:30:00Z\n"
        "L2,2026-11-20T07:00:00Z,ads,2026-11-20T07:00:00Z\n")
    (tmp_path / "activities.csv").write_text(
        "id,lead_id,team,type,occurred_at\nA1,L1,sales,call,2026-11-20T09:45:00Z\n")
    import_csv(engine, "leads", tmp_path / "leads.csv")
    import_csv(engine, "activities", tmp_path / "activities.csv")
    return url


def test_healthy_dashboard_answers_200_with_every_check(small_db):
    client = create_app(Settings(database_url=small_db, as_of=AS_OF)).server.test_client()
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    body = response.json
    assert body["status"] == "ok"
    assert body["version"] == __version__
    assert body["as_of"] == "2026-11-20T10:00:00+00:00"
    assert body["database"]["reachable"] is True and body["database"]["error"] is None
    assert body["schema"] == {"current": True, "revision": HEAD, "head": HEAD}
    # The newest write is the import's (leads, deals and activities carry the time this database
    # wrote them, whatever the file said), and its age is measured on the real clock, not AS_OF.
    written = pd.Timestamp(body["freshness"]["newest_record_at"])
    assert pd.Timestamp.now(tz="UTC") - written < pd.Timedelta(minutes=5)
    assert 0 <= body["freshness"]["age_minutes"] < 5
    assert body["agreement"]["file_ok"] is True
    assert body["agreement"]["in_force"] == "Sales and marketing SLA 2026"


def test_unreachable_database_answers_503():
    client = create_app(Settings(database_url=CLOSED_PORT_URL, as_of=AS_OF)).server.test_client()
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json
    assert body["status"] == "down"
    assert body["database"]["reachable"] is False
    assert "Connection refused" in body["database"]["error"]
    assert body["freshness"] == {"newest_record_at": None, "age_minutes": None}
    assert body["schema"]["current"] is False and body["schema"]["head"] == HEAD


def test_a_missing_sqlite_file_is_down_and_not_created(tmp_path):
    path = tmp_path / "gone.db"
    client = create_app(Settings(database_url=f"sqlite:///{path}", as_of=AS_OF)).server.test_client()
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json["database"]["error"] == f"no database file {path}"
    assert not path.exists()


def test_a_database_without_the_schema_is_degraded_not_down(tmp_path):
    path = tmp_path / "bare.db"
    import sqlite3

    sqlite3.connect(path).close()
    response = create_app(Settings(database_url=f"sqlite:///{path}", as_of=AS_OF)).server.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.json["status"] == "degraded"
    assert response.json["schema"] == {"current": False, "revision": None, "head": HEAD}


def test_a_broken_agreement_file_is_degraded(small_db, tmp_path):
    sla = agreement_file(tmp_path)
    client = create_app(Settings(database_url=small_db, sla_path=sla, as_of=AS_OF)).server.test_client()
    sla.write_text("name: [\n")
    body = client.get("/healthz").json
    assert body["status"] == "degraded"
    assert body["agreement"]["file_ok"] is False
    assert body["agreement"]["problem"].startswith(f"{sla} line ")
    assert body["agreement"]["in_force"] == "Sales and marketing SLA 2026"


def test_callbacks_fail_cleanly_while_the_database_is_gone():
    """A page body says so in the page (HTTP 200); any other callback gets a JSON 503."""
    client = create_app(Settings(database_url=CLOSED_PORT_URL, as_of=AS_OF)).server.test_client()
    client.get("/")
    callbacks = DashCallbacks.fetch(client)
    body = client.post("/_dash-update-component",
                       json=callbacks.by_output("scoreboard-body.children").payload({"filter-state.data": None}))
    assert body.status_code == 200 and DATABASE_DOWN_TEXT in body.get_data(as_text=True)
    options = client.post("/_dash-update-component",
                          json=callbacks.by_output("filter-segment.options").payload({"url.pathname": "/"}))
    assert options.status_code == 503
    assert options.json == {"error": "the database cannot be reached; try again shortly", "detail": "OperationalError"}


@pytest.mark.parametrize("url, expected", [
    ("postgresql://postgres@127.0.0.1:1/a", {"connect_timeout": 10}),
    ("mysql://root@127.0.0.1:1/a", {"charset": "utf8mb4", "connect_timeout": 10}),
])
def test_the_pages_engine_gives_up_connecting_after_ten_seconds(url, expected):
    """A database host that stops answering must not hold a worker's thread for minutes."""
    from sqlalchemy import event

    from queries.db import get_engine

    engine, seen = get_engine(url), {}

    def capture(_dialect, _record, _args, parameters):
        seen.update(parameters)
        raise ConnectionAbortedError("captured, not connecting")

    event.listen(engine, "do_connect", capture)
    try:
        with pytest.raises(ConnectionAbortedError):
            engine.connect()
    finally:
        event.remove(engine, "do_connect", capture)
        engine.dispose()
    assert {key: seen[key] for key in expected} == expected
