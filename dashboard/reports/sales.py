"""The Sales page's figures: the open breaches to act on now, response time against the window
per rep with routing apart from rep delay (SPEC 5), acceptance decisions, SQLs and win rate
per period against their targets, and the open pipeline."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from types import SimpleNamespace

import pandas as pd

from dashboard.metrics.calendar import period_start
from dashboard.metrics.deals import weighted_pipeline
from dashboard.metrics.sales import (
    against_commitment,
    open_breach_list,
    pipeline_by_month,
    pipeline_by_stage,
    rep_response,
    response_distribution,
    response_summary,
    stage_order,
)
from dashboard.metrics.targets import commitment_rate_target, view_slice
from dashboard.reports.context import ReportContext
from dashboard.reports.filters import ViewFilters
from dashboard.sla import Agreement


@dataclass(frozen=True)
class ResponseReport:
    agreement: Agreement
    filters: ViewFilters
    as_of: pd.Timestamp
    start: dt.date
    end: dt.date
    is_empty: bool
    window: float | None  # the response window in hours; None: the agreement sets none
    target: float | None = None
    breaches: pd.DataFrame | None = None
    summary: dict | None = None
    distribution: pd.DataFrame | None = None
    reps: pd.DataFrame | None = None
    not_recorded: frozenset[str] = frozenset()  # rates the source does not record (first touch: no touches)


def response_report(context: ReportContext) -> ResponseReport:
    """The breaches and response figures of the MQLs of the date range."""
    agreement, window = context.agreement, context.agreement.response_window_hours
    base = dict(agreement=agreement, filters=context.filters, as_of=context.as_of, start=context.start,
                end=context.end, is_empty=context.is_empty, window=window)
    if context.is_empty or window is None:
        return ResponseReport(**base)
    responses = context.responses(*context.window())
    # The view's slice's target, of the version in force on the range's last day (today while it runs).
    target = commitment_rate_target(agreement, agreement.response_commitment.id, context.start,
                                    context.end + dt.timedelta(days=1), context.today, context.view)
    summary = response_summary(responses)
    reps = rep_response(responses, context.known.owners, target, rep_targets(context))
    unrecorded = context.dataset.not_recorded
    if "response_sla_attainment" in unrecorded:  # no touch is ever recorded: no attainment to show
        summary = {**summary, "attainment": None}
        reps = reps.assign(attainment=float("nan"), status=pd.Series([None] * len(reps), index=reps.index,
                                                                     dtype=object))
    return ResponseReport(
        **base, target=target,
        breaches=open_breach_list(responses, context.known.owners),
        summary=summary,
        distribution=response_distribution(responses, window),
        reps=reps,
        not_recorded=unrecorded,
    )


def rep_targets(context: ReportContext) -> dict:
    """Each rep's own first-touch target where the agreement gives their owner slice one (a
    per-rep quota, SPEC "Targets per slice"), for the company-wide view; none otherwise."""
    agreement = context.agreement
    commitment = agreement.response_commitment
    if commitment is None or not context.view.is_company:
        return {}
    found = {}
    for owner_id in context.known.owners["id"]:
        view = view_slice(SimpleNamespace(owner_ids=(owner_id,)), context.known.owners)
        quota = commitment_rate_target(agreement, commitment.id, context.start, context.end + dt.timedelta(days=1),
                                       context.today, view)
        if quota is not None:
            found[owner_id] = quota
    return found


@dataclass(frozen=True)
class PeriodsReport:
    agreement: Agreement
    grain: str
    is_empty: bool
    decisions: pd.DataFrame | None = None
    sqls: pd.DataFrame | None = None
    wins: pd.DataFrame | None = None
    pipeline_by_month: pd.DataFrame | None = None
    pipeline_by_stage: pd.DataFrame | None = None
    stage_order: list[str] | None = None
    not_recorded: frozenset[str] = frozenset()  # rates the source does not record (acceptance, win rate)


def periods_report(context: ReportContext) -> PeriodsReport:
    """Acceptance, SQLs and win rate per period of the range, and the pipeline open now."""
    agreement = context.agreement
    if context.is_empty:
        return PeriodsReport(agreement, context.grain, True)
    kpis = context.kpis()
    scored = context.scored(kpis)
    pipeline = weighted_pipeline(context.known.deals, agreement.currency, agreement.exchange_rates,
                                 agreement.stage_probabilities)
    order = stage_order(pipeline["stage"], agreement.stage_probabilities)
    return PeriodsReport(
        agreement, context.grain, False,
        decisions=against_commitment(kpis, scored, "acceptance_rate",
                                     ("accepted", "rejected", "undecided", "acceptance_rate")),
        sqls=against_commitment(kpis, scored, "sqls", ("sqls",)),
        wins=against_commitment(kpis, scored, "win_rate", ("win_rate", "deals_won", "deals_lost")),
        pipeline_by_month=pipeline_by_month(pipeline, period_start(context.today, "month"), order),
        pipeline_by_stage=pipeline_by_stage(pipeline, order),
        stage_order=order,
        not_recorded=context.dataset.not_recorded,
    )
