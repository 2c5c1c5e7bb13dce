"""The Closed loop page's figures: the leads created in the date range, per campaign or per
source, and what became of them by as_of (MQLs, SQLs, won deals, revenue) against what the
campaigns cost in those dates (SPEC 10)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from dashboard.metrics.closed_loop_view import campaigns_in_view, cohort_leads, loop_table, loop_totals
from dashboard.reports.context import ReportContext
from dashboard.sla import Agreement

BY_CAMPAIGN, BY_SOURCE = "campaign", "source"


@dataclass(frozen=True)
class LoopReport:
    agreement: Agreement
    as_of: pd.Timestamp
    start: dt.date
    end: dt.date
    by: str  # BY_CAMPAIGN or BY_SOURCE
    is_empty: bool
    table: pd.DataFrame | None = None  # one row per campaign or source (closed_loop_view.LOOP_COLUMNS)
    totals: pd.Series | None = None  # the table's sums, ratios recomputed from them
    whole_campaign_costs: bool = False  # a segment, owner or team filter narrows the leads, not the spend


def closed_loop_report(context: ReportContext, by: str = BY_CAMPAIGN) -> LoopReport:
    """The loop of the leads created in the context's dates, per campaign (any other `by` than
    BY_SOURCE) or per source. A filtered view counts the cost of the campaigns it speaks of:
    those of its leads, and those its campaign and source filters name."""
    by = by if by in (BY_CAMPAIGN, BY_SOURCE) else BY_CAMPAIGN
    agreement, start, end = context.agreement, context.start, context.end
    base = dict(agreement=agreement, as_of=context.as_of, start=start, end=end, by=by, is_empty=context.is_empty)
    if context.is_empty:
        return LoopReport(**base)
    stages, known, narrowing = context.stages, context.known, context.filters.data_filters
    campaigns = known.campaigns
    whole_campaign_costs = False
    if not narrowing.is_empty:
        cohort = cohort_leads(stages, start, end, agreement.tz)
        campaigns = campaigns_in_view(campaigns, cohort["campaign_id"], narrowing.campaign_ids, narrowing.sources)
        whole_campaign_costs = bool(narrowing.segments or narrowing.owner_ids or narrowing.teams)
    table = loop_table(stages, known.deals, campaigns, by, start, end, agreement.tz, agreement.currency,
                       agreement.exchange_rates, costs=known.campaign_costs)
    return LoopReport(**base, table=table, totals=loop_totals(table), whole_campaign_costs=whole_campaign_costs)
