"""The records behind the pages: loaded once per filter choice and data version, then shared.

Pages call `dataset_for(settings, filters)`; it reloads only when the data changed (checked at
most every `settings.cache_seconds`), so a wall screen that refreshes costs next to nothing.
With `settings.cache_dir` (the server's `CACHE_DIR`) the worker processes also share the data
version and the loaded datasets through files there (`shared_cache`): one worker loads a
dataset while the others wait for its file, instead of each reloading it.
"""
from __future__ import annotations

import contextlib
import threading
import time
from collections import OrderedDict

from dashboard.settings import Settings
from dashboard.shared_cache import DiskCache, cache_key
from queries.db import get_engine, schema_is_current
from queries.loaders import Dataset, Filters, data_version, load_dataset, load_filter_options

_MAX_ENTRIES = 16
_lock = threading.Lock()
_datasets: "OrderedDict[tuple, tuple[tuple, Dataset]]" = OrderedDict()
_versions: dict[str, tuple[float, tuple]] = {}
_cache_dirs: set = set()  # the shared caches this process used (forget_cached_data clears their stamps)
STAMP = ".stamp"  # the shared data version of one database: (time.time() checked, version)


def _disk(settings: Settings) -> DiskCache | None:
    if settings.cache_dir is None:
        return None
    _cache_dirs.add(settings.cache_dir)
    return DiskCache(settings.cache_dir)


def _remember_version(settings: Settings, version: tuple) -> None:
    _versions[settings.database_url] = (time.monotonic(), version)
    disk = _disk(settings)
    if disk is not None:
        disk.write(cache_key("version", settings.database_url), (time.time(), version), suffix=STAMP)


def current_version(settings: Settings) -> tuple:
    """The data version, asked of the database at most every cache_seconds (by any worker,
    when they share a cache folder)."""
    now = time.monotonic()
    checked = _versions.get(settings.database_url)
    if checked and now - checked[0] < settings.cache_seconds:
        return checked[1]
    disk = _disk(settings)
    if disk is not None:
        stamp = disk.read(cache_key("version", settings.database_url), suffix=STAMP)
        if stamp is not None and 0 <= time.time() - stamp[0] < settings.cache_seconds:
            _versions[settings.database_url] = (now - (time.time() - stamp[0]), stamp[1])
            return stamp[1]
    version = data_version(get_engine(settings.database_url))
    _remember_version(settings, version)
    return version


def dataset_for(settings: Settings, filters: Filters = Filters()) -> Dataset:
    """Every record matching the filters (all of history: as_of is applied by the metrics)."""
    version = current_version(settings)
    key = (settings.database_url, filters)
    with _lock:
        cached = _datasets.get(key)
        if cached and cached[0] == version:
            _datasets.move_to_end(key)
            return cached[1]
    disk = _disk(settings)
    if disk is None:
        version, dataset = _load_unchanged(settings, filters, version)
    else:
        version, dataset = _shared_load(disk, settings, filters, version)
    with _lock:
        _datasets[key] = (version, dataset)
        while len(_datasets) > _MAX_ENTRIES:
            _datasets.popitem(last=False)
    return dataset


def _shared_load(disk: DiskCache, settings: Settings, filters: Filters, version: tuple) -> tuple[tuple, Dataset]:
    """The dataset from the shared folder; when missing, loaded by the one worker holding its
    lock while the others wait for it and then read its file."""
    key = cache_key("dataset", settings.database_url, filters, version)
    dataset = disk.read(key)
    if dataset is not None:
        return version, dataset
    with disk.locked(key):
        dataset = disk.read(key)
        if dataset is not None:
            return version, dataset
        version, dataset = _load_unchanged(settings, filters, version)
        disk.write(cache_key("dataset", settings.database_url, filters, version), dataset)
    return version, dataset


def _load_unchanged(settings: Settings, filters: Filters, version: tuple) -> tuple[tuple, Dataset]:
    """Load, then ask the data version again: the loaders read table by table, so an import
    committed in between would mix before and after (leads without their deals). Load again
    until the version held still across the load (three tries, then the last load stands)."""
    engine = get_engine(settings.database_url)
    for _attempt in range(3):
        dataset = load_dataset(engine, None, filters)
        after = data_version(engine)
        if after == version:
            break
        version = after
    _remember_version(settings, after)
    return after, dataset


def filter_options(settings: Settings) -> dict[str, list]:
    """The choices of the filter bar (empty lists when the database has no schema yet)."""
    engine = get_engine(settings.database_url)
    if not schema_is_current(engine):
        return {"segments": [], "sources": [], "campaigns": [], "owners": []}
    return load_filter_options(engine)


def forget_cached_data() -> None:
    """Drop every cached dataset and version (tests, and after an import in-process); the
    shared folders keep their datasets (keyed by version) but forget the versions."""
    with _lock:
        _datasets.clear()
        _versions.clear()
        for directory in _cache_dirs:
            for stamp in directory.glob(f"*{STAMP}"):
                with contextlib.suppress(OSError):
                    stamp.unlink()
