"""The funnel page: its figures against hand-worked values (SPEC 1-4, 8), and its callbacks
called as plain functions on the demo database and on an empty one.

The hand-made dataset, in Helsinki time, as of Fri 20 Nov 2026 12:00, by ISO week
(W45 = Mon 2 Nov, W46 = Mon 9 Nov, W47 = Mon 16 Nov):

  lead 1  created Mon 2 Nov 09:00, MQL 10:00, SAL Tue 3 Nov 10:00, SQL Thu 5 Nov 10:00,
          opportunity (and its deal) Tue 10 Nov 10:00, deal won Tue 17 Nov 10:00
  lead 2  created Tue 3 Nov 09:00, MQL Wed 4 Nov 09:00, SAL Fri 6 Nov 12:00, still open
  lead 3  created Wed 4 Nov 09:00, disqualified Thu 5 Nov 12:00 "Student" (never an MQL)
  lead 7  created Tue 3 Nov 11:00, MQL 12:00, disqualified Wed 4 Nov 12:00 "Student"
  lead 4  created Tue 10 Nov 09:00, MQL Wed 11 Nov 09:00, disqualified Thu 12 Nov 09:00, no reason
  lead 5  created Tue 10 Nov 10:00, SQL Thu 12 Nov 10:00 (MQL and SAL inferred at that
          instant, SPEC 1), recycled Wed 18 Nov 10:00 "Timing"
  lead 6  created Tue 17 Nov 09:00, MQL 12:00, still open
"""
from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest

from dashboard.metrics import funnel
from dashboard.metrics.funnel_views import (
    cohort_conversions,
    disqualified_by_reason,
    known_stages,
    local_range,
    median_lags,
    period_ratios,
    range_funnel,
    range_stage_counts,
    range_velocity,
    recycled_by_reason,
    stage_counts,
    stuck_by_stage,
)
from dashboard.metrics.kpis import compute_kpis
from tests.agreements import agreement_file, frozen_agreement
from tests.demo_fixture import AS_OF
from tests.factories import dataset, t
from tests.pages import tree
from tests.pages.tree import find, texts

AGREEMENT = frozen_agreement()
TZ = AGREEMENT.tz
HAND_AS_OF = t("2026-11-20 12:00")
WEEKS = pd.DatetimeIndex(["2026-11-02", "2026-11-09", "2026-11-16"])


def hand_dataset():
    return dataset(
        [
            dict(id=1, created_at="2026-11-02 09:00", mql_at="2026-11-02 10:00", sal_at="2026-11-03 10:00",
                 sql_at="2026-11-05 10:00", opportunity_at="2026-11-10 10:00"),
            dict(id=2, created_at="2026-11-03 09:00", mql_at="2026-11-04 09:00", sal_at="2026-11-06 12:00"),
            dict(id=3, created_at="2026-11-04 09:00", disqualified_at="2026-11-05 12:00", disqualified_reason="Student"),
            dict(id=4, created_at="2026-11-10 09:00", mql_at="2026-11-11 09:00", disqualified_at="2026-11-12 09:00"),
            dict(id=5, created_at="2026-11-10 10:00", sql_at="2026-11-12 10:00", recycled_at="2026-11-18 10:00",
                 recycled_reason="Timing"),
            dict(id=6, created_at="2026-11-17 09:00", mql_at="2026-11-17 12:00"),
            dict(id=7, created_at="2026-11-03 11:00", mql_at="2026-11-03 12:00", disqualified_at="2026-11-04 12:00",
                 disqualified_reason="Student"),
        ],
        [dict(id=1, lead_id=1, created_at="2026-11-10 10:00", closed_at="2026-11-17 10:00", is_won=True,
              amount=1000, stage="won")],
    )


@pytest.fixture
def stages():
    return known_stages(hand_dataset(), HAND_AS_OF)


def pair_rows(frame, from_stage, to_stage):
    return frame[(frame["from_stage"] == from_stage) & (frame["to_stage"] == to_stage)].reset_index(drop=True)


# --- metric functions against hand-worked values ----------------------------------------

def test_stage_counts_per_week_with_won_leads(stages):
    """SPEC 2: leads W45 1,2,3,7 | W46 4,5 | W47 6; MQLs W45 1,7,2 | W46 4, 5 (inferred at its
    SQL date) | W47 6; SALs W45 1,2 | W46 5; SQLs W45 1 | W46 5; opportunity W46 1; won W47 1."""
    counts = stage_counts(stages, WEEKS, TZ, "week")
    assert counts.to_dict("list") == {
        "leads": [4, 2, 1], "mqls": [3, 2, 1], "sals": [2, 1, 0], "sqls": [1, 1, 0],
        "opportunities": [0, 1, 0], "won": [0, 0, 1],
    }


def test_stage_counts_of_a_date_range(stages):
    """Mon 9 - Sun 15 Nov: created 4, 5; MQL 4, 5; SAL 5; SQL 5; opportunity 1; won none."""
    start, end = local_range(dt.date(2026, 11, 9), dt.date(2026, 11, 15), TZ)
    assert (start, end) == (t("2026-11-09 00:00"), t("2026-11-16 00:00"))
    assert range_stage_counts(stages, start, end).to_dict() == {
        "lead": 2, "mql": 2, "sal": 1, "sql": 1, "opportunity": 1, "won": 0}


def test_median_lags_over_all_history(stages):
    """lead->MQL: 1 h, 1 h, 3 h, 1 d, 1 d, 2 d -> median (3 h + 1 d) / 2 = 0.5625 d;
    MQL->SAL: 1 d, 2.125 d, 0 -> 1 d; SAL->SQL: 2 d, 0 -> 1 d; SQL->opp 5 d; opp->won 7 d."""
    lags = median_lags(stages)
    assert lags.to_dict() == pytest.approx({
        "lead->mql": (3 / 24 + 1) / 2, "mql->sal": 1.0, "sal->sql": 1.0, "sql->opportunity": 5.0,
        "opportunity->won": 7.0,
    })


def test_cohort_conversion_of_every_pair_with_immature_cohorts(stages):
    """SPEC 3. MQL->SAL: W45 MQLs 1,2,7 of which 1,2 accepted = 2/3; W46 4,5 -> 5 = 1/2; W47 6 -> 0/1.
    W47 has not ended at as_of: immature (its time since the end is negative, under 1 day).
    Opportunity->won: W46's one opportunity won = 1/1 but only 4.5 days have passed since
    Mon 16 Nov 00:00, under the 7-day median lag: immature; W45 has no cohort (rate unknown)
    and 11.5 days since its end: mature."""
    rows = cohort_conversions(stages, WEEKS, TZ, "week", HAND_AS_OF)
    mql_sal = pair_rows(rows, "mql", "sal")
    assert mql_sal["numerator"].tolist() == [2, 1, 0]
    assert mql_sal["denominator"].tolist() == [3, 2, 1]
    assert mql_sal["rate"].tolist() == pytest.approx([2 / 3, 0.5, 0.0])
    assert mql_sal["immature"].tolist() == [False, False, True]
    won = pair_rows(rows, "opportunity", "won")
    assert won["denominator"].tolist() == [0, 1, 0]
    assert math.isnan(won["rate"][0]) and won["rate"][1] == 1.0
    assert won["immature"].tolist() == [False, True, True]
    assert len(rows) == 5 * 3  # five stage pairs, three weeks


def test_period_ratio_counts_different_leads(stages):
    """SPEC 4. SALs / MQLs of the same week: W45 2/3, W46 1/2, W47 0/1; opportunities / SQLs:
    W45 0/1, W46 1/1, W47 0/0 (unknown). Never marked immature."""
    rows = period_ratios(stage_counts(stages, WEEKS, TZ, "week"))
    mql_sal = pair_rows(rows, "mql", "sal")
    assert mql_sal["rate"].tolist() == pytest.approx([2 / 3, 0.5, 0.0])
    sql_opp = pair_rows(rows, "sql", "opportunity")
    assert sql_opp["rate"][:2].tolist() == [0.0, 1.0] and math.isnan(sql_opp["rate"][2])
    assert not rows["immature"].any()


def test_funnel_of_the_leads_created_in_a_range(stages):
    """All seven leads: 6 became MQL (all but 3), 3 SAL (1, 2, 5), 2 SQL (1, 5), 1 opportunity,
    1 won; each share is of the stage before: 6/7, 3/6, 2/3, 1/2, 1/1."""
    start, end = local_range(dt.date(2026, 11, 2), dt.date(2026, 11, 20), TZ)
    frame = range_funnel(stages, start, end)
    assert frame["leads"].tolist() == [7, 6, 3, 2, 1, 1]
    assert frame["share_of_previous"].tolist() == pytest.approx([1.0, 6 / 7, 0.5, 2 / 3, 0.5, 1.0])
    assert frame["share_of_first"].tolist() == pytest.approx([1.0, 6 / 7, 3 / 7, 2 / 7, 1 / 7, 1 / 7])


def test_funnel_of_a_range_without_leads_has_no_shares(stages):
    start, end = local_range(dt.date(2026, 10, 1), dt.date(2026, 10, 31), TZ)
    frame = range_funnel(stages, start, end)
    assert frame["leads"].tolist() == [0] * 6
    assert frame["share_of_previous"].isna().all() and frame["share_of_first"].isna().all()


def test_velocity_of_the_leads_arriving_in_a_range(stages):
    """SPEC 8, arrivals Mon 9 - Sun 15 Nov: MQL 4 (1 d) and 5 (2 d) -> 1.5 d; SAL 5 (0 d,
    inferred); SQL 5 (0 d); opportunity 1 (5 d from its SQL); nobody won that week."""
    start, end = local_range(dt.date(2026, 11, 9), dt.date(2026, 11, 15), TZ)
    frame = range_velocity(stages, start, end)
    assert frame["leads"].tolist() == [2, 1, 1, 1, 0]
    assert frame["median_days"][:4].tolist() == pytest.approx([1.5, 0.0, 0.0, 5.0])
    assert math.isnan(frame["median_days"][4])


def test_exits_by_reason_and_stage(stages):
    """Disqualified: "Student" twice (lead 3 as a lead, lead 7 as an MQL) and one with no reason
    (lead 4, an MQL); recycled: lead 5, "Timing"."""
    start, end = local_range(dt.date(2026, 11, 2), dt.date(2026, 11, 20), TZ)
    left = funnel.exits(stages, start, end)
    table = disqualified_by_reason(left)
    assert table.index.tolist() == ["Student", "(no reason given)"]
    assert table.columns.tolist() == ["lead", "mql", "total"]
    assert table.loc["Student"].tolist() == [1, 1, 2]
    assert table.loc["(no reason given)"].tolist() == [0, 1, 1]
    assert recycled_by_reason(left).to_dict() == {"Timing": 1}


def test_no_exits_give_empty_tables(stages):
    start, end = local_range(dt.date(2026, 10, 1), dt.date(2026, 10, 31), TZ)
    left = funnel.exits(stages, start, end)
    assert disqualified_by_reason(left).empty and recycled_by_reason(left).empty


def test_stuck_leads_by_stage(stages):
    """With MQL stuck after 2 days and SAL after 10: lead 6 has been an MQL for 3.0 days
    (17 Nov 12:00 to 20 Nov 12:00), lead 2 a SAL for 14.0 days (6 Nov 12:00); the won,
    disqualified and recycled leads are not open."""
    thresholds = {"mql": 2, "sal": 10}
    stuck = funnel.stuck(stages, HAND_AS_OF, thresholds)
    summary = stuck_by_stage(stuck, thresholds)
    assert summary.to_dict("list") == {
        "stage": ["mql", "sal"], "after_days": [2, 10], "leads": [1, 1], "median_days_in_stage": [3.0, 14.0]}


# --- the page's callbacks ---------------------------------------------------------------

def _month_kpis(settings):
    """`kpis --grain month` over the page's default range, 1 Jun - 20 Nov 2026."""
    from dashboard.data import dataset_for

    return compute_kpis(dataset_for(settings), settings.agreement(), "month", dt.date(2026, 6, 1),
                        dt.date(2026, 11, 20), AS_OF)


def test_summary_shows_the_stage_counts_of_kpis(demo_app, demo_settings):
    """With the default range (whole months June to November) the cards show the sum of
    `kpis --grain month`, and the per-month table's total row the same."""
    from dashboard.components import formatting

    page = tree.page("funnel")

    with demo_app.server.test_request_context():
        body = page.update_summary({"grain": "month"})
    months = _month_kpis(demo_settings)
    for stage, field in (("lead", "leads"), ("mql", "mqls"), ("sal", "sals"), ("sql", "sqls"),
                         ("opportunity", "opportunities")):
        expected = formatting.count(sum(row[field] for row in months))
        assert texts(find(body, page.STAGE_CARD.format(stage)))[1] == expected, stage
    counts = find(body, page.COUNTS_TABLE)
    rows = counts.children[1].children
    assert [texts(row)[0] for row in rows] == ["Jun 2026", "Jul 2026", "Aug 2026", "Sep 2026", "Oct 2026",
                                                "Nov 2026 (so far)", "Total of these dates"]
    assert texts(rows[-1])[2] == formatting.count(sum(row["mqls"] for row in months))
    link = find(body, page.STAGE_CARD.format("sql")).children[2].children
    assert link.href == "/leads?grain=month&stage=sql"  # the records behind the number
    figure = find(body, page.FUNNEL_GRAPH).figure
    assert figure.data[0].type == "funnel"
    assert list(figure.data[0].y) == ["Leads", "MQLs", "SALs", "SQLs", "Opportunities", "Won"]


def test_stage_names_carry_their_definitions(demo_app):
    page = tree.page("funnel")

    with demo_app.server.test_request_context():
        body = page.update_summary(None)
    label = find(body, page.STAGE_CARD.format("mql")).children[0].children
    assert label.children == "MQLs" and "ideal customer profile" in label.title
    won = find(body, page.STAGE_CARD.format("won")).children[0].children
    assert "first won deal" in won.title


def test_cohort_view_marks_immature_cohorts_and_the_ratio_view_is_labelled(demo_app):
    """The default view is cohorts with a hatched immature series and its legend note; the
    switch's other choice says it is a period ratio, and its chart has no immature bars."""
    from dashboard.components.funnel_charts import IMMATURE_NOTE

    page = tree.page("funnel")

    switch = find(page.layout(), page.CONVERSION_VIEW)
    assert switch.value == page.COHORT
    assert [o["label"].split(":")[0] for o in switch.options] == ["Cohort conversion", "Period ratio"]

    with demo_app.server.test_request_context():
        cohort = page.update_conversion(None, page.COHORT)
        ratio = page.update_conversion(None, page.PERIOD_RATIO)
    figure = find(cohort, page.CONVERSION_GRAPH).figure
    immature = [trace for trace in figure.data if trace.name == IMMATURE_NOTE]
    assert immature and all(trace.marker.pattern.shape == "/" for trace in immature)
    assert any(trace.showlegend for trace in immature)
    assert sum(len(trace.x) for trace in immature) >= 5  # at least the running week of each pair
    assert "immature" in " ".join(texts(cohort)).lower()

    ratio_figure = find(ratio, page.CONVERSION_GRAPH).figure
    assert not [trace for trace in ratio_figure.data if trace.name == IMMATURE_NOTE]
    assert {trace.name for trace in ratio_figure.data} == {"Period ratio"}
    assert "Period ratio, not a conversion" in " ".join(texts(ratio))


def test_conversion_target_is_drawn_when_the_agreement_sets_one(demo_app, demo_settings, tmp_path, monkeypatch):
    """A commitment on conv_lead_mql puts a dashed target over the lead -> MQL panel."""
    import dataclasses

    page = tree.page("funnel")

    path = agreement_file(tmp_path, (
        "commitments:\n",
        "commitments:\n  - id: lead_quality\n    team: marketing\n    metric: conv_lead_mql\n    target: 0.4\n"))
    from dashboard.application import SETTINGS_KEY

    monkeypatch.setitem(demo_app.server.config, SETTINGS_KEY, dataclasses.replace(demo_settings, sla_path=path))
    with demo_app.server.test_request_context():
        cohort = page.update_conversion(None, page.COHORT)
    targets = [trace for trace in find(cohort, page.CONVERSION_GRAPH).figure.data if trace.name == "Target"]
    assert len(targets) == 1 and set(targets[0].y) == {0.4} and targets[0].line.dash == "dash"


def test_details_count_exits_and_stuck_leads(demo_app, demo_settings):
    """The exit and stuck counts on the page are those of `funnel.exits` and `funnel.stuck`."""
    from dashboard.components import formatting
    from dashboard.data import dataset_for

    page = tree.page("funnel")

    with demo_app.server.test_request_context():
        body = page.update_details(None)
    stages = known_stages(dataset_for(demo_settings), AS_OF)
    start, end = local_range(dt.date(2026, 6, 1), dt.date(2026, 11, 20), TZ)
    left = funnel.exits(stages, start, end)
    totals = texts(find(body, page.EXIT_TOTALS))
    assert totals[0] == formatting.count(left.loc[left["kind"] == "disqualified", "leads"].sum())
    assert totals[2] == formatting.count(left.loc[left["kind"] == "recycled", "leads"].sum())
    stuck = funnel.stuck(stages, AS_OF, demo_settings.agreement().stuck_after_days)
    assert texts(find(body, page.STUCK_TOTAL))[0] == formatting.count(len(stuck))
    assert find(body, page.DISQUALIFIED_GRAPH).figure.layout.barmode == "stack"
    velocity = find(body, page.VELOCITY_GRAPH).figure
    assert len(velocity.data) == 5


@pytest.mark.parametrize("state", [
    {"grain": "day", "start": "2020-01-01", "end": "2020-01-31"},   # before any lead
    {"grain": "day", "start": "2026-11-20", "end": "2026-12-31"},   # mostly after as_of
    {"grain": "quarter", "start": "2026-11-20", "end": "2026-11-20"},
    {"grain": "week", "segments": ["No such segment"]},             # nothing matches the filter
])
def test_odd_ranges_and_filters_render_without_an_error(demo_app, state):
    page = tree.page("funnel")
    with demo_app.server.test_request_context():
        parts = [page.update_summary(state), page.update_conversion(state, page.COHORT),
                 page.update_conversion(state, page.PERIOD_RATIO), page.update_details(state)]
    shown = " ".join(texts(parts))
    assert "could not be computed" not in shown and "cannot be reached" not in shown


def test_empty_database_says_what_to_load(empty_settings):
    from dashboard.application import create_app

    app = create_app(empty_settings)
    page = tree.page("funnel")

    with app.server.test_request_context():
        assert "No data loaded yet" in texts(page.update_summary(None))
        assert "No data loaded yet." in texts(page.update_conversion(None, page.COHORT))
        assert page.update_details(None) is None
