"""Wall screen (`/wall`): the views of the playlist in rotation on a TV nobody touches, the
figures reloaded every few minutes without a page reload, and the last good numbers kept with
a "stale" banner while the database is away. Options in the URL: `views`, `seconds`, `refresh`.

Declared `role="wall"`: a read-only wall link may run this page's callbacks and no other page's.
"""
from __future__ import annotations

import datetime as dt
import logging

import dash
from dash import ClientsideFunction, Input, Output, State, callback, clientside_callback, dcc, html, no_update

from dashboard.application import current_settings
from dashboard.wall.playlist import PlaylistError, load_playlist, stored_views
from dashboard.wall.screen import wall_views
from dashboard.wall.views import TITLES, view_id

log = logging.getLogger(__name__)

# Its views are shared between screens by the wall's own render cache (dashboard/wall/screen.py); a
# refresh's answer also carries the time it was made and whether the database answered, so it is
# never given to another screen whole.
dash.register_page(__name__, path="/wall", name="Wall screen", title="Wall screen", nav=False, order=90,
                   role="wall", shared_figures=False)

PLAYLIST = "wall-playlist"
STATUS = "wall-status"
REFRESH = "wall-refresh"
TICK = "wall-tick"
DECK = "wall-deck"
TITLE = "wall-title"
POSITION = "wall-position"
UPDATED = "wall-updated"
BANNER = "wall-banner"
PROGRESS = "wall-progress"
NOTICES = "wall-notices"
TIME_FORMAT = "%H:%M"


def _placeholder(name: str) -> html.Div:
    return html.Div(html.Div("Loading the figures…", className="wall-empty"), className="wall-view", id=view_id(name))


def layout(**query):
    """The screen's frame; the refresh callback fills the views, the rotation shows one at a time."""
    try:
        playlist = load_playlist(current_settings().wall_path).with_query(query)
    except PlaylistError as error:
        return html.Div(html.Div([html.H1("The wall playlist cannot be read"), html.P(str(error))],
                                 className="wall-empty"), className="wall")
    views = list(playlist.views)
    return html.Div([
        dcc.Store(id=PLAYLIST, data={"views": views, "titles": [TITLES[v] for v in views],
                                     "seconds": playlist.seconds}),
        dcc.Store(id=STATUS),
        dcc.Interval(id=REFRESH, interval=playlist.refresh_ms),
        dcc.Interval(id=TICK, interval=playlist.seconds * 1000, disabled=len(views) < 2),
        html.Div(id=BANNER, className="wall-banner hidden"),
        html.Header([
            html.Div(TITLES[views[0]], id=TITLE, className="wall-title"),
            html.Div(id=POSITION, className="wall-position"),
            html.Div(id=UPDATED, className="wall-updated"),
        ], className="wall-header"),
        html.Main([_placeholder(name) for name in views], id=DECK, className="wall-deck show-0"),
        html.Footer(html.Div("; ".join(playlist.notices), id=NOTICES, className="wall-notices"),
                    className="wall-footer"),
        html.Div(html.Div(id=PROGRESS, className="wall-progress-fill"), className="wall-progress"),
    ], className="wall")


@callback(Output(DECK, "children"), Output(STATUS, "data"), Input(REFRESH, "n_intervals"),
          State(PLAYLIST, "data"), State(STATUS, "data"))
def refresh_wall(_n, playlist, status):
    """Reload the figures; when the database fails, keep what is on screen and say since when."""
    now = dt.datetime.now(dt.timezone.utc).isoformat()
    views = stored_views(playlist)  # at most every view once: what the layout wrote
    try:
        rendered = wall_views(current_settings(), views)
    except Exception as error:  # noqa: BLE001 - an unattended screen must keep its last good numbers
        log.warning("wall refresh failed: %s", error.__class__.__name__)
        previous = status or {}
        return no_update, {"ok": False, "updated": previous.get("updated"),
                           "failing_since": previous.get("failing_since") or now}
    deck = [html.Div(rendered[name], className="wall-view", id=view_id(name)) for name in views]
    return deck, {"ok": True, "updated": now, "failing_since": None}


@callback(Output(UPDATED, "children"), Output(BANNER, "children"), Output(BANNER, "className"),
          Input(STATUS, "data"))
def show_status(status):
    """'updated HH:MM' always; the stale banner while refreshes fail."""
    if not status:
        return "", "", "wall-banner hidden"
    tz = current_settings().agreement().tz
    local = lambda iso: dt.datetime.fromisoformat(iso).astimezone(tz).strftime(TIME_FORMAT)  # noqa: E731
    updated = f"updated {local(status['updated'])}" if status.get("updated") else "not loaded yet"
    if status.get("ok"):
        return updated, "", "wall-banner hidden"
    if status.get("updated"):
        text = (f"⚠ Data is stale since {local(status['updated'])}: the database cannot be reached. "
                "Showing the last good numbers; they come back by themselves.")
    else:
        text = (f"⚠ The database cannot be reached (since {local(status['failing_since'])}). "
                "The figures appear by themselves when it is back.")
    return updated, text, "wall-banner"


clientside_callback(
    ClientsideFunction(namespace="wall", function_name="rotate"),
    Output(DECK, "className"), Output(TITLE, "children"), Output(POSITION, "children"), Output(PROGRESS, "style"),
    Input(TICK, "n_intervals"), State(PLAYLIST, "data"),
)
