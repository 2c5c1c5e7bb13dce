"""What the report tests share: a small agreement of their own (not the shipped file) and a
context on a hand-made dataset, without an app, a database or a cache."""
from __future__ import annotations

import datetime as dt

import pandas as pd

from dashboard.reports.context import ReportContext
from dashboard.reports.filters import ViewFilters
from dashboard.sla import Agreement, parse_agreement
from queries.loaders import Dataset

# 21 working days in November 2026 (no holiday), so the MQL target is one a working day.
AGREEMENT_TEXT = """
name: Report test SLA
agreed_on: 2026-01-12
agreed_by: [Head of Marketing, Head of Sales]
timezone: Europe/Helsinki
currency: EUR
working_days: [mon, tue, wed, thu, fri]
working_hours: {start: "08:00", end: "16:00"}
definitions: {lead: a, mql: b, sal: c, sql: d, opportunity: e}
commitments:
  - {id: mql_volume, team: marketing, metric: mqls, target: {month: 21}}
  - {id: mql_acceptance, team: marketing, metric: acceptance_rate, target: 0.8}
  - {id: first_touch, team: sales, metric: response_sla_attainment, window_hours: 4, target: 0.9}
  - {id: lead_quality, team: marketing, metric: conv_lead_mql, target: 0.4}
stuck_after_days: {mql: 2, sal: 10}
"""
AGREEMENT = parse_agreement(AGREEMENT_TEXT)


def context(dataset: Dataset, as_of: pd.Timestamp, start: dt.date, end: dt.date, grain: str = "week",
            agreement: Agreement = AGREEMENT, **filters) -> ReportContext:
    """A report context on a hand-made dataset for the local dates start..end."""
    return ReportContext(dataset, agreement, as_of, ViewFilters(grain=grain, start=start, end=end, **filters))
