"""The Funnel page's figures: how many leads reach each stage in the date range and per period,
the conversion of every stage pair as cohorts or as period ratios, velocity, exits and the
leads stuck now (SPEC 1-4, 8)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from dashboard.metrics import funnel
from dashboard.metrics.calendar import period_end
from dashboard.metrics.funnel_views import (
    PAIRS,
    clipped_stage_counts,
    cohort_conversions,
    disqualified_by_reason,
    median_lags,
    period_ratios,
    range_funnel,
    range_stage_counts,
    range_velocity,
    recycled_by_reason,
    stage_counts,
    stuck_by_stage,
    velocity_by_period,
)
from dashboard.metrics.marketing import commitment_for
from dashboard.reports.context import ReportContext
from dashboard.reports.filters import ViewFilters
from dashboard.sla import Agreement

COHORT, PERIOD_RATIO = "cohort", "ratio"  # the two ways of showing conversion (SPEC 3, 4)


@dataclass(frozen=True)
class SummaryReport:
    agreement: Agreement
    filters: ViewFilters
    as_of: pd.Timestamp
    today: pd.Timestamp
    start: dt.date
    end: dt.date
    is_empty: bool
    totals: pd.Series | None = None  # leads reaching each stage in the range (funnel_views.range_stage_counts)
    range_funnel: pd.DataFrame | None = None  # the leads created in the range, stage by stage
    counts: pd.DataFrame | None = None  # stage counts per period, won included, clipped to the range
    first_clipped: dt.date | None = None  # the range's first day, when the first period starts before it
    last_clipped: dt.date | None = None  # the range's last day, when the last period ends after it


def summary_report(context: ReportContext) -> SummaryReport:
    """Stage totals of the date range, the funnel of its leads and the counts per period."""
    base = dict(agreement=context.agreement, filters=context.filters, as_of=context.as_of, today=context.today,
                start=context.start, end=context.end, is_empty=context.is_empty)
    if context.is_empty:
        return SummaryReport(**base)
    stages, (since, until), periods = context.stages, context.window(), context.periods()
    after_end = pd.Timestamp(context.end + dt.timedelta(days=1))
    return SummaryReport(
        **base,
        totals=range_stage_counts(stages, since, until),
        range_funnel=range_funnel(stages, since, until),
        counts=clipped_stage_counts(stages, periods, context.tz, context.grain, since, until),
        first_clipped=context.start if periods[0] < pd.Timestamp(context.start) else None,
        # a last period running past an end of today or later holds nothing after it yet: not cut
        last_clipped=(context.end if period_end(periods[-1], context.grain) > after_end
                      and context.end < context.today.date() else None),
    )


@dataclass(frozen=True)
class ConversionReport:
    kind: str  # COHORT or PERIOD_RATIO
    is_empty: bool
    conversions: pd.DataFrame | None = None  # long, one row per pair and period (funnel_views.CONVERSION_COLUMNS)
    lags: pd.Series | None = None  # the median days of each pair over all history, "from->to"
    targets: dict | None = None  # (from, to) -> the agreement's target, where it sets one
    not_recorded: tuple = ()  # (from, to) pairs the source does not record: null rates, said so


def conversion_report(context: ReportContext, kind: str = COHORT) -> ConversionReport:
    """The conversion of every stage pair per period: cohorts (SPEC 3), or period ratios
    (SPEC 4) when `kind` asks for them; any other kind gives cohorts."""
    kind = PERIOD_RATIO if kind == PERIOD_RATIO else COHORT
    if context.is_empty:
        return ConversionReport(kind, True)
    stages, periods, grain = context.stages, context.periods(), context.grain
    if kind == PERIOD_RATIO:
        conversions = period_ratios(stage_counts(stages, periods, context.tz, grain))
    else:
        conversions = cohort_conversions(stages, periods, context.tz, grain, context.as_of)
    targets = {}
    for pair in PAIRS:
        commitment = commitment_for(context.agreement, f"conv_{pair[0]}_{pair[1]}")
        if commitment is not None:
            targets[pair] = commitment.target_value
    unrecorded = tuple(pair for pair in PAIRS if f"conv_{pair[0]}_{pair[1]}" in context.dataset.not_recorded)
    if kind == COHORT and unrecorded:  # a cohort share the source cannot give is not shown as 100 %
        pairs = list(zip(conversions["from_stage"], conversions["to_stage"]))
        conversions = conversions.assign(rate=conversions["rate"].mask([pair in unrecorded for pair in pairs]))
    return ConversionReport(kind, False, conversions, median_lags(stages), targets,
                            unrecorded if kind == COHORT else ())


@dataclass(frozen=True)
class DetailsReport:
    grain: str
    is_empty: bool
    velocity: pd.DataFrame | None = None  # median days per pair and period (funnel_views.velocity_by_period)
    range_velocity: pd.DataFrame | None = None  # median days per pair over the range
    disqualified: pd.DataFrame | None = None  # reason x stage reached, with a total
    recycled: pd.Series | None = None  # leads recycled per reason
    stuck_summary: pd.DataFrame | None = None  # per stage with a threshold
    stuck_leads: pd.DataFrame | None = None  # every open lead stuck now, longest first (funnel.stuck)
    owner_names: dict | None = None  # owner id -> name


def details_report(context: ReportContext) -> DetailsReport:
    """Velocity, exits in the range and the leads stuck at as_of (whatever the dates)."""
    if context.is_empty:
        return DetailsReport(context.grain, True)
    stages, (since, until), agreement = context.stages, context.window(), context.agreement
    left = funnel.exits(stages, since, until)
    stuck = funnel.stuck(stages, context.as_of, agreement.stuck_after_days)
    owners = context.dataset.owners
    return DetailsReport(
        context.grain, False,
        velocity=velocity_by_period(stages, context.periods(), context.tz, context.grain),
        range_velocity=range_velocity(stages, since, until),
        disqualified=disqualified_by_reason(left),
        recycled=recycled_by_reason(left),
        stuck_summary=stuck_by_stage(stuck, agreement.stuck_after_days),
        stuck_leads=stuck,
        owner_names=dict(zip(owners["id"], owners["name"])),
    )
