"""One import at a time per database: a second import that starts while one runs is refused at
once with ImportBusy ("another import is running"), instead of waiting on the first one's rows and
ending in a unique-key error, or both racing.

The lock is held on a connection of its own for the whole import transaction and let go after
it commits or rolls back: a session-level advisory lock on PostgreSQL, a named lock (GET_LOCK) on
MariaDB and MySQL, and an exclusive `flock` on a file beside the database on SQLite.

The importer takes it with one line at its transaction's start:
    with import_lock(engine), engine.begin() as connection:
"""
from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import threading
from collections.abc import Iterator

from sqlalchemy import Engine, text

BUSY = "another import is running; try again when it has finished"
_memory_locks: dict[str, threading.Lock] = {}
_memory_guard = threading.Lock()


class ImportBusy(RuntimeError):
    """Another import of this database is running; nothing was written."""

    def __init__(self):
        super().__init__(BUSY)


def _key(engine: Engine) -> int:
    """A 63-bit advisory lock key for this application's imports into this database."""
    digest = hashlib.sha256(f"smarketing import {engine.url.database}".encode()).digest()
    return int.from_bytes(digest[:8], "big") & (2**63 - 1)


@contextlib.contextmanager
def import_lock(engine: Engine) -> Iterator[None]:
    """Hold this database's import lock for the block; ImportBusy when another holder has it."""
    dialect = engine.dialect.name
    if dialect == "sqlite":
        with _sqlite_lock(engine):
            yield
        return
    if dialect == "postgresql":
        take, release = "SELECT pg_try_advisory_lock(:key)", "SELECT pg_advisory_unlock(:key)"
        parameters = {"key": _key(engine)}
    elif dialect in ("mysql", "mariadb"):
        take, release = "SELECT GET_LOCK(:name, 0)", "SELECT RELEASE_LOCK(:name)"
        parameters = {"name": f"smarketing-import-{_key(engine):x}"[:64]}
    else:
        yield  # another engine: its own transaction isolation is all there is
        return
    connection = engine.connect()
    try:
        if connection.execute(text(take), parameters).scalar() != 1:
            raise ImportBusy()
        connection.commit()
        try:
            yield
        finally:
            try:
                connection.execute(text(release), parameters)
                connection.commit()
            except Exception:  # noqa: BLE001 - a lock we cannot release must not go back to the pool
                connection.invalidate()
                raise
    finally:
        connection.close()


@contextlib.contextmanager
def _sqlite_lock(engine: Engine) -> Iterator[None]:
    database = engine.url.database
    if database in (None, "", ":memory:"):
        with _memory_lock(engine):
            yield
        return
    descriptor = os.open(f"{database}-import.lock", os.O_CREAT | os.O_RDWR, 0o600)
    with os.fdopen(descriptor, "r+b") as file:
        try:
            fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ImportBusy() from None
        try:
            yield
        finally:
            fcntl.flock(file, fcntl.LOCK_UN)


@contextlib.contextmanager
def _memory_lock(engine: Engine) -> Iterator[None]:
    """An in-memory database lives in this process only: a lock of this process is enough."""
    with _memory_guard:
        lock = _memory_locks.setdefault(str(engine.url), threading.Lock())
    if not lock.acquire(blocking=False):
        raise ImportBusy()
    try:
        yield
    finally:
        lock.release()
