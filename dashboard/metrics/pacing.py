"""Pacing and status of a commitment for a period (SPEC 9).

While the period runs a commitment is `ahead`, `at_risk` or `behind`; once it is over its
outcome is final: `met` or `missed`. Before it, and without a target or a known figure, it
has no status.
"""
from __future__ import annotations

import math

AHEAD, AT_RISK, BEHIND, MET, MISSED = "ahead", "at_risk", "behind", "met", "missed"
AT_RISK_SHARE = 0.9
# Comparisons allow for float noise: 72 % of MQLs accepted is exactly 90 % of an 80 % target,
# though 0.9 * 0.8 is 0.7200000000000001 in binary floating point.
EPSILON = 1e-9
BEFORE, DURING, AFTER = "before", "during", "after"


def _unknown(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def status_of(value: float | None, target: float | None) -> str | None:
    """ahead at or above target, at_risk at or above 90 % of it, behind below; None unknown."""
    if _unknown(value) or _unknown(target):
        return None
    if value >= target - EPSILON:
        return AHEAD
    if value >= AT_RISK_SHARE * target - EPSILON:
        return AT_RISK
    return BEHIND


def outcome_of(actual: float | None, target: float | None) -> str | None:
    """The final result of a finished period: met at or above target, else missed."""
    if _unknown(actual) or _unknown(target):
        return None
    return MET if actual >= target - EPSILON else MISSED


def count_pacing(actual: float, target: float | None, days_elapsed: float, days_total: int, state: str,
                 expected: float | None = None) -> dict:
    """expected, projected, required_per_day and status of a count commitment.

    `state` is "before", "during" or "after" the period at as_of; e = days_elapsed /
    days_total (1 after the period, 0 before it, 1 for a period without working days that
    has begun). `expected` is the sum of each day's own target times its elapsed share
    when the days' targets differ (T*e when not given). Without a target (None: a slice
    without one) nothing but the actual is known."""
    if target is None:
        return {"actual": actual, "target": None, "expected": None, "projected": None,
                "required_per_day": None, "status": None}
    if state == AFTER:
        e = 1.0
    elif state == BEFORE:
        e = 0.0
    else:
        e = days_elapsed / days_total if days_total else 1.0
    left = days_total - days_elapsed if state != AFTER else 0.0
    projected = actual / e if e > 0 and not _unknown(actual) else None
    if state == AFTER:
        status = outcome_of(actual, target)
    elif state == BEFORE:
        status = None
    else:
        status = status_of(projected, target)
    return {
        "actual": actual,
        "target": target,
        "expected": target * e if expected is None else expected,
        "projected": projected,
        "required_per_day": max(target - actual, 0.0) / left if left > 0 and not _unknown(actual) else None,
        "status": status,
    }


def rate_pacing(actual: float | None, target: float | None, state: str = DURING) -> dict:
    """actual, target and status of a rate commitment: while the period runs against the
    target, after it met or missed, before it none."""
    if state == BEFORE:
        status = None
    elif state == AFTER:
        status = outcome_of(actual, target)
    else:
        status = status_of(actual, target)
    return {"actual": actual, "target": target, "status": status}
