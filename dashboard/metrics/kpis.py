"""The figures of `kpis`, one row per period, and the commitments scored on them.

`kpi_table` is the one place where SPEC's definitions are put together; the pages, the
exports and the command all read their numbers from it.
"""
from __future__ import annotations

import datetime as dt
import math

import pandas as pd

from dashboard.metrics import acceptance, deals, funnel, response
from dashboard.metrics.calendar import WorkCalendar, local_midnight, period_end, period_range, to_local_dates
from dashboard.metrics.pacing import count_pacing, rate_pacing
from dashboard.metrics.stages import as_known_at, effective_stages
from dashboard.metrics.targets import daily_targets, rate_target
from dashboard.sla import Agreement
from queries.loaders import Dataset

COUNT_FIELDS = (
    "leads", "mqls", "sals", "sqls", "opportunities", "deals_won", "deals_lost", "revenue_won",
)
RATE_FIELDS = (
    "conv_lead_mql", "conv_mql_sql", "conv_sql_won", "response_sla_attainment",
    "acceptance_rate", "win_rate",
)
KPI_FIELDS = (
    "period_start", *COUNT_FIELDS[:5], "deals_won", "deals_lost", "revenue_won",
    "conv_lead_mql", "conv_mql_sql", "conv_sql_won", "response_sla_attainment",
    "response_pending", "open_breaches", "acceptance_rate", "win_rate",
)
COMMITMENT_FIELDS = ("actual", "target", "expected", "projected", "required_per_day", "status")


def periods_for(grain: str, start: dt.date, end: dt.date) -> pd.DatetimeIndex:
    """The periods `kpis` reports for a date range: from the one holding start to the one
    holding end."""
    return period_range(start, end, grain)


def kpi_table(
    dataset: Dataset, agreement: Agreement, grain: str, periods: pd.DatetimeIndex, as_of: pd.Timestamp
) -> pd.DataFrame:
    """Every kpis field per period as known at `as_of`, plus the building blocks behind the
    rates (cohort sizes, immature flags, decisions, response outcomes)."""
    as_of = pd.Timestamp(as_of)
    tz = agreement.tz
    known = as_known_at(dataset, as_of)
    stages = effective_stages(known.leads, known.deals)
    table = funnel.flow_counts(stages, periods, tz, grain)

    for from_stage, to_stage in funnel.CONVERSIONS:
        cohort = funnel.cohort_conversion(stages, periods, tz, grain, from_stage, to_stage, as_of)
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
            stages, known.activities, calendar, window, as_of,
            since=local_midnight(periods.min(), tz), until=local_midnight(period_end(periods.max(), grain), tz),
        )
        table = table.join(response.attainment_by_period(responses, periods, tz, grain))
    else:
        for column in ("response_met", "response_missed", "response_pending", "open_breaches"):
            table[column] = 0
        table["response_sla_attainment"] = float("nan")

    decided = acceptance.decisions(stages)
    table = table.join(acceptance.acceptance_by_period(decided, periods, tz, grain))
    table.index.name = "period_start"
    return table


def commitment_table(
    table: pd.DataFrame, agreement: Agreement, grain: str, as_of: pd.Timestamp
) -> pd.DataFrame:
    """Each commitment scored on each period of a kpi table: actual, target, and for counts
    expected, projected and required_per_day, then status (SPEC 9)."""
    calendar = WorkCalendar.from_agreement(agreement)
    as_of = pd.Timestamp(as_of)
    today = to_local_dates(pd.Series([as_of]), agreement.tz).iloc[0]
    periods = table.index
    first, last = periods.min(), period_end(periods.max(), grain)
    rows = []
    for commitment in agreement.commitments:
        daily = daily_targets(commitment, calendar, first, last) if commitment.is_count else None
        for start in periods:
            end = period_end(start, grain)
            actual = _plain(table.at[start, commitment.metric])
            if commitment.is_count:
                target = float(daily[(daily.index >= start) & (daily.index < end)].sum())
                state = "after" if today >= end else "before" if as_of < local_midnight(start, agreement.tz) else "during"
                scored = count_pacing(
                    actual, target, calendar.working_days_elapsed(start, end, as_of),
                    calendar.count_working_days(start, end), state,
                )
            else:
                scored = rate_pacing(actual, rate_target(commitment, start, end))
            rows.append({"period_start": start, "id": commitment.id, "team": commitment.team,
                         "metric": commitment.metric, "is_count": commitment.is_count, **scored})
    return pd.DataFrame(rows)


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
    """The kpis rows as plain dicts: SPEC's fields, then `commitments` by id."""
    records = []
    for start, row in table.iterrows():
        record = {"period_start": start.date().isoformat()}
        for field in KPI_FIELDS[1:]:
            record[field] = _rounded(row[field])
        commitments = {}
        for _, item in scored[scored["period_start"] == start].iterrows():
            fields = COMMITMENT_FIELDS if item["is_count"] else ("actual", "target", "status")
            scored_fields = {field: _rounded(item[field]) for field in fields}
            scored_fields["actual"] = record[item["metric"]]  # the row's own figure, int for counts
            commitments[item["id"]] = scored_fields
        record["commitments"] = commitments
        records.append(record)
    return records


def compute_kpis(
    dataset: Dataset, agreement: Agreement, grain: str, start: dt.date, end: dt.date, as_of: pd.Timestamp
) -> list[dict]:
    """What `kpis` prints: one dict per period from start to end, as known at `as_of`."""
    periods = periods_for(grain, start, end)
    table = kpi_table(dataset, agreement, grain, periods, as_of)
    return kpi_records(table, commitment_table(table, agreement, grain, as_of))
