"""The wall screen's figures: the scoreboard of this week and this month as tiles, the weekly
meeting's summary, the month's funnel against last month at the same point, the open response
breaches by rep and the closed loop by source of the last 12 months. `dashboard/wall/views.py`
lays them out; only the views a playlist names are worked out.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from dashboard.metrics.calendar import period_start
from dashboard.metrics.closed_loop_view import loop_table, loop_totals
from dashboard.metrics.sales import open_breach_list
from dashboard.metrics.scoreboard import same_point_before, scoreboard
from dashboard.metrics.wall import breaches_by_rep, commitments_at_risk, funnel_to_date, horizon_tiles, week_changes
from dashboard.reports.context import ReportContext

VIEWS = ("meeting", "week", "month", "funnel", "breaches", "loop")


@dataclass(frozen=True)
class WallReport:
    """Each asked view's figures; a view not asked for leaves its fields None."""

    views: tuple[str, ...]
    currency: str
    window_hours: float | None  # the response window; None: the agreement sets none
    week: pd.DataFrame | None = None  # this week's tiles (metrics.wall.horizon_tiles)
    month: pd.DataFrame | None = None  # this month's tiles; the meeting shows them too
    changes: pd.DataFrame | None = None  # the meeting: this week against last week (week_changes)
    risks: pd.DataFrame | None = None  # the meeting: behind or at risk this month
    reps: pd.DataFrame | None = None  # the meeting and breaches: open breaches per rep
    breaches: int | None = None  # the open breaches in all
    funnel: pd.DataFrame | None = None  # this month so far against last month to the same point
    loop: pd.DataFrame | None = None  # per source: the leads of the last 12 months
    loop_totals: pd.Series | None = None  # every source together
    not_recorded: frozenset[str] = frozenset()  # rates the source does not record: "not recorded", not "–"


def wall_report(context: ReportContext, views: tuple[str, ...] = VIEWS) -> WallReport:
    """The figures of the named views for the context's records, as known at its as_of.

    The breaches are those of the MQLs of the context's date range: the pages' default (the
    last six months to today) for the wall's unfiltered context, so it counts what the Sales
    page lists."""
    agreement, as_of, asked = context.agreement, context.as_of, set(views)
    order = [commitment.id for commitment in agreement.commitments]
    month_first = period_start(context.today, "month")
    figures: dict = {}
    if asked & {"meeting", "week", "month"}:
        board = scoreboard(context.dataset, agreement, as_of, shared=context.settled_frames)
        if "week" in asked:
            figures["week"] = horizon_tiles(board, "this_week", order)
        if asked & {"meeting", "month"}:
            figures["month"] = horizon_tiles(board, "this_month", order)
        if "meeting" in asked:
            figures["changes"] = week_changes(board, order)
            figures["risks"] = commitments_at_risk(board, ("this_month",))
    if asked & {"meeting", "breaches"}:
        responses = context.responses(*context.window())
        breaches = (pd.DataFrame(columns=["owner", "age_hours"]) if responses is None
                    else open_breach_list(responses, context.known.owners))
        figures["reps"] = breaches_by_rep(breaches)
        figures["breaches"] = int(figures["reps"]["breaches"].sum()) if len(figures["reps"]) else 0
    if "funnel" in asked:
        today = context.today.date()
        month_start, _ = context.window(month_first.date(), today)
        previous_start, _ = context.window((month_first - pd.DateOffset(months=1)).date(), today)
        figures["funnel"] = funnel_to_date(context.stages, month_start, as_of, previous_start,
                                           same_point_before(as_of, "month", agreement.tz))
    if "loop" in asked:
        first = (month_first - pd.DateOffset(months=11)).date()
        known, today = context.known, context.today.date()
        figures["loop"] = loop_table(context.stages, known.deals, known.campaigns, "source", first, today,
                                     agreement.tz, agreement.currency, agreement.exchange_rates,
                                     costs=known.campaign_costs)
        figures["loop_totals"] = loop_totals(figures["loop"])
    return WallReport(tuple(views), agreement.currency, agreement.response_window_hours, **figures,
                      not_recorded=context.dataset.not_recorded)
