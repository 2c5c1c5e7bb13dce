"""The wall screen's figures: the scoreboard of a horizon as tiles, the weekly meeting's
summary, the month's funnel, the open breaches by rep and the closed loop by source.

Pure functions over the frames the pages compute (`scoreboard.scoreboard`,
`response.response_times`, `closed_loop_view.loop_table`); inputs untouched.
"""
from __future__ import annotations

import pandas as pd

from dashboard.metrics.funnel_views import range_stage_counts
from dashboard.metrics.stages import STAGES

SEVERITY = {"behind": 0, "at_risk": 1}
TILE_COLUMNS = ["id", "team", "metric", "is_count", "actual", "target", "expected", "required_per_day", "status",
                "previous_same_point"]


def horizon_tiles(board: pd.DataFrame, horizon: str, order: list[str]) -> pd.DataFrame:
    """The scoreboard's rows of one horizon, one per commitment, in the agreement's order."""
    rows = board[board["horizon"] == horizon].set_index("id")
    present = [commitment for commitment in order if commitment in rows.index]
    return rows.loc[present].reset_index()[TILE_COLUMNS]


def week_changes(board: pd.DataFrame, order: list[str]) -> pd.DataFrame:
    """Per commitment: this week so far, last week at the same point and the difference, and
    last week's final result with its target and status (what changed since the last meeting)."""
    now = horizon_tiles(board, "this_week", order).set_index("id")
    last = board[board["horizon"] == "last_week"].set_index("id")
    frame = pd.DataFrame({
        "team": now["team"], "metric": now["metric"], "is_count": now["is_count"],
        "week_to_date": now["actual"], "last_week_same_point": now["previous_same_point"],
    })
    frame["change"] = frame["week_to_date"] - frame["last_week_same_point"]
    frame["last_week"] = last["actual"].reindex(frame.index)
    frame["last_week_target"] = last["target"].reindex(frame.index)
    frame["last_week_status"] = last["status"].reindex(frame.index)
    frame["last_week_restated"] = (last["restated"] if "restated" in last else pd.Series(dtype=object)).reindex(frame.index)
    return frame.reset_index()


def commitments_at_risk(board: pd.DataFrame, horizons=("this_week", "this_month")) -> pd.DataFrame:
    """The commitments behind or at risk in the given horizons: behind first, then at risk,
    each in the horizons' order; with what is still needed per working day where it is a count."""
    rows = board[board["horizon"].isin(horizons) & board["status"].isin(list(SEVERITY))]
    rows = rows.assign(severity=rows["status"].map(SEVERITY),
                       horizon_order=rows["horizon"].map({h: i for i, h in enumerate(horizons)}))
    rows = rows.sort_values(["severity", "horizon_order"], kind="stable")
    return rows[["id", "team", "metric", "is_count", "horizon", "actual", "target", "expected", "required_per_day",
                 "status"]].reset_index(drop=True)


def breaches_by_rep(breaches: pd.DataFrame) -> pd.DataFrame:
    """From `sales.open_breach_list`: per rep, how many open breaches and the oldest's age in
    working hours; the most breaches first, then the oldest; leads with no owner as "Unassigned"."""
    if breaches.empty:
        return pd.DataFrame({"owner": pd.Series(dtype=object), "breaches": pd.Series(dtype=int),
                             "oldest_hours": pd.Series(dtype=float)})
    owner = breaches["owner"].fillna("Unassigned").replace("", "Unassigned")
    grouped = breaches.assign(owner=owner).groupby("owner", sort=False)
    table = pd.DataFrame({"breaches": grouped.size(), "oldest_hours": grouped["age_hours"].max()})
    table = table.reset_index().sort_values(["breaches", "oldest_hours", "owner"], ascending=[False, False, True],
                                            kind="stable")
    table["breaches"] = table["breaches"].astype(int)
    return table.reset_index(drop=True)


def funnel_to_date(stages: pd.DataFrame, start: pd.Timestamp, now: pd.Timestamp,
                   previous_start: pd.Timestamp, previous_now: pd.Timestamp) -> pd.DataFrame:
    """How many leads reached each stage from `start` to `now` (UTC instants), against the
    previous period from `previous_start` to the same point `previous_now` (SPEC 2); with each
    stage's share of the stage before in this period (a period ratio, SPEC 4)."""
    current = range_stage_counts(stages, start, now)
    previous = range_stage_counts(stages, previous_start, previous_now)
    before = current.shift(1)
    ratio = (current / before.where(before > 0)).astype(float)
    return pd.DataFrame({"stage": list(STAGES), "count": current.to_numpy(), "previous": previous.to_numpy(),
                         "ratio_to_previous_stage": ratio.to_numpy()})
