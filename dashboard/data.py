"""The records behind the pages: loaded once per database and data version, then shared.

Pages call `dataset_for(settings, filters)`. The unfiltered records are read once; when the
data changed (checked at most every `settings.cache_seconds`) only the rows written or
deleted since are read again (`queries.refresh`), so a wall screen that refreshes costs next
to nothing. A filtered view is cut from the unfiltered records in memory with the loaders'
own predicates (MariaDB, whose text comparisons ignore case, still filters in SQL).

A load never mixes before and after an import: the data version is asked again after it, and
what changed meanwhile is read again until it held still. With `settings.cache_dir` (the
server's `CACHE_DIR`) the worker processes share the data version and their first load
through files there (`shared_cache`): one worker loads while the others wait for its file.
With `settings.snapshot_dir`, the records are also kept on disk, so a restart reads only what
changed while the dashboard was down.
"""
from __future__ import annotations

import contextlib
import threading
import time
from collections import OrderedDict

from dashboard.settings import Settings
from dashboard.shared_cache import DiskCache, cache_key
from queries.db import get_engine, schema_is_current, schema_revision
from queries.loaders import Dataset, Filters, data_version, filter_dataset, load_filter_options
from queries.refresh import LoadMark, load_marked, refresh
from queries.snapshot import load_snapshot, save_snapshot, snapshot_path

_MAX_ENTRIES = 4  # loaded datasets kept (each is every record of a database, or of a filter on MariaDB)
_MAX_CUTS = 2  # filtered views cut in memory kept, for a page's several callbacks on one filter
SNAPSHOT_EVERY = 600.0  # seconds between snapshot writes after refreshes
SETTLE_TRIES = 3  # loads re-read while an import lands during them, then the last one stands
_lock = threading.Lock()
_datasets: OrderedDict[tuple, tuple[tuple, Dataset, LoadMark]] = OrderedDict()
_cuts: OrderedDict[tuple, tuple[tuple, Dataset]] = OrderedDict()
_versions: dict[str, tuple[float, tuple]] = {}
_snapshots_written: dict[str, float] = {}
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


def _filters_in_memory(settings: Settings) -> bool:
    return get_engine(settings.database_url).dialect.name not in ("mysql", "mariadb")


def dataset_for(settings: Settings, filters: Filters = Filters()) -> Dataset:
    """Every record matching the filters (all of history: as_of is applied by the metrics)."""
    if not filters.is_empty and _filters_in_memory(settings):
        return _cut(settings, filters)
    version = current_version(settings)
    key = (settings.database_url, filters)
    with _lock:
        cached = _datasets.get(key)
        if cached and cached[0] == version:
            _datasets.move_to_end(key)
            return cached[1]
    engine = get_engine(settings.database_url)
    if cached:
        dataset, mark, report = refresh(engine, cached[1], cached[2], filters)
        changed = report.full_reload or any(report.changed.values()) or report.reconciled
        version, dataset, mark = _settled(settings, filters, version, dataset, mark)
    else:
        version, dataset, mark, changed = _first_load(settings, filters, version)
    with _lock:
        _datasets[key] = (version, dataset, mark)
        while len(_datasets) > _MAX_ENTRIES:
            _datasets.popitem(last=False)
    if changed and filters.is_empty:
        _save_later(settings, dataset, mark)
    return dataset


def _settled(settings: Settings, filters: Filters, version: tuple, dataset: Dataset,
             mark: LoadMark) -> tuple[tuple, Dataset, LoadMark]:
    """Ask the data version again after a load: the loaders read table by table, so an import
    committed in between would mix before and after (leads without their deals). Read what
    changed since until the version held still across the read."""
    engine = get_engine(settings.database_url)
    for _attempt in range(SETTLE_TRIES):
        after = data_version(engine)
        if after == version:
            break
        version = after
        dataset, mark, _report = refresh(engine, dataset, mark, filters)
    _remember_version(settings, version)
    return version, dataset, mark


def _cut(settings: Settings, filters: Filters) -> Dataset:
    everything = dataset_for(settings)
    version = current_version(settings)
    key = (settings.database_url, filters)
    with _lock:
        cached = _cuts.get(key)
        if cached and cached[0] == version and cached[1] is not None:
            _cuts.move_to_end(key)
            return cached[1]
    dataset = filter_dataset(everything, filters)
    with _lock:
        _cuts[key] = (version, dataset)
        while len(_cuts) > _MAX_CUTS:
            _cuts.popitem(last=False)
    return dataset


def _first_load(settings: Settings, filters: Filters, version: tuple) -> tuple[tuple, Dataset, LoadMark, bool]:
    """This process's first records of a database: from the shared folder when another worker
    loaded them at this version, else loaded here (and left there for the others)."""
    disk = _disk(settings)
    if disk is None:
        return _load_here(settings, filters, version)
    key = cache_key("dataset", settings.database_url, filters, version)
    kept = disk.read(key)
    if kept is None:
        with disk.locked(key):
            kept = disk.read(key)
            if kept is None:
                version, dataset, mark, changed = _load_here(settings, filters, version)
                disk.write(cache_key("dataset", settings.database_url, filters, version), (dataset, mark))
                return version, dataset, mark, changed
    dataset, mark = kept
    return version, dataset, mark, False


def _load_here(settings: Settings, filters: Filters, version: tuple) -> tuple[tuple, Dataset, LoadMark, bool]:
    """The snapshot brought up to date when there is one, else everything from the database;
    settled against imports landing meanwhile."""
    engine = get_engine(settings.database_url)
    dataset = None
    changed = True
    if settings.snapshot_dir is not None and filters.is_empty:
        saved = load_snapshot(snapshot_path(settings.snapshot_dir, settings.database_url), schema_revision(engine))
        if saved is not None:
            dataset, mark, report = refresh(engine, saved[0], saved[1], filters)
            changed = report.full_reload or any(report.changed.values()) or bool(report.reconciled)
    if dataset is None:
        dataset, mark = load_marked(engine, filters)
    version, dataset, mark = _settled(settings, filters, version, dataset, mark)
    return version, dataset, mark, changed


def _save_later(settings: Settings, dataset: Dataset, mark: LoadMark) -> None:
    """Write the snapshot in the background, at most every SNAPSHOT_EVERY seconds."""
    if settings.snapshot_dir is None:
        return
    url = settings.database_url
    now = time.monotonic()
    with _lock:
        if url in _snapshots_written and now - _snapshots_written[url] < SNAPSHOT_EVERY:
            return
        _snapshots_written[url] = now
    revision = schema_revision(get_engine(url))
    path = snapshot_path(settings.snapshot_dir, url)
    threading.Thread(target=save_snapshot, args=(path, dataset, mark, revision), daemon=True,
                     name="dataset-snapshot").start()


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
        _cuts.clear()
        _versions.clear()
        _snapshots_written.clear()
        for directory in _cache_dirs:
            for stamp in directory.glob(f"*{STAMP}"):
                with contextlib.suppress(OSError):
                    stamp.unlink()
