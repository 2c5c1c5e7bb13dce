"""The data-quality report on a hand-made dataset, without Dash: every record counts, whatever
as_of, and each example links to the lead that shows it.

As of Fri 20 Nov 2026 12:00, in Helsinki time, all leads from source "web":
  lead 1  created 1 Nov, accepted (SAL 2 Nov) before it was an MQL (3 Nov)
  lead 2  created 1 Nov, only an SQL date (5 Nov): MQL and SAL inferred; deal 1 (-500) makes
          its opportunity inferred too
  lead 3  owned by inactive owner 9, names a campaign nobody loaded
  lead 4  created 1 Dec, after as_of, only an SQL date (2 Dec): MQL and SAL inferred
  lead 5  MQL 2 Nov, disqualified 3 Nov without a reason (an SLA violation); a recycled reason
          without a recycled date
  deal 2  linked to no lead; activity 7 names a lead nobody loaded
"""
from __future__ import annotations

import datetime as dt

import pandas as pd

from dashboard.reports.quality import data_quality_report
from tests.factories import dataset, t
from tests.reports.helpers import context

AS_OF = t("2026-11-20 12:00")
UNRESOLVED = pd.DataFrame([
    {"table_name": "leads", "record_id": 3, "field": "campaign_id", "target_table": "campaigns",
     "target_external_id": "C404"},
    {"table_name": "activities", "record_id": 7, "field": "lead_id", "target_table": "leads",
     "target_external_id": "L404"},
])


def records():
    return dataset(
        [
            dict(id=1, created_at="2026-11-01 09:00", mql_at="2026-11-03 10:00", sal_at="2026-11-02 10:00",
                 source="web"),
            dict(id=2, created_at="2026-11-01 09:00", sql_at="2026-11-05 10:00", source="web"),
            dict(id=3, created_at="2026-11-01 09:00", owner_id=9, source="web"),
            dict(id=4, created_at="2026-12-01 09:00", sql_at="2026-12-02 10:00", source="web"),
            dict(id=5, created_at="2026-11-02 09:00", mql_at="2026-11-02 10:00", disqualified_at="2026-11-03 10:00",
                 recycled_reason="Timing", source="web"),
        ],
        [dict(id=1, lead_id=2, created_at="2026-11-06 10:00", amount=-500.0),
         dict(id=2, lead_id=None, created_at="2026-11-06 10:00", amount=100.0)],
        owner_rows=[dict(id=9, name="Gone", team="sdr", active=False)],
    )


def report():
    return data_quality_report(context(records(), AS_OF, dt.date(2026, 11, 1), dt.date(2026, 11, 20)), UNRESOLVED)


def test_rq001_every_record_counts_whatever_as_of():
    """Lead 4 lies after as_of and still counts among the inferred MQLs and SALs; lead 5's
    rejection without a reason is found though its recycled reason has no date."""
    findings = {f.rule: f for f in report().findings}
    broken = {rule: f.count for rule, f in findings.items() if f.count}
    assert broken == {"out_of_order_sal": 1, "inferred_mql": 2, "inferred_sal": 2, "inferred_opportunity": 1,
                      "inactive_owner": 1, "rejected_without_reason": 1, "negative_amount": 1,
                      "deal_without_lead": 1, "unknown_campaign": 1, "unknown_lead": 1}
    assert findings["inferred_mql"].record_ids == (2, 4)
    assert findings["rejected_without_reason"].record_ids == (5,)


def test_rq002_the_summary_counts_each_record_once():
    """12 findings on 8 records: leads 1-5, deals 1 and 2, activity 7; 10 of the 26 rules."""
    assert report().summary == {"rules": 29, "rules_with_findings": 10, "findings": 12, "records": 8}


def test_rq003_examples_link_to_their_lead():
    """A lead links to itself, a deal to its lead, a deal without one and an activity to nothing."""
    links = report().links
    assert links["inferred_mql"] == [("L2", 2), ("L4", 4)]
    assert links["negative_amount"] == [("D1", 2)]
    assert links["deal_without_lead"] == [("D2", None)]
    assert links["unknown_campaign"] == [("leads/3: campaign_id=C404", 3)]
    assert links["unknown_lead"] == [("activities/7: lead_id=L404", None)]
    assert "duplicate_external_id_leads" not in links  # clean rules have no examples


def test_rq004_no_records_no_report():
    empty = data_quality_report(context(dataset(), AS_OF, dt.date(2026, 11, 1), dt.date(2026, 11, 20)), UNRESOLVED)
    assert empty.is_empty and empty.findings == ()
