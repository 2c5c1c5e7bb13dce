"""Every query that loads records: `select()` in, DataFrame out, predicates pushed into SQL.

Frames carry the schema's column names; ids are the database's integer ids; timestamps are
`datetime64[ns, UTC]`; amounts and probabilities are floats; `is_won` is pandas' nullable
boolean; text is pandas' string dtype, a missing value NaN (not None). Nothing here imports Dash.
"""
from __future__ import annotations

import datetime as dt
import warnings
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd
from sqlalchemy import Engine, Select, String, and_, or_, select

from queries.epoch import epoch_micros
from queries.history import empty_changes, encode_value, load_changes
from queries.recorded import unrecorded_rates
from queries.schema import Activity, Base, Campaign, CampaignCost, Deal, Lead, Owner, UnresolvedReference

LEAD_TIMESTAMPS = (
    "created_at", "mql_at", "assigned_at", "sal_at", "sql_at", "opportunity_at",
    "disqualified_at", "recycled_at", "first_touch_at",
)
# `recorded_at` (SPEC "Recorded time"): from when a record counts as known; empty in a frame
# made by hand means known from its own event time.
LEAD_COLUMNS = (
    "id", "external_id", "contact_id", "source", "campaign_id", "segment", "owner_id",
    "disqualified_reason", "recycled_reason", *LEAD_TIMESTAMPS, "recorded_at",
)
DEAL_COLUMNS = (
    "id", "external_id", "lead_id", "contact_id", "owner_id", "name", "pipeline", "stage",
    "amount", "currency", "created_at", "expected_close_on", "closed_at", "is_won",
    "lost_reason", "probability", "recorded_at",
)
ACTIVITY_COLUMNS = ("id", "external_id", "lead_id", "contact_id", "owner_id", "team", "type", "occurred_at",
                    "recorded_at")
DEAL_TIMESTAMPS = ("created_at", "closed_at", "recorded_at")
ACTIVITY_TIMESTAMPS = ("occurred_at", "recorded_at")
# Every text column of the schema (no column name is text in one table and not in another).
TEXT_COLUMNS = frozenset(column.name for table in Base.metadata.tables.values() for column in table.columns
                         if isinstance(column.type, String))
FETCH_ROWS = 50_000  # rows per fetch: bounds the memory of the driver's row objects
OWNER_COLUMNS = ("id", "external_id", "name", "email", "team", "active")
CAMPAIGN_COLUMNS = ("id", "external_id", "name", "channel", "started_on", "ended_on", "cost", "currency")
CAMPAIGN_COST_COLUMNS = ("id", "external_id", "campaign_id", "period_start", "period_end", "amount", "currency")


@dataclass(frozen=True)
class Filters:
    """The filter bar's choices; an empty tuple means "all".

    Segment, source, campaign, owner and team select leads (owner and team by the lead's own
    owner) and keep those leads' deals and activities with them: a won deal counts for the
    rep whose lead it was. `deal_owner_ids` and `deal_teams` select deals by the deal's own
    owner, for the deal figures, and leave the leads as they are."""

    segments: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    campaign_ids: tuple[int, ...] = ()
    owner_ids: tuple[int, ...] = ()
    teams: tuple[str, ...] = ()
    deal_owner_ids: tuple[int, ...] = ()
    deal_teams: tuple[str, ...] = ()

    @property
    def selects_leads(self) -> bool:
        """Any filter that selects leads (and with them their deals and activities)."""
        return bool(self.segments or self.sources or self.campaign_ids or self.owner_ids or self.teams)

    @property
    def selects_deals(self) -> bool:
        """Any filter on the deal's own owner."""
        return bool(self.deal_owner_ids or self.deal_teams)

    @property
    def is_empty(self) -> bool:
        return not (self.selects_leads or self.selects_deals)


@dataclass(frozen=True)
class Dataset:
    """The records the metric engine works on, as known at one instant."""

    leads: pd.DataFrame
    deals: pd.DataFrame
    activities: pd.DataFrame
    owners: pd.DataFrame
    campaigns: pd.DataFrame
    loaded_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc))
    campaign_costs: pd.DataFrame = field(default_factory=lambda: campaign_cost_frame([]))  # spend per period
    # the rates the source does not record, as the unfiltered records say (a filtered cut
    # carries them); None: work them out from these records (`not_recorded`)
    unrecorded: frozenset[str] | None = field(default=None, compare=False)
    # what later imports changed in tracked fields (queries.history): reverted for an earlier as_of
    changes: pd.DataFrame = field(default_factory=empty_changes)

    @property
    def is_empty(self) -> bool:
        return self.leads.empty and self.deals.empty

    @cached_property
    def not_recorded(self) -> frozenset[str]:
        """The kpis rates whose deciding field the source never records (queries.recorded)."""
        if self.unrecorded is not None:
            return self.unrecorded
        return unrecorded_rates(self.leads, self.deals, self.activities)


def _frame(engine: Engine, statement: Select, columns: tuple[str, ...], timestamps: tuple[str, ...] = ()) -> pd.DataFrame:
    """Run a select and build its frame chunk by chunk, timestamps as datetime64[ns, UTC].

    SQLite hands its stored text straight from the driver to pandas' ISO parser; the servers
    compute integer microseconds (`epoch_micros`) and stream the rows from a server-side
    cursor. Either way no Python datetime is made per value.
    """
    frames = []
    with engine.connect() as connection:
        if connection.dialect.name == "sqlite" and timestamps:
            result = connection.execute(statement)
            cursor = result.cursor  # the driver's own rows: nothing buffered ahead, no per-value processing
            while rows := cursor.fetchmany(FETCH_ROWS):
                frames.append(_chunk_frame(rows, columns, timestamps, _from_text))
            result.close()
        else:
            statement = _with_epoch_columns(statement, timestamps)
            result = connection.execution_options(yield_per=FETCH_ROWS).execute(statement)
            for rows in result.partitions():
                frames.append(_chunk_frame(rows, columns, timestamps, _from_micros))
    if not frames:
        return canonical_frame(_chunk_frame([], columns, timestamps, _from_micros))
    if len(frames) == 1:
        return canonical_frame(frames[0])
    with warnings.catch_warnings():  # a chunk whose column is all NULL: canonical_frame settles the dtype
        warnings.simplefilter("ignore", FutureWarning)
        return canonical_frame(pd.concat(frames, ignore_index=True))


def _with_epoch_columns(statement: Select, timestamps: tuple[str, ...]) -> Select:
    """The select with each timestamp column replaced by its UTC microseconds since 1970."""
    if not timestamps:
        return statement
    replaced = [
        epoch_micros(column).label(column.name) if column.name in timestamps else column
        for column in statement.selected_columns
    ]
    return statement.with_only_columns(*replaced, maintain_column_froms=True)


def _from_micros(values: pd.Series) -> pd.Series:
    micros = pd.to_numeric(values, errors="coerce").astype("float64").to_numpy()
    known = ~np.isnan(micros)
    stamps = np.full(len(micros), np.datetime64("NaT"), dtype="datetime64[ns]")
    stamps[known] = micros[known].astype(np.int64).astype("datetime64[us]")
    return pd.Series(stamps, index=values.index).dt.tz_localize("UTC")


def _from_text(values: pd.Series) -> pd.Series:
    """SQLite's stored naive-UTC text ('2026-11-20 08:00:00.000000') as UTC instants."""
    return pd.to_datetime(values, format="ISO8601", utc=True).astype("datetime64[ns, UTC]")


def _chunk_frame(rows: list, columns: tuple[str, ...], timestamps: tuple[str, ...], convert) -> pd.DataFrame:
    frame = pd.DataFrame.from_records(rows, columns=list(columns), coerce_float=False)
    for column in timestamps:
        frame[column] = convert(frame[column])
    return frame


def canonical_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """One dtype per column whatever the rows (and however they were fetched or merged): ids
    int64, or float64 where one is missing; text as pandas' string dtype (Arrow-backed,
    missing as NaN), also where a chunk or the whole result held no text (object dtype)."""
    for column in frame.columns:
        if (column == "id" or column.endswith("_id")) and column != "external_id":
            numbers = pd.to_numeric(frame[column], errors="coerce").astype("float64")
            frame[column] = numbers if numbers.isna().any() else numbers.astype("int64")
        elif column in TEXT_COLUMNS and frame[column].dtype != "str":
            frame[column] = frame[column].astype("str")
    return frame


def _owner_ids_of_teams(teams: tuple[str, ...]) -> Select:
    return select(Owner.id).where(Owner.team.in_(teams))


def _lead_predicates(filters: Filters) -> list:
    predicates = []
    if filters.segments:
        predicates.append(Lead.segment.in_(filters.segments))
    if filters.sources:
        predicates.append(Lead.source.in_(filters.sources))
    if filters.campaign_ids:
        predicates.append(Lead.campaign_id.in_(filters.campaign_ids))
    if filters.owner_ids:
        predicates.append(Lead.owner_id.in_(filters.owner_ids))
    if filters.teams:
        predicates.append(Lead.owner_id.in_(_owner_ids_of_teams(filters.teams)))
    return predicates


def leads_query(
    as_of: dt.datetime | None = None, filters: Filters = Filters(),
    active_since: dt.datetime | None = None,
) -> Select:
    """The select of `load_leads` (no order), for loading, counting or refreshing."""
    statement = select(*(getattr(Lead, c) for c in LEAD_COLUMNS))
    predicates = _lead_predicates(filters)
    if as_of is not None:
        predicates.append(Lead.created_at <= as_of)
    if active_since is not None:
        predicates.append(or_(*(getattr(Lead, c) >= active_since for c in LEAD_TIMESTAMPS)))
    return statement.where(and_(*predicates)) if predicates else statement


def read_leads(engine: Engine, statement: Select) -> pd.DataFrame:
    """The frame of a `leads_query` select, in id order."""
    return _frame(engine, statement.order_by(Lead.id), LEAD_COLUMNS, (*LEAD_TIMESTAMPS, "recorded_at"))


def load_leads(
    engine: Engine, as_of: dt.datetime | None = None, filters: Filters = Filters(),
    active_since: dt.datetime | None = None,
) -> pd.DataFrame:
    """Leads created by `as_of` that match the filters; with `active_since`, only those with
    any stage date at or after it (older leads cannot count in a later period)."""
    return read_leads(engine, leads_query(as_of, filters, active_since))


def deals_query(as_of: dt.datetime | None = None, filters: Filters = Filters()) -> Select:
    """The select of `load_deals` (no order)."""
    statement = select(*(getattr(Deal, c) for c in DEAL_COLUMNS))
    predicates = []
    if as_of is not None:
        predicates.append(Deal.created_at <= as_of)
    if filters.selects_leads:
        predicates.append(Deal.lead_id.in_(select(Lead.id).where(*_lead_predicates(filters))))
    if filters.deal_owner_ids:
        predicates.append(Deal.owner_id.in_(filters.deal_owner_ids))
    if filters.deal_teams:
        predicates.append(Deal.owner_id.in_(_owner_ids_of_teams(filters.deal_teams)))
    return statement.where(and_(*predicates)) if predicates else statement


def read_deals(engine: Engine, statement: Select) -> pd.DataFrame:
    """The frame of a `deals_query` select, in id order, amounts as floats."""
    frame = _frame(engine, statement.order_by(Deal.id), DEAL_COLUMNS, DEAL_TIMESTAMPS)
    frame["amount"] = pd.to_numeric(frame["amount"], errors="coerce").astype(float)
    frame["probability"] = pd.to_numeric(frame["probability"], errors="coerce").astype(float)
    frame["is_won"] = frame["is_won"].astype("boolean")
    frame["expected_close_on"] = pd.to_datetime(frame["expected_close_on"])
    return frame


def load_deals(engine: Engine, as_of: dt.datetime | None = None, filters: Filters = Filters()) -> pd.DataFrame:
    """Deals created by `as_of`; segment, source, campaign, owner and team filters apply
    through the deal's lead (the lead's owner), deal owner and deal team filters to the
    deal's own owner."""
    return read_deals(engine, deals_query(as_of, filters))


def activities_query(
    as_of: dt.datetime | None = None, lead_ids: Select | None = None,
    team: str | None = None,
) -> Select:
    """The select of `load_activities` (no order)."""
    statement = select(*(getattr(Activity, c) for c in ACTIVITY_COLUMNS))
    predicates = []
    if as_of is not None:
        predicates.append(Activity.occurred_at <= as_of)
    if lead_ids is not None:
        predicates.append(Activity.lead_id.in_(lead_ids))
    if team is not None:
        predicates.append(Activity.team == team)
    return statement.where(and_(*predicates)) if predicates else statement


def read_activities(engine: Engine, statement: Select) -> pd.DataFrame:
    """The frame of an `activities_query` select, in id order."""
    return _frame(engine, statement.order_by(Activity.id), ACTIVITY_COLUMNS, ACTIVITY_TIMESTAMPS)


def load_activities(
    engine: Engine, as_of: dt.datetime | None = None, lead_ids: Select | None = None,
    team: str | None = None,
) -> pd.DataFrame:
    """Activities that happened by `as_of`, optionally only of the leads `lead_ids` selects."""
    return read_activities(engine, activities_query(as_of, lead_ids, team))


def load_owners(engine: Engine) -> pd.DataFrame:
    """Every owner (a handful of rows)."""
    statement = select(*(getattr(Owner, c) for c in OWNER_COLUMNS)).order_by(Owner.name)
    return _frame(engine, statement, OWNER_COLUMNS)


def load_campaigns(engine: Engine) -> pd.DataFrame:
    """Every campaign with its cost as a float and its dates as datetimes."""
    statement = select(*(getattr(Campaign, c) for c in CAMPAIGN_COLUMNS)).order_by(Campaign.name)
    frame = _frame(engine, statement, CAMPAIGN_COLUMNS)
    frame["cost"] = pd.to_numeric(frame["cost"], errors="coerce").astype(float)
    for column in ("started_on", "ended_on"):
        frame[column] = pd.to_datetime(frame[column])
    return frame


def campaign_cost_frame(rows) -> pd.DataFrame:
    """campaign_costs rows as a frame: amounts as floats, the period's dates as datetimes."""
    frame = canonical_frame(pd.DataFrame.from_records(rows, columns=list(CAMPAIGN_COST_COLUMNS), coerce_float=False))
    frame["amount"] = pd.to_numeric(frame["amount"], errors="coerce").astype(float)
    for column in ("period_start", "period_end"):
        frame[column] = pd.to_datetime(frame[column])
    return frame


def load_campaign_costs(engine: Engine) -> pd.DataFrame:
    """Every campaign_costs row (what a campaign spent in one period; SPEC 10)."""
    statement = select(*(getattr(CampaignCost, c) for c in CAMPAIGN_COST_COLUMNS)).order_by(CampaignCost.id)
    with engine.connect() as connection:
        return campaign_cost_frame(connection.execute(statement).all())


def load_unresolved_references(engine: Engine) -> pd.DataFrame:
    """References to external ids that no loaded record has (for the data-quality report)."""
    columns = ("table_name", "record_id", "field", "target_table", "target_external_id")
    statement = select(*(getattr(UnresolvedReference, c) for c in columns)).order_by(
        UnresolvedReference.table_name, UnresolvedReference.record_id
    )
    return _frame(engine, statement, columns)


def filtered_lead_ids(filters: Filters) -> Select | None:
    """The ids of the leads the filters select (None: every lead)."""
    return select(Lead.id).where(*_lead_predicates(filters)) if filters.selects_leads else None


def load_unrecorded(engine: Engine, as_of: dt.datetime | None = None) -> frozenset[str]:
    """The rates the database's source does not record (queries.recorded), over every record
    created by `as_of` whatever a view's filters: only the few columns that decide it are read."""
    lead_columns = ("id", "mql_at", "sal_at", "sql_at", "opportunity_at", "disqualified_at", "first_touch_at")
    leads = select(*(getattr(Lead, c) for c in lead_columns))
    deals = select(Deal.lead_id, Deal.is_won)
    activity = select(Activity.team, Activity.lead_id).where(Activity.team == "sales", Activity.lead_id.is_not(None))
    if as_of is not None:
        leads, deals = leads.where(Lead.created_at <= as_of), deals.where(Deal.created_at <= as_of)
        activity = activity.where(Activity.occurred_at <= as_of)
    with engine.connect() as connection:
        lead_frame = pd.DataFrame(connection.execute(leads).all(), columns=list(lead_columns))
        deal_frame = pd.DataFrame(connection.execute(deals).all(), columns=["lead_id", "is_won"])
        activity_frame = pd.DataFrame(connection.execute(activity.limit(1)).all(), columns=["team", "lead_id"])
    deal_frame["is_won"] = deal_frame["is_won"].astype("boolean")
    return unrecorded_rates(lead_frame, deal_frame, activity_frame)


def load_dataset(engine: Engine, as_of: dt.datetime | None = None, filters: Filters = Filters()) -> Dataset:
    """Everything the metric engine needs, as known at `as_of`, in one call; a filtered load
    carries what the unfiltered records say the source does not record (`load_unrecorded`)."""
    return Dataset(
        leads=load_leads(engine, as_of, filters),
        deals=load_deals(engine, as_of, filters),
        activities=load_activities(engine, as_of, filtered_lead_ids(filters), team="sales"),
        owners=load_owners(engine),
        campaigns=load_campaigns(engine),
        changes=load_changes(engine),
        campaign_costs=load_campaign_costs(engine),
        unrecorded=None if filters.is_empty else load_unrecorded(engine, as_of),
    )


def filter_dataset(dataset: Dataset, filters: Filters) -> Dataset:
    """The records of an unfiltered dataset that `load_dataset` would load with `filters`: the
    same predicates, applied in memory (a filter change need not read the database again)."""
    if filters.is_empty:
        return dataset
    leads, deals, owners = dataset.leads, dataset.deals, dataset.owners

    def of_teams(teams):
        return owners.loc[owners["team"].isin(list(teams)), "id"]

    selected = pd.Series(True, index=leads.index)
    for column, wanted in (("segment", filters.segments), ("source", filters.sources),
                           ("campaign_id", filters.campaign_ids), ("owner_id", filters.owner_ids)):
        if wanted:
            selected &= leads[column].isin(list(wanted)) | _matched_before(dataset, column, wanted)
    if filters.teams:
        team_ids = of_teams(filters.teams)
        selected &= leads["owner_id"].isin(team_ids) | _matched_before(dataset, "owner_id", team_ids)
    deal_mask = pd.Series(True, index=deals.index)
    if filters.selects_leads:
        deal_mask &= deals["lead_id"].isin(leads.loc[selected, "id"])
    if filters.deal_owner_ids:
        deal_mask &= deals["owner_id"].isin(list(filters.deal_owner_ids))
    if filters.deal_teams:
        deal_mask &= deals["owner_id"].isin(of_teams(filters.deal_teams))
    activities = dataset.activities
    return Dataset(
        leads=canonical_frame(leads[selected].reset_index(drop=True)) if filters.selects_leads else leads,
        deals=canonical_frame(deals[deal_mask].reset_index(drop=True)),
        activities=canonical_frame(
            activities[activities["lead_id"].isin(leads.loc[selected, "id"])].reset_index(drop=True))
        if filters.selects_leads else activities,
        owners=owners,
        campaigns=dataset.campaigns,
        loaded_at=dataset.loaded_at,
        changes=dataset.changes,
        campaign_costs=dataset.campaign_costs,
        unrecorded=dataset.not_recorded,
    )


def _matched_before(dataset: Dataset, column: str, wanted) -> pd.Series:
    """Per lead: a value a later import changed held one of `wanted` (so a view as of before
    that change may count the lead, and the reports filter again on the values known then)."""
    changes = dataset.changes
    leads = dataset.leads
    if changes.empty:
        return pd.Series(False, index=leads.index)
    texts = {encode_value(value.item() if hasattr(value, "item") else value) for value in wanted}
    once = changes.loc[(changes["table_name"] == "leads") & (changes["field"] == column)
                       & changes["old_value"].isin(texts), "record_id"]
    return leads["id"].isin(once)


def load_filter_options(engine: Engine) -> dict[str, list]:
    """The values the filter bar (and `kpis`' filter flags) offer: segments, sources, campaigns
    and owners in use; campaigns and owners with their external ids (and owners' e-mails) so
    a command line can name them."""
    with engine.connect() as connection:
        segments = [r[0] for r in connection.execute(select(Lead.segment).where(Lead.segment.is_not(None)).distinct())]
        sources = [r[0] for r in connection.execute(select(Lead.source).where(Lead.source.is_not(None)).distinct())]
    return {
        "segments": sorted(segments),
        "sources": sorted(sources),
        "campaigns": load_campaigns(engine)[["id", "external_id", "name"]].to_dict("records"),
        "owners": load_owners(engine)[["id", "external_id", "email", "name", "team"]].to_dict("records"),
    }


def data_version(engine: Engine) -> tuple:
    """A cheap fingerprint of the data: row counts and newest update per table; it changes
    whenever an import or a sync writes.

    Each figure is its own statement, so each is answered from an index (asked together in
    one statement, SQLite scans the table: a second at a million leads, against milliseconds).
    On a SQLite file, `PRAGMA data_version` on a connection kept for it tells first whether any
    other connection committed since the last call: when none did, the last fingerprint stands.
    """
    from sqlalchemy import func

    watch = _sqlite_watch(engine)
    if watch is not None:
        unchanged = watch.unchanged()
        if unchanged is not None:
            return unchanged
    parts = []
    with engine.connect() as connection:
        for model, stamp in ((Lead, Lead.updated_at), (Deal, Deal.updated_at), (Activity, Activity.updated_at),
                             (Owner, None), (Campaign, None)):
            columns = [func.count(), func.max(model.id)] + ([func.max(stamp)] if stamp is not None else [])
            parts.append(tuple(connection.execute(select(column).select_from(model)).scalar() for column in columns))
        # campaign_costs has no write time: its sum and latest period show a rewritten row
        parts.append(tuple(str(connection.execute(select(column)).scalar()) for column in (
            func.count(CampaignCost.id), func.max(CampaignCost.id), func.sum(CampaignCost.amount),
            func.max(CampaignCost.period_end))))
    fingerprint = tuple(parts)
    if watch is not None:
        watch.remember(fingerprint)
    return fingerprint


class _SqliteWatch:
    """A connection of its own to one SQLite file, asked `PRAGMA data_version`: the number
    changes when any other connection commits to the file (SQLite's own change counter)."""

    def __init__(self, path: str):
        import sqlite3
        import threading

        self.connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        self.lock = threading.Lock()
        self.seen: int | None = None
        self.fingerprint: tuple | None = None
        self.pending: int | None = None

    def unchanged(self) -> tuple | None:
        with self.lock:
            number = self.connection.execute("PRAGMA data_version").fetchone()[0]
            if self.fingerprint is not None and number == self.seen:
                return self.fingerprint
            self.pending = number  # read before the fingerprint: a commit in between is seen next time
            return None

    def remember(self, fingerprint: tuple) -> None:
        with self.lock:
            self.seen, self.fingerprint = self.pending, fingerprint


_WATCHES: dict[str, _SqliteWatch | None] = {}


def _sqlite_watch(engine: Engine) -> _SqliteWatch | None:
    """The watch of a SQLite file engine (None for a server, or an in-memory database)."""
    import os

    url = engine.url
    if engine.dialect.name != "sqlite" or not url.database or url.database == ":memory:":
        return None
    name = f"{os.getpid()}:{os.path.abspath(url.database)}"  # a forked worker opens its own
    if name not in _WATCHES:
        if not os.path.exists(url.database):
            return None  # not made yet: asked again next time
        try:
            _WATCHES[name] = _SqliteWatch(os.path.abspath(url.database))
        except Exception:  # noqa: BLE001 (an unreadable file: ask the tables every time)
            _WATCHES[name] = None
    return _WATCHES[name]
