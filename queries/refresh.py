"""Refresh a loaded Dataset with only what changed: rows written since the last load (by
`updated_at`), and rows deleted since (by comparing counts, then ids).

`load_marked` loads everything and remembers the newest write time per table; `refresh`
takes a dataset and its mark and returns the same frames a full `load_dataset` would give
now, having read only the rows written since (a little before) the mark. The mark is the
newest `updated_at` the database held, never the clock, so writers' clocks need not agree
with the reader's; `OVERLAP` re-reads the minutes before it, for a transaction that stamped
its rows before the mark was read but committed after. A row inserted or deleted behind the
write times (raw SQL, a restore) is still found: the count or the sum of ids differs, and
the ids settle it.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sqlalchemy import Engine, Select, and_, func, or_, select

from queries.history import load_changes
from queries.loaders import (
    Dataset,
    Filters,
    activities_query,
    deals_query,
    filtered_lead_ids,
    leads_query,
    load_campaign_costs,
    load_campaigns,
    load_owners,
    read_activities,
    read_deals,
    read_leads,
)
from queries.schema import Activity, Deal, Lead

OVERLAP = dt.timedelta(minutes=10)
ID_CHUNK = 500  # ids per IN list when fetching rows the write times did not reveal
BUCKET = 10_000  # ids per block compared when the counts differ
TABLES = {"leads": Lead, "deals": Deal, "activities": Activity}


@dataclass(frozen=True)
class LoadMark:
    """The newest write time per table when a dataset was loaded (None: no stamped rows)."""

    written: tuple[tuple[str, dt.datetime | None], ...]

    def of(self, table: str) -> dt.datetime | None:
        return dict(self.written)[table]


@dataclass
class RefreshReport:
    """What a refresh read: changed rows per table, and whether it fell back to reading ids
    or everything."""

    changed: dict[str, int] = field(default_factory=dict)
    reconciled: list[str] = field(default_factory=list)
    full_reload: bool = False


def newest_writes(engine: Engine) -> LoadMark:
    """The newest `updated_at` of leads, deals and activities, read in one statement."""
    columns = [select(func.max(model.updated_at)).scalar_subquery() for model in TABLES.values()]
    with engine.connect() as connection:
        row = connection.execute(select(*columns)).one()
    return LoadMark(tuple((table, _aware(stamp)) for table, stamp in zip(TABLES, row)))


def _aware(stamp):
    if stamp is None:
        return None
    if isinstance(stamp, str):  # SQLite through a scalar subquery comes back untyped
        stamp = dt.datetime.fromisoformat(stamp)
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.timezone.utc)


def _queries(filters: Filters) -> dict[str, Select]:
    return {
        "leads": leads_query(None, filters),
        "deals": deals_query(None, filters),
        "activities": activities_query(None, filtered_lead_ids(filters), team="sales"),
    }


READERS = {"leads": read_leads, "deals": read_deals, "activities": read_activities}


def load_marked(engine: Engine, filters: Filters = Filters()) -> tuple[Dataset, LoadMark]:
    """Every record matching the filters (all of history), with its mark for `refresh`."""
    mark = newest_writes(engine)  # read first: a write that lands during the load is re-read next time
    queries = _queries(filters)
    dataset = Dataset(
        leads=read_leads(engine, queries["leads"]),
        deals=read_deals(engine, queries["deals"]),
        activities=read_activities(engine, queries["activities"]),
        owners=load_owners(engine),
        campaigns=load_campaigns(engine),
        changes=load_changes(engine),
        campaign_costs=load_campaign_costs(engine),
    )
    return dataset, mark


def _changed(model, since: dt.datetime | None, lead_changed=None):
    """The rows of `model` written since `since` (every stamped row without one); for deals and
    activities under lead filters, also the rows of leads written since (their membership
    follows their lead's segment, source and campaign)."""
    changed = model.updated_at.is_not(None) if since is None else model.updated_at > since
    if lead_changed is not None:
        changed = or_(changed, model.lead_id.in_(select(Lead.id).where(lead_changed)))
    return changed


def refresh(
    engine: Engine, dataset: Dataset, mark: LoadMark, filters: Filters = Filters(),
    overlap: dt.timedelta = OVERLAP,
) -> tuple[Dataset, LoadMark, RefreshReport]:
    """The dataset as a full load would give it now, reading only what was written after
    `mark` less `overlap`, and what the counts and ids show was inserted or deleted."""
    report = RefreshReport()
    new_mark = newest_writes(engine)
    owners, campaigns = load_owners(engine), load_campaigns(engine)
    went_back = any(before is not None and (now is None or now < before)
                    for (_t, before), (_t2, now) in zip(mark.written, new_mark.written))
    if went_back or ((filters.teams or filters.deal_teams) and not owners.equals(dataset.owners)):
        # write times went back (a restored backup, or the newest row deleted: rare enough to
        # pay a full load for), or an owner moved teams: read everything
        fresh, fresh_mark = load_marked(engine, filters)
        report.full_reload = True
        return fresh, fresh_mark, report

    queries = _queries(filters)
    since = {table: None if mark.of(table) is None else mark.of(table) - overlap for table in TABLES}
    lead_changed = _changed(Lead, since["leads"])
    by_lead = filters.selects_leads
    frames = {}
    for table, model in TABLES.items():
        old = getattr(dataset, table)
        changed = _changed(model, since[table], lead_changed if by_lead and table != "leads" else None)
        with engine.connect() as connection:
            touched = connection.execute(select(model.id).where(changed)).scalars().all()
        fresh = READERS[table](engine, queries[table].where(changed))
        report.changed[table] = len(touched)
        frame = _replaced(old, touched, fresh) if touched else old
        frames[table] = _reconciled(engine, table, model, queries[table], frame, report)
    refreshed = Dataset(frames["leads"], frames["deals"], frames["activities"], owners, campaigns,
                        campaign_costs=load_campaign_costs(engine),
                        changes=_appended_changes(engine, dataset.changes))
    return refreshed, new_mark, report


def _appended_changes(engine: Engine, changes: pd.DataFrame) -> pd.DataFrame:
    """The recorded changes: those held, then the ones appended since (the history is
    append-only, so its ids tell what is new)."""
    from queries.loaders import canonical_frame

    newer = load_changes(engine, after_id=int(changes["id"].max()) if len(changes) else 0)
    if newer.empty:
        return changes
    return canonical_frame(pd.concat([changes, newer], ignore_index=True)) if len(changes) else newer


def _replaced(old: pd.DataFrame, touched: list, fresh: pd.DataFrame) -> pd.DataFrame:
    """`old` with the touched rows replaced by the fresh ones: rewritten rows in place (one
    copy of the frame), new rows appended, rows gone (deleted, or out of the filter) dropped."""
    from queries.loaders import canonical_frame

    ids = old["id"].to_numpy()
    fresh_ids = fresh["id"].to_numpy()
    in_old = np.isin(fresh_ids, ids)
    gone = np.isin(ids, touched) & ~np.isin(ids, fresh_ids)
    if not in_old.any() or gone.any():
        return _merged(old[~old["id"].isin(touched)], fresh)
    frame = old.copy()
    positions = np.searchsorted(ids, fresh_ids[in_old])
    rewritten = fresh[in_old]
    if any(frame[column].dtype != rewritten[column].dtype for column in frame.columns):
        return _merged(old[~old["id"].isin(touched)], fresh)
    for number, column in enumerate(frame.columns):
        frame.iloc[positions, number] = rewritten[column].array
    return _merged(canonical_frame(frame), fresh[~in_old]) if (~in_old).any() else canonical_frame(frame)


def _merged(kept: pd.DataFrame, fresh: pd.DataFrame) -> pd.DataFrame:
    """The kept rows and the fresh ones in id order, in one copy when the fresh ones all come
    after the kept ones (new rows: the common case), else sorted."""
    from queries.loaders import canonical_frame

    if fresh.empty:
        return kept.reset_index(drop=True)
    if not len(kept):
        return canonical_frame(fresh.sort_values("id", kind="stable", ignore_index=True))
    frame = pd.concat([kept, fresh], ignore_index=True)
    if not (fresh["id"].is_monotonic_increasing and fresh["id"].iloc[0] > kept["id"].iloc[-1]):
        frame = frame.sort_values("id", kind="stable", ignore_index=True)
    return canonical_frame(frame)


def _reconciled(
    engine: Engine, table: str, model, query: Select, frame: pd.DataFrame, report: RefreshReport
) -> pd.DataFrame:
    """The frame with rows deleted since dropped and rows missed by the write times added,
    found by comparing the count and the sum of ids with the database's, then the same per
    block of BUCKET ids, then the ids of the blocks that differ (a few deletions read a few
    thousand ids, not every id)."""
    subquery = query.subquery()
    with engine.connect() as connection:
        count, id_sum = connection.execute(
            select(func.count(), func.coalesce(func.sum(subquery.c.id), 0)).select_from(subquery)
        ).one()
        if count == len(frame) and int(id_sum) == int(frame["id"].sum()):
            return frame
        report.reconciled.append(table)
        block = (subquery.c.id - subquery.c.id % BUCKET).label("block")
        theirs = pd.DataFrame(
            connection.execute(select(block, func.count(), func.sum(subquery.c.id)).group_by(block)).all(),
            columns=["block", "count", "sum"],
        ).astype("int64").set_index("block")
        ids = frame["id"].astype("int64")
        ours = ids.groupby(ids - ids % BUCKET).agg(["count", "sum"])
        both = theirs.join(ours, how="outer", suffixes=("_db", "_cache")).fillna(-1)
        differ = both.index[(both["count_db"] != both["count_cache"]) | (both["sum_db"] != both["sum_cache"])].tolist()
        in_blocks = or_(*(and_(subquery.c.id >= b, subquery.c.id < b + BUCKET) for b in differ))
        found = pd.Index(connection.execute(select(subquery.c.id).where(in_blocks)).scalars().all())
    blocks = ids - ids % BUCKET
    frame = frame[~blocks.isin(differ) | ids.isin(found)]
    missing = found.difference(pd.Index(frame["id"])).tolist()
    if missing:
        parts = [READERS[table](engine, query.where(model.id.in_(missing[i:i + ID_CHUNK])))
                 for i in range(0, len(missing), ID_CHUNK)]
        frame = _merged(frame, pd.concat(parts, ignore_index=True))
    return frame.reset_index(drop=True)
