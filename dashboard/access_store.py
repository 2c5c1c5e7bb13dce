"""What every worker of one dashboard must agree on about access, in one SQLite file beside the
users file (`data/sessions.db`, or `SESSIONS_PATH`; mode 0600):

- the sessions, so that signing out, a password change or a user's removal ends a session in every
  worker at once, and a session has an idle and an absolute lifetime the server enforces;
- the recent failed sign-ins per account and per client address, so that the throttle counts the
  same in every worker, and the table stays small (old rows pruned, at most `max_failure_rows`);
- whether users were ever configured, so that losing them closes the dashboard instead of opening it.

The cookie holds only a random session token; the file keeps its SHA-256, never the token.
"""
from __future__ import annotations

import hashlib
import os
import secrets
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from queries.file_modes import private_file

SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (id TEXT PRIMARY KEY, kind TEXT NOT NULL, subject TEXT NOT NULL,
                                     stamp TEXT NOT NULL, created REAL NOT NULL, seen REAL NOT NULL);
CREATE INDEX IF NOT EXISTS sessions_by_subject ON sessions (kind, subject);
CREATE TABLE IF NOT EXISTS failures (key TEXT PRIMARY KEY, count INTEGER NOT NULL, last REAL NOT NULL);
CREATE TABLE IF NOT EXISTS facts (name TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
# Sign-in throttling: within WINDOW seconds of the last failure, an account may fail FREE["account"]
# times and an address FREE["address"] times without waiting; each failure past that doubles the
# wait before the next try (1, 2, 4, ... seconds), never beyond MAX_WAIT: a delay, not a lockout.
WINDOW = 15 * 60
FREE = {"account": 5, "address": 20}
MAX_WAIT = 30
MAX_SESSIONS_PER_SUBJECT = 20


@dataclass(frozen=True)
class Session:
    kind: str  # "user" or "wall"
    subject: str  # the user's name or the wall link's id
    stamp: str  # the user's session stamp when it began (a password change or re-creation renews it)
    created: float
    seen: float


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _key(key: tuple[str, str]) -> str:
    kind, value = key
    return f"{kind}:{value}"


class AccessStore:
    """The sessions, failed sign-ins and facts of one dashboard, shared by its workers through a file."""

    def __init__(self, path: Path | str, idle_seconds: float = 12 * 3600, absolute_seconds: float = 7 * 24 * 3600):
        self.path = Path(path)
        self.idle_seconds = idle_seconds
        self.absolute_seconds = absolute_seconds
        self.clock = time.time
        self.max_failure_rows = 10_000
        self._local = threading.local()

    # --- the file ----------------------------------------------------------------------------
    def _connection(self) -> sqlite3.Connection:
        """This thread's connection (a forked worker opens its own)."""
        connection = getattr(self._local, "connection", None)
        if connection is not None and self._local.pid == os.getpid():
            return connection
        private_file(self.path)
        connection = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        connection.executescript(SCHEMA)
        self._local.connection, self._local.pid = connection, os.getpid()
        return connection

    def _write(self, *statements: tuple[str, tuple]) -> None:
        """Run the statements in one transaction that holds the write lock from its start."""
        connection = self._connection()
        connection.execute("BEGIN IMMEDIATE")
        try:
            for sql, parameters in statements:
                connection.execute(sql, parameters)
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise

    def _one(self, sql: str, parameters: tuple = ()):
        return self._connection().execute(sql, parameters).fetchone()

    # --- sessions ----------------------------------------------------------------------------
    def start_session(self, kind: str, subject: str, stamp: str = "") -> str:
        """A new session's token (for the cookie); expired sessions go, and a subject keeps at most
        MAX_SESSIONS_PER_SUBJECT (its oldest end first)."""
        token = secrets.token_urlsafe(32)
        now = self.clock()
        self._write(
            ("DELETE FROM sessions WHERE seen < ? OR (kind = 'user' AND created < ?)",
             (now - self.idle_seconds, now - self.absolute_seconds)),
            ("INSERT INTO sessions (id, kind, subject, stamp, created, seen) VALUES (?, ?, ?, ?, ?, ?)",
             (_digest(token), kind, subject, stamp, now, now)),
            ("DELETE FROM sessions WHERE kind = ? AND subject = ? AND id NOT IN (SELECT id FROM sessions "
             "WHERE kind = ? AND subject = ? ORDER BY created DESC LIMIT ?)",
             (kind, subject, kind, subject, MAX_SESSIONS_PER_SUBJECT)),
        )
        return token

    def session(self, token: str) -> Session | None:
        """The live session of this token, its last use moved to now; None (and the session gone)
        when it is unknown, idle too long or, for a user, older than the absolute lifetime."""
        if not isinstance(token, str) or not token:
            return None
        digest = _digest(token)
        row = self._one("SELECT kind, subject, stamp, created, seen FROM sessions WHERE id = ?", (digest,))
        if row is None:
            return None
        session = Session(*row)
        now = self.clock()
        if now - session.seen > self.idle_seconds or (
                session.kind == "user" and now - session.created > self.absolute_seconds):
            self.end_session(token)
            return None
        if now - session.seen > min(60.0, self.idle_seconds / 10):  # a write at most once a minute
            self._write(("UPDATE sessions SET seen = ? WHERE id = ?", (now, digest)))
        return session

    def end_session(self, token: str) -> None:
        if isinstance(token, str) and token:
            self._write(("DELETE FROM sessions WHERE id = ?", (_digest(token),)))

    def session_count(self) -> int:
        return self._one("SELECT count(*) FROM sessions")[0]

    # --- failed sign-ins ---------------------------------------------------------------------------
    def wait_before_sign_in(self, keys: list[tuple[str, str]]) -> float:
        """Seconds before these (kind, value) keys, e.g. ("account", name), may try again (0: now)."""
        now = self.clock()
        wait = 0.0
        for key in keys:
            row = self._one("SELECT count, last FROM failures WHERE key = ?", (_key(key),))
            if row is None or now - row[1] > WINDOW:
                continue
            count, last = row
            free = FREE[key[0]]
            if count >= free:
                wait = max(wait, last + min(MAX_WAIT, 2 ** (count - free)) - now)
        return max(wait, 0.0)

    def sign_in_failed(self, keys: list[tuple[str, str]]) -> None:
        """Count a failure for each key; failures older than the window and rows beyond the bound go."""
        now = self.clock()
        statements = [("DELETE FROM failures WHERE last < ?", (now - WINDOW,))]
        for key in keys:
            statements.append(("INSERT INTO failures (key, count, last) VALUES (?, 1, ?) "
                               "ON CONFLICT (key) DO UPDATE SET count = count + 1, last = excluded.last",
                               (_key(key), now)))
        statements.append(("DELETE FROM failures WHERE key NOT IN (SELECT key FROM failures "
                           "ORDER BY last DESC LIMIT ?)", (self.max_failure_rows,)))
        self._write(*statements)

    def sign_in_succeeded(self, keys: list[tuple[str, str]]) -> None:
        self._write(*[("DELETE FROM failures WHERE key = ?", (_key(key),)) for key in keys])

    def failures_of(self, key: tuple[str, str]) -> int:
        row = self._one("SELECT count, last FROM failures WHERE key = ?", (_key(key),))
        return row[0] if row is not None and self.clock() - row[1] <= WINDOW else 0

    def failure_count(self) -> int:
        return self._one("SELECT count(*) FROM failures")[0]

    # --- facts ------------------------------------------------------------------------------------
    def mark_had_users(self) -> None:
        """Remember that users were configured: from now on, none left means closed, not open."""
        self._write(("INSERT OR IGNORE INTO facts (name, value) VALUES ('had_users', '1')", ()))

    def had_users(self) -> bool:
        return self._one("SELECT 1 FROM facts WHERE name = 'had_users'") is not None


def sessions_path(users_file: Path | str, path: str | Path | None = None) -> Path:
    """The store in force: `path`, else `SESSIONS_PATH`, else `sessions.db` beside the users file."""
    return Path(path or os.environ.get("SESSIONS_PATH") or Path(users_file).parent / "sessions.db")
