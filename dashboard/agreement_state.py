"""The agreement in force while the dashboard runs: reread when its file changes, and the last
good version kept in force (with a warning) when the file breaks or disappears.

At start a broken file is refused (`load_at_start` raises `AgreementError`); after that a
person editing `data/sla.yaml` on the server can never take the pages down: until the file is
good again every page keeps the targets of the last good version, shows a banner that says
why, and the log has one warning line per distinct fault.
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from dashboard.sla import Agreement, AgreementError, load_agreement

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AgreementProblem:
    """Why the file in place is not in force, and since when the last good version is used."""

    path: str
    reason: str
    good_since: dt.datetime | None  # when the version still in force was loaded (UTC); None: none was

    def message(self) -> str:
        if self.good_since is None:
            return f"The agreement file cannot be used ({self.reason}) and no good version was loaded."
        loaded = self.good_since.strftime("%Y-%m-%d %H:%M UTC")
        return (f"The agreement file cannot be used ({self.reason}). Every figure still uses the "
                f"last good version, loaded {loaded}. Fix the file; this notice goes away by itself.")


class AgreementKeeper:
    """One agreement file: parsed again only when its size or modification time changes."""

    def __init__(self, path: Path):
        self.path = path
        self._lock = threading.Lock()
        self._signature: tuple | None = None
        self._good: Agreement | None = None
        self._good_since: dt.datetime | None = None
        self.problem: AgreementProblem | None = None

    def _stat(self) -> tuple | None:
        try:
            stat = os.stat(self.path)
        except OSError:
            return None
        return stat.st_mtime_ns, stat.st_size, stat.st_ino

    def _accept(self, agreement: Agreement, signature: tuple | None) -> Agreement:
        if self.problem is not None:
            log.warning("agreement file %s is good again; its new version is in force", self.path)
        self._good, self._signature, self.problem = agreement, signature, None
        self._good_since = dt.datetime.now(dt.timezone.utc)
        return agreement

    def load_strict(self) -> Agreement:
        """Read the file now; raise AgreementError when it is broken (the check at start)."""
        with self._lock:
            signature = self._stat()
            agreement = load_agreement(self.path)
            return self._accept(agreement, signature)

    def current(self) -> Agreement:
        """The agreement in force: the file's, else the last good one (raises with none)."""
        with self._lock:
            signature = self._stat()
            if self._good is not None and signature == self._signature:
                return self._good
            try:
                agreement = load_agreement(self.path)
            except AgreementError as error:
                if self._good is None:
                    raise
                self._signature = signature
                if self.problem is None or self.problem.reason != str(error):
                    log.warning("agreement file %s refused, the last good version stays in force: %s",
                                self.path, error)
                self.problem = AgreementProblem(str(self.path), str(error), self._good_since)
                return self._good
            return self._accept(agreement, signature)


_keepers: dict[Path, AgreementKeeper] = {}
_keepers_lock = threading.Lock()


def _keeper(path: Path) -> AgreementKeeper:
    key = Path(os.path.abspath(path))
    with _keepers_lock:
        return _keepers.setdefault(key, AgreementKeeper(key))


def load_at_start(path: Path) -> Agreement:
    """The agreement a starting app uses; a broken file raises AgreementError (refused start)."""
    return _keeper(path).load_strict()


def agreement_in_force(path: Path) -> Agreement:
    """The agreement for a request: the file when it is good, else the last good version."""
    return _keeper(path).current()


def agreement_problem(path: Path) -> AgreementProblem | None:
    """Why the file is not in force right now (None when it is), after looking at it again."""
    keeper = _keeper(path)
    try:
        keeper.current()
    except AgreementError as error:
        return AgreementProblem(str(path), str(error), None)
    return keeper.problem
