"""Funnel counts, conversions, velocity and exits (SPEC 2, 3, 4, 8).

Inputs are the frame of `stages.effective_stages` (as known at `as_of`); periods are local
dates of the agreement's time zone, given as a DatetimeIndex of period starts.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from dashboard.metrics.calendar import local_midnight, period_end, period_of
from dashboard.metrics.stages import AT, STAGES

FLOW_FIELDS = {"lead": "leads", "mql": "mqls", "sal": "sals", "sql": "sqls", "opportunity": "opportunities"}
CONVERSIONS = (("lead", "mql"), ("mql", "sql"), ("sql", "won"))
DAY = pd.Timedelta(days=1)


def _count_by_period(instants: pd.Series, periods: pd.DatetimeIndex, tz, grain: str) -> pd.Series:
    """How many instants fall in each period."""
    buckets = period_of(instants.dropna(), tz, grain)
    return buckets.value_counts().reindex(periods, fill_value=0).astype(int)


def flow_counts(stages: pd.DataFrame, periods: pd.DatetimeIndex, tz, grain: str) -> pd.DataFrame:
    """leads, mqls, sals, sqls, opportunities whose effective stage date is in each period."""
    return pd.DataFrame(
        {field: _count_by_period(stages[AT[stage]], periods, tz, grain) for stage, field in FLOW_FIELDS.items()},
        index=periods,
    )


def median_lag_days(stages: pd.DataFrame, from_stage: str, to_stage: str) -> float | None:
    """The median days from one stage to the next over every lead that reached both."""
    lags = (stages[AT[to_stage]] - stages[AT[from_stage]]).dropna() / DAY
    return float(lags.median()) if len(lags) else None


def cohort_conversion(
    stages: pd.DataFrame, periods: pd.DatetimeIndex, tz, grain: str, from_stage: str, to_stage: str,
    as_of: pd.Timestamp, lag: float | None | str = "from stages",
) -> pd.DataFrame:
    """Of the leads that reached `from_stage` in each period, how many and what share reached
    `to_stage` by `as_of`; a cohort is immature while less than the median lag has passed
    since the end of its period (SPEC 3). The lag is worked out from `stages` unless given
    (when `stages` holds only the leads of these periods, the lag is still over all history)."""
    dates = stages[[AT[from_stage], AT[to_stage]]]  # two columns, not every column of every lead
    reached_from = dates[dates[AT[from_stage]].notna()]
    cohort_period = period_of(reached_from[AT[from_stage]], tz, grain)
    converted = reached_from[AT[to_stage]].notna()
    cohort = cohort_period.value_counts().reindex(periods, fill_value=0)
    reached = cohort_period[converted].value_counts().reindex(periods, fill_value=0)
    rate = (reached / cohort.where(cohort > 0)).astype(float)
    if isinstance(lag, str):
        lag = median_lag_days(stages, from_stage, to_stage)
    ends = pd.DatetimeIndex([local_midnight(period_end(start, grain), tz) for start in periods])
    since_end = (pd.Timestamp(as_of) - ends) / DAY
    immature = since_end < lag if lag is not None else np.zeros(len(periods), dtype=bool)
    return pd.DataFrame(
        {"cohort": cohort.astype(int), "reached": reached.astype(int), "rate": rate, "immature": immature},
        index=periods,
    )


def period_ratio(counts: pd.DataFrame, numerator: str, denominator: str) -> pd.Series:
    """count_B(P) / count_A(P): shown only where labelled as a period ratio (SPEC 4)."""
    return (counts[numerator] / counts[denominator].where(counts[denominator] > 0)).astype(float)


def velocity(
    stages: pd.DataFrame, periods: pd.DatetimeIndex, tz, grain: str, from_stage: str, to_stage: str
) -> pd.Series:
    """The median days from `from_stage` to `to_stage` over leads whose effective
    `to_stage` date falls in each period (SPEC 8); NaN where none did."""
    reached = stages[stages[AT[to_stage]].notna()]
    days = (reached[AT[to_stage]] - reached[AT[from_stage]]) / DAY
    by_period = days.groupby(period_of(reached[AT[to_stage]], tz, grain)).median()
    return by_period.reindex(periods).astype(float)


def stage_pairs() -> list[tuple[str, str]]:
    """Each stage with the next one: lead->mql, mql->sal, ..., opportunity->won."""
    return list(zip(STAGES, STAGES[1:]))


def current_stage(stages: pd.DataFrame) -> pd.Series:
    """The furthest stage each lead has reached (won, opportunity, ... lead)."""
    current = pd.Series("lead", index=stages.index)
    for stage in STAGES[1:]:
        current = current.mask(stages[AT[stage]].notna(), stage)
    return current


def exits(stages: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """Leads that left the funnel between the UTC instants [start, end), by kind and reason:
    disqualified (with the stage they were in) and recycled."""
    rows = []
    stage_now = current_stage(stages)
    for kind, column, reason in (
        ("disqualified", "disqualified_at", "disqualified_reason"),
        ("recycled", "recycled_at", "recycled_reason"),
    ):
        left = stages[(stages[column] >= start) & (stages[column] < end)]
        rows.append(pd.DataFrame({
            "kind": kind,
            "reason": left[reason].fillna("(no reason given)").replace("", "(no reason given)"),
            "stage": stage_now.loc[left.index],
        }))
    frame = pd.concat(rows, ignore_index=True)
    if frame.empty:
        return pd.DataFrame(columns=["kind", "reason", "stage", "leads"])
    return frame.groupby(["kind", "reason", "stage"]).size().rename("leads").reset_index().sort_values(
        ["kind", "leads"], ascending=[True, False], ignore_index=True
    )


def stuck(stages: pd.DataFrame, as_of: pd.Timestamp, stuck_after_days: dict[str, int]) -> pd.DataFrame:
    """Open leads that have sat in their current stage longer than its threshold at `as_of`."""
    stage_now = current_stage(stages)
    closed = stages["disqualified_at"].notna() | stages["recycled_at"].notna() | (stage_now == "won")
    entered = pd.Series(pd.NaT, index=stages.index, dtype="datetime64[ns, UTC]")
    for stage in STAGES:
        entered = entered.mask(stage_now == stage, stages[AT[stage]])
    days = (pd.Timestamp(as_of) - entered) / DAY
    limit = stage_now.map(stuck_after_days)
    is_stuck = ~closed & limit.notna() & (days > limit)
    return pd.DataFrame({
        "lead_id": stages.loc[is_stuck, "id"],
        "external_id": stages.loc[is_stuck, "external_id"],
        "stage": stage_now[is_stuck],
        "days_in_stage": days[is_stuck].round(1),
        "owner_id": stages.loc[is_stuck, "owner_id"],
        "source": stages.loc[is_stuck, "source"],
    }).sort_values("days_in_stage", ascending=False, ignore_index=True)
