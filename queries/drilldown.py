"""Queries of the leads drill-down: one lead's touches with their detail, and contacts' companies.

The shared `Dataset` holds sales activities only and no activity detail; the timeline of one
lead needs both teams' activities with detail, and the grid needs each lead's company.
Nothing here imports Dash.
"""
from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import Engine, select

from queries.schema import Activity, Contact

TIMELINE_ACTIVITY_COLUMNS = ("id", "external_id", "lead_id", "owner_id", "team", "type", "detail", "occurred_at")
_CHUNK = 500  # ids per IN list: well under every database's bound-parameter limit


def load_lead_activities(engine: Engine, lead_id: int, as_of: dt.datetime | None = None) -> pd.DataFrame:
    """Every activity of one lead (marketing and sales, with detail) that happened by `as_of`."""
    statement = select(*(getattr(Activity, c) for c in TIMELINE_ACTIVITY_COLUMNS)).where(Activity.lead_id == lead_id)
    if as_of is not None:
        statement = statement.where(Activity.occurred_at <= as_of)
    with engine.connect() as connection:
        rows = connection.execute(statement.order_by(Activity.occurred_at, Activity.id)).all()
    frame = pd.DataFrame.from_records(rows, columns=list(TIMELINE_ACTIVITY_COLUMNS))
    frame["occurred_at"] = pd.to_datetime(frame["occurred_at"], utc=True).astype("datetime64[ns, UTC]")
    return frame


def load_companies(engine: Engine, contact_ids) -> pd.DataFrame:
    """The id and company of the given contacts (for the company column of the leads grid)."""
    ids = sorted({int(i) for i in contact_ids if pd.notna(i)})
    rows = []
    with engine.connect() as connection:
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start:start + _CHUNK]
            rows += connection.execute(select(Contact.id, Contact.company).where(Contact.id.in_(chunk))).all()
    return pd.DataFrame.from_records(rows, columns=["id", "company"])


def load_contact(engine: Engine, contact_id: int | None) -> dict | None:
    """One contact's name, email, company, country and segment (the timeline's header)."""
    if contact_id is None or pd.isna(contact_id):
        return None
    columns = ("id", "external_id", "name", "email", "company", "country", "segment")
    with engine.connect() as connection:
        row = connection.execute(
            select(*(getattr(Contact, c) for c in columns)).where(Contact.id == int(contact_id))
        ).first()
    return dict(zip(columns, row)) if row else None
