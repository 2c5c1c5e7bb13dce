"""The SLA scoreboard: every commitment for today, this week, month and quarter (SPEC 9),
the last complete week and month, and the previous period at the same point."""
from __future__ import annotations

import pandas as pd

from dashboard.metrics.calendar import local_midnight, period_end, period_start, to_local_dates, tz_name
from dashboard.metrics.kpis import SettledFrames, commitment_table, kpi_table
from dashboard.metrics.targets import COMPANY, Slice
from dashboard.sla import Agreement
from queries.loaders import Dataset

HORIZONS = (("today", "day"), ("this_week", "week"), ("this_month", "month"), ("this_quarter", "quarter"))
HORIZON_LABELS = {"today": "Today", "this_week": "This week", "this_month": "This month",
                  "this_quarter": "This quarter", "last_week": "Last week", "last_month": "Last month"}
_ONE = {"day": pd.DateOffset(days=1), "week": pd.DateOffset(weeks=1), "month": pd.DateOffset(months=1),
        "quarter": pd.DateOffset(months=3)}


def same_point_before(as_of: pd.Timestamp, grain: str, tz) -> pd.Timestamp:
    """The same local time one period earlier (month-to-date against the previous month-to-date);
    a day the previous month lacks falls back to its last day."""
    local = pd.Timestamp(as_of).tz_convert(tz_name(tz)).tz_localize(None)
    return (local - _ONE[grain]).tz_localize(tz_name(tz), nonexistent="shift_forward", ambiguous=False).tz_convert("UTC")


def final_result(dataset: Dataset, agreement: Agreement, grain: str, period: pd.Timestamp, as_of: pd.Timestamp,
                 shared: SettledFrames | None = None, view: Slice = COMPANY) -> pd.DataFrame:
    """A finished period's commitments as the board showed them at its end (SPEC "as_of":
    what was recorded by then), with `restated`: the same figure with everything recorded by
    as_of, where late data changed it (else empty)."""
    periods = pd.DatetimeIndex([period])
    end = local_midnight(period_end(period, grain), agreement.tz)
    final = commitment_table(kpi_table(dataset, agreement, grain, periods, end, with_maturity=False, shared=shared,
                                       recorded_by=end), agreement, grain, end, view)
    restated = commitment_table(kpi_table(dataset, agreement, grain, periods, end, with_maturity=False,
                                          shared=shared, recorded_by=max(end, as_of)), agreement, grain, end, view)
    final = final.merge(restated[["id", "actual"]].rename(columns={"actual": "restated"}), on="id", how="left")
    same = (final["restated"] == final["actual"]) | (final["restated"].isna() & final["actual"].isna())
    final["restated"] = final["restated"].astype(object).where(~same, None)
    return final


def scoreboard(dataset: Dataset, agreement: Agreement, as_of: pd.Timestamp,
               shared: SettledFrames | None = None, view: Slice = COMPANY) -> pd.DataFrame:
    """One row per horizon and commitment: actual, target, expected, projected,
    required_per_day, status; with the previous period's figure at the same point and,
    for this week and month, the last complete period's result (met or missed). Targets are
    those of the `view`'s slice."""
    as_of = pd.Timestamp(as_of)
    today = to_local_dates(pd.Series([as_of]), agreement.tz).iloc[0]
    frames = []
    for horizon, grain in HORIZONS:
        current = period_start(today, grain)
        previous = current - _ONE[grain]
        periods = pd.DatetimeIndex([previous, current])
        scored = commitment_table(kpi_table(dataset, agreement, grain, periods, as_of, with_maturity=False, shared=shared),
                                  agreement, grain, as_of, view)
        now = scored[scored["period_start"] == current].assign(horizon=horizon, grain=grain)

        earlier_as_of = same_point_before(as_of, grain, agreement.tz)
        earlier_periods = pd.DatetimeIndex([previous])
        earlier = commitment_table(
            kpi_table(dataset, agreement, grain, earlier_periods, earlier_as_of, with_maturity=False, shared=shared),
            agreement, grain, earlier_as_of, view)
        now = now.merge(earlier[["id", "actual"]].rename(columns={"actual": "previous_same_point"}), on="id", how="left")
        frames.append(now)
        if grain in ("week", "month"):
            frames.append(final_result(dataset, agreement, grain, previous, as_of, shared, view)
                          .assign(horizon=f"last_{grain}", grain=grain))
    board = pd.concat(frames, ignore_index=True)
    board["label"] = board["horizon"].map(HORIZON_LABELS)
    return board
