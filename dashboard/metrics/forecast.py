"""The forecast: month-end projection of every count commitment and the weighted open
pipeline by expected close month (SPEC 11)."""
from __future__ import annotations

import pandas as pd

from dashboard.metrics.calendar import period_start, to_local_dates
from dashboard.metrics.deals import weighted_pipeline
from dashboard.metrics.kpis import commitment_table, kpi_table
from dashboard.metrics.stages import as_known_at
from dashboard.sla import Agreement
from queries.loaders import Dataset


def month_end_projection(dataset: Dataset, agreement: Agreement, as_of: pd.Timestamp) -> pd.DataFrame:
    """Each count commitment for the month holding `as_of`: actual so far, target, projected
    month-end figure (actual / share of working days gone) and status."""
    month = period_start(to_local_dates(pd.Series([pd.Timestamp(as_of)]), agreement.tz).iloc[0], "month")
    periods = pd.DatetimeIndex([month])
    scored = commitment_table(kpi_table(dataset, agreement, "month", periods, as_of), agreement, "month", as_of)
    return scored[scored["is_count"]].reset_index(drop=True)


def pipeline_forecast(dataset: Dataset, agreement: Agreement, as_of: pd.Timestamp) -> pd.DataFrame:
    """Open deals at `as_of` by expected close month and stage, with amount and weighted amount."""
    known = as_known_at(dataset, as_of)
    return weighted_pipeline(known.deals, agreement.currency, agreement.exchange_rates,
                             agreement.stage_probabilities)
