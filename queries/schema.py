"""The SQLAlchemy 2.x schema of SPEC's data model: one module, any SQL database.

Timestamps are stored as naive UTC (portable across SQLite, PostgreSQL and MariaDB) and
come back as timezone-aware UTC datetimes. References between records are integer foreign
keys; a reference that named an external id not (yet) loaded is kept in
`unresolved_references` and resolved when the record it names arrives.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    """A timestamp stored as naive UTC with microseconds, read back as aware UTC."""

    impl = DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name in ("mysql", "mariadb"):
            return dialect.type_descriptor(mysql.DATETIME(fsp=6))
        return dialect.type_descriptor(DateTime())

    def process_bind_param(self, value, dialect):  # noqa: ARG002 (SQLAlchemy passes it)
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: timestamps must carry a time zone")
        return value.astimezone(dt.timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value, dialect):  # noqa: ARG002 (SQLAlchemy passes it)
        if value is None:
            return None
        if isinstance(value, str):  # SQLite when read through text()
            value = dt.datetime.fromisoformat(value)
        return value.replace(tzinfo=dt.timezone.utc)


def utcnow() -> dt.datetime:
    """Now in UTC: the write time stamped into `updated_at` on insert and update."""
    return dt.datetime.now(dt.timezone.utc)


def _recorded_at() -> Mapped[dt.datetime | None]:
    """`recorded_at`: from when the record counts as known (SPEC "Recorded time"). An import
    stamps its own time; a history load (a table's first import, or `import --backfill`)
    stamps the record's own event time, so years of history loaded on day one count as known
    when they happened."""
    return mapped_column(UTCDateTime, index=True)


def _written_at() -> Mapped[dt.datetime | None]:
    """`updated_at` of the tables the dashboard keeps in memory: when this database last wrote
    the row (set on every insert and update through SQLAlchemy), so a refresh loads only what
    changed since the previous one."""
    return mapped_column(UTCDateTime, index=True, default=utcnow, onupdate=utcnow)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# External ids compare case-sensitively everywhere (MariaDB's default collation would not).
EXTERNAL_ID = String(191).with_variant(mysql.VARCHAR(191, collation="utf8mb4_bin"), "mysql", "mariadb")


def _external_id() -> Mapped[str]:
    return mapped_column(EXTERNAL_ID, nullable=False)


class Owner(Base):
    """A person who owns leads or deals."""

    __tablename__ = "owners"
    __table_args__ = (UniqueConstraint("external_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    external_id: Mapped[str] = _external_id()
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    team: Mapped[str | None] = mapped_column(String(20))  # marketing, sdr, sales, cs
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Campaign(Base):
    """A marketing campaign, with its cost for the closed loop."""

    __tablename__ = "campaigns"
    __table_args__ = (UniqueConstraint("external_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    external_id: Mapped[str] = _external_id()
    name: Mapped[str] = mapped_column(String(300))
    channel: Mapped[str | None] = mapped_column(String(100))
    started_on: Mapped[dt.date | None] = mapped_column(Date)
    ended_on: Mapped[dt.date | None] = mapped_column(Date)
    cost: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))
    currency: Mapped[str | None] = mapped_column(String(3))


class Contact(Base):
    """A person at a company."""

    __tablename__ = "contacts"
    __table_args__ = (UniqueConstraint("external_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    external_id: Mapped[str] = _external_id()
    email: Mapped[str | None] = mapped_column(String(254))
    name: Mapped[str | None] = mapped_column(String(200))
    company: Mapped[str | None] = mapped_column(String(200))
    country: Mapped[str | None] = mapped_column(String(100))
    segment: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, index=True)
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("owners.id", ondelete="SET NULL"), index=True
    )
    updated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, index=True)


class Lead(Base):
    """One journey of a contact through the funnel."""

    __tablename__ = "leads"
    __table_args__ = (UniqueConstraint("external_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    external_id: Mapped[str] = _external_id()
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, index=True)
    source: Mapped[str | None] = mapped_column(String(100), index=True)
    campaign_id: Mapped[int | None] = mapped_column(
        ForeignKey("campaigns.id", ondelete="SET NULL"), index=True
    )
    segment: Mapped[str | None] = mapped_column(String(100), index=True)
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("owners.id", ondelete="SET NULL"), index=True
    )
    mql_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, index=True)
    assigned_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, index=True)
    sal_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, index=True)
    sql_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, index=True)
    opportunity_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, index=True)
    disqualified_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, index=True)
    disqualified_reason: Mapped[str | None] = mapped_column(String(200))
    recycled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, index=True)
    recycled_reason: Mapped[str | None] = mapped_column(String(200))
    first_touch_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, index=True)
    recorded_at: Mapped[dt.datetime | None] = _recorded_at()
    updated_at: Mapped[dt.datetime | None] = _written_at()


class Deal(Base):
    """An opportunity; `is_won` is null while it is open."""

    __tablename__ = "deals"
    __table_args__ = (UniqueConstraint("external_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    external_id: Mapped[str] = _external_id()
    lead_id: Mapped[int | None] = mapped_column(
        ForeignKey("leads.id", ondelete="SET NULL"), index=True
    )
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL"), index=True
    )
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("owners.id", ondelete="SET NULL"), index=True
    )
    name: Mapped[str | None] = mapped_column(String(300))
    pipeline: Mapped[str | None] = mapped_column(String(100))
    stage: Mapped[str | None] = mapped_column(String(100))
    amount: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))
    currency: Mapped[str | None] = mapped_column(String(3))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, index=True)
    expected_close_on: Mapped[dt.date | None] = mapped_column(Date, index=True)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, index=True)
    is_won: Mapped[bool | None] = mapped_column(Boolean)
    lost_reason: Mapped[str | None] = mapped_column(String(200))
    probability: Mapped[float | None] = mapped_column(Numeric(5, 4))
    recorded_at: Mapped[dt.datetime | None] = _recorded_at()
    updated_at: Mapped[dt.datetime | None] = _written_at()


class Activity(Base):
    """A touch: a sales call, email or meeting, or a marketing engagement."""

    __tablename__ = "activities"
    __table_args__ = (
        UniqueConstraint("external_id"),
        Index("ix_activities_lead_id_occurred_at", "lead_id", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    external_id: Mapped[str] = _external_id()
    lead_id: Mapped[int | None] = mapped_column(
        ForeignKey("leads.id", ondelete="SET NULL"), index=True
    )
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL"), index=True
    )
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("owners.id", ondelete="SET NULL"), index=True
    )
    team: Mapped[str] = mapped_column(String(20), nullable=False)  # sales or marketing
    type: Mapped[str] = mapped_column(String(50), nullable=False)
    detail: Mapped[str | None] = mapped_column(Text)
    occurred_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, index=True)
    recorded_at: Mapped[dt.datetime | None] = _recorded_at()
    updated_at: Mapped[dt.datetime | None] = _written_at()


class CampaignCost(Base):
    """What a campaign spent in one period (an ad platform's spend per day or month)."""

    __tablename__ = "campaign_costs"
    __table_args__ = (UniqueConstraint("external_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    external_id: Mapped[str] = _external_id()
    campaign_id: Mapped[int | None] = mapped_column(
        ForeignKey("campaigns.id", ondelete="SET NULL"), index=True
    )
    period_start: Mapped[dt.date] = mapped_column(Date, nullable=False, index=True)
    period_end: Mapped[dt.date] = mapped_column(Date, nullable=False)
    amount: Mapped[Decimal] = mapped_column(Numeric(16, 2), nullable=False)
    currency: Mapped[str | None] = mapped_column(String(3))


class RecordChange(Base):
    """One change a later import made to a tracked field of a lead or deal: the value before,
    the value after (as text, `queries.history` reads them back) and when it was recorded.
    Append-only: written in the import's transaction, never updated."""

    __tablename__ = "record_changes"
    __table_args__ = (Index("ix_record_changes_table_name_record_id", "table_name", "record_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    table_name: Mapped[str] = mapped_column(String(20), nullable=False)
    record_id: Mapped[int] = mapped_column(Integer, nullable=False)
    field: Mapped[str] = mapped_column(String(40), nullable=False)
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, index=True)


class UnresolvedReference(Base):
    """A reference to an external id that no loaded record had when it was imported."""

    __tablename__ = "unresolved_references"
    __table_args__ = (UniqueConstraint("table_name", "record_id", "field"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    table_name: Mapped[str] = mapped_column(String(20), nullable=False)
    record_id: Mapped[int] = mapped_column(Integer, nullable=False)
    field: Mapped[str] = mapped_column(String(20), nullable=False)
    target_table: Mapped[str] = mapped_column(String(20), nullable=False, index=True)
    target_external_id: Mapped[str] = mapped_column(EXTERNAL_ID, nullable=False)


# The tables whose rows the dashboard holds in memory and refreshes by `updated_at`.
WRITE_STAMPED = ("leads", "deals", "activities")

MODELS = {m.__tablename__: m for m in (Owner, Campaign, Contact, Lead, Deal, Activity, CampaignCost)}

# field -> referenced table, per table; the import resolves these by external id.
REFERENCES: dict[str, dict[str, str]] = {
    "contacts": {"owner_id": "owners"},
    "leads": {"contact_id": "contacts", "campaign_id": "campaigns", "owner_id": "owners"},
    "deals": {"lead_id": "leads", "contact_id": "contacts", "owner_id": "owners"},
    "activities": {"lead_id": "leads", "contact_id": "contacts", "owner_id": "owners"},
    "campaign_costs": {"campaign_id": "campaigns"},
}

# The fields whose later changes are kept with their recording time (SPEC "Recorded time"):
# a lead's stages, decisions, owner, first touch, segment, source and campaign; a deal's
# stage, amount, close and owner.
TRACKED_FIELDS: dict[str, tuple[str, ...]] = {
    "leads": ("mql_at", "assigned_at", "sal_at", "sql_at", "opportunity_at", "disqualified_at",
              "disqualified_reason", "recycled_at", "recycled_reason", "first_touch_at", "owner_id",
              "segment", "source", "campaign_id"),
    "deals": ("stage", "amount", "currency", "closed_at", "is_won", "lost_reason", "owner_id"),
}
# The event time a history load stamps as `recorded_at`.
EVENT_TIME = {"leads": "created_at", "deals": "created_at", "activities": "occurred_at"}

# The order in which one CRM export's tables load so that references resolve.
LOAD_ORDER = ("owners", "campaigns", "contacts", "leads", "deals", "activities")
# Every table an import may write, in that order: the CRM's, then the ad platforms' spend.
IMPORT_TABLES = LOAD_ORDER + ("campaign_costs",)


class AlertBase(DeclarativeBase):
    """The dashboard's own records about its alerts: apart from the data model, so a database
    that serves the data model as views (docs/SQL-VIEWS.md) need not present these."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class AlertDelivery(AlertBase):
    """One event told to one destination (an e-mail address or a chat channel), once: the
    unique key is claimed and the outcome written in the transaction that sends it."""

    __tablename__ = "alert_deliveries"
    __table_args__ = (UniqueConstraint("delivery_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    delivery_key: Mapped[str] = mapped_column(String(191), nullable=False)  # rule|event|destination
    rule_id: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)  # breach_soon, breach, pace, stale_data, digest, pack
    event_key: Mapped[str] = mapped_column(String(191), nullable=False, index=True)
    destination: Mapped[str] = mapped_column(String(191), nullable=False)  # email:ADDRESS or chat:NAME
    state: Mapped[str | None] = mapped_column(String(40))  # what the event announced (a pace status)
    subject: Mapped[str] = mapped_column(String(300), nullable=False)
    status: Mapped[str] = mapped_column(String(10), nullable=False)  # sent or failed
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    error: Mapped[str | None] = mapped_column(Text)  # why the last attempt failed, secrets removed
    grouped: Mapped[int] = mapped_column(Integer, nullable=False, default=1)  # events in the message it went in
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow, index=True)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class AlertPause(AlertBase):
    """A person who paused their own alerts (all of them, to their address), until a time or
    until they resume."""

    __tablename__ = "alert_pauses"
    __table_args__ = (UniqueConstraint("address"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    address: Mapped[str] = mapped_column(String(191), nullable=False)
    paused_by: Mapped[str | None] = mapped_column(String(100))
    paused_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
