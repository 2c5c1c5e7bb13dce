"""Closed deals, revenue, win rate and the weighted pipeline (SPEC 2, 7, 11)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from dashboard.metrics.calendar import period_of


def in_currency(deals: pd.DataFrame, currency: str, exchange_rates: dict[str, float]) -> pd.Series:
    """Each deal's amount in the agreement's currency; NaN where the rate is unknown."""
    rates = deals["currency"].fillna(currency).map(lambda code: 1.0 if code == currency else exchange_rates.get(code, np.nan))
    return deals["amount"] * rates.astype(float)


def closed_by_period(
    deals: pd.DataFrame, periods: pd.DatetimeIndex, tz, grain: str, currency: str,
    exchange_rates: dict[str, float],
) -> pd.DataFrame:
    """deals_won, deals_lost, revenue_won and win_rate of the deals closed in each period."""
    closed = deals[deals["closed_at"].notna() & deals["is_won"].notna()]
    period = period_of(closed["closed_at"], tz, grain)
    won = closed["is_won"].astype(bool)
    amount = in_currency(closed, currency, exchange_rates)
    deals_won = won.groupby(period).sum().reindex(periods, fill_value=0).astype(int)
    deals_lost = (~won).groupby(period).sum().reindex(periods, fill_value=0).astype(int)
    revenue = amount[won].groupby(period[won]).sum(min_count=1).reindex(periods).fillna(0.0)
    decided = deals_won + deals_lost
    return pd.DataFrame({
        "deals_won": deals_won,
        "deals_lost": deals_lost,
        "revenue_won": revenue.astype(float).round(2),
        "win_rate": (deals_won / decided.where(decided > 0)).astype(float),
    }, index=periods)


def open_deals(deals: pd.DataFrame) -> pd.DataFrame:
    """Deals still open: no outcome recorded (as known at the dataset's as_of)."""
    return deals[deals["is_won"].isna() & deals["closed_at"].isna()]


def weighted_pipeline(
    deals: pd.DataFrame, currency: str, exchange_rates: dict[str, float],
    stage_probabilities: dict[str, float],
) -> pd.DataFrame:
    """Open deals by expected close month and stage: amount, and amount x probability (the
    deal's own, else its stage's default) (SPEC 11)."""
    open_ = open_deals(deals)
    amount = in_currency(open_, currency, exchange_rates)
    probability = open_["probability"].fillna(open_["stage"].map(stage_probabilities))
    frame = pd.DataFrame({
        "close_month": open_["expected_close_on"].dt.to_period("M").dt.start_time,
        "stage": open_["stage"].fillna("(no stage)"),
        "deals": 1,
        "amount": amount,
        "weighted": amount * probability,
    })
    if frame.empty:
        return pd.DataFrame(columns=["close_month", "stage", "deals", "amount", "weighted"])
    return frame.groupby(["close_month", "stage"], dropna=False).sum(min_count=1).reset_index()
