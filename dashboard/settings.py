"""Settings of one running dashboard, read once at start from flags and the environment."""
from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from dashboard.sla import Agreement, agreement_path, load_agreement
from dashboard.users import users_path
from dashboard.wall.playlist import playlist_path
from dashboard.wall.tokens import tokens_path
from queries.db import PROJECT_ROOT
from queries.db import default_url, normalise_url


def secret_key_path() -> Path:
    """Where the session-signing key lives when `SECRET_KEY` is not set: `SECRET_KEY_PATH`, else data/."""
    return Path(os.environ.get("SECRET_KEY_PATH") or PROJECT_ROOT / "data" / "secret.key")


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


@dataclass(frozen=True)
class Settings:
    """Where the data and the agreement are, and (for tests and demos) a frozen clock."""

    database_url: str = field(default_factory=default_url)
    sla_path: Path = field(default_factory=agreement_path)
    as_of: pd.Timestamp | None = None  # None: the wall clock at each request
    cache_seconds: float = 60.0
    wall_path: Path = field(default_factory=playlist_path)  # the wall screen's playlist
    # Access (README "Access"): who may sign in, the wall links, the session key and cookies.
    users_path: Path = field(default_factory=users_path)
    wall_tokens_path: Path = field(default_factory=tokens_path)
    secret_key_path: Path = field(default_factory=secret_key_path)
    session_hours: float = field(default_factory=lambda: float(os.environ.get("SESSION_HOURS") or 12))
    secure_cookies: bool = field(default_factory=lambda: _flag("SECURE_COOKIES"))  # behind HTTPS
    proxy_user_header: str | None = field(default_factory=lambda: os.environ.get("PROXY_USER_HEADER") or None)
    trusted_proxies: tuple[str, ...] = field(default_factory=lambda: tuple(
        p.strip() for p in (os.environ.get("TRUSTED_PROXIES") or "127.0.0.1,::1").split(",") if p.strip()))

    def __post_init__(self):
        object.__setattr__(self, "database_url", normalise_url(self.database_url))
        object.__setattr__(self, "sla_path", Path(self.sla_path))
        for name in ("wall_path", "users_path", "wall_tokens_path", "secret_key_path"):
            object.__setattr__(self, name, Path(getattr(self, name)))

    @classmethod
    def from_env(cls, database_url: str | None = None, sla_path: str | None = None) -> "Settings":
        """Flags first, then DATABASE_URL / SLA_PATH / AS_OF, then the defaults."""
        as_of = os.environ.get("AS_OF")
        return cls(
            database_url=database_url or default_url(),
            sla_path=agreement_path(sla_path),
            as_of=parse_instant(as_of, load_agreement(agreement_path(sla_path))) if as_of else None,
        )

    def agreement(self) -> Agreement:
        return load_agreement(self.sla_path)

    def now(self) -> pd.Timestamp:
        """The as_of of a request: the frozen clock, else now."""
        return self.as_of if self.as_of is not None else pd.Timestamp.now(tz="UTC")


def parse_instant(text: str, agreement: Agreement) -> pd.Timestamp:
    """An ISO 8601 instant; without an offset it is local time of the agreement, and a plain
    date is that day's local midnight."""
    try:
        stamp = pd.Timestamp(dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00")))
    except ValueError:
        raise ValueError(f"{text!r} is not an ISO 8601 date or instant (e.g. 2026-11-20T12:00+02:00)")
    if stamp.tzinfo is None:
        stamp = stamp.tz_localize(agreement.tz, nonexistent="shift_forward", ambiguous=False)
    return stamp.tz_convert("UTC")
