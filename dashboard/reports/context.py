"""What every report starts from: the records, the agreement, the instant and the filters of
one request, and the figures all reports build on, each worked out once.

`ReportContext` turns the date range into the UTC window of the agreement's time zone once,
knows the records as known at as_of, their effective stages and every MQL's response once,
and hands the as_of-independent frames (`Settled`) to the metric functions so a figure never
re-derives them. With the app's cache and a data version those frames are kept between
requests; without (the command line, a test) they live as long as the context.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property

import pandas as pd

from dashboard.cache import Cache, key
from dashboard.metrics import funnel, response
from dashboard.metrics.calendar import WorkCalendar, local_midnight, period_range
from dashboard.metrics.kpis import commitment_table, kpi_table
from dashboard.metrics.stages import AT, as_known_at, as_recorded_by, effective_stages, latest_date, settled
from dashboard.metrics.targets import Slice, view_slice
from dashboard.reports.filters import ViewFilters
from dashboard.settings import Settings
from dashboard.sla import Agreement
from queries.loaders import Dataset, Filters, filter_dataset

# The lead fields the record filters select by, whose later changes the filters must see.
FILTERED_FIELDS = ("segment", "source", "campaign_id", "owner_id")


class Settled:
    """The frames of a dataset that no longer depend on as_of once as_of is past its latest
    record: what is known, the effective stages, every MQL's touch times, the median lags."""

    def __init__(self, dataset: Dataset, calendar: WorkCalendar):
        self.dataset = dataset
        self.calendar = calendar
        self._lags: dict[tuple[str, str], float | None] = {}

    @cached_property
    def latest(self) -> pd.Timestamp | None:
        return latest_date(self.dataset)

    @cached_property
    def known(self) -> Dataset:
        return as_known_at(self.dataset, self.latest if self.latest is not None else pd.Timestamp.now(tz="UTC"))

    @cached_property
    def stages(self) -> pd.DataFrame:
        return effective_stages(self.known.leads, self.known.deals)

    @cached_property
    def _touches(self) -> pd.DataFrame:
        stages = self.stages
        return response.touch_times(stages[stages[AT["mql"]].notna()], self.known.activities, self.calendar)

    def touches(self) -> pd.DataFrame:
        return self._touches

    def lag(self, from_stage: str, to_stage: str) -> float | None:
        if (from_stage, to_stage) not in self._lags:
            self._lags[(from_stage, to_stage)] = funnel.median_lag_days(self.stages, from_stage, to_stage)
        return self._lags[(from_stage, to_stage)]


@dataclass(frozen=True)
class ReportContext:
    """One request's records, agreement, instant and filters."""

    dataset: Dataset
    agreement: Agreement
    as_of: pd.Timestamp
    filters: ViewFilters = field(default_factory=ViewFilters)
    cache: Cache | None = None
    data_version: str | None = None
    # recordings up to this instant count (SPEC "Recorded time"): None is as_of, the board as
    # it was; a later instant gives the restated figures of the same as_of
    recorded_by: pd.Timestamp | None = None
    # the record filters the dataset was cut by, applied again to the values known at as_of
    # where a later import changed a lead's segment, source, campaign or owner
    records_filter: Filters | None = None

    @classmethod
    def for_request(cls, settings: Settings, state: dict | None = None, data_filters: Filters | None = None,
                    cache: Cache | None = None) -> ReportContext:
        """The context the filter state of a page asks for, on the app's cached records;
        `data_filters` replaces the state's record filters (a page showing one lead)."""
        from dashboard.data import current_cache, current_version, dataset_for

        cache = cache if cache is not None else current_cache()
        filters = ViewFilters.from_dict(state)
        records = filters.data_filters if data_filters is None else data_filters
        dataset = dataset_for(settings, records, cache)
        version = current_version(settings, cache) if cache is not None else None
        return cls(dataset, settings.agreement(), settings.now(), filters, cache, version, records_filter=records)

    # -- time -------------------------------------------------------------------------------
    @property
    def tz(self):
        return self.agreement.tz

    @cached_property
    def calendar(self) -> WorkCalendar:
        return WorkCalendar.from_agreement(self.agreement)

    @cached_property
    def today(self) -> pd.Timestamp:
        """as_of's date in the agreement's time zone, as a naive midnight."""
        return pd.Timestamp(pd.Timestamp(self.as_of).tz_convert(self.agreement.tz).date())

    @cached_property
    def _range(self) -> tuple[dt.date, dt.date]:
        return self.filters.date_range(self.today.date())

    @property
    def start(self) -> dt.date:
        """The first day of the date range (local, included)."""
        return self._range[0]

    @property
    def end(self) -> dt.date:
        """The last day of the date range (local, included)."""
        return self._range[1]

    def window(self, start: dt.date | None = None, end: dt.date | None = None) -> tuple[pd.Timestamp, pd.Timestamp]:
        """The UTC instants [since, until) of local days start..end, both included (the
        range's by default)."""
        start = self.start if start is None else start
        end = self.end if end is None else end
        return local_midnight(start, self.tz), local_midnight(end + dt.timedelta(days=1), self.tz)

    @property
    def grain(self) -> str:
        return self.filters.grain

    def periods(self, grain: str | None = None) -> pd.DatetimeIndex:
        """The periods of a grain (the filter's by default) from the one holding start to the
        one holding end."""
        return period_range(self.start, self.end, grain or self.grain)

    # -- records ----------------------------------------------------------------------------
    @property
    def is_empty(self) -> bool:
        return self.dataset.is_empty

    @cached_property
    def settled_frames(self) -> Settled:
        """The as_of-independent frames, kept in the app's cache per data version and dataset.

        Keyed by the dataset itself, not the filter bar: a page that shows every record
        whatever the filters (one lead, data quality) shares the unfiltered frames."""
        if self.cache is None or self.data_version is None:
            return Settled(self.dataset, self.calendar)
        name = key("settled", data_version=self.data_version, agreement=self.agreement, params=id(self.dataset))
        kept = self.cache.get(name)
        if kept is None or kept.dataset is not self.dataset:
            kept = Settled(self.dataset, self.calendar)
            self.cache.put(name, kept)
        return kept

    def restated(self, recorded_by: pd.Timestamp | None = None) -> ReportContext:
        """This context with everything recorded until `recorded_by` (default: the wall clock)."""
        instant = pd.Timestamp.now(tz="UTC") if recorded_by is None else pd.Timestamp(recorded_by)
        return dataclasses.replace(self, recorded_by=max(instant, pd.Timestamp(self.as_of)))

    def at(self, as_of: pd.Timestamp, recorded_by: pd.Timestamp | None = None) -> ReportContext:
        """This context at another instant, the same records, agreement and filters."""
        return dataclasses.replace(self, as_of=pd.Timestamp(as_of), recorded_by=recorded_by)

    @cached_property
    def is_settled(self) -> bool:
        return settled(self.dataset, self.as_of, self.recorded_by)

    @cached_property
    def known(self) -> Dataset:
        """The records as known at as_of (SPEC "as_of" and "Recorded time")."""
        if self._cut_again(self._recorded_instant):
            known = as_known_at(self.dataset, self.as_of, self.recorded_by)
            return filter_dataset(dataclasses.replace(known, changes=known.changes.iloc[:0]), self.records_filter)
        if self.is_settled:
            return self.settled_frames.known
        return as_known_at(self.dataset, self.as_of, self.recorded_by)

    @cached_property
    def stages(self) -> pd.DataFrame:
        """Every known lead with its effective stage dates (SPEC 1)."""
        if self.is_settled and not self._cut_again(self._recorded_instant):
            return self.settled_frames.stages
        return effective_stages(self.known.leads, self.known.deals)

    def responses(self, since: pd.Timestamp | None = None, until: pd.Timestamp | None = None) -> pd.DataFrame:
        """Each MQL of [since, until) with its response and outcome at as_of (SPEC 5); None
        when the agreement sets no response window."""
        window = self.agreement.response_window_hours
        if window is None:
            return None
        touches = (self.settled_frames.touches()
                   if self.is_settled and not self._cut_again(self._recorded_instant) else None)
        return response.response_times(self.stages, self.known.activities, self.calendar, window, self.as_of,
                                       since=since, until=until, touches=touches)

    # -- figures ----------------------------------------------------------------------------
    def kpis(self, grain: str | None = None, periods: pd.DatetimeIndex | None = None,
             as_of: pd.Timestamp | None = None, with_maturity: bool = True) -> pd.DataFrame:
        """`kpi_table` for these periods (the range's by default), sharing the settled frames."""
        grain = grain or self.grain
        periods = self.periods(grain) if periods is None else periods
        instant = self.as_of if as_of is None else as_of
        recorded_by = self.recorded_by if as_of is None or self.recorded_by is not None else as_of
        return kpi_table(self._records_for(instant, recorded_by), self.agreement, grain, periods, instant,
                         with_maturity=with_maturity, shared=self.settled_frames, recorded_by=recorded_by)

    def _records_for(self, as_of: pd.Timestamp, recorded_by: pd.Timestamp | None) -> Dataset:
        """The dataset, or where a later import changed what the record filters select, the
        records as recorded by then, cut again by the filters on those values."""
        instant = pd.Timestamp(as_of if recorded_by is None else recorded_by)
        if not self._cut_again(instant):
            return self.dataset
        then = as_recorded_by(self.dataset, instant)
        return filter_dataset(dataclasses.replace(then, changes=then.changes.iloc[:0]), self.records_filter)

    @cached_property
    def _widened(self) -> bool:
        """The filtered dataset holds leads only for a value they had before a later change
        (`filter_dataset` keeps them for an earlier as_of)."""
        exact = filter_dataset(dataclasses.replace(self.dataset, changes=self.dataset.changes.iloc[:0]),
                               self.records_filter)
        return len(exact.leads) != len(self.dataset.leads)

    def _cut_again(self, instant: pd.Timestamp) -> bool:
        """The record filters must be applied again to the values recorded by `instant`: a
        lead of the dataset had a filtered field changed after it, or is there for an old value."""
        changes = self.dataset.changes
        if self.records_filter is None or self.records_filter.is_empty or changes.empty:
            return False
        later = changes[(changes["table_name"] == "leads") & changes["field"].isin(FILTERED_FIELDS)
                        & (changes["recorded_at"] > instant)]
        return self._widened or bool(later["record_id"].isin(self.dataset.leads["id"]).any())

    @property
    def _recorded_instant(self) -> pd.Timestamp:
        return pd.Timestamp(self.as_of if self.recorded_by is None else self.recorded_by)

    def scored(self, table: pd.DataFrame, grain: str | None = None, as_of: pd.Timestamp | None = None) -> pd.DataFrame:
        """Each commitment scored on each period of a kpi table (SPEC 9), against the
        targets of the view's slice."""
        return commitment_table(table, self.agreement, grain or self.grain, self.as_of if as_of is None else as_of,
                                self.view)

    @cached_property
    def view(self) -> Slice:
        """The slice the filters choose, for its targets (SPEC "Targets per slice")."""
        return view_slice(self.filters, self.dataset.owners, self.dataset.campaigns)
