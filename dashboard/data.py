"""The records behind the pages: loaded once per database and data version, then shared.

Pages call `dataset_for(settings, filters)`. The unfiltered records are read once; when the
data changed (checked at most every `settings.cache_seconds`) only the rows written or
deleted since are read again (`queries.refresh`), so a wall screen that refreshes costs next
to nothing. A filtered view is cut from the unfiltered records in memory with the loaders'
own predicates (MariaDB, whose text comparisons ignore case, still filters in SQL). With
`settings.snapshot_dir`, the records are also kept on disk, so a restart reads only what
changed while the dashboard was down.
"""
from __future__ import annotations

import threading
import time
from collections import OrderedDict

from dashboard.settings import Settings
from queries.db import get_engine, schema_is_current, schema_revision
from queries.loaders import Dataset, Filters, data_version, filter_dataset, load_filter_options
from queries.refresh import LoadMark, load_marked, refresh
from queries.snapshot import load_snapshot, save_snapshot, snapshot_path

_MAX_ENTRIES = 4  # loaded datasets kept (each is every record of a database, or of a filter on MariaDB)
_MAX_CUTS = 2  # filtered views cut in memory kept, for a page's several callbacks on one filter
SNAPSHOT_EVERY = 600.0  # seconds between snapshot writes after refreshes
_lock = threading.Lock()
_datasets: "OrderedDict[tuple, tuple[tuple, Dataset, LoadMark]]" = OrderedDict()
_cuts: "OrderedDict[tuple, tuple[tuple, Dataset]]" = OrderedDict()
_versions: dict[str, tuple[float, tuple]] = {}
_snapshots_written: dict[str, float] = {}


def _version(settings: Settings) -> tuple:
    """The data version, asked of the database at most every cache_seconds."""
    now = time.monotonic()
    checked = _versions.get(settings.database_url)
    if checked and now - checked[0] < settings.cache_seconds:
        return checked[1]
    version = data_version(get_engine(settings.database_url))
    _versions[settings.database_url] = (now, version)
    return version


def _filters_in_memory(settings: Settings) -> bool:
    return get_engine(settings.database_url).dialect.name not in ("mysql", "mariadb")


def dataset_for(settings: Settings, filters: Filters = Filters()) -> Dataset:
    """Every record matching the filters (all of history: as_of is applied by the metrics)."""
    if not filters.is_empty and _filters_in_memory(settings):
        return _cut(settings, filters)
    version = _version(settings)
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
    else:
        dataset, mark, changed = _first_load(settings, filters)
    with _lock:
        _datasets[key] = (version, dataset, mark)
        while len(_datasets) > _MAX_ENTRIES:
            _datasets.popitem(last=False)
    if changed and filters.is_empty:
        _save_later(settings, dataset, mark)
    return dataset


def _cut(settings: Settings, filters: Filters) -> Dataset:
    everything = dataset_for(settings)
    version = _version(settings)
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


def _first_load(settings: Settings, filters: Filters) -> tuple[Dataset, LoadMark, bool]:
    """The snapshot brought up to date when there is one, else everything from the database."""
    engine = get_engine(settings.database_url)
    if settings.snapshot_dir is not None and filters.is_empty:
        saved = load_snapshot(snapshot_path(settings.snapshot_dir, settings.database_url), schema_revision(engine))
        if saved is not None:
            dataset, mark, report = refresh(engine, saved[0], saved[1], filters)
            changed = report.full_reload or any(report.changed.values()) or bool(report.reconciled)
            return dataset, mark, changed
    dataset, mark = load_marked(engine, filters)
    return dataset, mark, True


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
    """Drop every cached dataset and version (tests, and after an import in-process)."""
    with _lock:
        _datasets.clear()
        _cuts.clear()
        _versions.clear()
        _snapshots_written.clear()
