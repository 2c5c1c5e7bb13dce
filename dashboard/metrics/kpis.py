"""The figures of `kpis`, one row per period, and the commitments scored on them.

`kpi_table` is the one place where SPEC's definitions are put together; the pages, the
exports and the command all read their numbers from it.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import math
from typing import Protocol

import pandas as pd

from dashboard import vocabulary
from dashboard.metrics import acceptance, deals, funnel, response
from dashboard.metrics.calendar import WorkCalendar, local_midnight, period_end, period_range, to_local_dates
from dashboard.metrics.pacing import AFTER, BEFORE, DURING, count_pacing, rate_pacing
from dashboard.metrics.recorded import reasons
from dashboard.metrics.stages import AT, STAGES, as_known_at, as_recorded_by, effective_stages
from dashboard.metrics.targets import (
    COMPANY,
    NO_SLICE_TARGET,
    Slice,
    commitment_daily_targets,
    commitment_rate_target,
    period_target,
)
from dashboard.sla import Agreement
from queries.loaders import Dataset

# The columns of the stages frame that kpi_table's figures read (the rest are not copied).
KPI_STAGE_COLUMNS = [
    "id", "external_id", "owner_id", "source", "segment", "campaign_id", "assigned_at", "first_touch_at",
    "disqualified_at", "disqualified_reason", "recycled_at", *(AT[stage] for stage in STAGES),
]
# The lead columns an effective stage date can come from (the rest come from deals).
STAGE_COLUMNS = ("created_at", "mql_at", "sal_at", "sql_at", "opportunity_at")

COUNT_FIELDS = vocabulary.COUNT_METRICS
RATE_FIELDS = vocabulary.RATE_METRICS
KPI_FIELDS = vocabulary.KPI_FIELDS
COMMITMENT_FIELDS = ("actual", "target", "expected", "projected", "required_per_day", "status")


class SettledFrames(Protocol):
    """What a dataset gives once nothing in it lies after as_of (then it no longer depends on
    as_of): worked out once and shared between requests by the reports' context."""

    dataset: Dataset
    latest: pd.Timestamp | None
    known: Dataset
    stages: pd.DataFrame

    def touches(self) -> pd.DataFrame: ...

    def lag(self, from_stage: str, to_stage: str) -> float | None: ...


def _settled_frames(dataset: Dataset, as_of: pd.Timestamp, shared: SettledFrames | None,
                    recorded_by: pd.Timestamp | None = None) -> SettledFrames | None:
    """`shared` when it belongs to this dataset and as_of (and recorded_by) are past its
    latest record."""
    if shared is None or shared.dataset is not dataset:
        return None
    if shared.latest is None:
        return shared
    past = pd.Timestamp(as_of) >= shared.latest and (recorded_by is None or pd.Timestamp(recorded_by) >= shared.latest)
    return shared if past else None


def periods_for(grain: str, start: dt.date, end: dt.date) -> pd.DatetimeIndex:
    """The periods `kpis` reports for a date range: from the one holding start to the one
    holding end."""
    return period_range(start, end, grain)


def kpi_table(
    dataset: Dataset, agreement: Agreement, grain: str, periods: pd.DatetimeIndex, as_of: pd.Timestamp,
    with_maturity: bool = True, shared: SettledFrames | None = None, recorded_by: pd.Timestamp | None = None,
    unrecorded: frozenset[str] | None = None,
) -> pd.DataFrame:
    """Every kpis field per period as known at `as_of` (with what was recorded by
    `recorded_by`, as_of by default: later for the restated figures), plus the building blocks behind the
    rates (cohort sizes, immature flags, decisions, response outcomes).

    A rate the source does not record (`unrecorded`, by default the dataset's
    `not_recorded`: a filtered cut carries the unfiltered records' answer) is null
    throughout, and `table.attrs["not_recorded"]` names those rates for `kpi_records`' notes.

    Only the leads that can count in the periods are worked on (`in_periods`), so the work
    follows the periods asked for, not the length of history; the cohort maturity lag is the
    one figure over all history. Without `with_maturity` the immature flags are all False and
    that lag is not worked out (the scoreboard, which shows no cohorts). `shared` gives the
    frames that do not depend on as_of once it is past the dataset's latest record.
    """
    as_of = pd.Timestamp(as_of)
    tz = agreement.tz
    shared = _settled_frames(dataset, as_of, shared, recorded_by)
    since, until = local_midnight(periods.min(), tz), local_midnight(period_end(periods.max(), grain), tz)
    known, stages = in_periods(dataset, as_of, since, until, shared, recorded_by)
    table = funnel.flow_counts(stages, periods, tz, grain)

    for from_stage, to_stage in funnel.CONVERSIONS:
        lag = median_lag(dataset, as_of, from_stage, to_stage, shared, recorded_by) if with_maturity else None
        cohort = funnel.cohort_conversion(stages, periods, tz, grain, from_stage, to_stage, as_of, lag=lag)
        name = f"conv_{from_stage}_{to_stage}"
        table[name] = cohort["rate"]
        table[f"{name}_cohort"] = cohort["cohort"]
        table[f"{name}_immature"] = cohort["immature"]

    table = table.join(deals.closed_by_period(
        known.deals, periods, tz, grain, agreement.currency, agreement.exchange_rates
    ))

    window = agreement.response_window_hours
    if window is not None:
        calendar = WorkCalendar.from_agreement(agreement)
        responses = response.response_times(
            stages, known.activities, calendar, window, as_of, since=since, until=until,
            touches=shared.touches() if shared is not None else None,
        )
        table = table.join(response.attainment_by_period(responses, periods, tz, grain))
    else:
        for column in ("response_met", "response_missed", "response_pending", "open_breaches"):
            table[column] = 0
        table["response_sla_attainment"] = float("nan")

    decided = acceptance.decisions(stages)
    table = table.join(acceptance.acceptance_by_period(decided, periods, tz, grain))
    table.index.name = "period_start"
    if unrecorded is None:  # what the source records, as recorded by then (a later import may start to)
        unrecorded = (dataset.unrecorded if dataset.unrecorded is not None
                      else as_recorded_by(dataset, as_of if recorded_by is None else recorded_by).not_recorded)
    unrecorded = frozenset(unrecorded)
    for rate in unrecorded:
        table[rate] = float("nan")
    table.attrs["not_recorded"] = unrecorded
    return table


def in_periods(
    dataset: Dataset, as_of: pd.Timestamp, since: pd.Timestamp, until: pd.Timestamp,
    shared: SettledFrames | None = None, recorded_by: pd.Timestamp | None = None,
) -> tuple[Dataset, pd.DataFrame]:
    """The dataset as known at `as_of` and the effective stages of the leads with an
    effective stage date in [since, until): all that the figures of those periods read.

    A lead's effective dates are among its recorded dates and its deals' (SPEC 1), so the
    leads with none of those in the range cannot count, and are left out before any work;
    the deals kept are those of the leads kept and those closed in the range.
    """
    shared = _settled_frames(dataset, as_of, shared, recorded_by)
    if shared is not None:  # nothing after as_of: the shared stages of every lead, then the range
        known, stages = shared.known, shared.stages
        hit = pd.Series(False, index=stages.index)
        for stage in STAGES:
            hit |= (stages[AT[stage]] >= since) & (stages[AT[stage]] < until)
        return known, stages.loc[hit, KPI_STAGE_COLUMNS]
    recorded_by = as_of if recorded_by is None else pd.Timestamp(recorded_by)
    dataset = as_recorded_by(dataset, recorded_by)  # before the range: a change may move a lead into it
    leads, deals_ = dataset.leads, dataset.deals
    hit = pd.Series(False, index=leads.index)
    for column in STAGE_COLUMNS:
        hit |= (leads[column] >= since) & (leads[column] < until)
    deal_in_range = ((deals_["created_at"] >= since) & (deals_["created_at"] < until)) | (
        (deals_["closed_at"] >= since) & (deals_["closed_at"] < until))
    hit |= leads["id"].isin(deals_.loc[deal_in_range, "lead_id"])
    lead_ids = leads.loc[hit, "id"]
    sliced = dataclasses.replace(
        dataset,
        leads=leads[hit],
        deals=deals_[deals_["lead_id"].isin(lead_ids) | deal_in_range],
        activities=dataset.activities[dataset.activities["lead_id"].isin(lead_ids)],
        changes=dataset.changes.iloc[:0],  # applied above
        unrecorded=dataset.not_recorded,
    )
    known = as_known_at(sliced, as_of, recorded_by)
    return known, effective_stages(known.leads, known.deals)


def median_lag(dataset: Dataset, as_of: pd.Timestamp, from_stage: str, to_stage: str,
               shared: SettledFrames | None = None, recorded_by: pd.Timestamp | None = None) -> float | None:
    """The median days from one stage to the next over all history as known at `as_of`
    (SPEC 3's maturity); from `shared` when it holds this dataset past its latest record."""
    shared = _settled_frames(dataset, as_of, shared, recorded_by)
    if shared is not None:
        return shared.lag(from_stage, to_stage)
    known = as_known_at(dataset, as_of, recorded_by)
    return funnel.median_lag_days(effective_stages(known.leads, known.deals), from_stage, to_stage)


def commitment_table(
    table: pd.DataFrame, agreement: Agreement, grain: str, as_of: pd.Timestamp, view: Slice = COMPANY,
) -> pd.DataFrame:
    """Each commitment of any agreement version scored on each period of a kpi table:
    actual, target, and for counts expected, projected and required_per_day, then status
    (SPEC 9). Each day's target is the one of the version in force that day, a rate's the
    one in force on the period's last day (while it runs, today), and a filtered `view`'s
    its slice's; `note` says "no target for this slice" where a filtered view has none."""
    calendar = WorkCalendar.from_agreement(agreement)
    as_of = pd.Timestamp(as_of)
    today = to_local_dates(pd.Series([as_of]), agreement.tz).iloc[0]
    periods = table.index
    first, last = periods.min(), period_end(periods.max(), grain)
    shares = _elapsed_shares(calendar, pd.date_range(first, last - pd.Timedelta(days=1), freq="D"), as_of, today)
    rows = []
    for commitment_id in agreement.commitment_ids:
        commitment = agreement.commitment(commitment_id)
        daily = (commitment_daily_targets(agreement, commitment_id, calendar, first, last, view)
                 if commitment.is_count else None)
        for start in periods:
            end = period_end(start, grain)
            actual = _plain(table.at[start, commitment.metric])
            state = AFTER if today >= end else BEFORE if as_of < local_midnight(start, agreement.tz) else DURING
            if commitment.is_count:
                days = daily[(daily.index >= start) & (daily.index < end)]
                target = period_target(days, calendar)
                expected = float((days.fillna(0.0) * shares.reindex(days.index)).sum())
                scored = count_pacing(
                    actual, target, calendar.working_days_elapsed(start, end, as_of),
                    calendar.count_working_days(start, end), state, expected=expected,
                )
            else:
                target = commitment_rate_target(agreement, commitment_id, start, end, today, view)
                scored = rate_pacing(actual, target, state)
            note = NO_SLICE_TARGET if target is None and not view.is_company else None
            rows.append({"period_start": start, "id": commitment.id, "team": commitment.team,
                         "metric": commitment.metric, "is_count": commitment.is_count, **scored, "note": note})
    frame = pd.DataFrame(rows)
    if rows:  # a status is a word or None (pandas 3 would keep the words as strings and None as NaN)
        for column in ("status", "note", "target", "expected", "projected", "required_per_day"):
            if column in frame:
                frame[column] = pd.Series([row.get(column) for row in rows], dtype=object)
    return frame


def _elapsed_shares(calendar: WorkCalendar, dates: pd.DatetimeIndex, as_of: pd.Timestamp,
                    today: pd.Timestamp) -> pd.Series:
    """Each local date's elapsed share at as_of (SPEC 9): a working day before today 1,
    today the fraction of its working hours gone, later days and days off 0."""
    working = calendar.is_working_day(dates)
    shares = pd.Series((dates < today).astype(float), index=dates)
    shares[dates == today] = calendar.day_fraction_elapsed(as_of)
    return shares.where(working, 0.0)


def _plain(value):
    """A numpy scalar as a Python number, NaN as None."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if pd.isna(value):
        return None
    return value.item() if hasattr(value, "item") else value


def _rounded(value, digits: int = 6):
    value = _plain(value)
    return round(value, digits) if isinstance(value, float) else value


def kpi_records(table: pd.DataFrame, scored: pd.DataFrame) -> list[dict]:
    """The kpis rows as plain dicts: SPEC's fields, `notes` (each rate the source does not
    record, with the reason `not recorded`; empty when every rate is measured), then
    `commitments` by id (each with a `note` when the view is a slice some commitment has no
    target for)."""
    records = []
    noted = "note" in scored and scored["note"].notna().any()
    notes = reasons(table.attrs.get("not_recorded", frozenset()))
    for start, row in table.iterrows():
        record = {"period_start": start.date().isoformat()}
        for field in KPI_FIELDS[1:]:
            record[field] = _rounded(row[field])
        record["notes"] = dict(notes)
        commitments = {}
        for _, item in scored[scored["period_start"] == start].iterrows():
            fields = COMMITMENT_FIELDS if item["is_count"] else ("actual", "target", "status")
            scored_fields = {field: _rounded(item[field]) for field in fields}
            scored_fields["actual"] = record[item["metric"]]  # the row's own figure, int for counts
            if noted:
                scored_fields["note"] = item["note"]
            commitments[item["id"]] = scored_fields
        record["commitments"] = commitments
        records.append(record)
    return records


def compute_kpis(
    dataset: Dataset, agreement: Agreement, grain: str, start: dt.date, end: dt.date, as_of: pd.Timestamp,
    shared: SettledFrames | None = None, view: Slice = COMPANY,
) -> list[dict]:
    """What `kpis` prints: one dict per period from start to end, as known at `as_of`."""
    periods = periods_for(grain, start, end)
    table = kpi_table(dataset, agreement, grain, periods, as_of, shared=shared)
    return kpi_records(table, commitment_table(table, agreement, grain, as_of, view))
