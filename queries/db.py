"""Engines and schema set-up: one engine per URL, created once; migrations through Alembic."""
from __future__ import annotations

import functools
import os
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, inspect

from queries.file_modes import private_file

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB_PATH = PROJECT_ROOT / "data" / "smarketing.db"
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
CONNECT_TIMEOUT_SECONDS = 10


def default_url() -> str:
    """The database URL when none is given: `DATABASE_URL`, else the embedded SQLite file."""
    return os.environ.get("DATABASE_URL") or f"sqlite:///{DEFAULT_DB_PATH}"


def normalise_url(url: str) -> str:
    """Pick the drivers we ship for the bare PostgreSQL and MySQL/MariaDB URL schemes."""
    for bare, driver in (
        ("postgresql://", "postgresql+psycopg://"),
        ("postgres://", "postgresql+psycopg://"),
        ("mysql://", "mysql+pymysql://"),
        ("mariadb://", "mysql+pymysql://"),
    ):
        if url.startswith(bare):
            return driver + url[len(bare):]
    return url


@functools.lru_cache(maxsize=16)
def get_engine(url: str | None = None) -> Engine:
    """The one engine for a URL, created on first use."""
    url = normalise_url(url or default_url())
    kwargs: dict = {"pool_pre_ping": True}
    # A database host that stops answering (rather than refusing) fails a connect after this
    # long instead of the operating system's minutes, so a page says so and its worker goes on.
    if url.startswith("postgresql"):
        kwargs["connect_args"] = {"connect_timeout": CONNECT_TIMEOUT_SECONDS}
    if url.startswith("mysql"):
        kwargs["connect_args"] = {"charset": "utf8mb4", "connect_timeout": CONNECT_TIMEOUT_SECONDS}
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def _alembic_config(engine: Engine):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def init_db(url: str | None = None) -> Engine:
    """Create or migrate the schema to the newest revision; safe to run on every start.

    A database that presents the schema as views over other tables (docs/SQL-VIEWS.md) is
    read as it is: nothing is created or migrated there.
    """
    from alembic import command

    engine = get_engine(url)
    if engine.dialect.name == "sqlite" and engine.url.database not in (None, "", ":memory:"):
        # Created 0600 before SQLite opens it: its -wal and -shm files take the database's mode.
        private_file(engine.url.database)
    if not served_by_views(engine):
        command.upgrade(_alembic_config(engine), "head")
    return engine


def served_by_views(engine: Engine) -> bool:
    """True when every table of the data model is a view (a CRM sync's tables seen as ours)."""
    from queries.schema import Base

    return set(Base.metadata.tables) <= set(inspect(engine).get_view_names())


def schema_is_current(engine: Engine) -> bool:
    """True when every table of the data model exists, as a table or a view (before reading)."""
    from queries.schema import Base

    inspector = inspect(engine)
    present = set(inspector.get_table_names()) | set(inspector.get_view_names())
    return set(Base.metadata.tables) <= present


def schema_revision(engine: Engine) -> str | None:
    """The Alembic revision the database is at (None before the first migration)."""
    from sqlalchemy import text

    try:
        with engine.connect() as connection:
            return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except Exception:  # no alembic_version table yet
        return None
