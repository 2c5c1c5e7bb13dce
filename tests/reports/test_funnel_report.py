"""The funnel report on a hand-made dataset, without Dash: what each of the page's three
parts shows, worked out by hand.

In Helsinki time, by ISO week (W45 = Mon 2 Nov, W46 = Mon 9 Nov, W47 = Mon 16 Nov 2026):

  lead 1  created Mon 2 Nov 09:00, MQL 10:00, SAL Tue 3 Nov 10:00, SQL Thu 5 Nov 10:00,
          opportunity (and its deal) Tue 10 Nov 10:00, deal won Tue 17 Nov 10:00
  lead 2  created Tue 3 Nov 09:00, MQL Wed 4 Nov 09:00, SAL Fri 6 Nov 12:00, still open
  lead 3  created Wed 4 Nov 09:00, disqualified Thu 5 Nov 12:00 "Student" (never an MQL)
  lead 7  created Tue 3 Nov 11:00, MQL 12:00, disqualified Wed 4 Nov 12:00 "Student"
  lead 4  created Tue 10 Nov 09:00, MQL Wed 11 Nov 09:00, disqualified Thu 12 Nov 09:00, no reason
  lead 5  created Tue 10 Nov 10:00, SQL Thu 12 Nov 10:00 (MQL and SAL inferred then, SPEC 1),
          recycled Wed 18 Nov 10:00 "Timing"
  lead 6  created Tue 17 Nov 09:00, MQL 12:00, still open, owned by rep 1
"""
from __future__ import annotations

import datetime as dt

import pytest

from dashboard.reports.funnel import COHORT, PERIOD_RATIO, conversion_report, details_report, summary_report
from tests.factories import dataset, t
from tests.reports.helpers import context

AS_OF = t("2026-11-20 12:00")
NOVEMBER = dict(start=dt.date(2026, 11, 2), end=dt.date(2026, 11, 20))


def hand_dataset():
    return dataset(
        [
            dict(id=1, created_at="2026-11-02 09:00", mql_at="2026-11-02 10:00", sal_at="2026-11-03 10:00",
                 sql_at="2026-11-05 10:00", opportunity_at="2026-11-10 10:00"),
            dict(id=2, created_at="2026-11-03 09:00", mql_at="2026-11-04 09:00", sal_at="2026-11-06 12:00"),
            dict(id=3, created_at="2026-11-04 09:00", disqualified_at="2026-11-05 12:00",
                 disqualified_reason="Student"),
            dict(id=4, created_at="2026-11-10 09:00", mql_at="2026-11-11 09:00", disqualified_at="2026-11-12 09:00"),
            dict(id=5, created_at="2026-11-10 10:00", sql_at="2026-11-12 10:00", recycled_at="2026-11-18 10:00",
                 recycled_reason="Timing"),
            dict(id=6, created_at="2026-11-17 09:00", mql_at="2026-11-17 12:00", owner_id=1),
            dict(id=7, created_at="2026-11-03 11:00", mql_at="2026-11-03 12:00", disqualified_at="2026-11-04 12:00",
                 disqualified_reason="Student"),
        ],
        [dict(id=1, lead_id=1, created_at="2026-11-10 10:00", closed_at="2026-11-17 10:00", is_won=True,
              amount=1000, stage="won")],
        owner_rows=[dict(id=1, name="Rep One")],
    )


def test_rf001_summary_counts_the_range_and_each_week():
    """2-20 Nov: all 7 leads created, 6 MQLs (all but 3), SALs 1, 2 and 5 (inferred), SQLs 1
    and 5, lead 1's opportunity and won deal. Per week: leads 4, 2, 1; MQLs 3, 2, 1; won
    only in W47."""
    report = summary_report(context(hand_dataset(), AS_OF, **NOVEMBER))
    assert not report.is_empty
    assert report.totals.to_dict() == {"lead": 7, "mql": 6, "sal": 3, "sql": 2, "opportunity": 1, "won": 1}
    assert report.counts["leads"].tolist() == [4, 2, 1]
    assert report.counts["mqls"].tolist() == [3, 2, 1]
    assert report.counts["won"].tolist() == [0, 0, 1]
    assert report.range_funnel["leads"].tolist() == [7, 6, 3, 2, 1, 1]
    assert (report.start, report.end) == (dt.date(2026, 11, 2), dt.date(2026, 11, 20))


def test_rf002_summary_knows_only_what_was_known_at_as_of():
    """As of Wed 11 Nov 12:00, 2-11 Nov: lead 6 does not exist yet, lead 5's SQL (and so its
    inferred MQL and SAL) lies ahead, lead 4 is an MQL since 09:00 and lead 1's deal is open."""
    report = summary_report(context(hand_dataset(), t("2026-11-11 12:00"), dt.date(2026, 11, 2),
                                    dt.date(2026, 11, 11)))
    assert report.totals.to_dict() == {"lead": 6, "mql": 4, "sal": 2, "sql": 1, "opportunity": 1, "won": 0}
    assert report.counts["leads"].tolist() == [4, 2]


def test_rf003_conversion_as_cohorts_with_the_agreements_target():
    """MQL->SAL cohorts: W45 MQLs 1, 2, 7 of which 1 and 2 accepted; W46 4 and 5, 5 accepted;
    W47 6, undecided. The agreement's conv_lead_mql target of 40 % belongs to lead->MQL; the
    MQL->SAL median lag is 1 day (1 d, 2.125 d, 0), opportunity->won 7 days."""
    report = conversion_report(context(hand_dataset(), AS_OF, **NOVEMBER), COHORT)
    rows = report.conversions
    mql_sal = rows[(rows["from_stage"] == "mql") & (rows["to_stage"] == "sal")]
    assert mql_sal["numerator"].tolist() == [2, 1, 0]
    assert mql_sal["denominator"].tolist() == [3, 2, 1]
    assert report.targets == {("lead", "mql"): 0.4}
    assert report.lags["mql->sal"] == pytest.approx(1.0)
    assert report.lags["opportunity->won"] == pytest.approx(7.0)
    assert report.kind == COHORT


def test_rf004_period_ratio_on_request_and_cohorts_otherwise():
    """SALs / MQLs of the same week: 2/3, 1/2, 0/1; a kind the page does not know gives cohorts."""
    ratio = conversion_report(context(hand_dataset(), AS_OF, **NOVEMBER), PERIOD_RATIO)
    rows = ratio.conversions
    mql_sal = rows[(rows["from_stage"] == "mql") & (rows["to_stage"] == "sal")]
    assert mql_sal["rate"].tolist() == pytest.approx([2 / 3, 0.5, 0.0])
    assert not rows["immature"].any() and ratio.kind == PERIOD_RATIO
    assert conversion_report(context(hand_dataset(), AS_OF, **NOVEMBER), "no such view").kind == COHORT


def test_rf005_details_velocity_exits_and_stuck_leads():
    """Velocity lead->MQL over 2-20 Nov: 1 h (1), 1 d (2), 1 h (7), 1 d (4), 2 d (5), 3 h (6) ->
    median (3 h + 1 d) / 2 = 0.5625 d. Disqualified: "Student" twice (3 as a lead, 7 as an MQL),
    4 with no reason; recycled: 5, "Timing". Stuck (MQL after 2 days, SAL after 10): lead 2 a
    SAL for 14.0 days, lead 6 an MQL for 3.0."""
    report = details_report(context(hand_dataset(), AS_OF, **NOVEMBER))
    lead_mql = report.range_velocity.iloc[0]
    assert (lead_mql["from_stage"], lead_mql["leads"]) == ("lead", 6)
    assert lead_mql["median_days"] == pytest.approx(0.5625)
    assert report.disqualified["total"].to_dict() == {"Student": 2, "(no reason given)": 1}
    assert report.recycled.to_dict() == {"Timing": 1}
    assert report.stuck_leads["lead_id"].tolist() == [2, 6]
    assert report.stuck_leads["days_in_stage"].tolist() == [14.0, 3.0]
    assert report.stuck_summary["leads"].tolist() == [1, 1]
    assert report.owner_names == {1: "Rep One"}


def test_rf006_an_empty_dataset_gives_empty_reports():
    empty = context(dataset(), AS_OF, **NOVEMBER)
    assert summary_report(empty).is_empty and summary_report(empty).totals is None
    assert conversion_report(empty).is_empty and details_report(empty).is_empty
