"""The records behind the pages: loaded once per database and data version, then shared.

Reports start from `dataset_for(settings, filters, cache)`. The unfiltered records are read
once; when the data changed (checked at most every `settings.cache_seconds`) only the rows
written or deleted since are read again (`queries.refresh`), so a wall screen that refreshes
costs next to nothing. A filtered view is cut from the unfiltered records in memory with the
loaders' own predicates (MariaDB, whose text comparisons ignore case, still filters in SQL).

Everything kept lives in the app's one cache (`dashboard.cache`): the records and their load
mark in memory, and with a shared folder the data version and the unfiltered records as Arrow
IPC bytes there too, so a sibling worker starts from what one worker loaded and a restart from
what the last run loaded, reading only what changed since. Without a cache (the command line,
a test outside an app) every call loads afresh.

A load never mixes before and after an import: the data version is asked again after it, and
what changed meanwhile is read again until it held still.
"""
from __future__ import annotations

import dataclasses
import threading
import time

from dashboard.cache import Cache, key
from dashboard.settings import Settings
from queries.db import get_engine, schema_is_current, schema_revision
from queries.loaders import Dataset, Filters, data_version, filter_dataset, load_filter_options, load_unrecorded
from queries.refresh import LoadMark, load_marked, refresh
from queries.snapshot import decode_dataset, encode_dataset

SAVE_EVERY = 600.0  # seconds between writes of the shared records after refreshes
SETTLE_TRIES = 3  # loads re-read while an import lands during them, then the last one stands
_loading = threading.Lock()  # one load or refresh of the records at a time in this process


def current_cache() -> Cache | None:
    """The cache of the app serving this request, or None outside one."""
    import flask

    from dashboard.application import CACHE_KEY

    if not flask.has_app_context():
        return None
    return flask.current_app.config.get(CACHE_KEY)


def _version_of(engine) -> str:
    return repr(data_version(engine))


def current_version(settings: Settings, cache: Cache | None = None) -> str:
    """The data version, asked of the database at most every cache_seconds (by any worker,
    when they share a cache folder)."""
    cache = cache if cache is not None else current_cache()
    if cache is None:
        return _version_of(get_engine(settings.database_url))
    name = key("version", params=settings.database_url)
    checked = cache.get(name)
    if checked and time.time() - checked[0] < settings.cache_seconds:
        return checked[1]
    shared = cache.read(name)
    if shared is not None:
        stamp, version = shared.split("\n", 1)
        if 0 <= time.time() - float(stamp) < settings.cache_seconds:
            cache.put(name, (float(stamp), version))
            return version
    version = _version_of(get_engine(settings.database_url))
    _remember_version(cache, settings, version)
    return version


def _remember_version(cache: Cache, settings: Settings, version: str) -> None:
    name = key("version", params=settings.database_url)
    now = time.time()
    cache.put(name, (now, version))
    cache.write(name, f"{now!r}\n{version}")


def _filters_in_memory(settings: Settings) -> bool:
    return get_engine(settings.database_url).dialect.name not in ("mysql", "mariadb")


def dataset_for(settings: Settings, filters: Filters = Filters(), cache: Cache | None = None) -> Dataset:
    """Every record matching the filters (all of history: as_of is applied by the metrics)."""
    cache = cache if cache is not None else current_cache()
    if cache is None:  # nothing kept: a cache of this call's own, so the load is settled all the same
        cache = Cache()
    if not filters.is_empty and _filters_in_memory(settings):
        everything = dataset_for(settings, Filters(), cache)
        version = current_version(settings, cache)
        return cache.remember(key("cut", data_version=version, params=(settings.database_url, filters)),
                              lambda: filter_dataset(everything, filters))
    version = current_version(settings, cache)
    name = key("dataset", params=(settings.database_url, filters))
    kept = cache.get(name)
    if kept and kept[0] == version:
        return kept[1]
    with _loading:
        kept = cache.get(name)
        if kept and kept[0] == version:
            return kept[1]
        engine = get_engine(settings.database_url)
        if kept:
            dataset, mark, report = refresh(engine, kept[1], kept[2], filters)
            changed = report.full_reload or any(report.changed.values()) or bool(report.reconciled)
            version, dataset, mark = _settled(cache, settings, filters, version, dataset, mark)
        else:
            version, dataset, mark, changed = _first_load(cache, settings, filters, version)
        if not filters.is_empty:  # filters pushed into SQL: what the source records is the unfiltered answer
            dataset = dataclasses.replace(dataset, unrecorded=load_unrecorded(engine))
        cache.put(name, (version, dataset, mark))
    if changed and filters.is_empty:
        _save_later(cache, settings, dataset, mark, version)
    return dataset


def _settled(cache: Cache, settings: Settings, filters: Filters, version: str, dataset: Dataset,
             mark: LoadMark) -> tuple[str, Dataset, LoadMark]:
    """Ask the data version again after a load: the loaders read table by table, so an import
    committed in between would mix before and after (leads without their deals). Read what
    changed since until the version held still across the read."""
    engine = get_engine(settings.database_url)
    for _attempt in range(SETTLE_TRIES):
        after = _version_of(engine)
        if after == version:
            break
        version = after
        dataset, mark, _report = refresh(engine, dataset, mark, filters)
    _remember_version(cache, settings, version)
    return version, dataset, mark


def records_key(database_url: str) -> str:
    """Where the records of a database are kept in the shared folder."""
    return key("records", params=database_url)


def _first_load(cache: Cache, settings: Settings, filters: Filters, version: str
                ) -> tuple[str, Dataset, LoadMark, bool]:
    """This process's first records of a database: from the shared folder when a sibling
    worker (or the last run) left them, as they are when they were read at this data version,
    else brought up to date; without them loaded here and left there for the others. One
    worker loads while the others wait for its bytes."""
    engine = get_engine(settings.database_url)
    if not filters.is_empty or cache.disk is None:
        dataset, mark = load_marked(engine, filters)
        version, dataset, mark = _settled(cache, settings, filters, version, dataset, mark)
        return version, dataset, mark, True
    name = records_key(settings.database_url)
    with cache.locked(name):
        stored = cache.read(name)
        stored = stored if isinstance(stored, bytes) else None
        current = decode_dataset(stored, None, version) if stored is not None else None
        if current is not None and current.version == version:
            return version, current.dataset, current.mark, False
        saved = decode_dataset(stored, schema_revision(engine)) if stored is not None else None
        if saved is not None:
            dataset, mark, _report = refresh(engine, saved.dataset, saved.mark, filters)
        else:
            dataset, mark = load_marked(engine, filters)
        version, dataset, mark = _settled(cache, settings, filters, version, dataset, mark)
        _save(cache, settings, dataset, mark, version)
    return version, dataset, mark, False


def _save(cache: Cache, settings: Settings, dataset: Dataset, mark: LoadMark, version: str | None = None) -> None:
    revision = schema_revision(get_engine(settings.database_url))
    cache.write(records_key(settings.database_url), encode_dataset(dataset, mark, revision, version))
    cache.put(key("records-saved", params=settings.database_url), time.monotonic())


def _save_later(cache: Cache, settings: Settings, dataset: Dataset, mark: LoadMark, version: str) -> None:
    """Write the shared records in the background, at most every SAVE_EVERY seconds."""
    if cache.disk is None:
        return
    saved = cache.get(key("records-saved", params=settings.database_url))
    if saved is not None and time.monotonic() - saved < SAVE_EVERY:
        return
    cache.put(key("records-saved", params=settings.database_url), time.monotonic())
    threading.Thread(target=_save, args=(cache, settings, dataset, mark, version), daemon=True,
                     name="shared-records").start()


def filter_options(settings: Settings) -> dict[str, list]:
    """The choices of the filter bar (empty lists when the database has no schema yet)."""
    engine = get_engine(settings.database_url)
    if not schema_is_current(engine):
        return {"segments": [], "sources": [], "campaigns": [], "owners": []}
    return load_filter_options(engine)


def forget_cached_data(cache: Cache | None = None) -> None:
    """Empty the cache (the app's by default): after an import in this process, the next
    figures are computed from the records as they are now."""
    cache = cache if cache is not None else current_cache()
    if cache is not None:
        cache.reset()
