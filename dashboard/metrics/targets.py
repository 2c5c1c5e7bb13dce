"""Targets for any period from the agreement's commitments (SPEC "The SLA agreement file").

A count target is spread over working days: each working day of the period its target is
given for gets target / working days of that period; an override rewrites the days of its
own period the same way (coarser overrides first, so a week override beats a month one).
The target of any period is then the sum over its working days.
"""
from __future__ import annotations

import pandas as pd

from dashboard.metrics.calendar import WorkCalendar, parse_period_key, period_end, period_starts
from dashboard.sla import Commitment

_GRAIN_ORDER = {"quarter": 0, "month": 1, "week": 2, "day": 3}


def daily_targets(commitment: Commitment, calendar: WorkCalendar, start, end) -> pd.Series:
    """The count target of each local date in [start, end); zero on days off."""
    return _daily_targets(commitment, calendar, pd.Timestamp(start), pd.Timestamp(end))


def _daily_targets(commitment: Commitment, calendar: WorkCalendar, start: pd.Timestamp, end: pd.Timestamp) -> pd.Series:
    unit = commitment.target_unit
    # Widen to whole target periods so a period's working days are counted in full.
    first = period_starts(pd.Series([start]), unit).iloc[0]
    last = period_end(period_starts(pd.Series([end - pd.Timedelta(days=1)]), unit).iloc[0], unit)
    for key in commitment.overrides:
        key_start, key_grain = parse_period_key(key)
        first, last = min(first, key_start), max(last, period_end(key_start, key_grain))
    dates = pd.date_range(first, last - pd.Timedelta(days=1), freq="D")
    working = pd.Series(calendar.is_working_day(dates), index=dates)
    targets = _spread(working, pd.Series(period_starts(dates.to_series(), unit).values, index=dates), commitment.target_value)

    by_grain = sorted(commitment.overrides.items(), key=lambda item: _GRAIN_ORDER[parse_period_key(item[0])[1]])
    for key, value in by_grain:
        key_start, key_grain = parse_period_key(key)
        inside = (dates >= key_start) & (dates < period_end(key_start, key_grain))
        days = working[inside]
        targets[inside] = _spread(days, pd.Series(key_start, index=days.index), value)
    return targets[(targets.index >= start) & (targets.index < end)]


def _spread(working: pd.Series, period_of_day: pd.Series, value: float) -> pd.Series:
    """Each working day gets value / working days of its period; days off get 0."""
    days_in_period = working.groupby(period_of_day).transform("sum")
    return (value / days_in_period.where(days_in_period > 0)).where(working, 0.0).fillna(0.0)


def count_target(commitment: Commitment, calendar: WorkCalendar, start, end) -> float:
    """The count target for the local dates [start, end)."""
    return float(daily_targets(commitment, calendar, start, end).sum())


def rate_target(commitment: Commitment, start, end) -> float:
    """The rate target for [start, end): the most specific override containing it, else the base."""
    start, end = pd.Timestamp(start), pd.Timestamp(end)
    target, best = commitment.target_value, -1
    for key, value in commitment.overrides.items():
        key_start, key_grain = parse_period_key(key)
        if key_start <= start and end <= period_end(key_start, key_grain) and _GRAIN_ORDER[key_grain] > best:
            target, best = value, _GRAIN_ORDER[key_grain]
    return float(target)
