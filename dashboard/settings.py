"""Settings of one running dashboard, read once at start from flags and the environment."""
from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from dashboard.sla import Agreement, agreement_path, load_agreement
from queries.db import PROJECT_ROOT, default_url, normalise_url

DEFAULT_SNAPSHOT_DIR = PROJECT_ROOT / "data" / "cache"


@dataclass(frozen=True)
class Settings:
    """Where the data and the agreement are, and (for tests and demos) a frozen clock."""

    database_url: str = field(default_factory=default_url)
    sla_path: Path = field(default_factory=agreement_path)
    as_of: pd.Timestamp | None = None  # None: the wall clock at each request
    cache_seconds: float = 60.0
    snapshot_dir: Path | None = None  # where the records are kept between runs; None: nowhere

    def __post_init__(self):
        object.__setattr__(self, "database_url", normalise_url(self.database_url))
        object.__setattr__(self, "sla_path", Path(self.sla_path))

    @classmethod
    def from_env(cls, database_url: str | None = None, sla_path: str | None = None) -> "Settings":
        """Flags first, then DATABASE_URL / SLA_PATH / AS_OF, then the defaults."""
        as_of = os.environ.get("AS_OF")
        snapshots = os.environ.get("SNAPSHOT_DIR", str(DEFAULT_SNAPSHOT_DIR))
        return cls(
            database_url=database_url or default_url(),
            sla_path=agreement_path(sla_path),
            as_of=parse_instant(as_of, load_agreement(agreement_path(sla_path))) if as_of else None,
            snapshot_dir=Path(snapshots) if snapshots not in ("", "off") else None,
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
