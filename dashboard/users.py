"""The people who may sign in (`data/users.json`, or `USERS_PATH`), with a role each.

Passwords are kept only as scrypt hashes (werkzeug), and must be at least 12 characters and not
easy to guess (zxcvbn's estimate: common passwords, keyboard walks, repeats and sequences are
refused). Roles, each including the one before: `viewer` (every page but the leads grid and
exports), `manager` (plus the leads grid with personal data and the monthly exports), `admin` (plus
the admin page: users and wall links). The last admin can be neither removed nor demoted. Each
user carries a random session stamp, renewed whenever the password or role is set: a session
begun under another stamp is over (a password change, or a user removed and added again).
`app.py user add/remove/list` edits the file; the running dashboard rereads it when it changes.
"""
from __future__ import annotations

import datetime as dt
import os
import re
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path

from werkzeug.security import check_password_hash, generate_password_hash

from dashboard.access_store import AccessStore, sessions_path
from dashboard.json_store import StoreError, modified, read_json, write_json
from dashboard.vocabulary import USER_ROLES
from queries.db import PROJECT_ROOT

DEFAULT_USERS_PATH = PROJECT_ROOT / "data" / "users.json"
ROLES = USER_ROLES
MIN_PASSWORD = 12
MAX_PASSWORD = 256
MIN_STRENGTH = 3  # zxcvbn's score 0..4; 3: about 10^8 guesses or more
PRODUCT_WORDS = ["smarketing", "scoreboard", "dashboard", "marketing", "sales"]
USERNAME = re.compile(r"^[A-Za-z0-9._@-]{1,64}$")
# A hash to check against when the name is unknown, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = generate_password_hash("not a password of anyone", method="scrypt")


class UserError(ValueError):
    """A user command cannot be carried out; says why."""


@dataclass(frozen=True)
class User:
    name: str
    role: str
    stamp: str = ""  # the session stamp (see the module's docstring)


def users_path(path: str | Path | None = None) -> Path:
    """The users file in force: `path`, else `USERS_PATH`, else `data/users.json`."""
    return Path(path or os.environ.get("USERS_PATH") or DEFAULT_USERS_PATH)


def _read(path: Path) -> dict:
    users = read_json(path, {})
    for name, record in users.items():
        if not isinstance(record, dict) or record.get("role") not in ROLES or not record.get("hash"):
            raise StoreError(f"{path}: the entry of {name!r} needs a role ({', '.join(ROLES)}) and a hash")
    return users


def check_password(password: str, name: str = "") -> None:
    """Raise UserError when the password is too short, too long or easy to guess."""
    from zxcvbn import zxcvbn

    if len(password) < MIN_PASSWORD:
        raise UserError(f"the password is too short: at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise UserError(f"the password is too long: at most {MAX_PASSWORD} characters")
    estimate = zxcvbn(password[:100], user_inputs=[name, *PRODUCT_WORDS])  # its time grows with the length
    if estimate["score"] < MIN_STRENGTH:
        warning = (estimate["feedback"].get("warning") or "it follows a common pattern").rstrip(".")
        raise UserError(f"the password is too easy to guess ({warning[:1].lower() + warning[1:]}): "
                        "several unrelated words make a good one")


def _refuse_losing_the_last_admin(users: dict, name: str) -> None:
    admins = [other for other, record in users.items() if record["role"] == "admin"]
    if admins == [name]:
        raise UserError(f"{name} is the last admin: make another user admin first, or nobody could manage users")


def add_user(path: Path, name: str, password: str, role: str) -> User:
    """Add a user, or set an existing one's password and role (which ends their sessions)."""
    if not USERNAME.match(name or ""):
        raise UserError("a user name is 1 to 64 letters, digits or . _ @ -")
    if role not in ROLES:
        raise UserError(f"unknown role {role!r}: choose one of {', '.join(ROLES)}")
    check_password(password, name)
    users = _read(path)
    if name in users and role != "admin":
        _refuse_losing_the_last_admin(users, name)
    stamp = secrets.token_hex(8)
    users[name] = {"role": role, "hash": generate_password_hash(password, method="scrypt"), "stamp": stamp,
                   "changed": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}
    write_json(path, users)
    AccessStore(sessions_path(path)).mark_had_users()
    return User(name, role, stamp)


def remove_user(path: Path, name: str) -> None:
    """Remove a user (their sessions end at their next request); never the last admin."""
    users = _read(path)
    if name not in users:
        raise UserError(f"no user {name!r}")
    _refuse_losing_the_last_admin(users, name)
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

    def get(self, name: str) -> User | None:
        """The user of this name as the file says now (None when there is none)."""
        record = self._current().get(name)
        return User(name, record["role"], record.get("stamp", "")) if record else None

    def check(self, name: str, password: str) -> User | None:
        """The user when the password is theirs; None otherwise (in about the same time)."""
        password = password[:1024]  # nobody's is longer (MAX_PASSWORD): no need to hash more
        record = self._current().get(name)
        if record is None:
            check_password_hash(_DUMMY_HASH, password)
            return None
        return self.get(name) if check_password_hash(record["hash"], password) else None
