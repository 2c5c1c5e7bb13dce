"""Pacing and status of a commitment for a period (SPEC 9)."""
from __future__ import annotations

import math

AHEAD, AT_RISK, BEHIND = "ahead", "at_risk", "behind"
AT_RISK_SHARE = 0.9
# Comparisons allow for float noise: 72 % of MQLs accepted is exactly 90 % of an 80 % target,
# though 0.9 * 0.8 is 0.7200000000000001 in binary floating point.
EPSILON = 1e-9


def status_of(value: float | None, target: float) -> str | None:
    """ahead at or above target, at_risk at or above 90 % of it, behind below; None unknown."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if value >= target - EPSILON:
        return AHEAD
    if value >= AT_RISK_SHARE * target - EPSILON:
        return AT_RISK
    return BEHIND


def count_pacing(actual: float, target: float, days_elapsed: float, days_total: int, state: str) -> dict:
    """expected, projected, required_per_day and status of a count commitment.

    `state` is "before", "during" or "after" the period at as_of; e = days_elapsed /
    days_total (1 after the period, 0 before it, 1 for a period without working days that
    has begun)."""
    if state == "after":
        e = 1.0
    elif state == "before":
        e = 0.0
    else:
        e = days_elapsed / days_total if days_total else 1.0
    left = days_total - days_elapsed if state != "after" else 0.0
    projected = actual / e if e > 0 else None
    return {
        "actual": actual,
        "target": target,
        "expected": target * e,
        "projected": projected,
        "required_per_day": max(target - actual, 0.0) / left if left > 0 else None,
        "status": status_of(actual if state == "after" else projected, target),
    }


def rate_pacing(actual: float | None, target: float) -> dict:
    """actual, target and status of a rate commitment."""
    return {"actual": actual, "target": target, "status": status_of(actual, target)}
