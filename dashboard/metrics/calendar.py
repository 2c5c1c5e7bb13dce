"""Periods and working time in the agreement's time zone (SPEC 5, 9 and the target rules).

Everything here is vectorised: a working calendar is a small table with one row per local
date (is it a working day, when do its working hours start and end in UTC, how many working
hours came before it), and instants are looked up in it by their local date.
"""
from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import holidays as public_holidays
import numpy as np
import pandas as pd

from dashboard import vocabulary

GRAINS = vocabulary.GRAINS
HOUR = pd.Timedelta(hours=1)


def tz_name(tz) -> str:
    """The IANA name of a time zone: pandas converts by name with vectorised transition
    tables, many times faster than through a ZoneInfo object."""
    return getattr(tz, "key", None) or str(tz)


def to_local_dates(instants: pd.Series, tz: ZoneInfo) -> pd.Series:
    """The local calendar date (naive midnight) of each UTC instant."""
    return instants.dt.tz_convert(tz_name(tz)).dt.tz_localize(None).dt.normalize()


def period_starts(dates: pd.Series, grain: str) -> pd.Series:
    """The first local date of the day, ISO week, month or quarter each local date falls in."""
    if grain == "day":
        return dates
    if grain == "week":
        return dates - pd.to_timedelta(dates.dt.day_of_week, unit="D")
    if grain == "month":
        return dates.dt.to_period("M").dt.start_time
    if grain == "quarter":
        return dates.dt.to_period("Q").dt.start_time
    raise ValueError(f"unknown grain {grain!r}; one of {', '.join(GRAINS)}")


def period_of(instants: pd.Series, tz: ZoneInfo, grain: str) -> pd.Series:
    """The start date of the period each UTC instant falls in, in the agreement's time zone."""
    return period_starts(to_local_dates(instants, tz), grain)


def period_start(day: dt.date, grain: str) -> pd.Timestamp:
    """The first date of the period that contains `day`."""
    return period_starts(pd.Series([pd.Timestamp(day)]), grain).iloc[0]


def period_end(start: pd.Timestamp, grain: str) -> pd.Timestamp:
    """The first date after the period that starts on `start` (exclusive end)."""
    offsets = {
        "day": pd.DateOffset(days=1),
        "week": pd.DateOffset(weeks=1),
        "month": pd.DateOffset(months=1),
        "quarter": pd.DateOffset(months=3),
    }
    return pd.Timestamp(start) + offsets[grain]


def period_range(start: dt.date, end: dt.date, grain: str) -> pd.DatetimeIndex:
    """The starts of every period from the one holding `start` to the one holding `end`."""
    first, last = period_start(start, grain), period_start(end, grain)
    if last < first:
        raise ValueError(f"end {end} is before start {start}")
    frequency = {"day": "D", "week": "7D", "month": "MS", "quarter": "QS"}[grain]
    return pd.date_range(first, last, freq=frequency)


def period_key(start: pd.Timestamp, grain: str) -> str:
    """The agreement's name for a period: 2026-07-03, 2026-W27, 2026-07 or 2026-Q3."""
    if grain == "day":
        return start.strftime("%Y-%m-%d")
    if grain == "week":
        year, week, _ = start.isocalendar()
        return f"{year}-W{week:02d}"
    if grain == "month":
        return start.strftime("%Y-%m")
    return f"{start.year}-Q{(start.month - 1) // 3 + 1}"


def parse_period_key(key: str) -> tuple[pd.Timestamp, str]:
    """The start date and grain of an agreement period name."""
    if "-W" in key:
        year, week = key.split("-W")
        return pd.Timestamp(dt.date.fromisocalendar(int(year), int(week), 1)), "week"
    if "-Q" in key:
        year, quarter = key.split("-Q")
        return pd.Timestamp(int(year), 3 * int(quarter) - 2, 1), "quarter"
    if key.count("-") == 2:
        return pd.Timestamp(key), "day"
    return pd.Timestamp(key + "-01"), "month"


def local_midnight(day, tz: ZoneInfo) -> pd.Timestamp:
    """The UTC instant at which the local date `day` begins."""
    return pd.Timestamp(day).tz_localize(tz_name(tz), nonexistent="shift_forward", ambiguous=False).tz_convert("UTC")


@functools.lru_cache(maxsize=256)
def country_holidays(country: str, subdivision: str | None, year: int) -> tuple[pd.Timestamp, ...]:
    """A country's public holidays in one year (with its subdivision's, if named), as local dates,
    from the `holidays` package."""
    days = public_holidays.country_holidays(country, subdiv=subdivision, years=year)
    return tuple(sorted(pd.Timestamp(day) for day in days))


@dataclass(frozen=True)
class WorkCalendar:
    """Working days and hours of the agreement: weekdays, holidays (the agreement's own days,
    and a country's public holidays when it names one), hours, time zone."""

    tz: ZoneInfo
    weekdays: tuple[int, ...] = (0, 1, 2, 3, 4)
    holidays: frozenset = frozenset()
    day_start: dt.time | None = None
    day_end: dt.time | None = None
    country: str | None = None
    subdivision: str | None = None

    @classmethod
    def from_agreement(cls, agreement) -> WorkCalendar:
        hours = agreement.working_hours
        country = agreement.holiday_country
        return cls(
            tz=agreement.tz,
            weekdays=agreement.weekday_numbers,
            holidays=frozenset(pd.Timestamp(day) for day in agreement.holiday_dates),
            day_start=hours.start if hours else None,
            day_end=hours.end if hours else None,
            country=country.country if country else None,
            subdivision=country.subdivision if country else None,
        )

    @property
    def has_working_hours(self) -> bool:
        return self.day_start is not None

    def holidays_in(self, years) -> list[pd.Timestamp]:
        """Every day off of these years: the agreement's own days and the country's holidays."""
        days = list(self.holidays)
        if self.country is not None:
            days += [day for year in years for day in country_holidays(self.country, self.subdivision, int(year))]
        return days

    def is_working_day(self, dates: pd.DatetimeIndex | pd.Series) -> np.ndarray:
        """Whether each local date is a working weekday and no holiday."""
        index = pd.DatetimeIndex(dates)
        return np.isin(index.day_of_week, self.weekdays) & ~index.isin(self.holidays_in(np.unique(index.year)))

    def working_days(self, start, end) -> pd.DatetimeIndex:
        """The working dates from `start` up to but not including `end`."""
        dates = pd.date_range(pd.Timestamp(start), pd.Timestamp(end) - pd.Timedelta(days=1), freq="D")
        return dates[self.is_working_day(dates)]

    def count_working_days(self, start, end) -> int:
        return len(self.working_days(start, end))

    def _day_table(self, first: pd.Timestamp, last: pd.Timestamp) -> pd.DataFrame:
        """One row per local date: its working-hour window in UTC and working hours before it
        (built once per calendar and date range; callers must not modify it)."""
        return _day_table(self, pd.Timestamp(first), pd.Timestamp(last))

    def _build_day_table(self, first: pd.Timestamp, last: pd.Timestamp) -> pd.DataFrame:
        dates = pd.date_range(first, last, freq="D")
        working = self.is_working_day(dates)
        start_offset = pd.Timedelta(hours=self.day_start.hour, minutes=self.day_start.minute)
        end_offset = pd.Timedelta(hours=self.day_end.hour, minutes=self.day_end.minute)
        localise = dict(nonexistent="shift_forward", ambiguous=np.zeros(len(dates), dtype=bool))
        opens = (dates + start_offset).tz_localize(tz_name(self.tz), **localise).tz_convert("UTC")
        closes = (dates + end_offset).tz_localize(tz_name(self.tz), **localise).tz_convert("UTC")
        hours = np.where(working, (closes - opens) / HOUR, 0.0)
        before = np.concatenate([[0.0], np.cumsum(hours)[:-1]])
        return pd.DataFrame(
            {"opens": opens, "closes": closes, "hours": hours, "before": before}, index=dates
        )

    def _working_clock(self, instants: pd.Series, table: pd.DataFrame) -> pd.Series:
        """Working hours from the table's first date to each instant (NaN where no instant)."""
        known = instants.notna().to_numpy()
        dates = to_local_dates(instants[known], self.tz)
        # positions in the day table by arithmetic on the dates (the table has one row per day)
        days = (dates.to_numpy() - table.index[0].to_datetime64()) // np.timedelta64(1, "D")
        opens = _utc_values(table["opens"])[days]  # datetime64[ns] (UTC), not Timestamp objects
        hours, before = table["hours"].to_numpy()[days], table["before"].to_numpy()[days]
        into_day = np.clip((_utc_values(instants[known]) - opens) / np.timedelta64(1, "h"), 0, hours)
        clock = np.full(len(instants), np.nan)
        clock[known] = before + into_day
        return pd.Series(clock, index=instants.index)

    def hours_between(self, start: pd.Series, end: pd.Series) -> pd.Series:
        """Working hours from each start to each end (clock hours without working hours);
        NaN where either is missing, negative where the end comes first."""
        start = _as_utc_series(start)
        if not isinstance(end, pd.Series):
            end = pd.Series(pd.Timestamp(end), index=start.index)
        end = _as_utc_series(end)
        if not self.has_working_hours:
            return (end - start) / HOUR
        earliest, latest = min(start.min(), end.min()), max(start.max(), end.max())
        if pd.isna(earliest):
            return pd.Series(np.nan, index=start.index)
        local = to_local_dates(pd.Series([earliest, latest]), self.tz)
        # Whole months on either side, so that calls over similar data share one table.
        first = (local.iloc[0] - pd.Timedelta(days=1)).to_period("M").start_time
        last = (local.iloc[1] + pd.Timedelta(days=1)).to_period("M").end_time.normalize()
        table = self._day_table(first, last)
        return self._working_clock(end, table) - self._working_clock(start, table)

    def day_fraction_elapsed(self, instant: pd.Timestamp) -> float:
        """How much of the instant's local day has gone: of its working hours, or of the
        calendar day where the agreement has no working hours (SPEC 9)."""
        day = to_local_dates(pd.Series([instant]), self.tz).iloc[0]
        if self.has_working_hours:
            table = self._day_table(day, day)
            opens, closes = table["opens"].iloc[0], table["closes"].iloc[0]
            return float(np.clip((instant - opens) / (closes - opens), 0.0, 1.0))
        midnight, next_midnight = local_midnight(day, self.tz), local_midnight(day + pd.Timedelta(days=1), self.tz)
        return float(np.clip((instant - midnight) / (next_midnight - midnight), 0.0, 1.0))

    def working_days_elapsed(self, start, end, as_of: pd.Timestamp) -> float:
        """Working days of [start, end) gone by `as_of`: whole days before its local date and
        the elapsed fraction of its own day (SPEC 9)."""
        today = to_local_dates(pd.Series([as_of]), self.tz).iloc[0]
        start, end = pd.Timestamp(start), pd.Timestamp(end)
        if today >= end:
            return float(self.count_working_days(start, end))
        if today < start:
            return 0.0
        elapsed = float(self.count_working_days(start, today))
        if self.is_working_day(pd.DatetimeIndex([today]))[0]:
            elapsed += self.day_fraction_elapsed(as_of)
        return elapsed


@functools.lru_cache(maxsize=64)
def _day_table(calendar: WorkCalendar, first: pd.Timestamp, last: pd.Timestamp) -> pd.DataFrame:
    return calendar._build_day_table(first, last)


def _utc_values(instants: pd.Series) -> np.ndarray:
    """UTC instants as a plain datetime64[ns] array (no Timestamp object per value)."""
    return instants.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy()


def _as_utc_series(values) -> pd.Series:
    """Instants as a datetime64[ns, UTC] Series, converting only when they are not already."""
    if isinstance(values, pd.Series) and isinstance(values.dtype, pd.DatetimeTZDtype):
        return values if str(values.dtype.tz) == "UTC" else values.dt.tz_convert("UTC")
    return pd.to_datetime(values, utc=True)
