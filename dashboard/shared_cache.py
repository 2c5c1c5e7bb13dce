"""A cache on disk that the server's worker processes share, so that one worker loads a dataset
from the database while the others wait for it and then read its file.

Files live in one folder (`CACHE_DIR`, default `data/cache/`): `<key>.pickle` for values,
`locks/<n>.lock` for the locks. A value is written to a temporary file and renamed into place,
so a reader sees a whole file or none. Loading happens under an exclusive `flock` on the key's
lock file; a process that finds the lock taken waits, then reads what the holder wrote. At most
`max_files` values are kept: the least recently used (by modification time, which a read moves
on) are deleted. The files are Python pickles: the folder must be writable by the dashboard's
own user only (it is created with mode 0700).
"""
from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import pickle
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

log = logging.getLogger(__name__)

FORMAT = 1  # bump when what is pickled changes shape
LOCK_STRIPES = 64
SUFFIX = ".pickle"


def cache_key(*parts: Any) -> str:
    """A file-name-safe key for `parts` (their repr), also changing with the code's formats."""
    text = repr((FORMAT, sys.version_info[:2], pd.__version__, parts))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:40]


class DiskCache:
    """Values shared between processes through files in one folder."""

    def __init__(self, directory: Path | str, max_files: int = 32):
        self.directory = Path(directory)
        self.max_files = max_files

    def _path(self, key: str, suffix: str = SUFFIX) -> Path:
        return self.directory / f"{key}{suffix}"

    def _ensure_folder(self) -> None:
        (self.directory / "locks").mkdir(parents=True, exist_ok=True, mode=0o700)

    def read(self, key: str, suffix: str = SUFFIX) -> Any | None:
        """The value stored under `key`, or None; a read counts as a use for the LRU bound."""
        path = self._path(key, suffix)
        try:
            with open(path, "rb") as file:
                value = pickle.load(file)
        except (FileNotFoundError, NotADirectoryError):
            return None
        except Exception as error:  # noqa: BLE001 - a bad file is a miss, and goes
            log.warning("cache file %s unreadable (%s): removed", path.name, error.__class__.__name__)
            with contextlib.suppress(OSError):
                path.unlink()
            return None
        with contextlib.suppress(OSError):
            os.utime(path)
        return value

    def write(self, key: str, value: Any, suffix: str = SUFFIX) -> bool:
        """Store `value` whole (temporary file, then rename), then keep only max_files
        (values with another suffix, like the small version stamps, are not counted). A folder
        that cannot be written is logged and skipped: the cache never fails a page."""
        try:
            self._ensure_folder()
            descriptor, temporary = tempfile.mkstemp(dir=self.directory, prefix=".tmp-", suffix=suffix)
        except OSError as error:
            log.warning("cache folder %s not writable, not sharing: %s", self.directory, error)
            return False
        try:
            with os.fdopen(descriptor, "wb") as file:
                pickle.dump(value, file, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temporary, self._path(key, suffix))
        except OSError as error:
            log.warning("cache file for %s not written: %s", key, error)
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            return False
        if suffix == SUFFIX:
            self.prune()
        return True

    @contextlib.contextmanager
    def locked(self, key: str) -> Iterator[None]:
        """Hold the exclusive lock of `key` (one of LOCK_STRIPES lock files) for the block;
        without a usable folder the block runs unlocked (each worker loads for itself)."""
        stripe = int(key[:8], 16) % LOCK_STRIPES
        try:
            self._ensure_folder()
            file = open(self.directory / "locks" / f"{stripe:02d}.lock", "a+b")  # noqa: SIM115 (closed below)
        except OSError as error:
            log.warning("cache folder %s not usable, loading without its lock: %s", self.directory, error)
            yield
            return
        with file:
            fcntl.flock(file, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(file, fcntl.LOCK_UN)

    def prune(self) -> None:
        """Delete the least recently used files beyond max_files."""
        files = []
        with contextlib.suppress(OSError):
            for path in self.directory.glob(f"*{SUFFIX}"):
                if path.name.startswith("."):
                    continue
                with contextlib.suppress(FileNotFoundError):
                    files.append((path.stat().st_mtime_ns, path))
        files.sort(reverse=True)
        for _, path in files[self.max_files:]:
            with contextlib.suppress(OSError):
                path.unlink()
