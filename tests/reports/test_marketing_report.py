"""The marketing report on a hand-made dataset, without Dash, worked out by hand.

In Helsinki time, as of Fri 20 Nov 2026 12:00 (working hours 08-16, so half of that day has
gone); the test agreement's 21 MQLs a month are one a working day in November:

  lead  created        MQL            then                          source       campaign  segment
  1     Mon 2 Nov      Mon 2 Nov      SAL Tue 3 Nov (accepted)      paid_search  -         SMB
  2     Tue 3 Nov      Wed 4 Nov      SAL Fri 6 Nov (accepted)      paid_search  -         SMB
  3     Wed 4 Nov      -              disqualified "Student"        webinar      10        Enterprise
  4     Tue 10 Nov     Wed 11 Nov     rejected, blank reason        webinar      10        SMB
  5     Tue 10 Nov     Thu 12 Nov*    SQL Thu 12 Nov (*inferred)    (none)       -         Enterprise
  6     Tue 17 Nov     Tue 17 Nov     undecided                     paid_search  -         SMB
  7     Tue 3 Nov      Tue 3 Nov      rejected "Student"            webinar      10        SMB
"""
from __future__ import annotations

import datetime as dt
import math

import pytest

from dashboard.reports.marketing import marketing_report
from dashboard.sla import parse_agreement
from tests.factories import dataset, t
from tests.reports.helpers import AGREEMENT_TEXT, context

AS_OF = t("2026-11-20 12:00")
RANGE = dict(start=dt.date(2026, 11, 2), end=dt.date(2026, 11, 20))


def hand_dataset():
    return dataset(
        [
            dict(id=1, created_at="2026-11-02 09:00", mql_at="2026-11-02 10:00", sal_at="2026-11-03 10:00",
                 source="paid_search", segment="SMB"),
            dict(id=2, created_at="2026-11-03 09:00", mql_at="2026-11-04 09:00", sal_at="2026-11-06 12:00",
                 source="paid_search", segment="SMB"),
            dict(id=3, created_at="2026-11-04 09:00", disqualified_at="2026-11-05 12:00", disqualified_reason="Student",
                 source="webinar", campaign_id=10, segment="Enterprise"),
            dict(id=4, created_at="2026-11-10 09:00", mql_at="2026-11-11 09:00", disqualified_at="2026-11-12 09:00",
                 disqualified_reason="  ", source="webinar", campaign_id=10, segment="SMB"),
            dict(id=5, created_at="2026-11-10 10:00", sql_at="2026-11-12 10:00", segment="Enterprise"),
            dict(id=6, created_at="2026-11-17 09:00", mql_at="2026-11-17 12:00", source="paid_search", segment="SMB"),
            dict(id=7, created_at="2026-11-03 11:00", mql_at="2026-11-03 12:00", disqualified_at="2026-11-04 12:00",
                 disqualified_reason="Student", source="webinar", campaign_id=10, segment="SMB"),
        ],
        campaign_rows=[dict(id=10, name="Webinar series", channel="webinar", cost=1000)],
    )


def test_rm001_totals_and_targets_of_the_range():
    """2-20 Nov: 7 leads, 6 MQLs (all but 3); accepted 1, 2 and 5, rejected 4 (no reason) and
    7, 6 undecided -> 3/5. MQL target: 15 working days at one a day; acceptance 80 %."""
    report = marketing_report(context(hand_dataset(), AS_OF, **RANGE))
    assert report.sums == {"leads": 7, "mqls": 6, "accepted": 3, "rejected": 2, "undecided": 1,
                           "rejected_without_reason": 1, "acceptance_rate": 0.6}
    assert report.mql_target == 15.0 and report.acceptance_target == 0.8
    assert not report.is_filtered


def test_rm002_per_week_against_the_targets():
    """Leads W45 1, 2, 3, 7 | W46 4, 5 | W47 6; MQLs 3, 2, 1 against five working days each.
    Acceptance by the MQL's week: W45 1 and 2 of 1, 2, 7 -> 2/3; W46 5 of 4, 5 -> 1/2; W47
    nothing decided."""
    report = marketing_report(context(hand_dataset(), AS_OF, **RANGE))
    assert report.volume["leads"].tolist() == [4, 2, 1]
    assert report.volume["mqls"].tolist() == [3, 2, 1]
    assert report.volume["target"].tolist() == [5.0, 5.0, 5.0]
    rates = report.acceptance_by_period["acceptance_rate"].tolist()
    assert rates[:2] == pytest.approx([2 / 3, 0.5]) and math.isnan(rates[2])
    assert report.current_period == t("2026-11-16 00:00").tz_convert("Europe/Helsinki").tz_localize(None)


def test_rm003_this_months_pace():
    """Six MQLs by Fri 20 Nov 12:00 with 14.5 of November's 21 working days gone: expected 14.5,
    projected 6 / (14.5 / 21), 15 still needed over the 6.5 days left -> behind."""
    report = marketing_report(context(hand_dataset(), AS_OF, **RANGE))
    assert report.pace["actual"] == 6.0 and report.pace["target"] == 21.0
    assert report.pace["expected"] == pytest.approx(14.5)
    assert report.pace["projected"] == pytest.approx(6 * 21 / 14.5)
    assert report.pace["required_per_day"] == pytest.approx(15 / 6.5)
    assert report.pace["status"] == "behind"
    assert len(report.pacing) == 30 and report.pacing["cumulative_mqls"].max() == 6.0


def test_rm004_where_the_leads_come_from_and_why_sales_rejects():
    """paid_search MQLs 1, 2, 6; webinar 4, 7; no source 5. By campaign: the webinar series
    has 3, 4, 7. Rejections: lead 7 "Student", lead 4 without a reason (a violation)."""
    report = marketing_report(context(hand_dataset(), AS_OF, **RANGE))
    source = report.breakdowns["source"]
    assert source["group"].tolist() == ["paid_search", "webinar", "(no source)"]
    assert source["mqls"].tolist() == [3, 2, 1]
    assert report.breakdowns["campaign"]["group"].tolist() == ["(no campaign)", "Webinar series"]
    reasons = report.reasons.set_index("reason")
    assert reasons["rejections"].to_dict() == {"Student": 1, "(no reason given)": 1}
    assert reasons["violation"].to_dict() == {"Student": False, "(no reason given)": True}


def test_rm005_without_an_mql_target_there_is_no_pace():
    text = AGREEMENT_TEXT.replace("  - {id: mql_volume, team: marketing, metric: mqls, target: {month: 21}}\n", "")
    report = marketing_report(context(hand_dataset(), AS_OF, agreement=parse_agreement(text), **RANGE))
    assert report.mql_target is None and report.pace is None
    assert report.volume["target"].isna().all()
    assert report.sums["mqls"] == 6


def test_rm006_a_filtered_view_says_so_and_an_empty_one_is_empty():
    assert marketing_report(context(hand_dataset(), AS_OF, segments=("SMB",), **RANGE)).is_filtered
    empty = marketing_report(context(dataset(), AS_OF, **RANGE))
    assert empty.is_empty and empty.sums is None
