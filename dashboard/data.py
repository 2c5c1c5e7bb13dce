"""The records behind the pages: loaded once per filter choice and data version, then shared.

Pages call `dataset_for(settings, filters)`; when the data changed (checked at most every
`settings.cache_seconds`) it refreshes the cached frames with only the rows written or deleted
since (`queries.refresh`), so a wall screen that refreshes costs next to nothing.
"""
from __future__ import annotations

import threading
import time
from collections import OrderedDict

from dashboard.settings import Settings
from queries.db import get_engine, schema_is_current
from queries.loaders import Dataset, Filters, data_version, load_filter_options
from queries.refresh import LoadMark, load_marked, refresh

_MAX_ENTRIES = 16
_lock = threading.Lock()
_datasets: "OrderedDict[tuple, tuple[tuple, Dataset, LoadMark]]" = OrderedDict()
_versions: dict[str, tuple[float, tuple]] = {}


def _version(settings: Settings) -> tuple:
    """The data version, asked of the database at most every cache_seconds."""
    now = time.monotonic()
    checked = _versions.get(settings.database_url)
    if checked and now - checked[0] < settings.cache_seconds:
        return checked[1]
    version = data_version(get_engine(settings.database_url))
    _versions[settings.database_url] = (now, version)
    return version


def dataset_for(settings: Settings, filters: Filters = Filters()) -> Dataset:
    """Every record matching the filters (all of history: as_of is applied by the metrics)."""
    version = _version(settings)
    key = (settings.database_url, filters)
    with _lock:
        cached = _datasets.get(key)
        if cached and cached[0] == version:
            _datasets.move_to_end(key)
            return cached[1]
    engine = get_engine(settings.database_url)
    if cached:
        dataset, mark, _report = refresh(engine, cached[1], cached[2], filters)
    else:
        dataset, mark = load_marked(engine, filters)
    with _lock:
        _datasets[key] = (version, dataset, mark)
        while len(_datasets) > _MAX_ENTRIES:
            _datasets.popitem(last=False)
    return dataset


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
        _versions.clear()
