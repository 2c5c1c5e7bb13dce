"""Response time, response SLA attainment and open breaches (SPEC 5).

An MQL's first response is the earliest of its first touch and a sales decision on it
(accepted: effective SAL date; rejected: disqualified_at; sent back: recycled_at): a lead
that sales disqualified without calling is responded to, not breaching. A response before
the MQL date counts as response time 0.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from dashboard.metrics.calendar import WorkCalendar, period_of
from dashboard.metrics.stages import AT, times_by_id

MET, MISSED, PENDING = "met", "missed", "pending"


def first_touches(mqls: pd.DataFrame, activities: pd.DataFrame) -> pd.Series:
    """Each MQL's first touch: first_touch_at, else its first sales activity at or after
    the MQL date."""
    sales = activities[(activities["team"] == "sales") & activities["lead_id"].notna()]
    sales = sales.merge(mqls[["id", AT["mql"]]], left_on="lead_id", right_on="id", suffixes=("", "_lead"))
    sales = sales[sales["occurred_at"] >= sales[AT["mql"]]]
    first_activity = sales.groupby("lead_id")["occurred_at"].min()
    from_activities = times_by_id(mqls["id"], first_activity).astype("datetime64[ns, UTC]")
    return mqls["first_touch_at"].fillna(from_activities)


# The sales decisions that are a response, by the column of their date in a stages frame.
DECISIONS = {AT["sal"]: "accepted", "disqualified_at": "rejected", "recycled_at": "recycled"}
TOUCH = "touch"


def first_responses(mqls: pd.DataFrame, touched_at: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Each MQL's first response (SPEC 5) and what it was: `touch`, `accepted`, `rejected` or
    `recycled` (a touch wins a tie, then the order of DECISIONS); NaT and None without one."""
    responded_at = touched_at.astype("datetime64[ns, UTC]")
    kind = pd.Series(TOUCH, index=mqls.index, dtype=object).where(touched_at.notna(), None)
    for column, name in DECISIONS.items():
        decided = mqls[column].astype("datetime64[ns, UTC]")
        earlier = decided.notna() & (responded_at.isna() | (decided < responded_at))
        responded_at = responded_at.mask(earlier, decided)
        kind = kind.mask(earlier, name)
    return responded_at, kind


def touch_times(mqls: pd.DataFrame, activities: pd.DataFrame, calendar: WorkCalendar) -> pd.DataFrame:
    """Per MQL (by the index of `mqls`): first touch, first response (touch or decision) and
    what it was, and response, routing and rep delay in working hours (rep delay runs from
    assigned_at to the first response); nothing here depends on as_of once the records are as
    known at it."""
    mql_at = mqls[AT["mql"]]
    touched_at = first_touches(mqls, activities)
    responded_at, kind = first_responses(mqls, touched_at)
    assigned = mqls["assigned_at"]
    rep_from = assigned.where(assigned > mql_at, mql_at)
    return pd.DataFrame({
        "first_touch_at": touched_at,
        "responded_at": responded_at,
        "response_by": kind,
        "response_hours": calendar.hours_between(mql_at, responded_at).clip(lower=0),
        "routing_hours": calendar.hours_between(mql_at, assigned).clip(lower=0),
        "rep_hours": calendar.hours_between(rep_from.where(assigned.notna()), responded_at).clip(lower=0),
    }, index=mqls.index)


def response_times(
    stages: pd.DataFrame, activities: pd.DataFrame, calendar: WorkCalendar, window_hours: float,
    as_of: pd.Timestamp, since: pd.Timestamp | None = None, until: pd.Timestamp | None = None,
    touches: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per MQL with its first touch, first response (`responded_at`, `response_by`),
    response, routing and rep delay in working hours (clock hours without working hours) and
    its outcome at `as_of`: met, missed or pending.

    `open_breach` marks an MQL with no response (no touch, no decision) past its window at
    `as_of`; one that got its response late is missed, never an open breach. `age_hours` is
    the time since the MQL date for the ones without a response. `since`/`until` keep only MQLs whose date is
    in [since, until) (a page's periods), so the work does not grow with older history.
    `touches`, the `touch_times` of these MQLs or more (by index), saves working them out.
    """
    in_range = stages[AT["mql"]].notna()
    if since is not None:
        in_range &= stages[AT["mql"]] >= since
    if until is not None:
        in_range &= stages[AT["mql"]] < until
    mqls = stages[in_range]
    mql_at = mqls[AT["mql"]]
    times = touch_times(mqls, activities, calendar) if touches is None else touches.loc[mqls.index]
    response = times["response_hours"]
    elapsed = calendar.hours_between(mql_at, pd.Series(pd.Timestamp(as_of), index=mqls.index))
    responded = times["responded_at"].notna()
    outcome = np.select(
        [responded & (response <= window_hours), responded, elapsed > window_hours],
        [MET, MISSED, MISSED],
        default=PENDING,
    )
    return pd.DataFrame({
        "lead_id": mqls["id"],
        "external_id": mqls["external_id"],
        "owner_id": mqls["owner_id"],
        "source": mqls["source"],
        "segment": mqls["segment"],
        "campaign_id": mqls["campaign_id"],
        "mql_at": mql_at,
        "assigned_at": mqls["assigned_at"],
        "first_touch_at": times["first_touch_at"],
        "responded_at": times["responded_at"],
        "response_by": times["response_by"],
        "response_hours": response,
        "routing_hours": times["routing_hours"],
        "rep_hours": times["rep_hours"],
        "outcome": outcome,
        "open_breach": ~responded & (elapsed > window_hours),
        "age_hours": elapsed.where(~responded),
    }, index=mqls.index)


def attainment_by_period(
    responses: pd.DataFrame, periods: pd.DatetimeIndex, tz, grain: str
) -> pd.DataFrame:
    """Per period of the MQL date: met, missed, pending, open breaches and the attainment
    met / (met + missed), NaN when no outcome is known yet."""
    period = period_of(responses["mql_at"], tz, grain)
    counts = pd.crosstab(period, responses["outcome"]).reindex(index=periods, columns=[MET, MISSED, PENDING], fill_value=0)
    breaches = responses["open_breach"].groupby(period).sum().reindex(periods, fill_value=0)
    known = counts[MET] + counts[MISSED]
    return pd.DataFrame({
        "response_met": counts[MET].astype(int),
        "response_missed": counts[MISSED].astype(int),
        "response_pending": counts[PENDING].astype(int),
        "open_breaches": breaches.astype(int),
        "response_sla_attainment": (counts[MET] / known.where(known > 0)).astype(float),
    }, index=periods)


def attainment_by(responses: pd.DataFrame, key: str) -> pd.DataFrame:
    """Attainment, median response and breaches grouped by a column (owner_id, source...)."""
    frame = responses.assign(
        met=responses["outcome"] == MET,
        known=responses["outcome"] != PENDING,
        pending=responses["outcome"] == PENDING,
    )
    grouped = frame.groupby(key, dropna=False)
    result = pd.DataFrame({
        "mqls": grouped.size(),
        "met": grouped["met"].sum(),
        "known": grouped["known"].sum(),
        "pending": grouped["pending"].sum(),
        "open_breaches": grouped["open_breach"].sum(),
        "median_response_hours": grouped["response_hours"].median(),
        "median_routing_hours": grouped["routing_hours"].median(),
        "median_rep_hours": grouped["rep_hours"].median(),
    })
    result["attainment"] = (result["met"] / result["known"].where(result["known"] > 0)).astype(float)
    return result.reset_index()
