"""Small hand-made datasets for the metric tests: local Helsinki times in, a Dataset out."""
from __future__ import annotations

import pandas as pd

from queries.loaders import (
    ACTIVITY_COLUMNS,
    CAMPAIGN_COLUMNS,
    CAMPAIGN_COST_COLUMNS,
    DEAL_COLUMNS,
    LEAD_COLUMNS,
    LEAD_TIMESTAMPS,
    OWNER_COLUMNS,
    Dataset,
    campaign_cost_frame,
)

TZ = "Europe/Helsinki"


def t(local: str | None) -> pd.Timestamp | None:
    """A Helsinki wall-clock time ("2026-11-20 15:30") as a UTC instant; ISO with offset kept."""
    if local is None:
        return None
    stamp = pd.Timestamp(local)
    return (stamp.tz_localize(TZ) if stamp.tzinfo is None else stamp).tz_convert("UTC")


def _frame(rows: list[dict], columns, timestamps) -> pd.DataFrame:
    frame = pd.DataFrame([{c: row.get(c) for c in columns} for row in rows], columns=list(columns))
    for column in timestamps:
        frame[column] = pd.to_datetime(frame[column].map(t), utc=True).astype("datetime64[ns, UTC]")
    return frame


def leads(*rows: dict) -> pd.DataFrame:
    rows = [{"external_id": f"L{row['id']}", **row} for row in rows]
    return _frame(rows, LEAD_COLUMNS, (*LEAD_TIMESTAMPS, "recorded_at"))


def deals(*rows: dict) -> pd.DataFrame:
    rows = [{"external_id": f"D{row['id']}", "currency": "EUR", **row} for row in rows]
    frame = _frame(rows, DEAL_COLUMNS, ("created_at", "closed_at", "recorded_at"))
    frame["amount"] = frame["amount"].astype(float)
    frame["probability"] = frame["probability"].astype(float)
    frame["is_won"] = frame["is_won"].astype("boolean")
    frame["expected_close_on"] = pd.to_datetime(frame["expected_close_on"])
    return frame


def activities(*rows: dict) -> pd.DataFrame:
    rows = [{"external_id": f"A{row['id']}", "team": "sales", "type": "call", **row} for row in rows]
    return _frame(rows, ACTIVITY_COLUMNS, ("occurred_at", "recorded_at"))


def owners(*rows: dict) -> pd.DataFrame:
    rows = [{"external_id": f"O{row['id']}", "active": True, **row} for row in rows]
    return pd.DataFrame([{c: row.get(c) for c in OWNER_COLUMNS} for row in rows], columns=list(OWNER_COLUMNS))


def campaigns(*rows: dict) -> pd.DataFrame:
    rows = [{"external_id": f"C{row['id']}", "currency": "EUR", **row} for row in rows]
    frame = pd.DataFrame([{c: row.get(c) for c in CAMPAIGN_COLUMNS} for row in rows], columns=list(CAMPAIGN_COLUMNS))
    frame["cost"] = frame["cost"].astype(float)
    for column in ("started_on", "ended_on"):
        frame[column] = pd.to_datetime(frame[column])
    return frame


def campaign_costs(*rows: dict) -> pd.DataFrame:
    """campaign_costs rows (campaign_id, period_start, period_end, amount; currency optional)."""
    rows = [{"external_id": f"K{row['id']}", **row} for row in rows]
    return campaign_cost_frame([tuple(row.get(c) for c in CAMPAIGN_COST_COLUMNS) for row in rows])


def dataset(lead_rows=(), deal_rows=(), activity_rows=(), owner_rows=(), campaign_rows=(), cost_rows=()) -> Dataset:
    """A Dataset from row dicts; any table left out is empty."""
    return Dataset(
        leads=leads(*lead_rows), deals=deals(*deal_rows), activities=activities(*activity_rows),
        owners=owners(*owner_rows), campaigns=campaigns(*campaign_rows), campaign_costs=campaign_costs(*cost_rows),
    )
