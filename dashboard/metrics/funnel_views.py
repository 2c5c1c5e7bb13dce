"""The funnel page's figures: stage counts with won, conversion of every stage pair as a cohort
or a period ratio, the funnel of a date range, velocity, exits and stuck leads in summary
(SPEC 1, 2, 3, 4, 8).

Pure functions: frames in, frames out, inputs untouched. `stages` is the frame of
`stages.effective_stages` over the dataset as known at `as_of`; periods are local dates of
the agreement's time zone, given as a DatetimeIndex of period starts.
"""
from __future__ import annotations

import datetime as dt

import pandas as pd

from dashboard.metrics import funnel
from dashboard.metrics.calendar import local_midnight, period_of
from dashboard.metrics.stages import AT, STAGES, as_known_at, effective_stages
from queries.loaders import Dataset

# The count field of each stage; won counts leads (by their first won deal), not deals.
STAGE_FIELDS = {**funnel.FLOW_FIELDS, "won": "won"}
PAIRS = tuple(funnel.stage_pairs())
CONVERSION_COLUMNS = ("period_start", "from_stage", "to_stage", "numerator", "denominator", "rate", "immature")
DAY = pd.Timedelta(days=1)


def known_stages(dataset: Dataset, as_of: pd.Timestamp) -> pd.DataFrame:
    """Each lead's effective stage dates as known at `as_of` (SPEC 1 and "as_of")."""
    known = as_known_at(dataset, as_of)
    return effective_stages(known.leads, known.deals)


def local_range(start: dt.date, end: dt.date, tz) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The UTC instants [start's local midnight, the midnight after end) of a date range."""
    return local_midnight(start, tz), local_midnight(pd.Timestamp(end) + DAY, tz)


def stage_counts(stages: pd.DataFrame, periods: pd.DatetimeIndex, tz, grain: str) -> pd.DataFrame:
    """leads, mqls, sals, sqls, opportunities and won per period: leads whose effective stage
    date falls in it (SPEC 2); won by the lead's first won deal's close (SPEC 1)."""
    counts = funnel.flow_counts(stages, periods, tz, grain)
    won = period_of(stages[AT["won"]].dropna(), tz, grain).value_counts()
    counts["won"] = won.reindex(periods, fill_value=0).astype(int)
    return counts


def clipped_stage_counts(stages: pd.DataFrame, periods: pd.DatetimeIndex, tz, grain: str,
                         start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """`stage_counts` of only the stage dates in the UTC instants [start, end): a first or last
    period that runs past the range counts its days inside it, so the periods add up to
    `range_stage_counts` of the same range (one page, one number)."""
    inside = stages[[AT[stage] for stage in STAGES]]
    inside = inside.where((inside >= start) & (inside < end))
    return stage_counts(inside, periods, tz, grain)


def range_stage_counts(stages: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.Series:
    """How many leads reached each stage (lead .. won) in the UTC instants [start, end), by
    the effective stage date (SPEC 1, 2)."""
    return pd.Series(
        {stage: int(((stages[AT[stage]] >= start) & (stages[AT[stage]] < end)).sum()) for stage in STAGES},
        dtype=int,
    )


def cohort_conversions(
    stages: pd.DataFrame, periods: pd.DatetimeIndex, tz, grain: str, as_of: pd.Timestamp,
    pairs=PAIRS,
) -> pd.DataFrame:
    """Cohort conversion of each stage pair per period, long: numerator (reached B),
    denominator (cohort of A), rate and the immature flag (SPEC 3)."""
    frames = []
    for from_stage, to_stage in pairs:
        cohort = funnel.cohort_conversion(stages, periods, tz, grain, from_stage, to_stage, as_of)
        frames.append(pd.DataFrame({
            "period_start": periods, "from_stage": from_stage, "to_stage": to_stage,
            "numerator": cohort["reached"].to_numpy(), "denominator": cohort["cohort"].to_numpy(),
            "rate": cohort["rate"].to_numpy(), "immature": cohort["immature"].to_numpy(dtype=bool),
        }))
    return _long(frames)


def period_ratios(counts: pd.DataFrame, pairs=PAIRS) -> pd.DataFrame:
    """count_B(P) / count_A(P) of each stage pair per period, long, in the same columns as
    `cohort_conversions` (never immature): a period ratio, not a conversion (SPEC 4)."""
    frames = []
    for from_stage, to_stage in pairs:
        numerator, denominator = STAGE_FIELDS[to_stage], STAGE_FIELDS[from_stage]
        frames.append(pd.DataFrame({
            "period_start": counts.index, "from_stage": from_stage, "to_stage": to_stage,
            "numerator": counts[numerator].to_numpy(), "denominator": counts[denominator].to_numpy(),
            "rate": funnel.period_ratio(counts, numerator, denominator).to_numpy(),
            "immature": False,
        }))
    return _long(frames)


def _long(frames: list[pd.DataFrame]) -> pd.DataFrame:
    if not frames:
        return pd.DataFrame(columns=list(CONVERSION_COLUMNS))
    frame = pd.concat(frames, ignore_index=True)
    frame["immature"] = frame["immature"].astype(bool)
    frame["rate"] = frame["rate"].astype(float)
    return frame[list(CONVERSION_COLUMNS)]


def median_lags(stages: pd.DataFrame, pairs=PAIRS) -> pd.Series:
    """The median days A->B over all history of each pair, indexed "from->to": the lag that
    makes a cohort mature (SPEC 3); NaN where no lead reached both."""
    lags = {f"{a}->{b}": funnel.median_lag_days(stages, a, b) for a, b in pairs}
    return pd.Series(lags, dtype=float)


def range_funnel(stages: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """Of the leads created in the UTC instants [start, end), how many reached each stage by
    `as_of`, with the share of the stage before and of all those leads (SPEC 1, 3)."""
    cohort = stages[(stages[AT["lead"]] >= start) & (stages[AT["lead"]] < end)]
    reached = pd.Series([int(cohort[AT[stage]].notna().sum()) for stage in STAGES], dtype=float)
    previous = reached.shift(1, fill_value=reached.iloc[0])
    return pd.DataFrame({
        "stage": list(STAGES),
        "leads": reached.astype(int).to_numpy(),
        "share_of_previous": (reached / previous.where(previous > 0)).to_numpy(),
        "share_of_first": (reached / reached.where(reached > 0).iloc[0]).to_numpy(),
    })


def velocity_by_period(stages: pd.DataFrame, periods: pd.DatetimeIndex, tz, grain: str, pairs=PAIRS) -> pd.DataFrame:
    """The median days of each stage pair (columns "from->to") per period of the later
    stage's effective date (SPEC 8); NaN where no lead arrived."""
    return pd.DataFrame(
        {f"{a}->{b}": funnel.velocity(stages, periods, tz, grain, a, b) for a, b in pairs}, index=periods
    )


def range_velocity(stages: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp, pairs=PAIRS) -> pd.DataFrame:
    """Per stage pair: the median days A->B over the leads whose effective B date falls in
    the UTC instants [start, end), and how many leads that is (SPEC 8)."""
    rows = []
    for from_stage, to_stage in pairs:
        arrived = stages[(stages[AT[to_stage]] >= start) & (stages[AT[to_stage]] < end)]
        days = ((arrived[AT[to_stage]] - arrived[AT[from_stage]]) / DAY).dropna()
        rows.append({"from_stage": from_stage, "to_stage": to_stage, "leads": int(len(days)),
                     "median_days": float(days.median()) if len(days) else float("nan")})
    return pd.DataFrame(rows, columns=["from_stage", "to_stage", "leads", "median_days"])


def disqualified_by_reason(exits: pd.DataFrame) -> pd.DataFrame:
    """The disqualified rows of `funnel.exits` as reason x stage reached (stages in funnel
    order), reasons with the most leads first; a `total` column last."""
    rows = exits[exits["kind"] == "disqualified"]
    table = rows.pivot_table(index="reason", columns="stage", values="leads", aggfunc="sum", fill_value=0)
    table = table.reindex(columns=[s for s in STAGES if s in table.columns]).astype(int)
    table["total"] = table.sum(axis=1)
    table.columns.name = None
    return table.sort_values(["total"], ascending=False, kind="stable")


def recycled_by_reason(exits: pd.DataFrame) -> pd.Series:
    """How many leads were recycled for each reason (from `funnel.exits`), most first."""
    rows = exits[exits["kind"] == "recycled"]
    counts = rows.groupby("reason")["leads"].sum().astype(int)
    return counts.sort_values(ascending=False, kind="stable").rename("leads")


def stuck_by_stage(stuck: pd.DataFrame, stuck_after_days: dict[str, int]) -> pd.DataFrame:
    """Per stage with a threshold: its threshold in days, how many leads of `funnel.stuck`
    are stuck in it and the median days they have sat there."""
    rows = []
    for stage in STAGES:
        if stage not in stuck_after_days:
            continue
        in_stage = stuck[stuck["stage"] == stage]
        rows.append({
            "stage": stage, "after_days": int(stuck_after_days[stage]), "leads": int(len(in_stage)),
            "median_days_in_stage": float(in_stage["days_in_stage"].median()) if len(in_stage) else float("nan"),
        })
    return pd.DataFrame(rows, columns=["stage", "after_days", "leads", "median_days_in_stage"])
