"""The people who may sign in (`data/users.json`, or `USERS_PATH`), with a role each.

Passwords are kept only as scrypt hashes (werkzeug). Roles, each including the one before:
`viewer` (every page but the leads grid and exports), `manager` (plus the leads grid with
personal data and the monthly exports), `admin` (plus the admin page: users and wall links).
`app.py user add/remove/list` edits the file; the running dashboard rereads it when it changes.
"""
from __future__ import annotations

import datetime as dt
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path

from werkzeug.security import check_password_hash, generate_password_hash

from dashboard.json_store import StoreError, modified, read_json, write_json
from dashboard.vocabulary import USER_ROLES
from queries.db import PROJECT_ROOT

DEFAULT_USERS_PATH = PROJECT_ROOT / "data" / "users.json"
ROLES = USER_ROLES
MIN_PASSWORD = 12
USERNAME = re.compile(r"^[A-Za-z0-9._@-]{1,64}$")
# A hash to check against when the name is unknown, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = generate_password_hash("not a password of anyone", method="scrypt")


class UserError(ValueError):
    """A user command cannot be carried out; says why."""


@dataclass(frozen=True)
class User:
    name: str
    role: str


def users_path(path: str | Path | None = None) -> Path:
    """The users file in force: `path`, else `USERS_PATH`, else `data/users.json`."""
    return Path(path or os.environ.get("USERS_PATH") or DEFAULT_USERS_PATH)


def _read(path: Path) -> dict:
    users = read_json(path, {})
    for name, record in users.items():
        if not isinstance(record, dict) or record.get("role") not in ROLES or not record.get("hash"):
            raise StoreError(f"{path}: the entry of {name!r} needs a role ({', '.join(ROLES)}) and a hash")
    return users


def add_user(path: Path, name: str, password: str, role: str) -> User:
    """Add a user, or set an existing one's password and role."""
    if not USERNAME.match(name or ""):
        raise UserError("a user name is 1 to 64 letters, digits or . _ @ -")
    if role not in ROLES:
        raise UserError(f"unknown role {role!r}: choose one of {', '.join(ROLES)}")
    if len(password) < MIN_PASSWORD:
        raise UserError(f"the password is too short: at least {MIN_PASSWORD} characters")
    users = _read(path)
    users[name] = {"role": role, "hash": generate_password_hash(password, method="scrypt"),
                   "changed": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}
    write_json(path, users)
    return User(name, role)


def remove_user(path: Path, name: str) -> None:
    users = _read(path)
    if name not in users:
        raise UserError(f"no user {name!r}")
    del users[name]
    write_json(path, users)


def list_users(path: Path) -> list[User]:
    return [User(name, record["role"]) for name, record in sorted(_read(path).items())]


class UserDirectory:
    """The users file as the running app sees it: reread when it changes on disk."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._lock = threading.Lock()
        self._stamp: object = object()
        self._users: dict = {}

    def _current(self) -> dict:
        stamp = modified(self.path)
        with self._lock:
            if stamp != self._stamp:
                self._users = _read(self.path) if stamp is not None else {}
                self._stamp = stamp
            return self._users

    def any(self) -> bool:
        """True once at least one user is configured (then every request needs a sign-in)."""
        return bool(self._current())

    def role_of(self, name: str) -> str | None:
        record = self._current().get(name)
        return record["role"] if record else None

    def check(self, name: str, password: str) -> User | None:
        """The user when the password is theirs; None otherwise (in about the same time)."""
        record = self._current().get(name)
        if record is None:
            check_password_hash(_DUMMY_HASH, password)
            return None
        return User(name, record["role"]) if check_password_hash(record["hash"], password) else None
