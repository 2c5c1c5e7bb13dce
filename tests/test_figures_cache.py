"""The figures cache: one computation for every tab that asks the same page with the same
filters, data, agreement, as_of and viewer; never an outage message kept."""
from __future__ import annotations

import pytest

from bench.dash_client import DATABASE_DOWN_TEXT, DashCallbacks
from dashboard.application import create_app
from dashboard.cache import Cache
from dashboard.importing.importer import import_csv
from dashboard.settings import Settings
from queries.db import init_db
from tests.demo_fixture import AS_OF

SCOREBOARD = "scoreboard-body.children"


class Counted:
    """The scoreboard metric, counting its calls (optionally failing)."""

    def __init__(self, real, fail: bool = False):
        self.real, self.fail, self.calls = real, fail, 0

    def __call__(self, *args, **kwargs):
        self.calls += 1
        if self.fail:
            raise RuntimeError("broken on purpose")
        return self.real(*args, **kwargs)


def served(settings: Settings, monkeypatch, fail: bool = False):
    """A test client of a new app, its callbacks, and the counted scoreboard metric."""
    client = create_app(settings).server.test_client()
    client.get("/")
    import dashboard.reports.scoreboard as module

    counted = Counted(module.scoreboard, fail)
    monkeypatch.setattr(module, "scoreboard", counted)
    return client, DashCallbacks.fetch(client), counted


def post(client, callbacks, target: str = SCOREBOARD, state: dict | None = None, headers: dict | None = None):
    payload = callbacks.by_output(target).payload({"filter-state.data": state, "url.pathname": "/"})
    return client.post("/_dash-update-component", json=payload, headers=headers or {})


def kept(settings: Settings) -> list:
    """The page figures in the cache folder."""
    if not (settings.cache_dir / "cache.db").exists():
        return []
    cache = Cache(settings.cache_dir)
    try:
        return sorted(name for name in cache.disk.iterkeys() if name.startswith("figures:"))
    finally:
        cache.close()


@pytest.fixture
def cached_settings(demo_settings, tmp_path):
    return Settings(database_url=demo_settings.database_url, as_of=AS_OF, cache_dir=tmp_path / "cache")


def test_the_same_request_is_computed_once(cached_settings, monkeypatch):
    client, callbacks, counted = served(cached_settings, monkeypatch)
    first, second = post(client, callbacks), post(client, callbacks)
    assert first.status_code == second.status_code == 200
    assert first.get_data() == second.get_data()
    assert counted.calls == 1
    assert len(kept(cached_settings)) == 1


def test_other_filters_or_another_viewer_are_computed_again(cached_settings, monkeypatch):
    """Filters and an Authorization header make a new key; a cookie alone does not: figures are
    shared by role (the access check's), and in an open dashboard everyone has the same."""
    client, callbacks, counted = served(cached_settings, monkeypatch)
    post(client, callbacks)
    post(client, callbacks, state={"grain": "month"})
    post(client, callbacks, headers={"Authorization": "Bearer another-person"})
    assert counted.calls == 3
    client.set_cookie("session", "someone-else")  # the test client sends its own cookie jar
    post(client, callbacks)
    assert counted.calls == 3


def test_new_data_is_computed_again(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path}/small.db"
    engine = init_db(url)
    (tmp_path / "a.csv").write_text("id,created_at,mql_at\nL1,2026-11-02,2026-11-03\n")
    import_csv(engine, "leads", tmp_path / "a.csv")
    settings = Settings(database_url=url, as_of=AS_OF, cache_dir=tmp_path / "cache", cache_seconds=0)
    client, callbacks, counted = served(settings, monkeypatch)
    before = post(client, callbacks).get_data()
    (tmp_path / "b.csv").write_text("id,created_at,mql_at\nL2,2026-11-04,2026-11-05\n")
    import_csv(engine, "leads", tmp_path / "b.csv", backfill=True)  # history: known at AS_OF, before today
    after = post(client, callbacks).get_data()
    assert counted.calls == 2 and after != before


def test_a_failed_page_is_not_kept(cached_settings, monkeypatch):
    client, callbacks, counted = served(cached_settings, monkeypatch, fail=True)
    assert b"This view could not be computed" in post(client, callbacks).get_data()
    post(client, callbacks)
    assert counted.calls == 2
    assert kept(cached_settings) == []


def test_an_unreachable_database_is_not_kept(tmp_path, monkeypatch):
    settings = Settings(database_url="postgresql://postgres@127.0.0.1:1/nowhere", as_of=AS_OF,
                        cache_dir=tmp_path / "cache")
    client, callbacks, _counted = served(settings, monkeypatch)
    assert DATABASE_DOWN_TEXT in post(client, callbacks).get_data(as_text=True)
    assert kept(settings) == []


def test_only_page_figures_are_kept(cached_settings, monkeypatch):
    client, callbacks, _counted = served(cached_settings, monkeypatch)
    assert post(client, callbacks, target="filter-segment.options").status_code == 200
    assert kept(cached_settings) == []


def test_with_the_wall_clock_figures_are_shared_within_one_minute_only(demo_settings, tmp_path, monkeypatch):
    import dashboard.figures_cache as figures_cache

    settings = Settings(database_url=demo_settings.database_url, cache_dir=tmp_path / "cache")
    client, callbacks, counted = served(settings, monkeypatch)
    clock = iter([120.0, 179.9, 180.0])
    monkeypatch.setattr(figures_cache, "_clock", lambda: next(clock))
    post(client, callbacks)
    post(client, callbacks)
    assert counted.calls == 1  # 02:00 and 02:59.9 are the same minute
    post(client, callbacks)
    assert counted.calls == 2


def test_without_a_cache_folder_nothing_is_kept(demo_settings, monkeypatch):
    client, callbacks, counted = served(Settings(database_url=demo_settings.database_url, as_of=AS_OF), monkeypatch)
    post(client, callbacks)
    post(client, callbacks)
    assert counted.calls == 2


def test_two_apps_in_one_process_share_no_cached_figures(demo_settings, monkeypatch):
    """Each app owns its cache: figures one app computed are never served by another, and
    resetting one leaves the other's alone."""
    settings = Settings(database_url=demo_settings.database_url, as_of=AS_OF)
    first, second = create_app(settings), create_app(settings)
    from dashboard.application import CACHE_KEY

    assert first.server.config[CACHE_KEY] is not second.server.config[CACHE_KEY]
    import dashboard.reports.scoreboard as module

    counted = Counted(module.scoreboard)
    monkeypatch.setattr(module, "scoreboard", counted)
    from tests.pages.tree import page

    for app in (first, second, first):
        with app.server.test_request_context():
            page("scoreboard").update_scoreboard(None)
    # the scoreboard's frames: computed once per app (the first app's second call reuses its own)
    names = lambda app: [n for n in app.server.config[CACHE_KEY]._memory if n.startswith("settled:")]  # noqa: E731
    assert len(names(first)) == 1 and len(names(second)) == 1
    assert first.server.config[CACHE_KEY].get(names(first)[0]) is not second.server.config[CACHE_KEY].get(
        names(second)[0])
    first.server.config[CACHE_KEY].reset()
    assert names(first) == [] and len(names(second)) == 1


def test_only_callbacks_of_pages_that_share_their_figures_are_kept(demo_app):
    """Which answers the cache may keep is read from the pages' declarations: every page body
    of a page declaring shared_figures=True, nothing of the leads grid, the review downloads,
    the admin page, the wall's refresh or the shell (filter options, agreement banner)."""
    from dashboard.access import callback_declaration

    demo_app.server.test_client().get("/")  # Dash takes the pages' callbacks over at its first request
    with demo_app.server.test_request_context():
        kept_outputs = {output for output in demo_app.callback_map
                        if callback_declaration(output, demo_app).shared_figures}
    assert kept_outputs == {
        "scoreboard-body.children", "marketing-body.children", "sales-response-body.children",
        "sales-period-body.children", "funnel-summary.children", "funnel-conversion.children",
        "funnel-details.children", "loop-body.children", "quality-body.children", "agreement-body.children",
    }
