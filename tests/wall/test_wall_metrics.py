"""The wall's figures from small hand-made frames: tiles, week changes, risks, breaches by rep, funnel."""
from __future__ import annotations

import math

import pandas as pd
import pytest

from dashboard.metrics.wall import breaches_by_rep, commitments_at_risk, funnel_to_date, horizon_tiles, week_changes

ORDER = ["mqls_c", "touch_c"]


def _row(horizon, commitment, metric, actual, target, status, previous=None, is_count=True, needed=None):
    return {"horizon": horizon, "id": commitment, "team": "marketing" if commitment == "mqls_c" else "sales",
            "metric": metric, "is_count": is_count, "actual": actual, "target": target, "expected": None,
            "required_per_day": needed, "status": status, "previous_same_point": previous}


@pytest.fixture
def board():
    return pd.DataFrame([
        _row("this_week", "touch_c", "response_sla_attainment", 0.5, 0.9, "behind", 0.75, is_count=False),
        _row("this_week", "mqls_c", "mqls", 12, 20, "at_risk", 9, needed=2.0),
        _row("last_week", "mqls_c", "mqls", 18, 20, "missed"),  # a finished week's result is final
        _row("last_week", "touch_c", "response_sla_attainment", 0.95, 0.9, "met", is_count=False),
        _row("this_month", "mqls_c", "mqls", 40, 80, "behind", 30, needed=4.5),
        _row("this_month", "touch_c", "response_sla_attainment", 0.8, 0.9, "at_risk", 0.85, is_count=False),
    ])


def test_wl001_tiles_follow_the_agreements_order(board):
    tiles = horizon_tiles(board, "this_week", ORDER)
    assert tiles["id"].tolist() == ["mqls_c", "touch_c"]
    assert tiles["actual"].tolist() == [12, 0.5]


def test_wl002_week_changes_against_last_week_at_the_same_point_and_last_weeks_result(board):
    changes = week_changes(board, ORDER).set_index("id")
    assert changes.loc["mqls_c", "change"] == 3  # 12 so far this week, 9 at the same point last week
    assert changes.loc["touch_c", "change"] == pytest.approx(-0.25)
    assert changes.loc["mqls_c", "last_week"] == 18
    assert changes.loc["touch_c", "last_week_status"] == "met"
    assert changes.loc["mqls_c", "last_week_status"] == "missed"


def test_wl003_risks_are_behind_first_then_at_risk_in_horizon_order(board):
    risks = commitments_at_risk(board)
    assert list(zip(risks["id"], risks["horizon"])) == [
        ("touch_c", "this_week"), ("mqls_c", "this_month"), ("mqls_c", "this_week"), ("touch_c", "this_month")]
    month_only = commitments_at_risk(board, ("this_month",))
    assert month_only["id"].tolist() == ["mqls_c", "touch_c"]
    assert month_only["required_per_day"].iloc[0] == 4.5


def test_wl004_breaches_by_rep_most_first_then_oldest():
    breaches = pd.DataFrame({
        "owner": ["Aino", "Bo", "Aino", "(unassigned)", "Bo", "Cai"],
        "age_hours": [5.0, 30.0, 12.0, 7.0, 6.0, 40.0],
    })
    table = breaches_by_rep(breaches)
    assert table.to_dict("list") == {
        "owner": ["Bo", "Aino", "Cai", "(unassigned)"],
        "breaches": [2, 2, 1, 1],
        "oldest_hours": [30.0, 12.0, 40.0, 7.0],
    }


def test_wl005_no_breaches_is_an_empty_table():
    table = breaches_by_rep(pd.DataFrame({"owner": [], "age_hours": []}))
    assert table.empty and list(table.columns) == ["owner", "breaches", "oldest_hours"]


def test_wl006_funnel_to_date_counts_stage_dates_in_the_window_against_the_same_point_before():
    t = pd.Timestamp
    stages = pd.DataFrame({
        "at_lead": [t("2026-11-02", tz="UTC"), t("2026-11-10", tz="UTC"), t("2026-10-05", tz="UTC"),
                    t("2026-10-25", tz="UTC")],
        "at_mql": [t("2026-11-03", tz="UTC"), None, t("2026-10-06", tz="UTC"), t("2026-11-01 01:00", tz="UTC")],
        "at_sal": [None, None, t("2026-10-07", tz="UTC"), None],
        "at_sql": [None] * 4, "at_opportunity": [None] * 4,
        "at_won": [None, None, t("2026-11-12", tz="UTC"), None],
    })
    funnel = funnel_to_date(stages, t("2026-11-01", tz="UTC"), t("2026-11-20", tz="UTC"),
                            t("2026-10-01", tz="UTC"), t("2026-10-20", tz="UTC")).set_index("stage")
    # November so far: leads 2 (02, 10 Nov), MQLs 2 (03 Nov and 01 Nov 01:00), won 1 (12 Nov).
    assert funnel["count"].to_dict() == {"lead": 2, "mql": 2, "sal": 0, "sql": 0, "opportunity": 0, "won": 1}
    # October up to the 20th: the lead of 05 Oct (not the one of 25 Oct), its MQL and SAL.
    assert funnel["previous"].to_dict() == {"lead": 1, "mql": 1, "sal": 1, "sql": 0, "opportunity": 0, "won": 0}
    assert math.isnan(funnel.loc["lead", "ratio_to_previous_stage"])
    assert funnel.loc["mql", "ratio_to_previous_stage"] == 1.0
    assert funnel.loc["sal", "ratio_to_previous_stage"] == 0.0
    assert math.isnan(funnel.loc["won", "ratio_to_previous_stage"])  # no opportunity to divide by


@pytest.mark.parametrize("status, text, css", [
    ("met", "✔ Met", "wall-status met"), ("missed", "✖ Missed", "wall-status missed"),
    ("at_risk", "▲ At risk", "wall-status at_risk"), (None, "… No data yet", "wall-status none"),
])
def test_wl_final_results_read_met_or_missed_on_the_wall(status, text, css):
    from dashboard.wall.views import _status

    span = _status(status)
    assert (span.children, span.className) == (text, css)
