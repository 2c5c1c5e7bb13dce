"""The Marketing page's figures: leads and MQLs per period against the MQL target, this month's
cumulative pace, where the leads come from (source, campaign, segment), and whether sales
accepts them and why not (SPEC 2, 6, 9)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from dashboard.metrics import acceptance
from dashboard.metrics.calendar import period_end, period_start
from dashboard.metrics.funnel_views import stage_counts
from dashboard.metrics.marketing import (
    against_target,
    breakdown,
    commitment_for,
    cumulative_pacing,
    month_pace,
    rejections_in_range,
    totals,
)
from dashboard.metrics.targets import (
    NO_SLICE_TARGET,
    commitment_daily_targets,
    commitment_rate_target,
    period_target,
)
from dashboard.reports.context import ReportContext
from dashboard.reports.filters import ViewFilters
from dashboard.sla import Agreement

BREAKDOWN_BY = ("source", "campaign", "segment")
DAY = pd.Timedelta(days=1)


@dataclass(frozen=True)
class MarketingReport:
    agreement: Agreement
    filters: ViewFilters
    as_of: pd.Timestamp
    today: pd.Timestamp
    start: dt.date
    end: dt.date
    is_empty: bool
    sums: dict | None = None  # the range's leads, MQLs, decisions and acceptance (metrics.marketing.totals)
    mql_target: float | None = None  # the MQL target of the range; None: the agreement sets none
    acceptance_target: float | None = None
    volume: pd.DataFrame | None = None  # leads and MQLs per period with the MQL target and status
    current_period: pd.Timestamp | None = None  # the period holding today
    pacing: pd.DataFrame | None = None  # this month's MQLs and target per day, cumulated
    pace: dict | None = None  # this month at as_of (SPEC 9); None without an MQL target
    acceptance_by_period: pd.DataFrame | None = None
    reasons: pd.DataFrame | None = None  # rejection reasons of the range's MQLs
    breakdowns: dict[str, pd.DataFrame] | None = None  # by source, campaign and segment
    not_recorded: frozenset[str] = frozenset()  # rates the source does not record (acceptance: no rejections)

    @property
    def is_filtered(self) -> bool:
        """The records are narrowed (segment, source, ...): the targets are the slice's, or none."""
        return not self.filters.data_filters.is_empty

    def no_target_words(self, kind: str) -> str:
        """What stands where a target would: the slice has none, or the agreement sets none."""
        return NO_SLICE_TARGET if self.is_filtered else f"the agreement sets no {kind} target"


def marketing_report(context: ReportContext) -> MarketingReport:
    """Every figure of the marketing page for the context's records, dates and instant."""
    agreement, today, start, end, grain = context.agreement, context.today, context.start, context.end, context.grain
    base = dict(agreement=agreement, filters=context.filters, as_of=context.as_of, today=today, start=start,
                end=end, is_empty=context.is_empty)
    if context.is_empty:
        return MarketingReport(**base)
    calendar, as_of, (since, until) = context.calendar, context.as_of, context.window()
    mql_commitment = commitment_for(agreement, "mqls")
    acceptance_commitment = commitment_for(agreement, "acceptance_rate")

    kpis = context.kpis()
    view = context.view
    scored = context.scored(kpis)
    scored = scored[scored["id"].isin([c.id for c in (mql_commitment, acceptance_commitment) if c])]

    stages = context.stages
    decided = acceptance.decisions(stages)
    breakdowns = {by: breakdown(stages, decided, by, since, until, context.dataset.campaigns) for by in BREAKDOWN_BY}
    month = period_start(today, "month")
    month_end = period_end(month, "month")
    days = pd.date_range(month, month_end - DAY, freq="D")
    daily_mqls = stage_counts(stages, days, context.tz, "day")["mqls"]
    month_targets = (commitment_daily_targets(agreement, mql_commitment.id, calendar, month, month_end, view)
                     if mql_commitment is not None else pd.Series(float("nan"), index=days))
    month_has_target = period_target(month_targets, calendar) is not None
    pacing = cumulative_pacing(daily_mqls, month_targets.fillna(0.0), today)
    end_exclusive = pd.Timestamp(end) + DAY
    range_targets = (commitment_daily_targets(agreement, mql_commitment.id, calendar, start, end_exclusive, view)
                     if mql_commitment is not None else None)
    mql_target = period_target(range_targets, calendar) if range_targets is not None else None
    acceptance_target = (commitment_rate_target(agreement, acceptance_commitment.id, start, end_exclusive, today, view)
                         if acceptance_commitment else None)
    unrecorded = context.dataset.not_recorded
    sums = totals(breakdowns["segment"])
    if "acceptance_rate" in unrecorded:  # never a perfect score the source cannot give
        sums = {**sums, "acceptance_rate": None}
        for frame in breakdowns.values():
            if "acceptance_rate" in frame.columns:
                frame["acceptance_rate"] = float("nan")
    return MarketingReport(
        **base,
        not_recorded=unrecorded,
        sums=sums,
        mql_target=mql_target,
        acceptance_target=acceptance_target,
        volume=against_target(kpis, scored, mql_commitment and mql_commitment.id, ("leads", "mqls")),
        current_period=period_start(today, grain),
        pacing=pacing,
        pace=month_pace(pacing, calendar, as_of) if mql_commitment is not None and month_has_target else None,
        acceptance_by_period=against_target(kpis, scored, acceptance_commitment and acceptance_commitment.id,
                                            ("acceptance_rate", "accepted", "rejected")),
        reasons=rejections_in_range(decided, since, until),
        breakdowns=breakdowns,
    )
