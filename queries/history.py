"""The history of changes later imports make (SPEC "Recorded time"): how a field's value is
kept as text in `record_changes`, how the changes of one chunk of updates are found, and how
they are read back into a frame.

A value is text that compares equal exactly when the values do: instants in UTC with
microseconds, numbers without trailing zeros, booleans as true/false, ids as integers.
Nothing here imports Dash.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal

import pandas as pd
from sqlalchemy import Connection, Engine, insert, select

from queries.schema import TRACKED_FIELDS, RecordChange

CHANGE_COLUMNS = ("id", "table_name", "record_id", "field", "old_value", "recorded_at")
LOOKUP_IDS = 1_000  # ids per IN list


def encode_value(value: object) -> str | None:
    """A field's value as the text `record_changes` keeps (None stays None)."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: timestamps must carry a time zone")
        return value.astimezone(dt.timezone.utc).isoformat(timespec="microseconds")
    if isinstance(value, (Decimal, float)):
        text = format(Decimal(str(value)).normalize(), "f")
        return "0" if text in ("-0", "0") else text
    if isinstance(value, int):
        return str(value)
    return str(value)


def changes_of_updates(connection: Connection, table: str, updates: list[dict], recorded_at: dt.datetime,
                       prefix: str = "b_") -> list[dict]:
    """The `record_changes` rows for a chunk of updates: `updates` are the import's bound
    parameter dicts (`b_id` and `b_<field>`); each tracked field whose value differs from the
    one stored now is one change. Read before the update is written, in its transaction."""
    fields = [f for f in TRACKED_FIELDS.get(table, ()) if updates and f"{prefix}{f}" in updates[0]]
    if not fields:
        return []
    model_table = RecordChange.metadata.tables[table]
    ids = [row[f"{prefix}id"] for row in updates]
    stored: dict[int, tuple] = {}
    for start in range(0, len(ids), LOOKUP_IDS):
        statement = select(model_table.c.id, *(model_table.c[f] for f in fields)).where(
            model_table.c.id.in_(ids[start:start + LOOKUP_IDS]))
        stored.update((row[0], row[1:]) for row in connection.execute(statement))
    changes = []
    for row in updates:
        before = stored.get(row[f"{prefix}id"])
        if before is None:
            continue
        for field, old in zip(fields, before):
            old_text, new_text = encode_value(old), encode_value(row[f"{prefix}{field}"])
            if old_text != new_text:
                changes.append({"table_name": table, "record_id": row[f"{prefix}id"], "field": field,
                                "old_value": old_text, "new_value": new_text, "recorded_at": recorded_at})
    return changes


def write_changes(connection: Connection, changes: Iterable[Mapping]) -> int:
    """Append the changes (in the caller's transaction); how many were written."""
    rows = list(changes)
    if rows:
        connection.execute(insert(RecordChange.__table__), rows)
    return len(rows)


def load_changes(engine: Engine, after_id: int = 0) -> pd.DataFrame:
    """The recorded changes with ids above `after_id`, in id order: table_name, record_id,
    field, old_value (text), recorded_at (UTC)."""
    from queries.loaders import _frame  # here, not above: loaders imports this module

    statement = select(*(getattr(RecordChange, c) for c in CHANGE_COLUMNS)).where(RecordChange.id > after_id)
    return _frame(engine, statement.order_by(RecordChange.id), CHANGE_COLUMNS, ("recorded_at",))


def empty_changes() -> pd.DataFrame:
    """A changes frame with no rows, with the dtypes `load_changes` gives."""
    return pd.DataFrame({
        "id": pd.Series(dtype="int64"), "table_name": pd.Series(dtype="str"),
        "record_id": pd.Series(dtype="int64"), "field": pd.Series(dtype="str"),
        "old_value": pd.Series(dtype="str"), "recorded_at": pd.Series(dtype="datetime64[ns, UTC]"),
    })


def decode_like(texts: pd.Series, like: pd.Series) -> pd.Series:
    """Texts of `record_changes` as values of the dtype of the frame column `like`."""
    dtype = like.dtype
    if isinstance(dtype, pd.DatetimeTZDtype):
        return pd.to_datetime(texts, utc=True, format="ISO8601").astype(dtype)
    if str(dtype) == "boolean":
        return texts.map({"true": True, "false": False}).astype("boolean")
    if pd.api.types.is_numeric_dtype(dtype):
        numbers = pd.to_numeric(texts, errors="coerce").astype("float64")
        return numbers if dtype.kind == "f" or numbers.isna().any() else numbers.astype(dtype)
    return texts.astype(dtype) if str(dtype) == "str" else texts
