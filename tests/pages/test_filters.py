"""The filter bar and the URL: a copied link reproduces the view, and changing a filter keeps
the rest of the view (a page's own query arguments)."""
from __future__ import annotations

import datetime as dt

import pytest

from dashboard.components.filters import ID, ViewFilters, controls_to_filters, sync_filters, sync_filters_with_options


def test_the_query_string_round_trips():
    filters = ViewFilters(grain="month", start=dt.date(2026, 6, 1), end=dt.date(2026, 11, 20),
                          segments=("SMB", "Enterprise"), campaign_ids=(3, 7), teams=("sdr",))
    search = filters.to_search()
    assert search == "?grain=month&start=2026-06-01&end=2026-11-20&segment=SMB,Enterprise&campaign=3,7&team=sdr"
    assert ViewFilters.from_search(search) == filters


def test_deal_owner_and_deal_team_have_their_own_query_keys():
    """The lead's owner (`owner`, `team`) and the deal's own owner (`deal_owner`, `deal_team`)
    are separate filters, each round-tripping through the URL and the filter state."""
    filters = ViewFilters(owner_ids=(4,), deal_owner_ids=(9, 2), deal_teams=("sales",))
    search = filters.to_search()
    assert search == "?owner=4&deal_owner=9,2&deal_team=sales"
    assert ViewFilters.from_search(search) == filters
    assert ViewFilters.from_dict(filters.to_dict()) == filters
    data = filters.data_filters
    assert (data.owner_ids, data.deal_owner_ids, data.deal_teams) == ((4,), (9, 2), ("sales",))


@pytest.mark.parametrize("search, expected", [
    ("?grain=year&start=nope&owner=x,4&team=cfo", ViewFilters(owner_ids=(4,))),
    ("?start=2026-11-30&end=2026-11-01", ViewFilters(start=dt.date(2026, 11, 1), end=dt.date(2026, 11, 30))),
    ("", ViewFilters()),
])
def test_unreadable_values_are_ignored(search, expected):
    assert ViewFilters.from_search(search) == expected


def test_a_filter_change_keeps_the_pages_own_arguments():
    """On /leads?stage=mql&breach=1&grain=month, choosing the SMB segment writes the new filters
    and keeps stage and breach; the filter bar's old grain is replaced, not repeated."""
    filters = ViewFilters(grain="month", segments=("SMB",))
    assert filters.merged_into("?stage=mql&grain=month&breach=1") == "?grain=month&segment=SMB&stage=mql&breach=1"
    assert ViewFilters().merged_into("?lead=42&segment=SMB") == "?lead=42"
    assert ViewFilters().merged_into(None) == ""


def test_sync_filters_writes_the_url_when_a_control_changes(monkeypatch):
    import dashboard.components.filters as module

    class Triggered:
        triggered_id = ID.SEGMENT

    monkeypatch.setattr(module, "ctx", Triggered())
    values = ["week", "2026-11-01", "2026-11-20T00:00:00", ["SMB"], [], [], [], [], [], []]
    search, state, *controls = sync_filters("?rule=deal_before_lead&segment=Enterprise", *values)
    assert search == "?start=2026-11-01&end=2026-11-20&segment=SMB&rule=deal_before_lead"
    assert ViewFilters.from_dict(state) == controls_to_filters(*values)
    assert all(c is module.no_update for c in controls)


def test_sync_filters_sets_the_controls_from_the_url(monkeypatch):
    import dashboard.components.filters as module

    class Triggered:
        triggered_id = ID.URL

    monkeypatch.setattr(module, "ctx", Triggered())
    search, state, *controls = sync_filters("?grain=quarter&source=webinar&stage=sql&deal_team=sales", *[None] * 10)
    assert search is module.no_update
    assert controls == ["quarter", None, None, [], ["webinar"], [], [], [], [], ["sales"]]
    assert ViewFilters.from_dict(state) == ViewFilters(grain="quarter", sources=("webinar",), deal_teams=("sales",))


TODAY = dt.date(2026, 11, 20)


@pytest.mark.parametrize("search, start, notice", [
    ("?grain=day&start=1926-01-01&end=2026-11-20", dt.date(2025, 10, 17),
     "A day view covers at most 400 days: showing 2025-10-17 to 2026-11-20; choose a week, month or quarter "
     "view for a longer range."),
    ("?grain=day&start=1926-01-01", dt.date(2025, 10, 17),
     "A day view covers at most 400 days: showing 2025-10-17 to 2026-11-20; choose a week, month or quarter "
     "view for a longer range."),
    ("?grain=month&start=1900-01-01&end=2026-11-20", dt.date(1993, 8, 1),
     "A month view covers at most 400 months: showing 1993-08-01 to 2026-11-20; choose a quarter view for a "
     "longer range."),
    ("?grain=week&start=2019-06-01&end=2026-11-20", dt.date(2019, 6, 1), None),  # 391 weeks
])
def test_a_range_is_cut_to_400_periods_and_says_so(search, start, notice):
    filters = ViewFilters.from_search(search)
    assert filters.date_range(TODAY) == (start, TODAY)
    assert filters.notices(TODAY) == ([notice] if notice else [])


def test_dates_outside_the_years_a_crm_holds_are_ignored_and_said():
    filters = ViewFilters.from_search("?start=0001-01-01&end=9999-12-31")
    assert (filters.start, filters.end) == (None, None)
    assert filters.notices(TODAY) == ["start 0001-01-01 is outside 1900-01-01 to 2199-12-31: ignored.",
                                      "end 9999-12-31 is outside 1900-01-01 to 2199-12-31: ignored."]


def test_a_filter_keeps_at_most_100_values():
    names = [f"S{number}" for number in range(150)]
    filters = ViewFilters.from_search("?segment=" + ",".join(names) + "&owner=" + ",".join(map(str, range(150))))
    assert filters.segments == tuple(names[:100]) and filters.owner_ids == tuple(range(100))
    assert filters.notices(TODAY) == ["Only the first 100 segments are used.", "Only the first 100 owners are used."]
    assert ViewFilters.from_dict(filters.to_dict()) == filters


def test_the_options_arriving_set_the_controls_from_the_url_again(monkeypatch):
    """Dash 4's dropdown drops values its options lack: when the options arrive, the controls get
    the URL's values again, whatever the dropdowns hold (here the segment dropped to [])."""
    import dashboard.components.filters as module

    class Triggered:
        triggered_id = ID.SEGMENT
        triggered_prop_ids = {"filter-segment.options": ID.SEGMENT, "filter-source.options": ID.SOURCE}

    monkeypatch.setattr(module, "ctx", Triggered())
    values = ["week", None, None, [], [], [], [], [], [], []]
    options = [[{"label": "Enterprise", "value": "Enterprise"}], [], [], [], [], [], []]
    search, state, *controls = sync_filters_with_options("?segment=Enterprise&stage=mql", *values, *options)
    assert search is module.no_update
    assert controls == ["week", None, None, ["Enterprise"], [], [], [], [], [], []]
    assert ViewFilters.from_dict(state) == ViewFilters(segments=("Enterprise",))


def test_a_control_changing_still_writes_the_url(monkeypatch):
    import dashboard.components.filters as module

    class Triggered:
        triggered_id = ID.SEGMENT
        triggered_prop_ids = {"filter-segment.value": ID.SEGMENT}

    monkeypatch.setattr(module, "ctx", Triggered())
    values = ["month", None, None, ["SMB"], [], [], [], []]
    search, _state, *controls = sync_filters_with_options("?segment=Enterprise", *values, *[[]] * 5)
    assert search == "?grain=month&segment=SMB"
    assert all(c is module.no_update for c in controls)
