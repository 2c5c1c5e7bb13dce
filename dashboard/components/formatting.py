"""Numbers for people: thousands separators, currency, percentages."""
from __future__ import annotations

import math

from dashboard import vocabulary

RATE_METRICS = frozenset(vocabulary.RATE_METRICS)
MONEY_METRICS = frozenset(vocabulary.MONEY_METRICS)
CURRENCY_SIGNS = {"EUR": "€", "USD": "$", "GBP": "£", "SEK": "kr", "NOK": "kr", "DKK": "kr"}


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def count(value, decimals: int = 0) -> str:
    """1234.5 -> '1,235' (or '1,234.5' with decimals=1); None -> '–'."""
    return "–" if _missing(value) else f"{value:,.{decimals}f}"


def figure_or_reason(metric: str, value, currency: str, not_recorded=frozenset()) -> str:
    """`metric_value`, or `not recorded` for a missing rate whose source never records what
    decides it (SPEC "What bad or odd data gets"): unmeasured is said, not shown as a dash."""
    from dashboard.metrics.recorded import NOT_RECORDED

    if _missing(value) and metric in not_recorded:
        return NOT_RECORDED
    return metric_value(metric, value, currency)


def money(value, currency: str = "EUR") -> str:
    """1234567 -> '€1.23M', 45678 -> '€45.7k', 950 -> '€950'."""
    if _missing(value):
        return "–"
    sign = CURRENCY_SIGNS.get(currency, currency + " ")
    magnitude = abs(value)
    if magnitude >= 1_000_000:
        text = f"{value / 1_000_000:,.2f}M"
    elif magnitude >= 10_000:
        text = f"{value / 1_000:,.1f}k"
    else:
        text = f"{value:,.0f}"
    return f"{sign}{text}"


def rate(value, decimals: int = 1) -> str:
    """0.8123 -> '81.2 %'."""
    return "–" if _missing(value) else f"{value * 100:.{decimals}f} %"


def metric_value(metric: str, value, currency: str = "EUR", decimals: int = 0) -> str:
    """A figure formatted the way its metric reads."""
    if metric in RATE_METRICS:
        return rate(value)
    if metric in MONEY_METRICS:
        return money(value, currency)
    return count(value, decimals)


def hours(value) -> str:
    """3.25 -> '3.3 h'."""
    return "–" if _missing(value) else f"{value:,.1f} h"
