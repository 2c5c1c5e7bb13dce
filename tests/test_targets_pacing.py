"""Pacing as revised (SPEC 9): expected-so-far from each day's own target, and a finished
period's final result, met or missed, for counts and rates.

The frozen agreement: 400 MQLs a month (300 in December 2026), 90 % first touch, Mon-Fri
08:00-16:00 in Helsinki. October 2026 has 22 working days, November 21, December 21 (24 and
25 Dec are holidays).
"""
from __future__ import annotations

import pandas as pd
import pytest

from dashboard.metrics.kpis import commitment_table
from dashboard.metrics.pacing import count_pacing, rate_pacing
from tests.agreements import frozen_agreement
from tests.factories import t

AGREEMENT = frozen_agreement()


def kpi_rows(rows: dict[str, dict]) -> pd.DataFrame:
    """A kpi table by hand: counts default to 0, rates to unknown."""
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.index = pd.DatetimeIndex(frame.index)
    for column in ("mqls", "sqls", "deals_won", "revenue_won"):
        frame[column] = frame[column].fillna(0) if column in frame else 0
    for column in ("acceptance_rate", "response_sla_attainment"):
        if column not in frame:
            frame[column] = float("nan")
    return frame


def row(scored: pd.DataFrame, start: str, commitment: str) -> pd.Series:
    return scored[(scored["period_start"] == pd.Timestamp(start)) & (scored["id"] == commitment)].iloc[0]


def test_a_quarter_with_a_december_override_expects_what_october_and_november_owed():
    """Q4 2026 at Thu 10 Dec 12:00: October owed 400 and November 400 in full; December's days
    carry 300/21 each, 7 of them gone (1-4, 7-9 Dec) and half of the 10th: 7.5 x 300/21 =
    107.142857. Expected = 907.142857, not the quarter's 1,100 x e = 1,100 x 50.5/64 = 867.97
    an even spread gives. Projected stays the run-rate 850 x 64/50.5 = 1,077.23: 97.9 % of
    1,100, at risk; needed (1,100 - 850) / (64 - 50.5) = 18.518519 a day."""
    table = kpi_rows({"2026-10-01": {"mqls": 850}})
    scored = row(commitment_table(table, AGREEMENT, "quarter", t("2026-12-10 12:00")), "2026-10-01", "mql_volume")
    assert scored["target"] == pytest.approx(1100)
    assert scored["expected"] == pytest.approx(800 + 7.5 * 300 / 21)
    assert scored["projected"] == pytest.approx(850 * 64 / 50.5)
    assert scored["required_per_day"] == pytest.approx(250 / 13.5)
    assert scored["status"] == "at_risk"


def test_a_finished_week_is_met_or_missed_never_at_risk():
    """Each November week has 5 working days of 400/21: 95.238. At Fri 20 Nov 12:00 the weeks of
    2 and 9 November are over: 96 is met; 86 is missed (it would have read "at risk", being
    above 90 % of 95.24 = 85.71). The week of 16 November runs, 4.5 of 5 days gone: expected
    85.714, and 80 projects to 88.89, 93.3 % of the target: at risk. The week of 23 November
    has not begun: expected 0, no projection, no status."""
    table = kpi_rows({"2026-11-02": {"mqls": 96, "response_sla_attainment": 0.95},
                      "2026-11-09": {"mqls": 86, "response_sla_attainment": 0.85},
                      "2026-11-16": {"mqls": 80, "response_sla_attainment": 0.85},
                      "2026-11-23": {"mqls": 0}})
    scored = commitment_table(table, AGREEMENT, "week", t("2026-11-20 12:00"))
    met, missed = row(scored, "2026-11-02", "mql_volume"), row(scored, "2026-11-09", "mql_volume")
    assert met["target"] == pytest.approx(5 * 400 / 21) and met["status"] == "met"
    assert missed["status"] == "missed"
    assert missed["expected"] == pytest.approx(5 * 400 / 21) and missed["required_per_day"] is None
    running = row(scored, "2026-11-16", "mql_volume")
    assert running["expected"] == pytest.approx(4.5 * 400 / 21)
    assert running["projected"] == pytest.approx(80 / 0.9)
    assert running["status"] == "at_risk"
    later = row(scored, "2026-11-23", "mql_volume")
    assert (later["expected"], later["projected"], later["status"]) == (0, None, None)

    # First touch, a rate against 90 %: 95 % met, 85 % missed once over; 85 % while the week
    # runs is at risk (at least 81 %); no figure gives no outcome.
    assert row(scored, "2026-11-02", "first_touch")["status"] == "met"
    assert row(scored, "2026-11-09", "first_touch")["status"] == "missed"
    assert row(scored, "2026-11-16", "first_touch")["status"] == "at_risk"
    assert row(scored, "2026-11-23", "first_touch")["status"] is None


@pytest.mark.parametrize("actual, target, state, status", [
    (400, 400, "after", "met"), (399, 400, "after", "missed"), (0, 0, "after", "met"),
    (10, 400, "before", None), (10, None, "during", None), (10, None, "after", None),
])
def test_count_outcomes(actual, target, state, status):
    assert count_pacing(actual, target, 21, 21, state)["status"] == status


def test_a_count_without_a_target_has_no_expected_projected_or_needed():
    assert count_pacing(100, None, 10, 21, "during") == {
        "actual": 100, "target": None, "expected": None, "projected": None, "required_per_day": None,
        "status": None}


@pytest.mark.parametrize("actual, target, state, status", [
    (0.8, 0.8, "after", "met"), (0.7999, 0.8, "after", "missed"), (None, 0.8, "after", None),
    (0.9, 0.8, "before", None), (0.75, 0.8, "during", "at_risk"), (0.9, None, "during", None),
])
def test_rate_outcomes(actual, target, state, status):
    assert rate_pacing(actual, target, state)["status"] == status
