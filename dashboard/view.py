"""What a page callback starts from: the filters in the URL, the records they select, the
instant the figures are for, the agreement, and the date range in the agreement's time zone."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from dashboard.components.filters import ViewFilters
from dashboard.data import dataset_for
from dashboard.settings import Settings
from dashboard.sla import Agreement
from queries.loaders import Dataset, Filters


@dataclass(frozen=True)
class View:
    settings: Settings
    filters: ViewFilters
    dataset: Dataset
    as_of: pd.Timestamp
    agreement: Agreement
    today: pd.Timestamp  # as_of's date in the agreement's time zone (naive midnight)
    start: dt.date  # the date range, both ends included
    end: dt.date

    @property
    def tz(self):
        return self.agreement.tz


def local_today(as_of: pd.Timestamp, agreement: Agreement) -> pd.Timestamp:
    """as_of's date in the agreement's time zone, as a naive midnight."""
    return pd.Timestamp(as_of.tz_convert(agreement.tz).date())


def current_view(settings: Settings, state: dict | None, data_filters: Filters | None = None) -> View:
    """The view the filter state asks for; `data_filters` replaces the state's record filters
    (a page that shows one lead whatever the filters say)."""
    filters = ViewFilters.from_dict(state)
    dataset = dataset_for(settings, filters.data_filters if data_filters is None else data_filters)
    as_of, agreement = settings.now(), settings.agreement()
    today = local_today(as_of, agreement)
    start, end = filters.date_range(today.date())
    return View(settings, filters, dataset, as_of, agreement, today, start, end)
