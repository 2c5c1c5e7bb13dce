"""Data-quality rules for real exports' quirks: leads with no source, deals closed before their lead."""
from __future__ import annotations

import pandas as pd

from dashboard.metrics.quality import quality_report
from tests.factories import deals, leads, owners


def findings(lead_rows, deal_rows):
    report = quality_report(lead_rows, deal_rows, owners(), pd.DataFrame(), "EUR", {})
    return {f.rule: f for f in report}


def test_lead_without_source_is_apart_from_unknown():
    """Lead 1 has a source, 2 the literal "unknown" (a source), 3 none and 4 only blanks: 3 and 4 break it."""
    report = findings(leads(dict(id=1, created_at="2026-11-02 09:00", source="web"),
                            dict(id=2, created_at="2026-11-02 09:00", source="unknown"),
                            dict(id=3, created_at="2026-11-02 09:00", source=None),
                            dict(id=4, created_at="2026-11-02 09:00", source="  ")), deals())
    assert (report["lead_without_source"].count, report["lead_without_source"].examples) == (2, ("L3", "L4"))


def test_deal_closed_before_its_lead_was_created():
    """Deal 1 closes two days before lead 1 exists; deal 2 after lead 2; deal 3 is open; deal 4 has no lead."""
    lead_rows = leads(dict(id=1, created_at="2018-03-08 00:00", source="web"),
                      dict(id=2, created_at="2018-03-01 00:00", source="web"))
    deal_rows = deals(dict(id=1, lead_id=1, created_at="2018-03-06 19:38", closed_at="2018-03-06 19:38", is_won=True),
                      dict(id=2, lead_id=2, created_at="2018-03-06 19:38", closed_at="2018-03-06 19:38", is_won=True),
                      dict(id=3, lead_id=1, created_at="2018-03-01 10:00"),
                      dict(id=4, lead_id=None, created_at="2018-03-01 10:00", closed_at="2018-03-02 10:00",
                           is_won=False))
    report = findings(lead_rows, deal_rows)
    assert (report["deal_closed_before_lead"].count, report["deal_closed_before_lead"].examples) == (1, ("D1",))
    assert report["deal_closed_before_created"].count == 0
