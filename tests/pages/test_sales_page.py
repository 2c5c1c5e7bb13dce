"""The sales page: its figures worked out by hand on tiny datasets, then its callbacks called as
plain functions on the demo database and compared with `kpis`."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from dashboard.metrics.calendar import WorkCalendar
from dashboard.metrics.deals import weighted_pipeline
from dashboard.metrics.kpis import commitment_table, kpi_table, periods_for
from dashboard.metrics.response import response_times
from dashboard.metrics.sales import (
    against_commitment,
    open_breach_list,
    pipeline_by_month,
    pipeline_by_stage,
    rep_response,
    response_distribution,
    response_summary,
    stage_order,
)
from dashboard.metrics.stages import as_known_at, effective_stages
from tests.agreements import agreement_file, agreement_mapping, frozen_agreement
from tests.demo_fixture import AS_OF
from tests.factories import dataset, deals, t
from tests.pages import tree
from tests.pages.tree import find, texts

AGREEMENT = frozen_agreement()  # 4-hour window, working hours 08:00-16:00, first-touch target 90 %
WINDOW = 4.0
DEMO_START, DEMO_END = dt.date(2026, 6, 1), dt.date(2026, 11, 20)  # the default range on 20 Nov 2026


# --- the figures, by hand ------------------------------------------------------------------
#
# Helsinki, working hours 08:00-16:00, window 4 working hours, as_of Fri 20 Nov 2026 12:00.
#   lead  owner          MQL             first touch       response    outcome
#   1     Anna (1)       Wed 18 09:00    Wed 18 09:00      0           met
#   2     Anna           Wed 18 09:00    Wed 18 09:30      0.5         met
#   3     Anna           Wed 18 09:00    Wed 18 09:31      31/60       met
#   4     Anna           Wed 18 09:00    Wed 18 13:00      4.0         met (equal to the window)
#   5     Anna           Wed 18 09:00    Wed 18 13:01      4 + 1/60    missed
#   6     Ben (2, left)  Wed 18 09:00    Fri 20 10:00      7 + 8 + 2   missed (17 h)
#   7     Ben            Wed 18 09:00    -                 -           missed, open breach: 7+8+4 = 19 h old
#   8     (nobody)       Fri 20 11:00    -                 -           pending (1 h old)
#   9     Cecilia (3)    Thu 19 10:00    Thu 19 10:30      0.5         met
# Lead 4 was assigned at 11:00 (routing 2, rep 2), lead 5 at 09:00 (routing 0, rep 4 + 1/60).

OWNERS = [dict(id=1, name="Anna", team="sdr"), dict(id=2, name="Ben", team="sdr", active=False),
          dict(id=3, name="Cecilia", team="sdr")]


def _lead(lead_id, owner, mql, touch=None, assigned=None, **extra):
    return dict(id=lead_id, owner_id=owner, created_at=mql, mql_at=mql, first_touch_at=touch, assigned_at=assigned,
                source="webinar", segment="SMB", **extra)


LEADS = [
    _lead(1, 1, "2026-11-18 09:00", "2026-11-18 09:00"),
    _lead(2, 1, "2026-11-18 09:00", "2026-11-18 09:30"),
    _lead(3, 1, "2026-11-18 09:00", "2026-11-18 09:31"),
    _lead(4, 1, "2026-11-18 09:00", "2026-11-18 13:00", assigned="2026-11-18 11:00"),
    _lead(5, 1, "2026-11-18 09:00", "2026-11-18 13:01", assigned="2026-11-18 09:00"),
    _lead(6, 2, "2026-11-18 09:00", "2026-11-20 10:00"),
    dict(_lead(7, 2, "2026-11-18 09:00"), source="paid_search", segment="Enterprise"),
    _lead(8, None, "2026-11-20 11:00"),
    _lead(9, 3, "2026-11-19 10:00", "2026-11-19 10:30"),
]


@pytest.fixture(scope="module")
def responses():
    data = dataset(LEADS, owner_rows=OWNERS)
    known = as_known_at(data, t("2026-11-20 12:00"))
    stages = effective_stages(known.leads, known.deals)
    return response_times(stages, known.activities, WorkCalendar.from_agreement(AGREEMENT), WINDOW, t("2026-11-20 12:00"))


@pytest.fixture(scope="module")
def owners():
    return dataset(owner_rows=OWNERS).owners


def test_response_distribution_bins_half_hours_and_keeps_the_window_in_time(responses):
    """Bins of 0.5 h hold (start, end]: 0 and 0.5 h in the first, 31 min in the second, exactly
    4 h in the last bin inside the window, 4 h 1 min in the first late one, 17 h in the overflow
    (over 16 h); untouched leads 7 and 8 are in no bin."""
    bins = response_distribution(responses, WINDOW)
    assert len(bins) == 33  # 32 bins of 0.5 h up to 16 h, then the overflow
    counted = {i: n for i, n in enumerate(bins["mqls"]) if n}
    assert counted == {0: 3, 1: 1, 7: 1, 8: 1, 32: 1}  # lead 9's 0.5 h joins leads 1 and 2
    assert bins.loc[7, ["bin_start", "bin_end"]].tolist() == [3.5, 4.0]
    assert bins["within_window"].tolist() == [True] * 8 + [False] * 25
    assert bins["overflow"].tolist() == [False] * 32 + [True]
    assert bins.loc[32, "bin_start"] == 16.0


def test_response_summary_counts_outcomes_and_the_median_of_responded(responses):
    """met 1,2,3,4,9 = 5; missed 5,6,7 = 3; pending 8; attainment 5/8; median of the seven
    touched (0, 0.5, 0.5, 31/60, 4, 4 1/60, 17) is 31/60 h."""
    summary = response_summary(responses)
    assert {k: summary[k] for k in ("mqls", "met", "missed", "pending", "open_breaches", "responded")} == \
        {"mqls": 9, "met": 5, "missed": 3, "pending": 1, "open_breaches": 1, "responded": 7}
    assert summary["attainment"] == 5 / 8
    assert summary["median_response_hours"] == pytest.approx(31 / 60)


def test_rep_response_puts_the_rep_furthest_behind_first(responses, owners):
    """Ben: 0 of 2 in time, 0.9 x 2 - 0 = 1.8 touches short -> first. Anna: 4 of 5 = 80 %
    (under 81 %, 90 % of the target: behind), 0.9 x 5 - 4 = 0.5 short. Cecilia 1 of 1, ahead.
    The unassigned lead 8 is pending: no attainment, last. Anna's routing delays 2 and 0
    (median 1), rep delays 2 and 4 1/60 (median 3 1/120)."""
    reps = rep_response(responses, owners, 0.9)
    assert reps["name"].tolist() == ["Ben (inactive)", "Anna", "Cecilia", "(unassigned)"]
    assert reps["met"].tolist() == [0, 4, 1, 0] and reps["known"].tolist() == [2, 5, 1, 0]
    assert reps["attainment"].tolist()[:3] == [0.0, 0.8, 1.0] and np.isnan(reps["attainment"].iloc[3])
    assert reps["status"].tolist() == ["behind", "behind", "ahead", None]
    assert reps["shortfall"].tolist() == pytest.approx([1.8, 0.5, 0.0, 0.0])
    assert reps["open_breaches"].tolist() == [1, 0, 0, 0] and reps["pending"].tolist() == [0, 0, 0, 1]
    anna = reps.iloc[1]
    assert (anna["routed"], anna["median_routing_hours"], anna["median_rep_hours"]) == \
        (2, pytest.approx(1.0), pytest.approx((2 + 4 + 1 / 60) / 2))


def test_open_breach_list_names_the_lead_owner_and_age(responses, owners):
    """Only lead 7 is untouched past its window: Ben's, 19 working hours old."""
    breaches = open_breach_list(responses, owners)
    assert breaches[["lead_id", "external_id", "owner", "source", "segment"]].values.tolist() == \
        [[7, "L7", "Ben (inactive)", "paid_search", "Enterprise"]]
    assert breaches.iloc[0]["age_hours"] == pytest.approx(19.0)
    assert breaches.iloc[0]["mql_at"] == t("2026-11-18 09:00")


def test_inputs_are_left_untouched(responses, owners):
    before = responses.copy()
    rep_response(responses, owners, 0.9), open_breach_list(responses, owners), response_distribution(responses, WINDOW)
    pd.testing.assert_frame_equal(responses, before)


def test_against_commitment_takes_the_metric_s_target_or_none():
    """SQLs 3 and 5 in two weeks against 10 and 12; win rate has no commitment: NaN target."""
    periods = pd.DatetimeIndex(["2026-11-09", "2026-11-16"])
    kpis = pd.DataFrame({"sqls": [3, 5], "win_rate": [0.5, np.nan]}, index=periods)
    scored = pd.DataFrame({"period_start": list(periods), "id": ["sql_volume"] * 2, "metric": ["sqls"] * 2,
                           "target": [10.0, 12.0], "status": ["behind", "at_risk"]})
    sqls = against_commitment(kpis, scored, "sqls", ("sqls",))
    assert sqls.to_dict("list") == {"period_start": list(periods), "sqls": [3, 5], "target": [10.0, 12.0],
                                    "status": ["behind", "at_risk"]}
    wins = against_commitment(kpis, scored, "win_rate", ("win_rate",))
    assert wins["target"].isna().all() and wins["status"].isna().all()


def test_against_commitment_matches_the_commitment_table():
    """On real kpis: October's SQL target is the agreement's 120 a month."""
    periods = pd.DatetimeIndex(["2026-10-01"])
    kpis = kpi_table(dataset(), AGREEMENT, "month", periods, t("2026-11-20 12:00"))
    frame = against_commitment(kpis, commitment_table(kpis, AGREEMENT, "month", t("2026-11-20 12:00")), "sqls", ("sqls",))
    assert frame[["sqls", "status"]].values.tolist() == [[0, "missed"]]  # October is over: final (SPEC 9)
    assert frame["target"].iloc[0] == pytest.approx(120.0)  # 22 working days x 120/22


def test_pipeline_by_month_folds_past_months_into_overdue_and_orders_stages():
    """As of November 2026, open deals: 1 discovery €1,000 due in October and 5 proposal €4,000
    (own probability 50 %) due in September are overdue; 2 proposal €2,000 (60 %) in November,
    3 discovery €3,000 (default 10 %) in December; 4 in a stage the agreement does not know,
    no close date, no probability (weighted unknown). Deal 6 is won: not in the pipeline."""
    open_deals = deals(
        dict(id=1, stage="discovery", amount=1000, expected_close_on="2026-10-15", created_at="2026-09-01 10:00"),
        dict(id=2, stage="proposal", amount=2000, probability=0.6, expected_close_on="2026-11-30", created_at="2026-09-01 10:00"),
        dict(id=3, stage="discovery", amount=3000, expected_close_on="2026-12-10", created_at="2026-09-01 10:00"),
        dict(id=4, stage="custom", amount=500, created_at="2026-09-01 10:00"),
        dict(id=5, stage="proposal", amount=4000, probability=0.5, expected_close_on="2026-09-01", created_at="2026-08-01 10:00"),
        dict(id=6, stage="closed_won", amount=9000, is_won=True, closed_at="2026-11-02 10:00",
             expected_close_on="2026-11-01", created_at="2026-08-01 10:00"),
    )
    pipeline = weighted_pipeline(open_deals, "EUR", {}, AGREEMENT.stage_probabilities)
    order = stage_order(pipeline["stage"], AGREEMENT.stage_probabilities)
    assert order == ["discovery", "proposal", "custom"]
    by_month = pipeline_by_month(pipeline, pd.Timestamp("2026-11-01"), order)
    assert by_month[["bucket", "stage", "deals", "amount"]].values.tolist() == [
        ["overdue", "discovery", 1, 1000.0], ["overdue", "proposal", 1, 4000.0],
        ["2026-11-01", "proposal", 1, 2000.0], ["2026-12-01", "discovery", 1, 3000.0], ["no_date", "custom", 1, 500.0],
    ]
    assert by_month["weighted"].tolist()[:4] == pytest.approx([100.0, 2000.0, 1200.0, 300.0])
    assert np.isnan(by_month["weighted"].iloc[4])
    by_stage = pipeline_by_stage(pipeline, order)
    assert by_stage[["stage", "deals", "amount"]].values.tolist() == [
        ["discovery", 2, 4000.0], ["proposal", 2, 6000.0], ["custom", 1, 500.0]]
    assert by_stage["weighted"].tolist()[:2] == pytest.approx([400.0, 3200.0])


def test_pipeline_of_no_open_deals_is_empty():
    pipeline = weighted_pipeline(deals(), "EUR", {}, AGREEMENT.stage_probabilities)
    assert pipeline_by_month(pipeline, pd.Timestamp("2026-11-01"), []).empty
    assert pipeline_by_stage(pipeline, []).empty


# --- the page on the demo database ---------------------------------------------------------

def _demo_kpis(settings, filters=None):
    """kpi_table by week for the page's default dates, as `kpis` computes it."""
    from dashboard.data import dataset_for
    from queries.loaders import Filters

    data = dataset_for(settings, filters or Filters())
    agreement = settings.agreement()
    return kpi_table(data, agreement, "week", periods_for("week", DEMO_START, DEMO_END), AS_OF), agreement


def test_breach_count_and_grid_match_kpis(demo_app, demo_settings):
    """The heading's count is the sum of `kpis`' open_breaches over the weeks shown, the grid has
    one row per breach, longest waiting first, each linking to its lead."""
    page = tree.page("sales")

    with demo_app.server.test_request_context():
        body = page.update_response(None)
    kpis, _ = _demo_kpis(demo_settings)
    expected = int(kpis["open_breaches"].sum())
    assert expected > 0
    assert texts(find(body, page.BREACH_COUNT)) == [f"{expected:,}"]
    rows = find(body, page.BREACH_GRID).rowData
    assert len(rows) == expected
    assert [r["age_hours"] for r in rows] == sorted((r["age_hours"] for r in rows), reverse=True)
    first = rows[0]
    assert first["lead"].endswith(f"](/leads?lead={first['lead_id']})")
    assert first["age_text"].endswith(" h") and first["owner"]
    assert find(body, page.BREACH_LINK).href == "/leads?breach=1"


def test_response_figures_show_the_window_and_the_target(demo_app, demo_settings):
    """The histogram has the 4-hour window line, the per-rep chart the 90 % target line, and
    the summary line the range's attainment as `kpis`' met / (met + missed)."""
    from dashboard.components import formatting
    page = tree.page("sales")

    with demo_app.server.test_request_context():
        body = page.update_response(None)
    histogram = find(body, page.HISTOGRAM).figure
    window = [trace for trace in histogram.data if trace.name == "Window 4 h"]
    assert len(window) == 1 and list(window[0].x) == [4, 4]
    bars = [trace for trace in histogram.data if trace.type == "bar"]
    kpis, _ = _demo_kpis(demo_settings)
    met, missed = int(kpis["response_met"].sum()), int(kpis["response_missed"].sum())
    assert sum(sum(bar.y) for bar in bars) > 0
    reps = find(body, page.REP_GRAPH).figure
    target = [trace for trace in reps.data if trace.name == "Target 90%"]
    assert len(target) == 1 and list(target[0].x) == [0.9, 0.9]
    assert formatting.rate(met / (met + missed)) in texts(find(body, page.RESPONSE_SUMMARY))
    delay = find(body, page.DELAY_GRAPH).figure
    assert {trace.name for trace in delay.data} >= {"Routing delay (MQL → assigned)", "Rep delay (assigned → first response)"}


def test_a_source_filter_narrows_the_breaches(demo_app, demo_settings):
    """With source=organic_search the count is `kpis`' for those leads and the link to the
    leads grid keeps the filter; webinar leads have no breach: a calm, green heading and no grid."""
    page = tree.page("sales")
    from queries.loaders import Filters

    with demo_app.server.test_request_context():
        organic = page.update_response({"sources": ["organic_search"]})
        webinar = page.update_response({"sources": ["webinar"]})
    kpis, _ = _demo_kpis(demo_settings, Filters(sources=("organic_search",)))
    expected = int(kpis["open_breaches"].sum())
    everyone = int(_demo_kpis(demo_settings)[0]["open_breaches"].sum())
    assert 0 < expected < everyone
    assert texts(find(organic, page.BREACH_COUNT)) == [f"{expected:,}"]
    assert {row["source"] for row in find(organic, page.BREACH_GRID).rowData} == {"organic search"}
    assert find(organic, page.BREACH_LINK).href == "/leads?source=organic_search&breach=1"

    assert int(_demo_kpis(demo_settings, Filters(sources=("webinar",)))[0]["open_breaches"].sum()) == 0
    assert texts(find(webinar, page.BREACH_COUNT)) == ["0"]
    assert "breach-section clear" in find(webinar, page.BREACHES).className
    assert find(webinar, page.BREACH_GRID) is None
    assert "Every MQL of these dates has been touched or decided on, or is still inside its window." in texts(webinar)


def test_period_charts_show_kpis_figures_and_targets(demo_app, demo_settings):
    """SQL bars are `kpis`' sqls per week with the SQL target line; win rate has no target in the
    agreement, so no target line and a note saying so; the pipeline adds up."""
    page = tree.page("sales")

    with demo_app.server.test_request_context():
        body = page.update_periods(None)
    kpis, agreement = _demo_kpis(demo_settings)
    sqls = find(body, page.SQL_GRAPH).figure
    bar = next(trace for trace in sqls.data if trace.type == "bar")
    assert list(bar.y) == kpis["sqls"].tolist()
    target = next(trace for trace in sqls.data if trace.name == "Target")
    scored = commitment_table(kpis, agreement, "week", AS_OF)
    expected = scored[scored["id"] == "sql_volume"]["target"].tolist()
    assert list(target.y) == pytest.approx(expected)
    wins = find(body, page.WIN_RATE_GRAPH).figure
    assert [trace.name for trace in wins.data] == ["Win rate"]
    assert "The agreement sets no win-rate target." in " ".join(texts(body))
    decisions = find(body, page.DECISIONS_GRAPH).figure
    accepted = next(trace for trace in decisions.data if trace.name == "Accepted (SAL)")
    assert list(accepted.y) == kpis["accepted"].tolist()
    assert any(trace.name == "Acceptance target" for trace in decisions.data)
    pipeline = find(body, page.PIPELINE_GRAPH).figure
    assert any(trace.name == "Weighted (× probability)" for trace in pipeline.data)
    from dashboard.components import formatting
    from dashboard.data import dataset_for

    open_now = weighted_pipeline(as_known_at(dataset_for(demo_settings), AS_OF).deals, "EUR", {},
                                 agreement.stage_probabilities)
    assert texts(find(body, page.PIPELINE_TOTAL)) == [
        formatting.money(open_now["amount"].sum()), " open in ", f"{open_now['deals'].sum():,}", " deals · ",
        formatting.money(open_now["weighted"].sum()), " weighted"]


def test_empty_database_says_what_to_load(empty_settings):
    from dashboard.application import create_app

    app = create_app(empty_settings)
    page = tree.page("sales")

    with app.server.test_request_context():
        assert "No data loaded yet" in texts(page.update_response(None))
        assert page.update_periods(None) is None


def test_an_agreement_without_a_response_window_says_so(demo_settings, tmp_path):
    """No first-touch commitment: no breaches to count, a sentence instead; the rest still draws."""
    from dashboard.application import create_app
    from dashboard.settings import Settings

    kept = [c for c in agreement_mapping()["commitments"] if c["id"] != "first_touch"]
    agreement = agreement_file(tmp_path, commitments=kept)
    settings = Settings(database_url=demo_settings.database_url, sla_path=agreement, as_of=AS_OF)
    assert settings.agreement().response_window_hours is None
    app = create_app(settings)
    page = tree.page("sales")

    with app.server.test_request_context():
        body = page.update_response(None)
        periods = page.update_periods(None)
    assert find(body, page.BREACH_COUNT) is None
    assert any("sets no response window" in text for text in texts(body))
    assert find(periods, page.SQL_GRAPH) is not None
