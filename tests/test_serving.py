"""The dashboard under gunicorn, as `make serve` runs it: a short load test with zero errors,
/healthz, the schema created once before the workers fork, a broken agreement refused."""
from __future__ import annotations

import pytest
import requests

from bench.load_test import PAGE_BODIES, run_load, summarise
from bench.server import GunicornServer
from tests.agreements import agreement_file

pytestmark = pytest.mark.serving


@pytest.fixture(scope="module")
def served(demo_settings, tmp_path_factory):
    """gunicorn (2 workers) on the small demo database, sharing a cache folder."""
    folder = tmp_path_factory.mktemp("served")
    with GunicornServer(demo_settings.database_url, folder / "gunicorn.log", workers=2, threads=2,
                        cache_dir=folder / "cache") as server:
        yield server


def test_ten_clients_for_five_seconds_get_no_error(served):
    recorder = run_load(served.base_url, clients=10, seconds=5, wall_seconds=2.0, think=(0.5, 1.5))
    summary = summarise(recorder, 5)
    assert summary["error_kinds"] == {}
    assert summary["overall"]["errors"] == 0
    asked = {kind for kind in summary["by_kind"]}
    assert "wall refresh" in asked and "filter sync" in asked and "agreement check" in asked
    assert any(f"{page} figures" in asked for page in PAGE_BODIES)
    from dashboard.cache import Cache
    from dashboard.data import records_key

    shared = Cache(served.log_path.parent / "cache")
    try:
        assert shared.read(records_key(served.env["DATABASE_URL"])) is not None, "the workers shared no records"
        assert any(name.startswith("figures:") for name in shared.disk.iterkeys()), "the workers shared no figures"
        assert not list((served.log_path.parent / "cache").rglob("*.pickle"))
    finally:
        shared.close()


def test_health_through_gunicorn(served):
    response = requests.get(f"{served.base_url}/healthz", timeout=10)
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["schema"]["current"] is True


def test_the_schema_is_created_once_before_the_workers_start(tmp_path):
    path = tmp_path / "new.db"
    with GunicornServer(f"sqlite:///{path}", tmp_path / "gunicorn.log", workers=3, threads=1) as server:
        body = requests.get(f"{server.base_url}/healthz", timeout=10).json()
        log = server.log()
    assert body["schema"]["current"] is True
    assert log.count("schema is current in") == 1
    assert log.index("schema is current in") < log.index("Booting worker")


def test_a_broken_agreement_refuses_the_start_saying_why(tmp_path):
    sla = agreement_file(tmp_path, ("target: 0.8", "target: 1.8"))
    server = GunicornServer(f"sqlite:///{tmp_path}/x.db", tmp_path / "gunicorn.log", workers=1, sla_path=sla)
    with pytest.raises(RuntimeError, match="gunicorn exited"):
        server.start()
    assert "error: the SLA agreement is refused, not starting:" in server.log()
    assert "rate target 1.8 must be a fraction between 0 and 1" in server.log()


def test_a_bad_setting_refuses_the_start_saying_why(tmp_path):
    server = GunicornServer(f"sqlite:///{tmp_path}/x.db", tmp_path / "gunicorn.log", workers=1,
                            extra_env={"FIGURES_SECONDS": "soon"})
    with pytest.raises(RuntimeError, match="gunicorn exited"):
        server.start()
    assert "error: a setting is refused, not starting: FIGURES_SECONDS='soon'" in server.log()


def _announced_only(base_url: str, session, length: int) -> int:
    """The status of a callback post that announces `length` bytes and sends none of them."""
    import http.client
    from urllib.parse import urlsplit

    address = urlsplit(base_url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=30)
    try:
        connection.putrequest("POST", "/_dash-update-component")
        connection.putheader("Content-Type", "application/json")
        connection.putheader("Content-Length", str(length))
        connection.putheader("Cookie", "; ".join(f"{c.name}={c.value}" for c in session.cookies))
        connection.endheaders()
        return connection.getresponse().status
    finally:
        connection.close()


def test_limits_and_file_modes_under_gunicorn(demo_settings, tmp_path):
    """gunicorn refuses a request line over 8190 bytes; the app a viewer's body over 1 MB, announced
    or chunked; and the files the workers write are theirs alone."""
    import re
    import stat

    from dashboard.users import add_user

    users = tmp_path / "users.json"
    add_user(users, "vera", "correct horse battery", "viewer")
    env = {"USERS_PATH": str(users), "SECRET_KEY_PATH": str(tmp_path / "secret.key")}
    with GunicornServer(demo_settings.database_url, tmp_path / "gunicorn.log", workers=1, threads=2,
                        cache_dir=tmp_path / "cache", extra_env=env) as server:
        assert requests.get(f"{server.base_url}/?segment={'x' * 9000}", timeout=10).status_code in (400, 414)
        session = requests.Session()
        csrf = re.search(r'name="csrf" value="([^"]+)"', session.get(f"{server.base_url}/login", timeout=10).text)
        signed = session.post(f"{server.base_url}/login", timeout=10, allow_redirects=False,
                              data={"name": "vera", "password": "correct horse battery", "csrf": csrf.group(1)})
        assert signed.status_code == 302
        callback = f"{server.base_url}/_dash-update-component"
        headers = {"Content-Type": "application/json"}
        # Announced: refused on the header alone, before any of the body is sent (sending it would race
        # the server's close of a connection it will not read from).
        assert _announced_only(server.base_url, session, 2 * 2**20) == 413
        # Chunked, so no Content-Length to refuse it by: exactly the limit, all of which the server reads
        # (more would be refused too, but the client then sees the connection close while it sends).
        chunks = (b" " * 65536 for _ in range(16))
        assert session.post(callback, data=chunks, headers=headers, timeout=30).status_code == 413
        body = {"output": "scoreboard-body.children", "outputs": {"id": "scoreboard-body", "property": "children"},
                "inputs": [{"id": "filter-state", "property": "data", "value": None}], "state": [],
                "changedPropIds": []}
        assert session.post(callback, json=body, timeout=60).status_code == 200
    written = [path for path in (tmp_path / "cache").rglob("*")] + [tmp_path / "sessions.db", tmp_path / "secret.key"]
    assert len(written) > 3
    for path in written:
        expected = 0o700 if path.is_dir() else 0o600
        assert stat.S_IMODE(path.stat().st_mode) == expected, path
