"""What was known at `as_of`, and each lead's effective stage dates (SPEC 1 and "as_of").

Both are remembered per input (by identity, while the input lives): the dashboard shares one
dataset between requests and never changes a frame in place, so the stages of a million
leads are worked out once per data version, not once per figure. When nothing in a dataset
lies after `as_of` (the live dashboard: as_of is now), `as_known_at` returns the same
dataset every time.
"""
from __future__ import annotations

import dataclasses
import threading
import weakref
from collections import OrderedDict

import pandas as pd

from queries.loaders import LEAD_TIMESTAMPS, Dataset

STAGES = ("lead", "mql", "sal", "sql", "opportunity", "won")
# The lead column holding each stage's recorded date (won comes from deals only).
RECORDED = {"lead": "created_at", "mql": "mql_at", "sal": "sal_at", "sql": "sql_at", "opportunity": "opportunity_at"}
# The column of the effective date of each stage in `effective_stages`' frame.
AT = {stage: f"at_{stage}" for stage in STAGES}


_MEMO_LOCK = threading.Lock()
_MEMO_MAX = 256  # a bound whatever happens; entries go with their inputs long before
_memo: "OrderedDict[tuple[int, ...], tuple[tuple[weakref.ref, ...], object]]" = OrderedDict()
_SAME_AS_INPUT = object()


def remembered(inputs: tuple, key: str, compute):
    """compute() once per (inputs by identity, key), kept while every input lives.

    A value that is one of its own inputs (as_known_at gives the dataset itself once as_of is
    past its latest record) is kept as that input's position, not as a reference: a strong
    reference would keep the input, and so the entry and every old dataset, alive for ever."""
    with _MEMO_LOCK:
        for stale in [k for k, (refs, _v) in _memo.items() if any(r() is None for r in refs)]:
            del _memo[stale]
        entry = _memo.get((*map(id, inputs), key))
        if entry is not None and all(r() is o for r, o in zip(entry[0], inputs)):
            _memo.move_to_end((*map(id, inputs), key))
            kept = entry[1]
            return inputs[kept[1]] if isinstance(kept, tuple) and kept[:1] == (_SAME_AS_INPUT,) else kept
    value = compute()
    position = next((i for i, item in enumerate(inputs) if item is value), None)
    with _MEMO_LOCK:
        _memo[(*map(id, inputs), key)] = (tuple(weakref.ref(o) for o in inputs),
                                          value if position is None else (_SAME_AS_INPUT, position))
        while len(_memo) > _MEMO_MAX:
            _memo.popitem(last=False)
    return value


def latest_date(dataset: Dataset) -> pd.Timestamp | None:
    """The latest date of any record in the dataset (None when it has none)."""
    def compute():
        leads, deals = dataset.leads, dataset.deals
        latest = [leads[c].max() for c in LEAD_TIMESTAMPS]
        latest += [deals["created_at"].max(), deals["closed_at"].max(), dataset.activities["occurred_at"].max()]
        latest = [stamp for stamp in latest if not pd.isna(stamp)]
        return max(latest) if latest else None
    return remembered((dataset,), "latest_date", compute)


def as_known_at(dataset: Dataset, as_of: pd.Timestamp) -> Dataset:
    """The dataset as it was known at `as_of`: later records do not exist yet, later stage
    and close dates have not happened yet (a deal closed later is still open).

    From the dataset's latest date on, the answer no longer depends on as_of: the dataset
    itself, or once per dataset a copy with the reasons of exits that have no date cleared.
    """
    as_of = pd.Timestamp(as_of)
    latest = latest_date(dataset)
    if latest is None or as_of >= latest:
        return remembered((dataset,), "settled", lambda: _settled(dataset))
    return _known_at(dataset, as_of)


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
    return Dataset(leads, deals, activities, dataset.owners, dataset.campaigns, dataset.loaded_at)


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
    is earlier than the previous stage's) flags for the data-quality report. The result is
    shared between callers with the same frames: read it, never change it in place.
    """
    return remembered((leads, deals), "effective_stages", lambda: _effective_stages(leads, deals))


def _effective_stages(leads: pd.DataFrame, deals: pd.DataFrame) -> pd.DataFrame:
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
