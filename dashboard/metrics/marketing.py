"""The marketing page's figures: lead and MQL volume against the MQL target, the month's
cumulative pace, breakdowns by source, campaign and segment, and acceptance (SPEC 2, 6, 9).

Pure functions: frames in, frames out, inputs untouched. `stages` is the frame of
`stages.effective_stages` over the dataset as known at `as_of`; `decided` is the frame of
`acceptance.decisions` over the same stages.
"""
from __future__ import annotations

import pandas as pd

from dashboard.metrics.acceptance import rejection_reasons
from dashboard.metrics.calendar import WorkCalendar, to_local_dates
from dashboard.metrics.pacing import count_pacing
from dashboard.metrics.stages import AT
from dashboard.sla import Agreement, Commitment

DAY = pd.Timedelta(days=1)
BREAKDOWNS = {"source": "source", "campaign": "campaign_id", "segment": "segment"}
NO_GROUP = {"source": "(no source)", "campaign": "(no campaign)", "segment": "(no segment)"}
BREAKDOWN_COLUMNS = ("group", "leads", "mqls", "accepted", "rejected", "undecided",
                     "rejected_without_reason", "acceptance_rate")


def commitment_for(agreement: Agreement, metric: str) -> Commitment | None:
    """The agreement's first commitment on a kpis field, or None when it makes none."""
    return next((c for c in agreement.commitments if c.metric == metric), None)


def against_target(kpis: pd.DataFrame, scored: pd.DataFrame, commitment_id: str | None,
                   columns: tuple[str, ...]) -> pd.DataFrame:
    """Some columns of a kpi table per period, with one commitment's target, expected and
    status from `kpis.commitment_table` (target NaN when there is no such commitment; SPEC 9)."""
    frame = kpis[list(columns)].copy()
    frame.index.name = "period_start"
    scored_fields = ["target", "expected", "status"]
    if commitment_id is None or scored.empty:
        by_period = pd.DataFrame(index=frame.index, columns=scored_fields)
    else:
        rows = scored[scored["id"] == commitment_id]  # a rate commitment is scored without `expected`
        by_period = rows.set_index("period_start").reindex(index=frame.index, columns=scored_fields)
    frame["target"] = by_period["target"].astype(float).to_numpy()
    frame["expected"] = by_period["expected"].astype(float).to_numpy()
    status = by_period["status"].astype(object)
    frame["status"] = status.where(status.notna(), None).set_axis(frame.index)  # object: None stays None
    return frame.reset_index()


def cumulative_pacing(daily_mqls: pd.Series, daily_targets: pd.Series, today: pd.Timestamp) -> pd.DataFrame:
    """Per local date of a period: MQLs that day and cumulated (known up to `today`, NaN
    after it), and the target ramped over working days (SPEC 9's spread of a target)."""
    dates = daily_targets.index
    mqls = daily_mqls.reindex(dates, fill_value=0).astype(float)
    known = dates <= pd.Timestamp(today)
    return pd.DataFrame({
        "date": dates,
        "mqls": mqls.where(known).to_numpy(),
        "cumulative_mqls": mqls.cumsum().where(known).to_numpy(),
        "target": daily_targets.to_numpy(dtype=float),
        "cumulative_target": daily_targets.cumsum().to_numpy(dtype=float),
    })


def month_pace(pacing: pd.DataFrame, calendar: WorkCalendar, as_of: pd.Timestamp) -> dict:
    """actual, target, expected, projected, required_per_day and status at `as_of` of the
    period a `cumulative_pacing` frame covers (SPEC 9)."""
    start, end = pd.Timestamp(pacing["date"].iloc[0]), pd.Timestamp(pacing["date"].iloc[-1]) + DAY
    today = to_local_dates(pd.Series([pd.Timestamp(as_of)]), calendar.tz).iloc[0]
    known = pacing["cumulative_mqls"].dropna()
    actual = float(known.iloc[-1]) if len(known) else 0.0
    state = "after" if today >= end else "before" if today < start else "during"
    return count_pacing(actual, float(pacing["cumulative_target"].iloc[-1]),
                        calendar.working_days_elapsed(start, end, as_of), calendar.count_working_days(start, end), state)


def _group_labels(values: pd.Series, by: str, campaigns: pd.DataFrame | None) -> pd.Series:
    """Readable group names: a campaign's name, and a placeholder where the value is missing."""
    if by == "campaign":
        names = dict(zip(campaigns["id"].astype(int), campaigns["name"])) if campaigns is not None else {}
        ids = pd.to_numeric(values, errors="coerce").astype("Int64")
        # object: pandas 3 keeps Int64 for a map that gives only None, and then refuses the placeholder
        labels = pd.Series([names.get(int(i), f"Campaign {int(i)}") if pd.notna(i) else None for i in ids],
                           index=values.index, dtype=object)
    else:
        labels = values.where(values.notna() & (values.astype(str).str.strip() != ""))
    return labels.fillna(NO_GROUP[by]).astype(str)


def breakdown(stages: pd.DataFrame, decided: pd.DataFrame, by: str, start: pd.Timestamp, end: pd.Timestamp,
              campaigns: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per source, campaign or segment in the UTC instants [start, end): leads created,
    MQLs (effective MQL date inside, SPEC 2) and of those MQLs how many sales accepted,
    rejected (with no reason), left undecided, and the acceptance rate (SPEC 6).
    Most MQLs first."""
    column = BREAKDOWNS[by]
    created = stages[(stages[AT["lead"]] >= start) & (stages[AT["lead"]] < end)]
    mqls = decided[(decided["mql_at"] >= start) & (decided["mql_at"] < end)]
    lead_groups = _group_labels(created[column], by, campaigns)
    mql_groups = _group_labels(mqls[column], by, campaigns)
    decisions = pd.crosstab(mql_groups, mqls["decision"]).reindex(
        columns=["accepted", "rejected", "undecided"], fill_value=0)
    table = pd.DataFrame({
        "leads": lead_groups.value_counts(),
        "mqls": mql_groups.value_counts(),
    }).join(decisions, how="outer")
    table["rejected_without_reason"] = mqls["rejected_without_reason"].groupby(mql_groups).sum()
    table = table.fillna(0).astype(int)
    decided_count = table["accepted"] + table["rejected"]
    table["acceptance_rate"] = (table["accepted"] / decided_count.where(decided_count > 0)).astype(float)
    table.index.name = "group"
    table = table.reset_index().sort_values(["mqls", "leads", "group"], ascending=[False, False, True], ignore_index=True)
    return table[list(BREAKDOWN_COLUMNS)]


def totals(table: pd.DataFrame) -> dict:
    """The sum of a breakdown's counts, with the acceptance rate of the sums (SPEC 6)."""
    sums = {column: int(table[column].sum()) for column in BREAKDOWN_COLUMNS[1:-1]}
    decided_count = sums["accepted"] + sums["rejected"]
    sums["acceptance_rate"] = sums["accepted"] / decided_count if decided_count else None
    return sums


def rejections_in_range(decided: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """Rejection reasons of the MQLs whose MQL date falls in the UTC instants [start, end):
    rejections, share, and the no-reason group flagged as an SLA violation (SPEC 6)."""
    inside = decided[(decided["mql_at"] >= start) & (decided["mql_at"] < end)]
    return rejection_reasons(inside)
