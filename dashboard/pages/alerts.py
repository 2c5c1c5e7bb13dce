"""My alerts: what reaches me, what I was sent lately, and a switch to pause my own alerts
(for a day, a week or until I resume). Open to every signed-in user (ids `alerts-`); each
pauses only the address the alerts file gives their user name."""
from __future__ import annotations

import datetime as dt

import dash
import dash_bootstrap_components as dbc
import flask
from dash import Input, Output, State, callback, html

from dashboard.application import current_settings
from dashboard.components.alerts import alerts_config, deliveries_table, rules_table
from dashboard.components.layout import page_header
from dashboard.components.sections import section
from queries import alerts as store
from queries.db import get_engine

# Each person's own pauses: signed-in viewers and up; nothing on it is shared between people.
dash.register_page(__name__, path="/alerts", name="My alerts", title="My alerts", order=10,
                   role="viewer", shared_figures=False)

LENGTH, PAUSE, RESUME, MESSAGE, STATE = ("alerts-pause-length", "alerts-pause", "alerts-resume", "alerts-message",
                                         "alerts-state")
LENGTHS = {"day": dt.timedelta(days=1), "week": dt.timedelta(days=7), "resume": None}


def signed_in_user() -> str | None:
    """The user of this request (None on an open dashboard)."""
    return flask.session.get("user") if flask.has_request_context() else None


def my_address(config) -> str | None:
    user = signed_in_user()
    return config.address_of(user) if config is not None and user else None


def _state(settings, address: str) -> html.Div:
    engine = get_engine(settings.database_url)
    store.ensure_tables(engine)
    now = dt.datetime.now(dt.timezone.utc)
    if address.lower() in store.paused_addresses(engine, now):
        frame = store.pauses(engine)
        until = frame.loc[frame["address"] == address.lower(), "until"].iloc[0]
        when = "until you resume them" if until is None or until != until else f"until {until:%Y-%m-%d %H:%M} UTC"
        return dbc.Alert(f"Your alerts to {address} are paused {when}.", color="warning", className="py-2")
    return dbc.Alert(f"Your alerts go to {address}.", color="success", className="py-2")


def layout(**_query):
    settings = current_settings()
    config, problem = alerts_config(settings)
    header = page_header("My alerts", "What the dashboard tells you by e-mail, and a pause for when you are away.")
    # The pause callback's outputs are on the page whatever it shows, so the page they belong to is
    # always the one that declares them (dashboard/access.py reads declarations, not ids).
    unused = [html.Div(id=STATE, hidden=True), html.Div(id=MESSAGE, hidden=True)]
    if problem is not None:
        return html.Div([header, section("Alerts", problem), *unused])
    address = my_address(config)
    if address is None:
        who = signed_in_user()
        reason = (f"The alerts file gives your user name {who!r} no e-mail address: ask an admin to add it under "
                  "`people`." if who else "Nobody is signed in (an open dashboard): there is no one whose alerts "
                  "to pause. Pausing needs users (README, Access).")
        return html.Div([header, section("Alerts", html.P(reason, className="text-muted"), rules_table(config)),
                         *unused])
    return html.Div([
        header,
        section("Pause", html.Div(_state(settings, address), id=STATE), dbc.Row([
            dbc.Col(dbc.Select(id=LENGTH, value="day", options=[
                {"label": "for a day", "value": "day"}, {"label": "for a week", "value": "week"},
                {"label": "until I resume", "value": "resume"}]), md=3),
            dbc.Col([dbc.Button("Pause my alerts", id=PAUSE, color="primary", size="sm", className="me-2"),
                     dbc.Button("Resume", id=RESUME, color="outline-secondary", size="sm")], md=6),
        ], className="g-2"), html.Div(id=MESSAGE, className="mt-2"),
            note="A paused alert is not sent later: it is recorded as paused. Chat channels are shared and "
                 "not paused here."),
        section("What reaches you", rules_table(config, address)),
        section("Sent to you lately", deliveries_table(settings, address)),
    ])


@callback(Output(MESSAGE, "children"), Output(STATE, "children"), Input(PAUSE, "n_clicks"), Input(RESUME, "n_clicks"),
          State(LENGTH, "value"), prevent_initial_call=True)
def change_pause(_pause, _resume, length):
    """Pause or resume the signed-in user's own alerts."""
    settings = current_settings()
    config, problem = alerts_config(settings)
    address = my_address(config)
    if address is None:
        return dbc.Alert("No address of yours to pause.", color="warning", className="py-2"), dash.no_update
    engine = get_engine(settings.database_url)
    if dash.ctx.triggered_id == RESUME:
        store.resume(engine, address)
        message = "Resumed: new events reach you again."
    else:
        span = LENGTHS.get(length or "day", LENGTHS["day"])
        until = dt.datetime.now(dt.timezone.utc) + span if span is not None else None
        store.pause(engine, address, signed_in_user(), until)
        message = "Paused."
    return dbc.Alert(message, color="success", className="py-2"), _state(settings, address)
