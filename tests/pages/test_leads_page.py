"""The leads page: which leads the grid holds, a lead's timeline, and the page's callbacks."""
from __future__ import annotations

import datetime as dt

import dash
import pandas as pd
import pytest

from dashboard.components.filters import ViewFilters
from dashboard.components.lead_query import LeadQuery
from dashboard.metrics.drilldown import in_date_range, lead_timeline, leads_table, select_leads
from dashboard.metrics.kpis import compute_kpis
from dashboard.metrics.stages import effective_stages
from tests.demo_fixture import AS_OF
from tests.factories import TZ, activities, campaigns, deals, leads, owners, t
from tests.hostile_fixture import FORMULA, IMAGE, PLUS, SCRIPT
from tests.pages.tree import find, of_type, page, texts

NOVEMBER = (t("2026-11-01 00:00"), t("2026-12-01 00:00"))


@pytest.fixture
def november_stages():
    """Seven leads around November 2026 (Helsinki), worked out by hand in the tests below."""
    lead_rows = leads(
        dict(id=1, created_at="2026-10-20 09:00", mql_at="2026-10-25 10:00"),          # all before November
        dict(id=2, created_at="2026-10-28 09:00", mql_at="2026-11-02 10:00"),          # MQL in November
        dict(id=3, created_at="2026-11-03 09:00"),                                     # created in November
        dict(id=4, created_at="2026-10-01 09:00", sql_at="2026-11-05 12:00"),          # MQL inferred from SQL
        dict(id=5, created_at="2026-10-30 23:30", mql_at="2026-11-01 00:00"),          # MQL at the first instant
        dict(id=6, created_at="2026-11-10 09:00", mql_at="2026-12-01 00:00"),          # MQL at the end: outside
        dict(id=7, created_at="2026-09-01 09:00", mql_at="2026-09-02 09:00"),          # opportunity from a deal
    )
    deal_rows = deals(dict(id=1, lead_id=7, created_at="2026-11-15 10:00", amount=1000.0))
    return effective_stages(lead_rows, deal_rows)


@pytest.mark.parametrize("stage, expected", [
    ("mql", [2, 4, 5]),          # 4: its SQL date stands in for the missing MQL date (SPEC 1)
    ("lead", [3, 6]),            # created in November
    ("sal", [4, 7]),             # 4 from its SQL date; 7 from its deal (a deal passed SAL and SQL)
    ("sql", [4, 7]),
    ("opportunity", [7]),        # the first deal's created_at
    ("won", []),
    (None, [2, 3, 4, 5, 6, 7]),  # created or any stage in November; 1 did nothing in November
])
def test_leads_in_the_date_range(november_stages, stage, expected):
    inside = in_date_range(november_stages, *NOVEMBER, stage)
    assert list(november_stages.loc[inside, "id"]) == expected


def test_select_leads_narrows_to_ids_and_can_ignore_dates(november_stages):
    assert list(select_leads(november_stages, *NOVEMBER, "mql", lead_ids=[1, 2, 3])["id"]) == [2]
    assert list(select_leads(november_stages, *NOVEMBER, lead_ids=[1], any_date=True)["id"]) == [1]
    assert list(select_leads(november_stages, *NOVEMBER, "won")["id"]) == []


def test_the_leads_table_holds_names_local_times_and_the_current_stage():
    stages = effective_stages(
        leads(
            dict(id=1, created_at="2026-11-02 09:00", source="webinar", campaign_id=3, segment="SMB", owner_id=8,
                 contact_id=20, mql_at="2026-11-02 10:15", disqualified_at="2026-11-03 09:00",
                 disqualified_reason="No budget"),
            dict(id=2, created_at="2026-11-05 14:30", source="direct", segment="Enterprise", sql_at="2026-11-06 08:00"),
        ),
        deals(),
    )
    companies = pd.DataFrame({"id": [20], "company": ["Acme Oy"]})
    before = stages.copy()
    table = leads_table(stages, owners(dict(id=8, name="Eero Koskinen", team="sdr")),
                        campaigns(dict(id=3, name="Autumn webinar")), companies, TZ)
    pd.testing.assert_frame_equal(stages, before)  # the input is untouched
    assert list(table["id"]) == [2, 1]  # newest first
    first = table.iloc[1]
    assert first["external_id"] == "L1"
    assert first["created"] == pd.Timestamp("2026-11-02 09:00", tz=TZ)
    assert (first["source"], first["campaign"], first["segment"], first["owner"]) == ("webinar", "Autumn webinar",
                                                                                       "SMB", "Eero Koskinen")
    assert first["stage"] == "mql"
    assert first["mql"] == pd.Timestamp("2026-11-02 10:15", tz=TZ) and pd.isna(first["sal"])
    assert (first["disqualified_reason"], first["company"]) == ("No budget", "Acme Oy")
    second = table.iloc[0]
    assert second["stage"] == "sql"
    assert second["mql"] == second["sal"] == second["sql"] == pd.Timestamp("2026-11-06 08:00", tz=TZ)
    assert pd.isna(second["campaign"]) and pd.isna(second["owner"]) and pd.isna(second["company"])


def test_grid_rows_are_text_for_the_grid_and_its_csv(empty_settings):
    """Times as sortable text, blanks for missing dates, stage names as people say them."""
    from dashboard.application import create_app

    create_app(empty_settings)
    stages = effective_stages(leads(dict(id=1, created_at="2026-11-02 09:00", mql_at="2026-11-02 10:15")), deals())
    table = leads_table(stages, owners(), campaigns(), pd.DataFrame(columns=["id", "company"]), TZ)
    assert page("leads").grid_rows(table) == [{
        "id": "1", "external_id": "L1", "created": "2026-11-02 09:00", "source": None, "campaign": None,
        "segment": None, "owner": None, "stage": "MQL", "mql": "2026-11-02 10:15", "sal": "", "sql": "",
        "opportunity": "", "disqualified_reason": None, "company": None,
    }]


def test_a_lead_timeline_is_in_time_order_with_teams_and_inferred_dates():
    """Ties keep the funnel's order: stage changes, then activities, then deals."""
    lead_rows = leads(dict(id=10, created_at="2026-11-02 09:00", mql_at="2026-11-02 09:00", owner_id=8,
                           assigned_at="2026-11-02 09:30", first_touch_at="2026-11-02 10:00",
                           sql_at="2026-11-04 10:00"))
    deal_rows = deals(dict(id=5, lead_id=10, owner_id=9, name="Big deal", amount=5000.0, created_at="2026-11-06 12:00",
                           closed_at="2026-11-20 10:00", is_won=True))
    activity_rows = activities(
        dict(id=1, lead_id=10, team="marketing", type="page_view", occurred_at="2026-11-01 20:00", owner_id=7),
        dict(id=2, lead_id=10, team="sales", type="call", occurred_at="2026-11-02 10:00", owner_id=8),
        dict(id=3, lead_id=10, team="marketing", type="webinar", occurred_at="2026-11-04 10:00", owner_id=7),
        dict(id=4, lead_id=99, team="sales", type="call", occurred_at="2026-11-03 10:00", owner_id=8),
    ).assign(detail=["Pricing page", "Intro call", None, "another lead"])
    people = owners(dict(id=7, name="Aino", team="marketing"), dict(id=8, name="Eero", team="sdr"),
                    dict(id=9, name="Helmi", team="sales"))
    timeline = lead_timeline(effective_stages(lead_rows, deal_rows), deal_rows, activity_rows, people, 10, TZ)
    rows = [(f"{r.at:%m-%d %H:%M}", r.team, r.kind, r.event, r.detail, r.who) for r in timeline.itertuples()]
    assert rows == [
        ("11-01 20:00", "marketing", "engagement", "Page view", "Pricing page", "Aino"),
        ("11-02 09:00", "marketing", "stage", "Lead created", None, None),
        ("11-02 09:00", "marketing", "stage", "Became an MQL", None, None),
        ("11-02 09:30", "sales", "stage", "Routed to its owner", None, "Eero"),
        ("11-02 10:00", "sales", "touch", "Call", "Intro call", "Eero"),  # first_touch_at is this call: once
        ("11-04 10:00", "sales", "stage", "Accepted by sales (SAL)", "no date recorded: inferred from a later stage", None),
        ("11-04 10:00", "sales", "stage", "Qualified by sales (SQL)", None, None),
        ("11-04 10:00", "marketing", "engagement", "Webinar", None, "Aino"),
        ("11-06 12:00", "sales", "stage", "Became an opportunity", "no date recorded: its first deal's", None),
        ("11-06 12:00", "sales", "deal", "Deal opened", "Big deal", "Helmi"),
        ("11-20 10:00", "sales", "deal", "Deal won", "Big deal", "Helmi"),
    ]
    assert list(timeline["amount"].dropna()) == [5000.0, 5000.0]
    assert str(timeline["at"].dt.tz) == TZ


def test_a_timeline_shows_exits_a_recorded_first_touch_and_a_lost_deal():
    lead_rows = leads(dict(id=1, created_at="2026-11-02 09:00", mql_at="2026-11-02 11:00",
                           first_touch_at="2026-11-02 12:00", disqualified_at="2026-11-03 09:00",
                           disqualified_reason="No budget", recycled_at="2026-11-04 09:00"))
    deal_rows = deals(dict(id=1, lead_id=1, name=None, created_at="2026-11-02 13:00", closed_at="2026-11-02 15:00",
                           is_won=False, lost_reason="Price", amount=10.0))
    timeline = lead_timeline(effective_stages(lead_rows, deal_rows), deal_rows, activities(), owners(), 1, TZ)
    assert [(r.event, r.detail) for r in timeline.itertuples()] == [
        ("Lead created", None), ("Became an MQL", None), ("First touch", "recorded on the lead"),
        # the deal at 13:00 makes it an opportunity, and so SAL and SQL too (SPEC 1)
        ("Accepted by sales (SAL)", "no date recorded: inferred from a later stage"),
        ("Qualified by sales (SQL)", "no date recorded: inferred from a later stage"),
        ("Became an opportunity", "no date recorded: its first deal's"), ("Deal opened", "D1"),
        ("Deal lost", "D1: Price"), ("Disqualified", "No budget"), ("Recycled to marketing", None),
    ]


def test_an_unknown_lead_has_an_empty_timeline():
    stages = effective_stages(leads(dict(id=1, created_at="2026-11-02 09:00")), deals())
    assert lead_timeline(stages, deals(), activities(), owners(), 2, TZ).empty


@pytest.mark.parametrize("query, expected", [
    ({}, LeadQuery()),
    ({"stage": "MQL"}, LeadQuery(stage="mql")),
    ({"stage": "customer"}, LeadQuery()),
    ({"breach": "1"}, LeadQuery(breach=True)),
    ({"breach": "0"}, LeadQuery()),
    ({"lead": "42"}, LeadQuery(lead=42)),
    ({"lead": "L42"}, LeadQuery()),
    ({"lead": ["7", "8"]}, LeadQuery(lead=7)),
    ({"rule": "inferred_sal", "segment": "SMB"}, LeadQuery(rule="inferred_sal")),
])
def test_query_arguments_are_read_tolerantly(query, expected):
    assert LeadQuery.from_query(query) == expected
    assert LeadQuery.from_dict(expected.to_dict()) == expected


# --- the callbacks on the demo database ---


def _state(**filters) -> dict:
    return ViewFilters(**filters).to_dict()


def _grid(body):
    grids = of_type(body, "AgGrid")
    assert len(grids) == 1, texts(body)
    return grids[0]


NOVEMBER_STATE = dict(start=dt.date(2026, 11, 1), end=dt.date(2026, 11, 30))


def _november_kpis(settings):
    from dashboard.data import dataset_for

    return compute_kpis(dataset_for(settings), settings.agreement(), "month", dt.date(2026, 11, 1),
                        dt.date(2026, 11, 1), AS_OF)[0]


def test_the_grid_holds_the_mqls_behind_the_months_mql_count(demo_app, demo_settings):
    """?stage=mql with November as the range: exactly as many rows as `kpis` counts MQLs."""
    with demo_app.server.test_request_context():
        body = page("leads").update_leads(_state(**NOVEMBER_STATE), LeadQuery(stage="mql").to_dict())
    rows = _grid(body).rowData
    assert len(rows) == _november_kpis(demo_settings)["mqls"] > 0
    assert all("2026-11-01" <= row["mql"] <= "2026-11-30 23:59" for row in rows)
    assert "MQLs of 1 Nov 2026 to 30 Nov 2026 (effective MQL date in the range)." in " ".join(texts(body))


def test_the_grid_holds_the_open_breaches(demo_app, demo_settings):
    """?breach=1: the open response breaches of the range's MQLs, as `kpis` counts them."""
    with demo_app.server.test_request_context():
        body = page("leads").update_leads(_state(**NOVEMBER_STATE), LeadQuery(breach=True).to_dict())
    rows = _grid(body).rowData
    assert len(rows) == _november_kpis(demo_settings)["open_breaches"]
    assert all(row["sal"] == "" for row in rows)


def test_a_segment_filter_narrows_the_grid(demo_app):
    leads_page = page("leads")
    with demo_app.server.test_request_context():
        everyone = _grid(leads_page.update_leads(_state(), {})).rowData
        enterprise = _grid(leads_page.update_leads(_state(segments=("Enterprise",)), {})).rowData
    assert 0 < len(enterprise) < len(everyone)
    assert {row["segment"] for row in enterprise} == {"Enterprise"}
    assert {row["id"] for row in enterprise} < {row["id"] for row in everyone}


def test_one_lead_by_its_id_with_its_timeline(demo_app, demo_settings):
    """?lead=<id> shows that lead whatever the filters, and opens its timeline."""
    from dashboard.data import dataset_for

    data = dataset_for(demo_settings)
    won = data.deals[data.deals["is_won"].fillna(False).astype(bool) & data.deals["lead_id"].notna()]
    lead_id = int(won["lead_id"].iloc[0])
    other_id = int(data.leads.loc[data.leads["id"] != lead_id, "id"].iloc[0])
    external_id = data.leads.set_index("id").loc[lead_id, "external_id"]
    leads_page = page("leads")
    with demo_app.server.test_request_context():
        body = leads_page.update_leads(_state(segments=("no such segment",)), LeadQuery(lead=lead_id).to_dict())
        panel = leads_page.show_linked_timeline(LeadQuery(lead=lead_id).to_dict())
        clicked = leads_page.show_clicked_timeline([{"rowId": str(other_id), "colId": "created"}])
        nothing = leads_page.show_linked_timeline({})
        unclicked = leads_page.show_clicked_timeline([None])
        missing = leads_page.show_linked_timeline(LeadQuery(lead=10**9).to_dict())
    assert [row["id"] for row in _grid(body).rowData] == [str(lead_id)]
    assert panel.id == leads_page.TIMELINE_PANEL and panel.is_open
    assert panel.title == f"Timeline of lead {external_id}"
    shown = texts(find(panel, f"timeline-{lead_id}"))
    assert "Lead created" in shown and "Deal won" in shown
    assert find(clicked, f"timeline-{other_id}") is not None
    assert nothing is None and unclicked is dash.no_update
    assert texts(missing) == [f"There is no lead with id {10**9} (as of 2026-11-20 12:00)."]


def test_the_leads_breaking_a_rule(demo_app, demo_settings):
    """?rule=inferred_sal lists every lead the report counts; a deals rule lists its deals."""
    from dashboard.data import dataset_for
    from dashboard.metrics.drilldown import quality_findings
    from queries.db import get_engine
    from queries.loaders import load_unresolved_references

    findings = {f.rule: f for f in quality_findings(dataset_for(demo_settings),
                                                    load_unresolved_references(get_engine(demo_settings.database_url)),
                                                    demo_settings.agreement())}
    leads_page = page("leads")
    with demo_app.server.test_request_context():
        inferred = leads_page.update_leads(_state(), LeadQuery(rule="inferred_sal").to_dict())
        unlinked = leads_page.update_leads(_state(), LeadQuery(rule="deal_without_lead").to_dict())
        unknown = leads_page.update_leads(_state(), LeadQuery(rule="no_such_rule").to_dict())
    assert sorted(int(row["id"]) for row in _grid(inferred).rowData) == sorted(findings["inferred_sal"].record_ids)
    deals_table = find(unlinked, leads_page.RULE_RECORDS)
    assert deals_table is not None and of_type(unlinked, "AgGrid") == []
    for deal in findings["deal_without_lead"].examples:
        assert deal in texts(deals_table)
    assert "There is no data-quality rule named “no_such_rule”." in texts(unknown)


def test_an_empty_database_says_what_to_load(empty_settings):
    from dashboard.application import create_app

    app = create_app(empty_settings)
    with app.server.test_request_context():
        body = page("leads").update_leads(None, {})
        panel = page("leads").show_linked_timeline(LeadQuery(lead=1).to_dict())
    assert "No data loaded yet" in texts(body)
    assert panel is None


def test_hostile_text_stays_text(hostile_settings):
    """Markup and formulas in records reach the grid and the timeline as plain strings; no
    component that renders HTML or code is used."""
    from dashboard.application import create_app

    app = create_app(hostile_settings)
    leads_page = page("leads")
    with app.server.test_request_context():
        body = leads_page.update_leads(_state(), {})
        panel = leads_page.show_linked_timeline(LeadQuery(lead=1).to_dict())
    grid = _grid(body)
    row = next(r for r in grid.rowData if r["id"] == "1")
    assert (row["external_id"], row["source"], row["campaign"], row["owner"], row["company"],
            row["disqualified_reason"]) == (SCRIPT, FORMULA, FORMULA, IMAGE, PLUS, IMAGE)
    assert not getattr(grid, "dangerously_allow_code", False)
    assert all("cellRenderer" not in column for column in grid.columnDefs)
    assert grid.csvExportParams["processCellCallback"] == {"function": "csvSafeCell(params)"}
    shown = texts(panel)
    for hostile in (SCRIPT, FORMULA, IMAGE, PLUS):
        assert hostile in shown
    for tree in (body, panel):
        assert of_type(tree, "Markdown") == []
