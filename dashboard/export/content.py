"""How the monthly leadership pack words its figures, and which month it is asked for: the
month parsed and checked, the months offered, the names of months, money and figures as the
pack prints them. The pack's content is `dashboard.reports.pack.pack_report`; the PDF, PPTX
and XLSX modules here lay it out.
"""
from __future__ import annotations

import re

import pandas as pd

from dashboard.components import formatting
from dashboard.metrics.calendar import period_start, to_local_dates
from dashboard.metrics.kpis import RATE_FIELDS

MONTH_PATTERN = re.compile(r"^(\d{4})-(\d{2})$")
TITLE = "Monthly leadership review"


class ExportError(ValueError):
    """A request for a pack that cannot be built (bad month, unknown format ...): says why."""


def parse_month(text: str) -> pd.Timestamp:
    """'2026-11' as the month's first day; anything else is refused with the reason."""
    match = MONTH_PATTERN.match((text or "").strip())
    if not match:
        raise ExportError(f"month {text!r}: write it as YYYY-MM, e.g. 2026-11")
    year, month = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12:
        raise ExportError(f"month {text!r}: there is no month {month:02d} (01 to 12)")
    return pd.Timestamp(year=year, month=month, day=1)


def last_complete_month(as_of: pd.Timestamp, tz) -> pd.Timestamp:
    """The latest month that has ended at `as_of` (local time of the agreement)."""
    today = to_local_dates(pd.Series([pd.Timestamp(as_of)]), tz).iloc[0]
    return period_start(today, "month") - pd.DateOffset(months=1)


def month_label(month: pd.Timestamp) -> str:
    """'November 2026'."""
    return f"{pd.Timestamp(month):%B %Y}"


def short_month(month: pd.Timestamp, reference: pd.Timestamp) -> str:
    """'October' within the reference month's year or the one before it, else 'November 2025'."""
    month = pd.Timestamp(month)
    return f"{month:%B}" if month.year == pd.Timestamp(reference).year else f"{month:%B %Y}"


def figure_text(metric: str, value, currency: str) -> str:
    """A kpis figure as the pack prints it: counts with separators, money in whole units, rates in %."""
    if metric in RATE_FIELDS:
        return formatting.rate(value)
    if metric == "revenue_won":
        return money(value, currency)
    return formatting.count(value)


def money(value, currency: str) -> str:
    """251234.5 -> '€251,235' (whole units, so the pack's figures read like the ledger's)."""
    if value is None or pd.isna(value):
        return "–"
    sign = formatting.CURRENCY_SIGNS.get(currency, currency + " ")
    return f"{'-' if value < 0 else ''}{sign}{abs(value):,.0f}"


def pack_filename(month: pd.Timestamp, extension: str) -> str:
    """'leadership-review-2026-11.pdf'."""
    return f"leadership-review-{pd.Timestamp(month):%Y-%m}.{extension}"


def month_choices(as_of: pd.Timestamp, tz, count: int = 24) -> list[pd.Timestamp]:
    """The months a pack can be asked for on the page: this month and the `count - 1` before, newest first."""
    today = to_local_dates(pd.Series([pd.Timestamp(as_of)]), tz).iloc[0]
    current = period_start(today, "month")
    return [current - pd.DateOffset(months=i) for i in range(count)]
