"""Settings of one running dashboard, read once at start from flags and the environment."""
from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from dashboard.agreement_state import agreement_in_force
from dashboard.alerts.config import alerts_path
from dashboard.sla import Agreement, agreement_path, load_agreement
from dashboard.users import users_path
from dashboard.wall.playlist import playlist_path
from dashboard.wall.tokens import tokens_path
from queries.db import PROJECT_ROOT, default_url, normalise_url

DEFAULT_CACHE_DIR = PROJECT_ROOT / "data" / "cache"


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
    alerts_path: Path = field(default_factory=alerts_path)  # who hears of what (docs/ALERTS.md)
    # Access (README "Access"): who may sign in, the wall links, the session key and cookies.
    users_path: Path = field(default_factory=users_path)
    wall_tokens_path: Path = field(default_factory=tokens_path)
    secret_key_path: Path = field(default_factory=secret_key_path)
    session_hours: float = field(default_factory=lambda: float(os.environ.get("SESSION_HOURS") or 12))  # idle
    session_max_hours: float = field(default_factory=lambda: float(os.environ.get("SESSION_MAX_HOURS") or 168))
    sessions_path: Path | None = field(  # the session store; None: sessions.db beside the users file
        default_factory=lambda: Path(os.environ["SESSIONS_PATH"]) if os.environ.get("SESSIONS_PATH") else None)
    secure_cookies: bool = field(default_factory=lambda: _flag("SECURE_COOKIES"))  # behind HTTPS
    proxy_user_header: str | None = field(default_factory=lambda: os.environ.get("PROXY_USER_HEADER") or None)
    trusted_proxies: tuple[str, ...] = field(default_factory=lambda: tuple(
        p.strip() for p in (os.environ.get("TRUSTED_PROXIES") or "127.0.0.1,::1").split(",") if p.strip()))
    cache_dir: Path | None = None  # the cache's shared folder: workers and restarts start from it; None: off
    figures_seconds: float = 60.0  # a page's figures are shared between tabs for at most this long

    def __post_init__(self):
        object.__setattr__(self, "database_url", normalise_url(self.database_url))
        object.__setattr__(self, "sla_path", Path(self.sla_path))
        for name in ("wall_path", "alerts_path", "users_path", "wall_tokens_path", "secret_key_path"):
            object.__setattr__(self, name, Path(getattr(self, name)))
        if self.cache_dir is not None:
            object.__setattr__(self, "cache_dir", Path(self.cache_dir))

    @classmethod
    def from_env(cls, database_url: str | None = None, sla_path: str | None = None) -> Settings:
        """Flags first, then the environment (DATABASE_URL, SLA_PATH, AS_OF, CACHE_DIR,
        CACHE_SECONDS, FIGURES_SECONDS), then the defaults; a bad value raises ValueError."""
        as_of = os.environ.get("AS_OF")
        return cls(
            database_url=database_url or default_url(),
            sla_path=agreement_path(sla_path),
            as_of=parse_instant(as_of, load_agreement(agreement_path(sla_path))) if as_of else None,
            cache_dir=cache_dir_from_env(),
            cache_seconds=seconds_from_env("CACHE_SECONDS", 60.0),
            figures_seconds=seconds_from_env("FIGURES_SECONDS", 60.0),
        )

    def agreement(self) -> Agreement:
        """The agreement in force: the file when it is good, else its last good version."""
        return agreement_in_force(self.sla_path)

    def now(self) -> pd.Timestamp:
        """The as_of of a request: the frozen clock, else now."""
        return self.as_of if self.as_of is not None else pd.Timestamp.now(tz="UTC")


def seconds_from_env(name: str, default: float) -> float:
    """A number of seconds (0 or more) from the environment variable `name`, else `default`."""
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not seconds >= 0 or seconds == float("inf"):
        raise ValueError(f"{name}={text!r}: write a number of seconds, 0 or more (e.g. {name}={default:g})")
    return seconds


def cache_dir_from_env() -> Path | None:
    """`CACHE_DIR` (`off` turns the shared cache off), else data/cache/."""
    value = os.environ.get("CACHE_DIR", "").strip()
    if value.lower() == "off":
        return None
    return Path(value) if value else DEFAULT_CACHE_DIR


def parse_instant(text: str, agreement: Agreement) -> pd.Timestamp:
    """An ISO 8601 instant; without an offset it is local time of the agreement, and a plain
    date is that day's local midnight."""
    try:
        stamp = pd.Timestamp(dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00")))
    except ValueError:
        raise ValueError(f"{text!r} is not an ISO 8601 date or instant (e.g. 2026-11-20T12:00+02:00)") from None
    if stamp.tzinfo is None:
        stamp = stamp.tz_localize(agreement.tz, nonexistent="shift_forward", ambiguous=False)
    return stamp.tz_convert("UTC")
