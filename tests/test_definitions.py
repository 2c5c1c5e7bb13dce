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
from tests.factories import dataset, owners, t

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
