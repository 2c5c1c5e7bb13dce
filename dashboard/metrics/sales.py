"""The sales page's figures: response times against the window, attainment and delays per rep,
the open breaches to act on, per-period figures against their commitments, and the open
pipeline by stage and expected close month (SPEC 5, 6, 7, 9, 11).

Pure functions: frames in, frames out, inputs untouched. `responses` is the frame of
`response.response_times`; `kpis` and `scored` are those of `kpis.kpi_table` and
`kpis.commitment_table`; `pipeline` is the frame of `deals.weighted_pipeline`.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from dashboard.metrics.pacing import status_of
from dashboard.metrics.response import MET, MISSED, PENDING, attainment_by

UNASSIGNED = "(unassigned)"
OVERDUE, NO_CLOSE_DATE = "overdue", "no_date"
NO_STAGE = "(no stage)"


def owner_names(owner_ids: pd.Series, owners: pd.DataFrame) -> pd.Series:
    """Each owner id as its owner's name ('(unassigned)' where none, 'Owner #7' where unknown,
    ' (inactive)' after an owner who has left)."""
    names = {}
    for row in owners.itertuples(index=False):
        names[row.id] = row.name if row.active is None or bool(row.active) else f"{row.name} (inactive)"
    return owner_ids.map(lambda i: UNASSIGNED if pd.isna(i) else names.get(i, f"Owner #{int(i)}"))


def response_summary(responses: pd.DataFrame) -> dict:
    """The MQLs of the responses frame: met, missed, pending, open breaches, attainment
    met / (met + missed) (None with no known outcome) and the median response of the ones
    responded to, by a touch or a decision (SPEC 5)."""
    outcome = responses["outcome"]
    met, missed = int((outcome == MET).sum()), int((outcome == MISSED).sum())
    touched = responses.loc[responses["responded_at"].notna(), "response_hours"]
    return {
        "mqls": len(responses), "met": met, "missed": missed, "pending": int((outcome == PENDING).sum()),
        "open_breaches": int(responses["open_breach"].sum()), "responded": len(touched),
        "attainment": met / (met + missed) if met + missed else None,
        "median_response_hours": float(touched.median()) if len(touched) else None,
    }


def response_distribution(responses: pd.DataFrame, window_hours: float, bins_per_window: int = 8,
                          windows_shown: int = 4) -> pd.DataFrame:
    """How many responded MQLs (touched or decided on) took how long: bins of window / bins_per_window working hours,
    each holding (bin_start, bin_end] (the first also 0), up to windows_shown windows, then one
    overflow bin for everything slower. `within_window` marks bins whose responses all met the
    window (SPEC 5: a response equal to the window is in time)."""
    hours = responses.loc[responses["responded_at"].notna(), "response_hours"].astype(float)
    width = window_hours / bins_per_window
    count = bins_per_window * windows_shown
    cap = width * count
    inside = hours[hours <= cap]
    bin_index = (np.ceil(inside / width).clip(lower=1) - 1).astype(int)
    counts = bin_index.value_counts().reindex(range(count), fill_value=0)
    starts = np.arange(count) * width
    frame = pd.DataFrame({
        "bin_start": starts,
        "bin_end": starts + width,
        "mqls": counts.to_numpy().astype(int),
        "within_window": np.arange(1, count + 1) <= bins_per_window,
        "overflow": False,
    })
    overflow = pd.DataFrame({"bin_start": [cap], "bin_end": [np.nan], "mqls": [int((hours > cap).sum())],
                             "within_window": [False], "overflow": [True]})
    return pd.concat([frame, overflow], ignore_index=True)


def rep_response(responses: pd.DataFrame, owners: pd.DataFrame, target: float | None,
                 owner_targets: dict | None = None) -> pd.DataFrame:
    """Per owner of the MQLs: attainment against the first-touch target, open breaches, median
    response, routing delay and rep delay (SPEC 5), how many MQLs had a known routing time, and
    `shortfall`: in-time touches missing to reach the target. `owner_targets` gives a rep their
    own target (an owner slice of the agreement) in place of `target`, and `target` is each
    row's. The owner furthest behind comes first (largest shortfall, then lowest attainment)."""
    columns = ["owner_id", "name", "mqls", "met", "known", "pending", "open_breaches", "attainment", "status",
               "shortfall", "median_response_hours", "median_routing_hours", "median_rep_hours", "routed", "target"]
    if responses.empty:
        return pd.DataFrame(columns=columns)
    table = attainment_by(responses, "owner_id")
    routed = responses["assigned_at"].notna().groupby(responses["owner_id"], dropna=False).sum()
    table = table.merge(routed.rename("routed").rename_axis("owner_id").reset_index(), on="owner_id", how="left")
    table["name"] = owner_names(table["owner_id"], owners)
    for column in ("mqls", "met", "known", "pending", "open_breaches", "routed"):
        table[column] = table[column].astype(int)
    owner_targets = owner_targets or {}
    targets = [owner_targets.get(owner, target) if pd.notna(owner) else target for owner in table["owner_id"]]
    table["target"] = pd.Series(targets, index=table.index, dtype=object)
    table["status"] = pd.Series([status_of(value, goal) for value, goal in zip(table["attainment"], targets)],
                                index=table.index, dtype=object)  # a word or None, never NaN
    table["shortfall"] = [max(goal * known - met, 0.0) if goal is not None else 0.0
                          for goal, known, met in zip(targets, table["known"], table["met"])]
    table["shortfall"] = table["shortfall"].astype(float)
    table = table.sort_values(["shortfall", "attainment", "known"], ascending=[False, True, False],
                              na_position="last", kind="stable")
    return table[columns].reset_index(drop=True)


def open_breach_list(responses: pd.DataFrame, owners: pd.DataFrame) -> pd.DataFrame:
    """The open breaches at as_of (SPEC 5): each MQL with no response (no touch, no decision) past its window with its owner,
    age in working hours, source, segment and MQL time; the longest waiting first."""
    breaches = responses[responses["open_breach"]]
    frame = pd.DataFrame({
        "lead_id": breaches["lead_id"].astype(int),
        "external_id": breaches["external_id"],
        "owner_id": breaches["owner_id"],
        "owner": owner_names(breaches["owner_id"], owners),
        "age_hours": breaches["age_hours"].astype(float),
        "source": breaches["source"],
        "segment": breaches["segment"],
        "mql_at": breaches["mql_at"],
    })
    return frame.sort_values(["age_hours", "lead_id"], ascending=[False, True], kind="stable").reset_index(drop=True)


def against_commitment(kpis: pd.DataFrame, scored: pd.DataFrame, metric: str, columns: tuple[str, ...]) -> pd.DataFrame:
    """Some kpis columns per period with the target and status of the agreement's first
    commitment on `metric` (target NaN, status None where it makes none; SPEC 9)."""
    frame = kpis[list(columns)].copy()
    frame.index.name = "period_start"
    ids = scored.loc[scored["metric"] == metric, "id"]
    if len(ids):
        rows = scored[scored["id"] == ids.iloc[0]].set_index("period_start").reindex(frame.index)
        frame["target"] = rows["target"].astype(float).to_numpy()
        frame["status"] = rows["status"].to_numpy()
    else:
        frame["target"], frame["status"] = np.nan, None
    return frame.reset_index()


def stage_order(stages, probabilities: dict[str, float]) -> list[str]:
    """Deal stages in pipeline order: the agreement's stages by default probability, then
    any other stage alphabetically, the stageless last."""
    known = sorted(probabilities, key=lambda stage: probabilities[stage])
    present = set(stages)
    others = sorted(stage for stage in present if stage not in probabilities and stage != NO_STAGE)
    return [s for s in known if s in present] + others + ([NO_STAGE] if NO_STAGE in present else [])


def pipeline_by_month(pipeline: pd.DataFrame, current_month: pd.Timestamp, order: list[str]) -> pd.DataFrame:
    """The open pipeline by expected close month and stage (SPEC 11): months before the
    current one fold into one `overdue` bucket first, deals without a close date into a
    `no_date` bucket last. `bucket` is the month's first day as 'YYYY-MM-DD' or the bucket name."""
    columns = ["bucket", "stage", "deals", "amount", "weighted"]
    if pipeline.empty:
        return pd.DataFrame(columns=columns)
    month = pd.to_datetime(pipeline["close_month"])
    current = pd.Timestamp(current_month)
    bucket = month.dt.strftime("%Y-%m-%d").where(month >= current, OVERDUE).where(month.notna(), NO_CLOSE_DATE)
    rank = month.where(month >= current).rank(method="dense").fillna(0).where(month.notna(), np.inf)
    frame = pipeline.assign(bucket=bucket, rank=rank.to_numpy(),
                            stage_rank=pipeline["stage"].map({s: i for i, s in enumerate(order)}).fillna(len(order)))
    grouped = frame.groupby(["rank", "bucket", "stage_rank", "stage"], dropna=False)[["deals", "amount", "weighted"]]
    result = grouped.sum(min_count=1).reset_index()
    result["deals"] = result["deals"].astype(int)
    return result[columns]


def pipeline_by_stage(pipeline: pd.DataFrame, order: list[str]) -> pd.DataFrame:
    """The open pipeline per stage in pipeline order: deals, amount and weighted amount (SPEC 11)."""
    columns = ["stage", "deals", "amount", "weighted"]
    if pipeline.empty:
        return pd.DataFrame(columns=columns)
    totals = pipeline.groupby("stage")[["deals", "amount", "weighted"]].sum(min_count=1)
    totals = totals.reindex([s for s in order if s in totals.index]).rename_axis("stage").reset_index()
    totals["deals"] = totals["deals"].astype(int)
    return totals[columns]
