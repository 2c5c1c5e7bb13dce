"""The one cache of a running dashboard: figures, datasets and derived frames, kept in memory
and, when the server's workers share a folder (`CACHE_DIR`), on disk too.

Every entry is found by one key recipe (`key`): the kind of entry, the code's version, the
data version, the agreement's digest, the as_of bucket, the parameters and the viewer's role.
The app owns its cache (`create_app` makes one; two apps in one process share nothing), and
`reset()` empties both layers.

The memory layer holds any Python object (frames, reports) for this process, least recently
used out first. The disk layer is a `diskcache` folder that every worker opens; it holds bytes
only (JSON or Arrow IPC written by the caller), never a pickle: `BytesOnlyDisk` refuses to
store one and to read one, so a file planted in the folder cannot run code in the server.
The folder is made private to the service user (0700). While one worker computes a shared
entry, the others asking for the same key wait on its lock and then read what it wrote.
"""
from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import diskcache

log = logging.getLogger(__name__)

MEMORY_ENTRIES = 256  # objects kept in this process, whatever their kind
DISK_BYTES = 4 * 2**30  # the shared folder's size bound; least recently used entries go first
LOCK_STRIPES = 64
_MISSING = object()


class UnsafeCacheValue(TypeError):
    """A value that would need pickling: the disk layer takes bytes and text only."""


class BytesOnlyDisk(diskcache.Disk):
    """diskcache's storage with text keys and bytes or text values only: nothing is pickled
    on the way in, and an entry marked as a pickle is refused on the way out."""

    def put(self, key):
        if type(key) is not str:
            raise UnsafeCacheValue(f"cache keys are text, not {type(key).__name__}")
        return super().put(key)

    def get(self, key, raw):
        if not raw:
            raise UnsafeCacheValue("refusing to unpickle a cache key")
        return super().get(key, raw)

    def store(self, value, read, key=diskcache.core.UNKNOWN):
        if type(value) not in (bytes, str):
            raise UnsafeCacheValue(f"the shared cache keeps bytes or text, not {type(value).__name__}")
        return super().store(value, read, key=key)

    def fetch(self, mode, filename, value, read):
        if mode == diskcache.core.MODE_PICKLE:
            raise UnsafeCacheValue("refusing to unpickle a cache entry")
        return super().fetch(mode, filename, value, read)


def digest(value: Any) -> str:
    """A short stable digest of a value's repr (or of its JSON, for an agreement)."""
    text = value.model_dump_json() if hasattr(value, "model_dump_json") else repr(value)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]


def key(kind: str, *, data_version: Any = None, agreement: Any = None, as_of: Any = None,
        params: Any = None, role: str | None = None) -> str:
    """The one key recipe: what an entry is, and everything its value depends on."""
    from dashboard.health import code_version

    parts = (kind, code_version(), sys.version_info[:2], data_version,
             None if agreement is None else digest(agreement), as_of, params, role)
    return f"{kind}:{hashlib.sha256(repr(parts).encode('utf-8')).hexdigest()[:40]}"


class Cache:
    """Memory layer always; disk layer shared by the workers when `directory` is given."""

    def __init__(self, directory: Path | str | None = None, memory_entries: int = MEMORY_ENTRIES,
                 disk_bytes: int = DISK_BYTES):
        self.directory = Path(directory) if directory is not None else None
        self.memory_entries = memory_entries
        self._memory: OrderedDict[str, Any] = OrderedDict()
        self._lock = threading.Lock()
        self._disk_bytes = disk_bytes
        self._disk: diskcache.Cache | None = None

    # -- memory -----------------------------------------------------------------------------
    def get(self, name: str, default: Any = None) -> Any:
        with self._lock:
            value = self._memory.get(name, _MISSING)
            if value is _MISSING:
                return default
            self._memory.move_to_end(name)
            return value

    def put(self, name: str, value: Any) -> None:
        with self._lock:
            self._memory[name] = value
            self._memory.move_to_end(name)
            while len(self._memory) > self.memory_entries:
                self._memory.popitem(last=False)

    def remember(self, name: str, compute: Callable[[], Any]) -> Any:
        """compute() once per key in this process (kept while it is among the recent ones)."""
        value = self.get(name, _MISSING)
        if value is _MISSING:
            value = compute()
            self.put(name, value)
        return value

    # -- disk -------------------------------------------------------------------------------
    @property
    def disk(self) -> diskcache.Cache | None:
        """The shared folder (opened on first use; None without a folder or when unusable)."""
        if self.directory is None or self._disk is not None:
            return self._disk
        try:
            self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            os.chmod(self.directory, 0o700)
            self._disk = diskcache.Cache(str(self.directory), disk=BytesOnlyDisk, size_limit=self._disk_bytes,
                                         eviction_policy="least-recently-used")
            for database in self.directory.glob("cache.db*"):
                os.chmod(database, 0o600)
        except (OSError, diskcache.core.sqlite3.Error) as error:
            log.warning("cache folder %s not usable, not sharing: %s", self.directory, error)
            self.directory = None
        return self._disk

    def read(self, name: str) -> bytes | str | None:
        """The shared bytes under `name`, or None (also when the folder cannot be read)."""
        disk = self.disk
        if disk is None:
            return None
        try:
            return disk.get(name)
        except (OSError, UnsafeCacheValue, diskcache.core.sqlite3.Error) as error:
            log.warning("cache entry %s unreadable (%s): removed", name, error.__class__.__name__)
            with contextlib.suppress(Exception):
                disk.delete(name)
            return None

    def write(self, name: str, value: bytes | str) -> bool:
        """Keep `value` in the shared folder; a folder that cannot be written is logged and
        skipped: the cache never fails a page."""
        disk = self.disk
        if disk is None:
            return False
        try:
            disk.set(name, value)
            return True
        except (OSError, diskcache.core.sqlite3.Error) as error:
            log.warning("cache entry %s not written: %s", name, error)
            return False

    @contextlib.contextmanager
    def locked(self, name: str) -> Iterator[None]:
        """Hold the exclusive lock of `name` across the workers for the block (one of
        LOCK_STRIPES lock files, released by the kernel if the holder dies); without a usable
        folder the block runs unlocked."""
        if self.disk is None:
            yield
            return
        stripe = int(hashlib.sha256(name.encode()).hexdigest()[:8], 16) % LOCK_STRIPES
        try:
            folder = self.directory / "locks"
            folder.mkdir(exist_ok=True, mode=0o700)
            handle = os.open(folder / f"{stripe:02d}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        except (OSError, TypeError) as error:
            log.warning("cache locks not usable, computing without one: %s", error)
            yield
            return
        try:
            fcntl.flock(handle, fcntl.LOCK_EX)
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
            os.close(handle)

    def shared(self, name: str, compute: Callable[[], Any], encode: Callable[[Any], bytes | str] = None,
               decode: Callable[[bytes | str], Any] = None, memory: bool = True) -> Any:
        """The value under `name`: from memory, else from the shared folder, else computed once
        for all workers (under the key's lock) and kept in both layers (on disk only without
        `memory`). `encode` and `decode` turn the value into bytes or text and back (JSON by
        default). An exception from compute() keeps nothing and reaches the caller."""
        encode = encode or (lambda value: json.dumps(value, separators=(",", ":")))
        decode = decode or json.loads
        value = self.get(name, _MISSING) if memory else _MISSING
        if value is not _MISSING:
            return value
        stored = self.read(name)
        if stored is None:
            with self.locked(name):
                stored = self.read(name)
                if stored is None:
                    value = compute()
                    if memory:
                        self.put(name, value)
                    self.write(name, encode(value))
                    return value
        value = decode(stored)
        if memory:
            self.put(name, value)
        return value

    def reset(self) -> None:
        """Forget everything: this process's memory and the shared folder."""
        with self._lock:
            self._memory.clear()
        disk = self.disk
        if disk is not None:
            with contextlib.suppress(OSError, diskcache.core.sqlite3.Error):
                disk.clear()

    def close(self) -> None:
        if self._disk is not None:
            self._disk.close()
            self._disk = None
