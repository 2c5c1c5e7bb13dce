"""What was known at `as_of`, and each lead's effective stage dates (SPEC 1 and "as_of").

Pure functions: frames in, frames out, the input untouched. Reports compute them once per
request (`dashboard.reports.context`) and the app's cache keeps them per data version, so the
stages of a million leads are worked out once per data version, not once per figure. When
nothing in a dataset lies after `as_of` (the live dashboard: as_of is now), `as_known_at`
returns the dataset itself (or, once, a copy with the reasons of exits that have no date
cleared).
"""
from __future__ import annotations

import dataclasses

import pandas as pd

from dashboard import vocabulary
from queries.history import decode_like
from queries.loaders import LEAD_TIMESTAMPS, Dataset

STAGES = vocabulary.STAGES
# The lead column holding each stage's recorded date (won comes from deals only).
RECORDED = {stage.name: stage.column for stage in vocabulary.STAGES_OF_FUNNEL if stage.column}
# The column of the effective date of each stage in `effective_stages`' frame.
AT = {stage: f"at_{stage}" for stage in STAGES}


def latest_date(dataset: Dataset) -> pd.Timestamp | None:
    """The latest date of any record in the dataset, event or recording time (None when it
    has none)."""
    leads, deals, activities = dataset.leads, dataset.deals, dataset.activities
    latest = [leads[c].max() for c in LEAD_TIMESTAMPS]
    latest += [deals["created_at"].max(), deals["closed_at"].max(), activities["occurred_at"].max()]
    latest += [frame["recorded_at"].max() for frame in (leads, deals, activities) if "recorded_at" in frame]
    latest.append(dataset.changes["recorded_at"].max())
    latest = [stamp for stamp in latest if not pd.isna(stamp)]
    return max(latest) if latest else None


def settled(dataset: Dataset, as_of: pd.Timestamp, recorded_by: pd.Timestamp | None = None) -> bool:
    """Nothing in the dataset happened or was recorded after as_of (and recorded_by): what is
    known no longer depends on them."""
    latest = latest_date(dataset)
    if latest is None:
        return True
    return pd.Timestamp(as_of) >= latest and (recorded_by is None or pd.Timestamp(recorded_by) >= latest)


def as_known_at(dataset: Dataset, as_of: pd.Timestamp, recorded_by: pd.Timestamp | None = None) -> Dataset:
    """The dataset as it was known at `as_of` (SPEC "as_of" and "Recorded time"): records
    recorded later do not exist yet and fields changed later keep the value recorded before;
    later stage and close dates have not happened yet (a deal closed later is still open).

    `recorded_by` (default: as_of) is the instant up to which recordings count: as_of itself
    for the figures as the board showed them, now for the restated ones.

    From the dataset's latest date on, the answer no longer depends on as_of: the dataset
    itself, or once per dataset a copy with the reasons of exits that have no date cleared.
    """
    as_of = pd.Timestamp(as_of)
    recorded_by = as_of if recorded_by is None else pd.Timestamp(recorded_by)
    if settled(dataset, as_of, recorded_by):
        return _settled(dataset)
    return _known_at(as_recorded_by(dataset, recorded_by), as_of)


def as_recorded_by(dataset: Dataset, recorded_by: pd.Timestamp) -> Dataset:
    """The records as the database held them at `recorded_by`: those recorded later left
    out, each field a later import changed back to the value it had before (an empty
    `recorded_at` is a record made by hand: known from its own event time)."""
    frames = {}
    for name in ("leads", "deals", "activities"):
        frame = getattr(dataset, name)
        if "recorded_at" in frame and (frame["recorded_at"] > recorded_by).any():
            frame = frame[~(frame["recorded_at"] > recorded_by)]
        frames[name] = frame
    later = dataset.changes[dataset.changes["recorded_at"] > recorded_by]
    if not later.empty:
        # the value before the earliest change recorded after recorded_by is the one it had then
        first = later.sort_values(["recorded_at", "id"], kind="stable").drop_duplicates(
            ["table_name", "record_id", "field"], keep="first")
        for name in ("leads", "deals"):
            mine = first[first["table_name"] == name]
            if not mine.empty:
                frames[name] = _reverted(frames[name], mine)
    if all(frames[name] is getattr(dataset, name) for name in frames):
        return dataset
    return dataclasses.replace(dataset, **frames)


def _reverted(frame: pd.DataFrame, changes: pd.DataFrame) -> pd.DataFrame:
    """The frame with each change's field set back to its old value, by record id."""
    frame = frame.copy()
    position = pd.Series(range(len(frame)), index=frame["id"].to_numpy())
    for field_name, rows in changes.groupby("field", sort=False):
        if field_name not in frame:
            continue
        rows = rows[rows["record_id"].isin(position.index)]
        if rows.empty:
            continue
        values = decode_like(rows["old_value"].reset_index(drop=True), frame[field_name])
        column = frame[field_name]
        if values.isna().any() and column.dtype.kind in "iu":
            column = column.astype("float64")
        column = column.copy()
        column.iloc[position.loc[rows["record_id"]].to_numpy()] = values.to_numpy()
        frame[field_name] = column
    return frame


def _settled(dataset: Dataset) -> Dataset:
    leads = dataset.leads
    if not any((leads[reason].notna() & leads[at].isna()).any()
               for reason, at in (("disqualified_reason", "disqualified_at"), ("recycled_reason", "recycled_at"))):
        return dataset
    columns = {column: leads[column] for column in leads.columns}  # shared, not copied
    for reason, at in (("disqualified_reason", "disqualified_at"), ("recycled_reason", "recycled_at")):
        columns[reason] = leads[reason].where(leads[at].notna(), None)
    return dataclasses.replace(dataset, leads=pd.DataFrame(columns, index=leads.index, copy=False))


def _known_at(dataset: Dataset, as_of: pd.Timestamp) -> Dataset:
    leads = dataset.leads[dataset.leads["created_at"] <= as_of].copy()
    for column in LEAD_TIMESTAMPS:
        leads[column] = leads[column].where(leads[column] <= as_of)
    leads.loc[leads["disqualified_at"].isna(), "disqualified_reason"] = None
    leads.loc[leads["recycled_at"].isna(), "recycled_reason"] = None

    deals = dataset.deals[dataset.deals["created_at"] <= as_of].copy()
    closed_later = deals["closed_at"] > as_of
    deals.loc[closed_later, "closed_at"] = pd.NaT
    deals.loc[closed_later, "is_won"] = pd.NA
    deals.loc[closed_later, "lost_reason"] = None

    activities = dataset.activities[dataset.activities["occurred_at"] <= as_of]
    return dataclasses.replace(dataset, leads=leads, deals=deals, activities=activities,
                               unrecorded=dataset.not_recorded)


def times_by_id(ids: pd.Series, times: pd.Series) -> pd.Series:
    """The timestamp `times` holds for each of `ids` (NaT where it holds none). pandas 3 maps
    through an empty Series as float64, which a timestamp cannot become: a database with leads
    but no deals (or no sales activities) gets NaT in UTC throughout instead."""
    if times.empty:
        return pd.Series(pd.NaT, index=ids.index, dtype="datetime64[ns, UTC]")
    return ids.map(times)


def effective_stages(leads: pd.DataFrame, deals: pd.DataFrame) -> pd.DataFrame:
    """The leads with `at_<stage>` columns: the recorded date, or the earliest later stage's
    date where it is missing; opportunity and won also come from the lead's deals (SPEC 1).

    Also adds `inferred_<stage>` (the date was inferred) and `out_of_order_<stage>` (the date
    is earlier than the previous stage's) flags for the data-quality report. The result may
    be shared between callers (a report's context): read it, never change it in place.
    """
    linked = deals[deals["lead_id"].notna()]
    first_deal = linked.groupby("lead_id")["created_at"].min()
    won = linked[linked["is_won"].fillna(False).astype(bool) & linked["closed_at"].notna()]
    first_won = won.groupby("lead_id")["closed_at"].min()

    recorded = {stage: leads[column] for stage, column in RECORDED.items()}
    recorded["opportunity"] = recorded["opportunity"].fillna(times_by_id(leads["id"], first_deal))
    recorded["won"] = times_by_id(leads["id"], first_won).astype("datetime64[ns, UTC]")

    frame = leads.copy()
    later = recorded["won"]
    frame[AT["won"]] = later
    frame["inferred_won"] = False
    frame["inferred_opportunity"] = leads["opportunity_at"].isna() & recorded["opportunity"].notna()
    for stage in ("opportunity", "sql", "sal", "mql", "lead"):
        frame[AT[stage]] = recorded[stage].fillna(later)
        if stage not in ("opportunity", "lead"):
            frame[f"inferred_{stage}"] = recorded[stage].isna() & frame[AT[stage]].notna()
        later = recorded[stage].where(recorded[stage] < later, later).fillna(recorded[stage])
    frame["inferred_lead"] = False
    for previous, stage in zip(STAGES, STAGES[1:]):
        frame[f"out_of_order_{stage}"] = frame[AT[stage]] < frame[AT[previous]]
    return frame.copy()  # one block per dtype: shared by many readers, consolidated once
