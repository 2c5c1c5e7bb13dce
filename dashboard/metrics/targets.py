"""Targets for any period from the agreement's commitments (SPEC "The SLA agreement file").

A count target is spread over working days: each working day of the period its target is
given for gets target / working days of that period; an override rewrites the days of its
own period the same way (coarser overrides first, so a week override beats a month one).
The target of any period is then the sum over its working days.

Each day takes its target from the agreement version in force that day and, for a filtered
view, from the slice's own target (`Slice`), whose overrides are its own.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from dashboard.metrics.calendar import WorkCalendar, parse_period_key, period_end, period_starts
from dashboard.sla import Agreement, Commitment

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


# -- versions and slices (SPEC "Versions", "Targets per slice") ---------------------------------

NO_SLICE_TARGET = "no target for this slice"


@dataclass(frozen=True)
class Slice:
    """What a view is filtered to, for choosing targets: per dimension (segment, source,
    campaign, owner, team) the values chosen, each with every name a slice key may give it
    by (an owner's id, external id, e-mail and name; a campaign's id, external id and name).
    No dimension chosen is the whole company."""

    chosen: tuple[tuple[str, tuple[frozenset[str], ...]], ...] = ()

    @classmethod
    def of(cls, **dimensions) -> Slice:
        """`Slice.of(segment=["SMB"], owner=[{"7", "aino@example.com", "Aino"}])`: empty ones left out."""
        chosen = []
        for dimension, values in dimensions.items():
            named = tuple(frozenset({value} if isinstance(value, str) else {str(v) for v in value if v})
                          for value in values or ())
            if named:
                chosen.append((dimension, named))
        return cls(tuple(chosen))

    @property
    def is_company(self) -> bool:
        return not self.chosen

    def sources(self, commitment: Commitment | None) -> list | None:
        """What a commitment's target for this view adds up: the commitment itself for the
        company; the slice targets of the chosen values of one dimension (several only for a
        count); None when the view has no target ("no target for this slice")."""
        if commitment is None:
            return None
        if self.is_company:
            return [commitment]
        if len(self.chosen) != 1:
            return None
        dimension, values = self.chosen[0]
        targets = commitment.slices.get(dimension)
        if not targets or (len(values) > 1 and not commitment.is_count):
            return None
        found = []
        for names in values:
            key = next((key for key in targets if key in names), None)
            if key is None:
                return None
            found.append(targets[key])
        return found


COMPANY = Slice()


def view_slice(filters, owners: pd.DataFrame | None = None, campaigns: pd.DataFrame | None = None) -> Slice:
    """The slice a view's filters choose (anything with `segments`, `sources`,
    `campaign_ids`, `owner_ids` and `teams`): an owner by its id, external id, e-mail or
    name, a campaign by its id, external id or name, the rest by value."""

    def names(frame: pd.DataFrame | None, ids, columns) -> list[set[str]]:
        found = []
        for value in ids:
            row = frame[frame["id"] == value] if frame is not None and "id" in frame else frame
            known = {str(value)}
            if row is not None and len(row):
                known |= {str(row.iloc[0][c]) for c in columns if c in row and pd.notna(row.iloc[0][c])}
            found.append(known)
        return found

    return Slice.of(
        segment=list(getattr(filters, "segments", ())), source=list(getattr(filters, "sources", ())),
        campaign=names(campaigns, getattr(filters, "campaign_ids", ()), ("external_id", "name")),
        owner=names(owners, getattr(filters, "owner_ids", ()), ("external_id", "email", "name")),
        team=list(getattr(filters, "teams", ())),
        # Dimensions no slice target can name: a view cut by them has no target.
        deal_owner=[str(v) for v in getattr(filters, "deal_owner_ids", ()) or ()],
        deal_team=list(getattr(filters, "deal_teams", ()) or ()),
    )


def version_days(agreement: Agreement, dates: pd.DatetimeIndex) -> pd.Series:
    """The number of the version in force on each local date (the earliest before it began)."""
    numbers = pd.Series(agreement.all_versions[0].number, index=dates)
    for version in agreement.all_versions[1:]:
        numbers[dates >= pd.Timestamp(version.effective_from)] = version.number
    return numbers


def commitment_daily_targets(agreement: Agreement, commitment_id: str, calendar: WorkCalendar, start, end,
                             view: Slice = COMPANY) -> pd.Series:
    """The count target of each local date in [start, end) for a view: each day's from the
    version in force that day and the view's slice; NaN on the days that have none (the
    version lacks the commitment, or the slice has no target); zero on days off. A period
    with such a working day has no target (`period_target`)."""
    start, end = pd.Timestamp(start), pd.Timestamp(end)
    dates = pd.date_range(start, end - pd.Timedelta(days=1), freq="D")
    targets = pd.Series(float("nan"), index=dates)
    if dates.empty:
        return targets
    in_force = version_days(agreement, dates)
    for version in agreement.all_versions:
        days = in_force == version.number
        if not days.any():
            continue
        sources = view.sources(version.commitment(commitment_id))
        if sources is None:
            continue
        first, last = dates[days.to_numpy()].min(), dates[days.to_numpy()].max() + pd.Timedelta(days=1)
        summed = sum(_daily_targets(source, calendar, first, last) for source in sources)
        targets[days] = summed.reindex(dates[days.to_numpy()]).to_numpy()
    return targets


def period_target(daily: pd.Series, calendar: WorkCalendar) -> float | None:
    """A period's count target from its days' (`commitment_daily_targets`): their sum, or None
    when a working day of it has none (a version without the commitment, a slice without a
    target), so that a whole period's figure is never held against a part of its days'."""
    if daily.empty or daily.isna().all():
        return None
    if (daily.isna() & calendar.is_working_day(daily.index)).any():
        return None
    return float(daily.sum())


def commitment_rate_target(agreement: Agreement, commitment_id: str, start, end, today,
                           view: Slice = COMPANY) -> float | None:
    """The rate target of [start, end) for a view: the version in force on the period's last
    day (while it runs, on `today`), its slice's target where the view is a slice; None
    when that version lacks the commitment or the slice has no target."""
    start, end, today = pd.Timestamp(start), pd.Timestamp(end), pd.Timestamp(today)
    day = min(max(today, start), end - pd.Timedelta(days=1))
    sources = view.sources(agreement.version_on(day.date()).commitment(commitment_id))
    if not sources:
        return None
    return rate_target(sources[0], start, end)
