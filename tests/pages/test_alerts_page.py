"""The My alerts page and the Admin page's alerts section, their callbacks as functions."""
from __future__ import annotations

import dataclasses
import sqlite3

import flask
import pytest

from queries import alerts as store
from queries.db import get_engine
from tests.pages.tree import page, texts

ALERTS = """\
people: {rita: rep@example.com}
lists: {meeting: [rep@example.com]}
rules:
  - {id: response_breach, event: breach, to: [owner]}
  - {id: stale, event: stale_data, after_hours: 26, to: [ops@example.com], urgent: true}
schedule:
  digest: {day: mon, at: "08:30", to: [list:meeting]}
"""


@pytest.fixture
def alerts_app(tmp_path, empty_settings):
    from dashboard.application import create_app

    target = tmp_path / "alerts.db"
    with sqlite3.connect(empty_settings.database_url.removeprefix("sqlite:///")) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    (tmp_path / "alerts.yaml").write_text(ALERTS)
    settings = dataclasses.replace(empty_settings, database_url=f"sqlite:///{target}",
                                   alerts_path=tmp_path / "alerts.yaml")
    return create_app(settings), settings


def _as(app, user, function, *args, trigger=None):
    from dash._callback_context import context_value
    from dash._utils import AttributeDict

    if trigger:
        context_value.set(AttributeDict(triggered_inputs=[{"prop_id": f"{trigger}.n_clicks", "value": 1}]))
    with app.server.test_request_context():
        if user:
            flask.session["user"] = user
        return function(*args)


def test_alp001_a_user_pauses_and_resumes_their_own_alerts(alerts_app):
    app, settings = alerts_app
    module = page("alerts")
    shown = texts(_as(app, "rita", module.layout))
    assert "Your alerts go to rep@example.com." in shown
    assert "response_breach" in shown and "digest" in shown and "stale" not in shown  # stale goes to ops only
    message, state = _as(app, "rita", module.change_pause, 1, None, "resume", trigger=module.PAUSE)
    assert texts(message) == ["Paused."]
    assert texts(state) == ["Your alerts to rep@example.com are paused until you resume them."]
    engine = get_engine(settings.database_url)
    assert list(store.pauses(engine)[["address", "paused_by"]].itertuples(index=False, name=None)) == [
        ("rep@example.com", "rita")]
    message, state = _as(app, "rita", module.change_pause, None, 1, "day", trigger=module.RESUME)
    assert texts(state) == ["Your alerts go to rep@example.com."]
    assert store.pauses(engine).empty


def test_alp002_a_user_without_an_address_is_told_why(alerts_app):
    app, _ = alerts_app
    shown = texts(_as(app, "bo", page("alerts").layout))
    assert any("gives your user name 'bo' no e-mail address" in text for text in shown)


def test_alp003_admin_lists_rules_and_deliveries(alerts_app):
    app, settings = alerts_app
    engine = get_engine(settings.database_url)
    claim = store.Claim("r|e|chat:hook", "response_breach", "breach", "e", "chat:hook", "Response breach: L1")
    store.deliver_once(engine, [claim], lambda: store.Outcome(store.FAILED, 3, "HTTP 500 Internal Server Error"))
    shown = texts(_as(app, None, page("admin").layout))
    assert "Response breach" in shown and "Data gone stale" in shown and "The Monday digest" in shown
    assert "HTTP 500 Internal Server Error" in shown and "Response breach: L1" in shown
    assert "Nobody has paused their alerts." in shown
