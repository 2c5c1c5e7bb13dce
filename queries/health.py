"""The database half of the health check: reachable within a short timeout, schema revision,
and how fresh the newest record is. Runs on its own pool-less engine so a hung database never
holds a connection of the pages' pool."""
from __future__ import annotations

import datetime as dt
import functools
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, create_engine, func, inspect, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from queries.db import MIGRATIONS_DIR, normalise_url

PROBE_TIMEOUT_SECONDS = 3


@dataclass(frozen=True)
class DatabaseProbe:
    """What one probe found; `error` says why the database was not reachable."""

    reachable: bool
    seconds: float
    error: str | None = None
    revision: str | None = None
    head_revision: str | None = None
    tables_present: bool = False
    newest_record_at: dt.datetime | None = None  # newest updated_at / activity / lead creation (UTC)

    @property
    def schema_current(self) -> bool:
        return self.tables_present and self.revision is not None and self.revision == self.head_revision


@functools.lru_cache(maxsize=16)
def _probe_engine(url: str, timeout: int) -> Engine:
    """A pool-less engine for probing whose connects and statements give up after `timeout`."""
    url = normalise_url(url)
    connect_args: dict = {}
    if url.startswith("postgresql"):
        connect_args = {"connect_timeout": timeout, "options": f"-c statement_timeout={timeout * 1000}"}
    elif url.startswith("mysql"):
        connect_args = {"connect_timeout": timeout, "read_timeout": timeout, "write_timeout": timeout}
    elif url.startswith("sqlite"):
        connect_args = {"timeout": timeout}
    return create_engine(url, poolclass=NullPool, connect_args=connect_args)


@functools.lru_cache(maxsize=1)
def head_revision() -> str | None:
    """The newest migration this code ships (read once)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return ScriptDirectory.from_config(config).get_current_head()


def probe_database(url: str, timeout: int = PROBE_TIMEOUT_SECONDS) -> DatabaseProbe:
    """Connect, read the schema revision and the newest record time; never raises."""
    from alembic.runtime.migration import MigrationContext

    from queries.schema import Activity, Base, Contact, Deal, Lead

    started = time.monotonic()
    engine = _probe_engine(url, timeout)
    if engine.dialect.name == "sqlite" and engine.url.database not in (None, "", ":memory:") \
            and not Path(engine.url.database).is_file():  # connecting would create an empty file
        return DatabaseProbe(False, time.monotonic() - started, f"no database file {engine.url.database}")
    try:
        with engine.connect() as connection:
            present = set(inspect(connection).get_table_names())
            tables_present = set(Base.metadata.tables) <= present
            revision = MigrationContext.configure(connection).get_current_revision()
            newest = None
            if tables_present:
                stamps = [func.max(Lead.updated_at), func.max(Lead.created_at), func.max(Deal.updated_at),
                          func.max(Contact.updated_at), func.max(Activity.occurred_at)]
                found = [connection.execute(select(stamp)).scalar() for stamp in stamps]
                newest = max((stamp for stamp in found if stamp is not None), default=None)
    except SQLAlchemyError as error:
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()
        detail = f"{error.__class__.__name__}: {reason[0] if reason else ''}".rstrip(": ")
        return DatabaseProbe(False, time.monotonic() - started, detail)
    return DatabaseProbe(True, time.monotonic() - started, None, revision, head_revision(), tables_present, newest)


def probe_alerts(url: str, timeout: int = PROBE_TIMEOUT_SECONDS) -> dict | None:
    """The alerts' delivery failures (queries.alerts.failure_summary); None where the database
    has no alert tables yet or does not answer. Never raises."""
    from queries.alerts import failure_summary
    from queries.schema import AlertDelivery

    engine = _probe_engine(url, timeout)
    try:
        if AlertDelivery.__tablename__ not in inspect(engine).get_table_names():
            return None
        return failure_summary(engine)
    except SQLAlchemyError:
        return None
