"""What one request may cost and what it may learn: bodies are bounded by role, a deep JSON body
is a clean 400, a filter state asks for a bounded range, a wall screen for a bounded playlist; the
agreement's name cannot write HTML into the page; /healthz tells anonymous callers only the status."""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import re

import pytest

from dashboard.access import BODY_LIMIT, UPLOAD_BODY_LIMIT
from tests.access.conftest import SCOREBOARD, WALL, client_as, post, wall_client


def _raw(client, body: bytes, **environ):
    return client.post("/_dash-update-component", data=body, content_type="application/json",
                       environ_overrides=environ or None)


@pytest.mark.parametrize("who", ["vera", "wall"])
def test_rl001_a_body_over_a_megabyte_is_refused_before_it_is_read(app, files, who):
    client = wall_client(app, files["token"]) if who == "wall" else client_as(app, who)
    padded = dict(SCOREBOARD, padding="x" * (BODY_LIMIT + 1))
    answer = post(client, padded)
    assert answer.status_code == 413 and answer.get_json() == {"error": "the request is too large"}
    assert post(client, SCOREBOARD if who != "wall" else WALL).status_code == 200


def test_rl001b_a_chunked_body_over_the_limit_is_refused_too(app):
    """Without a Content-Length (chunked), werkzeug stops reading at the limit without a word."""
    import io

    stream = io.BytesIO(json.dumps(dict(SCOREBOARD, padding="x" * (2 * BODY_LIMIT))).encode())
    answer = client_as(app, "vera").post("/_dash-update-component", content_type="application/json",
                                         environ_overrides={"wsgi.input": stream, "wsgi.input_terminated": True,
                                                            "CONTENT_LENGTH": ""})
    assert answer.status_code == 413 and answer.get_json() == {"error": "the request is too large"}


def test_rl002_an_admin_may_post_an_upload_sized_body_and_no_more(app):
    client = client_as(app, "ada")
    padded = dict(SCOREBOARD, padding="x" * (BODY_LIMIT + 1))
    assert post(client, padded).status_code == 200
    huge = _raw(client, b"{}", CONTENT_LENGTH=str(UPLOAD_BODY_LIMIT + 1))
    assert huge.status_code == 413


def test_rl003_a_form_over_the_limit_is_refused(app):
    answer = app.server.test_client().post("/login", data={"name": "x" * (BODY_LIMIT + 1), "password": "y"})
    assert answer.status_code == 413


@pytest.mark.parametrize("who", [None, "vera"])
def test_rl004_deep_json_is_a_clean_400_without_a_traceback(demo_settings, app, who, caplog):
    """Anonymous on an open dashboard, and signed in on one with users."""
    from dashboard.application import create_app

    client = create_app(demo_settings).server.test_client() if who is None else client_as(app, who)
    caplog.set_level(logging.WARNING)
    for depth in (100, 100_000):
        answer = _raw(client, b"[" * depth + b"]" * depth)
        assert answer.status_code == 400 and answer.get_json() == {"error": "malformed callback request"}
        nested = b'{"output": "scoreboard-body.children", "inputs": ' + b"[" * depth + b"]" * depth + b"}"
        answer = _raw(client, nested)
        assert answer.status_code == 400 and answer.get_json() == {"error": "malformed callback request"}
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR or record.exc_info]


def test_rl005_the_agreements_name_is_text_in_the_title(demo_settings, tmp_path):
    from dashboard.application import create_app
    from tests.agreements import AGREEMENT_PATH

    name = 'Sales SLA</title><meta http-equiv="refresh" content="0;url=https://evil.example"><title>'
    sla = tmp_path / "sla.yaml"
    text = AGREEMENT_PATH.read_text()
    first = next(line for line in text.splitlines() if line.startswith("name:"))
    sla.write_text(text.replace(first, f"name: '{name}'", 1))
    page = create_app(dataclasses.replace(demo_settings, sla_path=sla)).server.test_client().get("/")
    html = page.get_data(as_text=True)
    assert not re.search(r"<meta[^>]*http-equiv=.?refresh", html, re.IGNORECASE)
    assert "<title>Sales SLA&lt;/title&gt;&lt;meta http-equiv=" in html


def test_rl006_anonymous_health_checks_get_the_status_and_admins_the_details(app):
    anonymous = app.server.test_client().get("/healthz")
    assert anonymous.status_code == 200 and anonymous.get_json() == {"status": "ok"}
    viewer = client_as(app, "vera").get("/healthz")
    assert viewer.get_json() == {"status": "ok"}
    admin = client_as(app, "ada").get("/healthz").get_json()
    assert admin["status"] == "ok" and admin["database"]["reachable"] is True and "path" in admin["agreement"]


def test_rl007_a_day_range_of_a_century_is_cut_to_400_days_in_any_callback(app):
    """The filter state in a callback body is read through the same bound as the URL."""
    from dashboard.application import current_settings
    from dashboard.reports.context import ReportContext

    state = {"grain": "day", "start": "1926-01-01", "end": "2026-11-20"}
    with app.server.test_request_context():
        view = ReportContext.for_request(current_settings(), state)
        open_ended = ReportContext.for_request(current_settings(), {"grain": "day", "start": "1926-01-01"})
    assert (view.start, view.end) == (dt.date(2025, 10, 17), dt.date(2026, 11, 20))
    assert (open_ended.start, open_ended.end) == (dt.date(2025, 10, 17), dt.date(2026, 11, 20))
    client = client_as(app, "vera")
    answer = post(client, dict(SCOREBOARD, output="marketing-body.children",
                               outputs={"id": "marketing-body", "property": "children"},
                               inputs=[{"id": "filter-state", "property": "data", "value": state}]))
    assert answer.status_code == 200
    assert "1926" not in answer.get_data(as_text=True)


def test_rl008_the_filter_bar_says_what_it_cut(app):
    client = client_as(app, "vera")
    notice = {"output": "filter-notice.children", "outputs": {"id": "filter-notice", "property": "children"},
              "inputs": [{"id": "filter-state", "property": "data",
                          "value": {"grain": "day", "start": "1926-01-01", "end": None}}],
              "state": [], "changedPropIds": ["filter-state.data"]}
    answer = post(client, notice)
    assert answer.status_code == 200
    assert json.dumps(answer.get_json()["response"]["filter-notice"]["children"]).count(
        "A day view covers at most 400 days: showing 2025-10-17 to 2026-11-20") == 1


def test_rl009_a_wall_screen_asking_for_thousands_of_views_is_refused(app, files):
    client = wall_client(app, files["token"])
    many = json.loads(json.dumps(WALL))
    many["state"][0]["value"] = {"views": ["meeting"] * 6000, "titles": [""] * 6000, "seconds": 5}
    answer = post(client, many)
    assert answer.status_code == 400 and answer.get_json() == {"error": "malformed callback request"}
    unknown = json.loads(json.dumps(WALL))
    unknown["state"][0]["value"] = {"views": ["week", "payroll"], "titles": ["", ""], "seconds": 5}
    assert post(client, unknown).status_code == 400
    assert post(client, WALL).status_code == 200
