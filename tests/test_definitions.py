"""SPEC's revised definitions (issue 15) against figures worked out by hand: responses that
include sales decisions (5), campaign cost by campaign_costs rows or a stable spread (10),
"not recorded" instead of a perfect score, and filters that keep the lead's journey.

Times are Helsinki wall-clock times. The agreement is the frozen one (tests/agreements.py):
Mon-Fri 08:00-16:00, a 4-working-hour response window.
"""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from dashboard.metrics.calendar import WorkCalendar
from dashboard.metrics.kpis import compute_kpis
from dashboard.metrics.response import response_times
from dashboard.metrics.sales import open_breach_list
from dashboard.metrics.stages import as_known_at, effective_stages
from tests.agreements import frozen_agreement
from tests.factories import dataset, t

AGREEMENT = frozen_agreement()
CALENDAR = WorkCalendar.from_agreement(AGREEMENT)


# --- responses include sales decisions (SPEC 5) --------------------------------------------

DECISION_LEADS = [
    # Thu 19 Nov 09:00 MQLs; as_of Mon 23 Nov 12:00.
    # 1: rejected 2 h after the MQL, never touched: responded in time (met), no breach.
    dict(id=1, created_at="2026-11-19 08:00", mql_at="2026-11-19 09:00", disqualified_at="2026-11-19 11:00",
         disqualified_reason="No budget", owner_id=7),
    # 2: rejected Fri 10:00, never touched: Thu 09-16 = 7 h + Fri 08-10 = 2 h = 9 h > 4: missed, no breach.
    dict(id=2, created_at="2026-11-19 08:00", mql_at="2026-11-19 09:00", disqualified_at="2026-11-20 10:00",
         owner_id=7),
    # 3: no touch, no decision: 7 + 8 + 4 = 19 h at as_of: missed and the one open breach.
    dict(id=3, created_at="2026-11-19 08:00", mql_at="2026-11-19 09:00", owner_id=7),
    # 4: sent back (recycled) after 1 h, touched after 6 h: the recycling is the response, 1 h, met.
    dict(id=4, created_at="2026-11-19 08:00", mql_at="2026-11-19 09:00", recycled_at="2026-11-19 10:00",
         first_touch_at="2026-11-19 15:00", owner_id=7),
    # 5: SQL at 10:00 (so SAL, effective, at 10:00), touched 12:00: accepted after 1 h, met.
    dict(id=5, created_at="2026-11-19 08:00", mql_at="2026-11-19 09:00", sql_at="2026-11-19 10:00",
         first_touch_at="2026-11-19 12:00", owner_id=7),
    # 6: rejected at 08:30, before the MQL: response time 0, met.
    dict(id=6, created_at="2026-11-19 08:00", mql_at="2026-11-19 09:00", disqualified_at="2026-11-19 08:30",
         owner_id=7),
]
DECISIONS_AS_OF = "2026-11-23 12:00"


def _decision_responses():
    data = as_known_at(dataset(DECISION_LEADS, owner_rows=[dict(id=7, name="Rep", team="sales")]), t(DECISIONS_AS_OF))
    frame = response_times(effective_stages(data.leads, data.deals), data.activities, CALENDAR, 4, t(DECISIONS_AS_OF))
    return frame, data


def test_a_decision_is_a_response_and_only_no_response_is_an_open_breach():
    frame, data = _decision_responses()
    frame = frame.set_index("lead_id")
    assert frame["outcome"].to_dict() == {1: "met", 2: "missed", 3: "missed", 4: "met", 5: "met", 6: "met"}
    assert frame["response_by"].to_dict() == {1: "rejected", 2: "rejected", 3: None, 4: "recycled",
                                              5: "accepted", 6: "rejected"}
    assert frame["response_hours"][[1, 2, 4, 5, 6]].tolist() == pytest.approx([2.0, 9.0, 1.0, 1.0, 0.0])
    assert frame["open_breach"].to_dict() == {1: False, 2: False, 3: True, 4: False, 5: False, 6: False}
    assert frame.loc[3, "age_hours"] == pytest.approx(19.0)
    assert pd.isna(frame.loc[2, "age_hours"])  # responded (late): not waiting
    breaches = open_breach_list(frame.reset_index(), data.owners)
    assert breaches["lead_id"].tolist() == [3]


def test_kpis_count_decisions_as_responses():
    """Week of 16 Nov: met 1, 4, 5, 6 = 4; missed 2 (late rejection) and 3 (none) = 2: 4/6;
    one open breach (lead 3), nothing pending."""
    data = dataset(DECISION_LEADS, owner_rows=[dict(id=7, name="Rep", team="sales")])
    row = compute_kpis(data, AGREEMENT, "week", dt.date(2026, 11, 16), dt.date(2026, 11, 16), t(DECISIONS_AS_OF))[0]
    assert row["response_sla_attainment"] == pytest.approx(4 / 6, abs=1e-6)
    assert (row["open_breaches"], row["response_pending"]) == (1, 0)


# --- filters that keep the journey (SPEC "The headless interface") ---------------------------

def _seed_journeys(url):
    """Ville (sdr) owns leads 1 and 2; Sara (sales) owns lead 3 and the deals of leads 1 and 3.
    Lead 2 records no MQL date: its MQL (and SAL, SQL) is inferred from its deal's creation,
    a deal Ville's colleague Sara does not own: Mikko (sales) owns it, and it is still open."""
    from sqlalchemy.orm import Session

    from queries.db import init_db
    from queries.schema import Campaign, Deal, Lead, Owner

    engine = init_db(url)
    with Session(engine) as session:
        session.add_all([
            Owner(id=1, external_id="o-ville", name="Ville Saarinen", email="ville@example.com", team="sdr"),
            Owner(id=2, external_id="o-sara", name="Sara Nieminen", email="sara@example.com", team="sales"),
            Owner(id=3, external_id="o-mikko", name="Mikko Laine", email="mikko@example.com", team="sales"),
            Campaign(id=1, external_id="c-brand", name="Search ads: brand", channel="paid_search",
                     started_on=dt.date(2026, 11, 1), cost=300, currency="EUR"),
        ])
        session.flush()
        session.add_all([
            Lead(id=1, external_id="l-1", created_at=t("2026-11-02 09:00"), mql_at=t("2026-11-02 10:00"),
                 first_touch_at=t("2026-11-02 11:00"), segment="Enterprise", source="paid_search", campaign_id=1,
                 owner_id=1),
            Lead(id=2, external_id="l-2", created_at=t("2026-11-03 09:00"), segment="Enterprise", owner_id=1),
            Lead(id=3, external_id="l-3", created_at=t("2026-11-04 09:00"), mql_at=t("2026-11-04 10:00"),
                 first_touch_at=t("2026-11-04 11:00"), segment="SMB", source="webinar", owner_id=2),
        ])
        session.flush()
        session.add_all([
            Deal(id=1, external_id="d-1", lead_id=1, owner_id=2, created_at=t("2026-11-05 09:00"),
                 closed_at=t("2026-11-12 09:00"), is_won=True, amount=12000, currency="EUR"),
            Deal(id=2, external_id="d-2", lead_id=2, owner_id=3, created_at=t("2026-11-05 10:00")),
            Deal(id=3, external_id="d-3", lead_id=3, owner_id=2, created_at=t("2026-11-06 09:00"),
                 closed_at=t("2026-11-13 09:00"), is_won=True, amount=5000, currency="EUR"),
        ])
        session.commit()
    return url


def _kpis_cli(url, *args):
    from typer.testing import CliRunner

    from app import cli

    return CliRunner().invoke(cli, ["kpis", "--db", url, "--as-of", "2026-11-20T12:00", "--grain", "month",
                                    "--start", "2026-11-01", "--end", "2026-11-01", "--format", "json", *args])


def _row(url, *args) -> dict:
    import json

    result = _kpis_cli(url, *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)[0]


def test_owner_and_team_keep_the_leads_won_deals_and_deal_owner_selects_deals(db_url):
    """November: everyone: 3 leads, 3 MQLs (lead 2's inferred from its deal), 2 won, 17,000.
    --owner Ville: his leads 1 and 2, 2 MQLs, and lead 1's deal won by Sara: 1 won, 12,000 (it
    was 0 when deals were cut by their own owner). --team sdr: the same. --deal-owner Ville:
    every lead (3 MQLs) and no deal of his: 0 won, and lead 2, its deal not his, has no MQL.
    --deal-owner Sara and --deal-team sales: deals 1 and 3 won, 17,000."""
    url = _seed_journeys(db_url)
    every = _row(url)
    assert (every["leads"], every["mqls"], every["deals_won"], every["revenue_won"]) == (3, 3, 2, 17000.0)
    for args in (("--owner", "Ville Saarinen"), ("--team", "sdr"), ("--owner", "o-ville")):
        ville = _row(url, *args)
        assert (ville["leads"], ville["mqls"], ville["deals_won"], ville["revenue_won"]) == (2, 2, 1, 12000.0), args
    deals_of_ville = _row(url, "--deal-owner", "ville@example.com")
    assert (deals_of_ville["leads"], deals_of_ville["mqls"], deals_of_ville["deals_won"]) == (3, 2, 0)
    for args in (("--deal-owner", "Sara Nieminen"), ("--deal-team", "sales")):
        sara = _row(url, *args)
        assert (sara["deals_won"], sara["revenue_won"]) == (2, 17000.0), args
    both = _row(url, "--owner", "Ville Saarinen", "--deal-team", "sales")  # Ville's leads, deals of sales
    assert (both["leads"], both["deals_won"], both["revenue_won"]) == (2, 1, 12000.0)
    by_campaign = _row(url, "--campaign", "Search ads: brand")
    assert (by_campaign["leads"], by_campaign["deals_won"]) == (1, 1)
    assert _row(url, "--campaign", "c-brand")["leads"] == 1


@pytest.mark.parametrize("args, message", [
    (("--segment", "enterprise"), "--segment 'enterprise' matches nothing; the known values are: 'Enterprise', 'SMB'"),
    (("--source", "Webinar"), "--source 'Webinar' matches nothing; the known values are: 'paid_search', 'webinar'"),
    (("--team", "Sales"), "--team 'Sales' matches nothing; the known values are: 'marketing', 'sdr', 'sales', 'cs'"),
    (("--deal-team", "ops"), "--deal-team 'ops' matches nothing; the known values are: 'marketing', 'sdr', "
                             "'sales', 'cs'"),
    (("--campaign", "Search ads"), "--campaign 'Search ads': no campaign has that external_id, name; the known "
                                   "ones are: 'Search ads: brand'"),
    (("--deal-owner", "Ville"), "--deal-owner 'Ville': no deal owner has that external_id, email, name; the known "
                                "ones are: 'Mikko Laine', 'Sara Nieminen', 'Ville Saarinen'"),
])
def test_kpis_a_filter_value_that_matches_nothing_is_an_error_naming_the_known_values(tmp_path, args, message):
    url = _seed_journeys(f"sqlite:///{tmp_path}/journeys.db")
    result = _kpis_cli(url, *args)
    assert result.exit_code == 2 and message in result.stderr, result.output
    assert result.stdout == ""  # no row of zeros


def test_a_reps_first_touch_rate_is_the_same_unfiltered_and_owner_filtered(tmp_path):
    """Ville's MQLs on the Sales page: lead 1 (touched 1 h after: met) and lead 2, whose MQL
    and SAL are both inferred from its deal's creation (5 Nov 10:00): accepted at once,
    response 0 h, met. Unfiltered and ?owner=Ville both give Ville 2 met of 2 known; before,
    the owner filter dropped lead 2's deal (Mikko's, not his), and with it lead 2's MQL: 1 of 1."""
    from dashboard.reports.context import ReportContext
    from dashboard.reports.filters import ViewFilters
    from dashboard.reports.sales import response_report
    from queries.db import get_engine
    from queries.loaders import load_dataset

    url = _seed_journeys(f"sqlite:///{tmp_path}/journeys.db")
    engine = get_engine(url)
    as_of = t("2026-11-20 12:00")

    def ville(filters: ViewFilters):
        context = ReportContext(load_dataset(engine, as_of, filters.data_filters), AGREEMENT, as_of, filters)
        reps = response_report(context).reps.set_index("name")
        return int(reps.loc["Ville Saarinen", "met"]), int(reps.loc["Ville Saarinen", "known"])

    window = dict(start=dt.date(2026, 11, 1), end=dt.date(2026, 11, 20))
    assert ville(ViewFilters(**window)) == (2, 2)
    assert ville(ViewFilters(**window, owner_ids=(1,))) == (2, 2)


# --- campaign cost by campaign_costs rows (SPEC 10) ----------------------------------------

def test_campaign_costs_load_from_every_database_and_price_the_months(db_url):
    """Two spend rows of campaign 1: 21 Sep - 10 Oct 2,000 (20 days, 100 a day: 1,000 in
    September, 1,000 in October) and October 310: September 1,000, October 1,310. The
    campaign's own cost (99,999) is not used. Rewriting a row's amount changes the data version
    (campaign_costs has no write time of its own)."""
    from decimal import Decimal

    from sqlalchemy import update
    from sqlalchemy.orm import Session

    from dashboard.metrics.closed_loop import campaign_cost_in_range
    from queries.db import init_db
    from queries.loaders import data_version, load_dataset
    from queries.schema import Campaign, CampaignCost

    engine = init_db(db_url)
    with Session(engine) as session:
        session.add(Campaign(id=1, external_id="c-1", name="Search ads: brand", channel="paid_search",
                             started_on=dt.date(2026, 9, 1), cost=Decimal("99999"), currency="EUR"))
        session.flush()
        session.add_all([
            CampaignCost(id=1, external_id="k-1", campaign_id=1, period_start=dt.date(2026, 9, 21),
                         period_end=dt.date(2026, 10, 10), amount=Decimal("2000.00"), currency="EUR"),
            CampaignCost(id=2, external_id="k-2", campaign_id=1, period_start=dt.date(2026, 10, 1),
                         period_end=dt.date(2026, 10, 31), amount=Decimal("310.00")),
        ])
        session.commit()
    data = load_dataset(engine)
    assert data.campaign_costs["amount"].tolist() == [2000.0, 310.0]
    assert data.campaign_costs["campaign_id"].tolist() == [1, 1]
    month = {"september": (pd.Timestamp("2026-09-01"), pd.Timestamp("2026-10-01")),
             "october": (pd.Timestamp("2026-10-01"), pd.Timestamp("2026-11-01"))}
    cost = {name: campaign_cost_in_range(data.campaigns, *dates, "EUR", {}, data.campaign_costs).iloc[0]
            for name, dates in month.items()}
    assert cost == pytest.approx({"september": 1000.0, "october": 1310.0})
    before = data_version(engine)
    with engine.begin() as connection:
        connection.execute(update(CampaignCost.__table__).where(CampaignCost.id == 2).values(amount=Decimal("320")))
    assert data_version(engine) != before


# --- "not recorded" instead of a perfect score ("What bad or odd data gets") -----------------

def _no_rejections_db(url):
    """A source that records acceptances and won deals but never a rejection, a touch, a sales
    activity or a lost deal: lead 1 accepted, SQL and won; lead 2 accepted; lead 3 an MQL that
    got no further. Acceptance would read 2/2 = 100 % and win rate 1/1 = 100 %: both are null,
    `not recorded`; so is first touch (no touch, no sales activity). Every lead is an MQL and
    every SQL won: lead -> MQL and SQL -> won are not recorded either; MQL -> SQL is measured,
    1/3 (leads 2 and 3 stopped before SQL)."""
    from sqlalchemy.orm import Session

    from queries.db import init_db
    from queries.schema import Deal, Lead

    engine = init_db(url)
    with Session(engine) as session:
        session.add_all([
            Lead(id=1, external_id="l-1", created_at=t("2026-11-02 09:00"), mql_at=t("2026-11-02 09:00"),
                 sal_at=t("2026-11-02 11:00"), sql_at=t("2026-11-03 09:00")),
            Lead(id=2, external_id="l-2", created_at=t("2026-11-03 09:00"), mql_at=t("2026-11-03 09:00"),
                 sal_at=t("2026-11-03 10:00")),
            Lead(id=3, external_id="l-3", created_at=t("2026-11-04 09:00"), mql_at=t("2026-11-04 09:00")),
        ])
        session.flush()
        session.add(Deal(id=1, external_id="d-1", lead_id=1, created_at=t("2026-11-05 09:00"),
                         closed_at=t("2026-11-12 09:00"), is_won=True, amount=1000, currency="EUR"))
        session.commit()
    return url


def test_a_source_that_records_no_rejections_gets_null_and_not_recorded(db_url):
    url = _no_rejections_db(db_url)
    row = _row(url)
    assert (row["mqls"], row["sals"], row["sqls"], row["deals_won"]) == (3, 2, 1, 1)
    assert row["acceptance_rate"] is None and row["win_rate"] is None and row["response_sla_attainment"] is None
    assert row["conv_lead_mql"] is None
    assert row["conv_mql_sql"] == pytest.approx(1 / 3, abs=1e-6)
    assert row["conv_sql_won"] is None
    assert row["notes"] == {"conv_lead_mql": "not recorded", "conv_sql_won": "not recorded",
                            "response_sla_attainment": "not recorded", "acceptance_rate": "not recorded",
                            "win_rate": "not recorded"}
    assert row["commitments"]["mql_acceptance"]["actual"] is None
    assert row["commitments"]["mql_acceptance"]["status"] is None


def test_not_recorded_is_the_sources_answer_not_the_filtered_slices(tmp_path):
    """Filtered to the SMB segment (lead 1 alone: accepted, never rejected) the rate is still
    measured, because the source does record rejections (lead 2, Enterprise): 1/1 = 1.0."""
    from sqlalchemy.orm import Session

    from queries.db import init_db
    from queries.schema import Lead

    url = f"sqlite:///{tmp_path}/slice.db"
    engine = init_db(url)
    with Session(engine) as session:
        session.add_all([
            Lead(id=1, external_id="l-1", created_at=t("2026-11-02 09:00"), mql_at=t("2026-11-02 09:00"),
                 sal_at=t("2026-11-02 10:00"), first_touch_at=t("2026-11-02 10:00"), segment="SMB"),
            Lead(id=2, external_id="l-2", created_at=t("2026-11-03 09:00"), mql_at=t("2026-11-03 09:00"),
                 disqualified_at=t("2026-11-03 10:00"), segment="Enterprise"),
        ])
        session.commit()
    smb = _row(url, "--segment", "SMB")
    assert smb["acceptance_rate"] == 1.0 and "acceptance_rate" not in smb["notes"]
    # both leads are MQLs at creation (lead -> MQL not recorded), no deal at all (no win rate);
    # no lead reached SQL, so SQL -> won has nothing to say
    csv_rows = _kpis_cli(url, "--format", "csv").stdout.splitlines()
    assert csv_rows[0].split(",").count("notes") == 1
    assert "conv_lead_mql: not recorded; win_rate: not recorded" in csv_rows[1]
    table = _kpis_cli(url, "--format", "table").stdout
    assert "notes: conv_lead_mql: not recorded; win_rate: not recorded" in table
    assert "not recorded" in table.splitlines()[1]  # the rate's cell says it, not "-"


# --- one page, one number (the Funnel page) ---------------------------------------------------

def test_the_funnel_pages_counts_mean_one_thing(demo_app):
    """Range Wed 4 Nov - Thu 12 Nov 2026 by week: W45 (from Mon 2 Nov) and W46 (to Sun 15 Nov)
    both run past it. MQLs: lead 1 on 3 Nov (before the range), lead 2 on 5 Nov, lead 3 on 10
    Nov, lead 4 on 13 Nov (after it). The tiles count 2 (leads 2, 3); the weekly table counts
    W45 1 and W46 1, total 2 (it used to count W45 2 and W46 2, total 4); the first row says
    "from 4 Nov", the last "to 12 Nov". The chart is the cohort of the leads created in the
    range (leads 2, 3, 4), 3 of them MQL by as_of, and says it is a cohort."""
    from dashboard.reports.funnel import summary_report
    from tests.pages import tree
    from tests.pages.tree import find, texts
    from tests.reports.helpers import context

    data = dataset([
        dict(id=1, created_at="2026-11-02 09:00", mql_at="2026-11-03 09:00"),
        dict(id=2, created_at="2026-11-05 08:00", mql_at="2026-11-05 09:00"),
        dict(id=3, created_at="2026-11-06 08:00", mql_at="2026-11-10 09:00"),
        dict(id=4, created_at="2026-11-09 08:00", mql_at="2026-11-13 09:00"),
    ])
    report = summary_report(context(data, t("2026-11-20 12:00"), dt.date(2026, 11, 4), dt.date(2026, 11, 12)))
    assert report.totals["mql"] == 2
    assert report.counts["mqls"].tolist() == [1, 1] and int(report.counts["mqls"].sum()) == report.totals["mql"]
    assert report.counts["leads"].tolist() == [2, 1]  # leads 2, 3 created in W45's part, lead 4 in W46's
    assert (report.first_clipped, report.last_clipped) == (dt.date(2026, 11, 4), dt.date(2026, 11, 12))
    funnel = report.range_funnel.set_index("stage")["leads"]
    assert (funnel["lead"], funnel["mql"]) == (3, 3)
    page = tree.page("funnel")
    body = page.render_summary(report)
    rows = find(body, page.COUNTS_TABLE)
    words = texts(rows)
    assert "W45 · 02 Nov 2026, from 4 Nov" in words and "W46 · 09 Nov 2026, to 12 Nov" in words
    assert "Total of these dates" in words
    assert any("counts only its days inside them" in text for text in texts(body))


def test_the_pages_and_the_wall_say_not_recorded(demo_app):
    """On a source without rejections, touches or lost deals (as the kpis test above), the
    scoreboard's acceptance and first-touch actuals, the wall's tiles, the marketing card and
    the sales summary read `not recorded`, not 100 % or a dash."""
    from dashboard.reports.marketing import marketing_report
    from dashboard.reports.sales import periods_report, response_report
    from dashboard.reports.scoreboard import scoreboard_report
    from dashboard.reports.wall import wall_report
    from dashboard.wall.views import build_views
    from tests.pages import tree
    from tests.pages.tree import find, texts
    from tests.reports.helpers import context

    data = dataset([
        dict(id=1, created_at="2026-11-02 09:00", mql_at="2026-11-02 09:00", sal_at="2026-11-02 11:00"),
        dict(id=2, created_at="2026-11-03 09:00", mql_at="2026-11-03 09:00", sal_at="2026-11-03 10:00"),
        dict(id=3, created_at="2026-11-04 09:00"),
    ])
    assert {"acceptance_rate", "response_sla_attainment", "win_rate"} <= data.not_recorded
    ctx = context(data, t("2026-11-20 12:00"), dt.date(2026, 11, 1), dt.date(2026, 11, 20))
    board = tree.page("scoreboard").render_scoreboard(scoreboard_report(ctx))
    acceptance = find(board, "score-mql_acceptance-this_month")
    assert texts(acceptance)[1] == "not recorded"
    wall = build_views(wall_report(ctx, ("month",)))["month"]
    assert texts(find(wall, "wall-month-mql_acceptance")) == ["not recorded"]
    marketing = marketing_report(ctx)
    assert marketing.sums["acceptance_rate"] is None  # 2 of 2 accepted would read 100 %
    body = tree.page("marketing").render_marketing(marketing)
    assert "not recorded" in texts(find(body, "marketing-card-acceptance"))
    sales = response_report(ctx)
    assert sales.summary["attainment"] is None
    sales_page = tree.page("sales")
    response_box = sales_page.render_response(sales.summary, sales.distribution, sales.reps, ctx.agreement,
                                              sales.window, sales.target, sales.not_recorded)
    assert "not recorded" in texts(find(response_box, sales_page.RESPONSE_SUMMARY))
    periods = periods_report(ctx)
    body = sales_page.render_periods(periods.decisions, periods.sqls, periods.wins, periods.pipeline_by_month,
                                     periods.pipeline_by_stage, periods.stage_order, periods.agreement,
                                     periods.grain, periods.not_recorded)
    assert any("Acceptance rate: not recorded" in text for text in texts(body))


def test_a_customers_only_source_has_no_cohort_conversion_to_won(demo_app):
    """Every lead of this source comes from its won deal (Olist's orders): every SQL,
    opportunity and lead reaches won, so SQL -> won and opportunity -> won would read 100 %;
    they are null and the panel says `not recorded` (so are lead -> MQL, every lead an MQL, and
    SAL -> SQL, both inferred from the deals). Lead 3 stopped at MQL: MQL -> SAL is
    measured, 2 of 3."""
    from dashboard.reports.funnel import conversion_report
    from tests.pages import tree
    from tests.pages.tree import texts
    from tests.reports.helpers import context

    data = dataset(
        [dict(id=1, created_at="2026-11-02 09:00", mql_at="2026-11-02 09:00"),
         dict(id=2, created_at="2026-11-03 09:00", mql_at="2026-11-03 09:00"),
         dict(id=3, created_at="2026-11-04 09:00", mql_at="2026-11-04 09:00")],
        [dict(id=1, lead_id=1, created_at="2026-11-05 09:00", closed_at="2026-11-05 09:00", is_won=True, amount=10),
         dict(id=2, lead_id=2, created_at="2026-11-06 09:00", closed_at="2026-11-06 09:00", is_won=True, amount=10)],
    )
    report = conversion_report(context(data, t("2026-11-20 12:00"), dt.date(2026, 11, 2), dt.date(2026, 11, 8)))
    assert set(report.not_recorded) == {("lead", "mql"), ("sal", "sql"), ("sql", "opportunity"), ("opportunity", "won")}
    rates = report.conversions.set_index(["from_stage", "to_stage"])["rate"]
    assert pd.isna(rates[("opportunity", "won")]) and pd.isna(rates[("lead", "mql")])  # one week: one rate each
    assert rates[("mql", "sal")] == pytest.approx(2 / 3)
    note = texts(tree.page("funnel").render_conversion(report))[-1]
    assert "Not recorded: Leads → MQLs, SALs → SQLs, SQLs → Opportunities, Opportunities → Won." in note


def test_the_pack_says_not_recorded_and_what_the_return_divides():
    """October 2026, as of 4 Nov: leads 1 and 2 of campaign 1 (cost 1,000 on 1 Oct, no end),
    lead 3 without a campaign; lead 1 won 4,000, lead 3 won 6,000. The return divides campaign
    leads' revenue by the cost, 4,000 / 1,000 = 4.0, and the 6,000 without a campaign is beside
    it. No lead was ever rejected: acceptance is `not recorded` in the scorecard, the key
    figures and the summary."""
    from dashboard.export import tables
    from dashboard.reports.context import ReportContext
    from dashboard.reports.pack import pack_report

    data = dataset(
        [dict(id=1, created_at="2026-10-05 09:00", mql_at="2026-10-05 10:00", sal_at="2026-10-05 11:00",
              campaign_id=1, source="paid_search"),
         dict(id=2, created_at="2026-10-06 09:00", mql_at="2026-10-06 10:00", campaign_id=1, source="paid_search"),
         dict(id=3, created_at="2026-10-07 09:00", mql_at="2026-10-07 10:00", source="referral")],
        [dict(id=1, lead_id=1, created_at="2026-10-10 09:00", closed_at="2026-10-20 09:00", is_won=True, amount=4000),
         dict(id=2, lead_id=3, created_at="2026-10-11 09:00", closed_at="2026-10-21 09:00", is_won=True, amount=6000),
         dict(id=3, lead_id=2, created_at="2026-10-12 09:00", closed_at="2026-10-22 09:00", is_won=False, amount=1)],
        campaign_rows=[dict(id=1, name="Search", channel="paid_search", started_on="2026-10-01", cost=1000)],
    )
    as_of = t("2026-11-04 09:00")
    report = pack_report(ReportContext(data, AGREEMENT, as_of), pd.Timestamp("2026-10-01"),
                         pd.DataFrame(columns=["table_name", "record_id", "field", "target_table",
                                               "target_external_id"]), generated_at=as_of)
    totals = report.loop_campaign_totals
    assert (totals["revenue_won"], totals["cost"], totals["return_on_cost"], totals["revenue_without_campaign"]) == \
        pytest.approx((10000, 1000, 4.0, 6000))
    headers, rows = tables.closed_loop(report, "campaign")
    assert headers[-1] == "Return (campaign revenue ÷ cost)"
    assert rows[-2][0] == "All" and rows[-2][-1] == "4.0×"
    assert rows[-1][0].startswith("Of it, leads without a campaign") and rows[-1][5] == "€6,000"  # the pack: whole euros
    scorecard = dict((row[1], row[2]) for row in tables.scorecard(report)[1])
    assert scorecard["MQL acceptance"] == "not recorded"
    assert any(sentence.startswith("MQL acceptance: not recorded") for sentence in report.summary)


def test_the_closed_loop_cards_say_what_the_return_divides(demo_app):
    """November: lead 1 (campaign 1, cost 1,000 from 1 Nov, no end: all in November) won 4,000,
    lead 2 (no campaign) won 6,000. Cards: won revenue €10.0k, cost €1,000, "Return: campaign
    revenue ÷ cost" 4.0× (not 10.0×), "Revenue without a campaign" €6,000."""
    from dashboard.reports.closed_loop import closed_loop_report
    from tests.pages import tree
    from tests.pages.tree import find, texts
    from tests.reports.helpers import context

    data = dataset(
        [dict(id=1, created_at="2026-11-02 09:00", campaign_id=1, source="paid_search"),
         dict(id=2, created_at="2026-11-03 09:00", source="referral")],
        [dict(id=1, lead_id=1, created_at="2026-11-04 09:00", closed_at="2026-11-05 09:00", is_won=True, amount=4000),
         dict(id=2, lead_id=2, created_at="2026-11-04 09:00", closed_at="2026-11-06 09:00", is_won=True, amount=6000)],
        campaign_rows=[dict(id=1, name="Search", channel="paid_search", started_on="2026-11-01", cost=1000)],
    )
    report = closed_loop_report(context(data, t("2026-11-20 12:00"), dt.date(2026, 11, 1), dt.date(2026, 11, 30)))
    page = tree.page("closed_loop")
    body = page.render_loop(report)
    assert texts(find(body, page.TOTAL_CARD.format("return_on_cost"))) == ["Return: campaign revenue ÷ cost", "4.0×"]
    assert texts(find(body, page.TOTAL_CARD.format("revenue_without_campaign"))) == ["Revenue without a campaign",
                                                                                    "€6,000"]
