"""The wall page's callbacks called as functions: the views, the status line and the stale
banner, the layout's options from the URL."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from dash import no_update

from dashboard.components import formatting
from dashboard.metrics.kpis import compute_kpis
from dashboard.settings import Settings
from dashboard.wall.playlist import VIEW_NAMES
from queries.db import get_engine
from queries.loaders import load_dataset
from tests.demo_fixture import AS_OF
from tests.pages.tree import find, page, texts

ALL = {"views": list(VIEW_NAMES), "titles": [""] * len(VIEW_NAMES), "seconds": 20}


@pytest.fixture
def wall(demo_app):  # noqa: ARG001 (the app registers the pages)
    """The wall page module; each test's demo_app has a cache of its own, so nothing rendered
    for another test is reused."""
    return page("wall")


def test_ww001_a_refresh_fills_every_view_with_the_kpis_figures(demo_app, demo_settings, wall):
    """The week tiles and the meeting's week column are `kpis` for this ISO week as of AS_OF."""
    with demo_app.server.test_request_context():
        deck, status = wall.refresh_wall(0, ALL, None)
    assert [view.id for view in deck] == [f"wall-view-{name}" for name in VIEW_NAMES]
    assert status["ok"] is True and status["failing_since"] is None
    data = load_dataset(get_engine(demo_settings.database_url), AS_OF)
    week = compute_kpis(data, demo_settings.agreement(), "week", dt.date(2026, 11, 16), dt.date(2026, 11, 16),
                        AS_OF)[0]
    for commitment in demo_settings.agreement().commitments:
        expected = formatting.metric_value(commitment.metric, week["commitments"][commitment.id]["actual"], "EUR")
        assert texts(find(deck, f"wall-week-{commitment.id}")) == [expected], commitment.id
        assert texts(find(deck, f"wall-meeting-week-{commitment.id}")) == [expected], commitment.id


def test_ww002_a_failing_refresh_keeps_the_views_and_says_since_when(tmp_path, wall):
    """A database that is not one: the deck is left as it is (no_update) and the status keeps
    the last good time, with the first failure's time."""
    from dashboard.application import create_app

    broken = tmp_path / "broken.db"
    broken.write_bytes(b"this is not a database" * 100)
    app = create_app(Settings(database_url=f"sqlite:///{broken}", as_of=AS_OF, cache_seconds=0))
    wall = page("wall")
    last_good = {"ok": True, "updated": "2026-11-20T09:58:00+00:00", "failing_since": None}
    with app.server.test_request_context():
        deck, status = wall.refresh_wall(3, ALL, last_good)
        assert deck is no_update
        assert status["ok"] is False and status["updated"] == last_good["updated"]
        first_failure = status["failing_since"]
        deck, status = wall.refresh_wall(4, ALL, status)
    assert deck is no_update and status["failing_since"] == first_failure


def test_ww003_status_line_and_banner(demo_app, wall):
    """Times in the agreement's zone (Helsinki, UTC+2 in November)."""
    with demo_app.server.test_request_context():
        assert wall.show_status({"ok": True, "updated": "2026-11-20T09:58:00+00:00"}) == (
            "updated 11:58", "", "wall-banner hidden")
        updated, banner, css = wall.show_status(
            {"ok": False, "updated": "2026-11-20T09:58:00+00:00", "failing_since": "2026-11-20T10:03:00+00:00"})
        assert updated == "updated 11:58" and css == "wall-banner"
        assert banner.startswith("⚠ Data is stale since 11:58")
        _, banner, _ = wall.show_status({"ok": False, "updated": None, "failing_since": "2026-11-20T10:03:00+00:00"})
        assert "since 12:03" in banner


def test_ww004_the_url_picks_the_views_and_says_what_it_ignored(demo_app, wall):
    with demo_app.server.test_request_context():
        body = wall.layout(views="funnel,pie", seconds="7", refresh="10s")
    playlist = find(body, wall.PLAYLIST).data
    assert playlist["views"] == ["funnel"] and playlist["seconds"] == 7
    assert find(body, wall.REFRESH).interval == 10_000
    assert find(body, wall.TICK).disabled is True  # one view: nothing to rotate
    assert texts(find(body, wall.NOTICES)) == ["unknown view 'pie' left out"]


def test_ww005_a_broken_playlist_file_says_so_on_the_screen(tmp_path):
    from dashboard.application import create_app

    path = tmp_path / "wall.yaml"
    path.write_text("seconds: often")
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path}/x.db", as_of=AS_OF, wall_path=path))
    wall = page("wall")
    with app.server.test_request_context():
        body = wall.layout()
    assert texts(body)[0] == "The wall playlist cannot be read"
    assert str(path) in texts(body)[1]


def test_ww006_workers_sharing_a_cache_folder_render_the_wall_once(demo_settings, tmp_path, monkeypatch):
    """A second worker (here: this process with its own memory emptied) reads the views the first
    rendered from the shared folder; new data renders again."""
    import dataclasses

    from dashboard.wall import screen

    calls = []
    real = screen.build_views
    monkeypatch.setattr(screen, "build_views", lambda *args: calls.append(1) or real(*args))
    from dashboard.cache import Cache

    settings = dataclasses.replace(demo_settings, cache_dir=tmp_path / "cache")
    first = screen.wall_views(settings, ("week", "breaches"), Cache(settings.cache_dir))
    second = screen.wall_views(settings, ("week", "breaches"), Cache(settings.cache_dir))  # another worker
    assert len(calls) == 1
    from plotly.utils import PlotlyJSONEncoder

    as_json = lambda view: json.dumps(view, cls=PlotlyJSONEncoder)  # noqa: E731
    assert as_json(second["week"]) == as_json(first["week"])
    screen.wall_views(settings, ("week",), Cache(settings.cache_dir))  # other views: rendered for them
    assert len(calls) == 2
