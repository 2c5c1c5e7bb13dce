"""What a wall screen's refresh returns: the views of its playlist for the data as it is now.

Many screens refresh the same views; the rendered views are kept per data version, agreement,
views and minute of the clock, so a refresh when nothing changed costs a version check and a
lookup. Kept in this process, and, when the server's workers share a cache folder
(`settings.cache_dir`), there too, so one worker renders for all; while it does, the others
asking for the same wait for it instead of rendering again.
"""
from __future__ import annotations

import logging
import threading
from collections import OrderedDict

from dashboard.data import current_version, dataset_for
from dashboard.json_store import modified
from dashboard.settings import Settings
from dashboard.shared_cache import DiskCache, cache_key
from dashboard.wall.views import build_views

log = logging.getLogger(__name__)
_MAX_ENTRIES = 8
_lock = threading.Lock()
_rendered: OrderedDict[tuple, dict] = OrderedDict()


def wall_views(settings: Settings, views: tuple[str, ...]) -> dict:
    """Each view's HTML, as of now; raises what the database raises when it cannot be read."""
    as_of = settings.now()
    key = (settings.database_url, str(settings.sla_path), modified(settings.sla_path), current_version(settings),
           views, as_of.floor("min"))
    with _lock:
        if key in _rendered:
            _rendered.move_to_end(key)
            return _rendered[key]
    rendered = _shared(settings, key, lambda: build_views(dataset_for(settings), settings.agreement(), as_of, views))
    with _lock:
        _rendered[key] = rendered
        while len(_rendered) > _MAX_ENTRIES:
            _rendered.popitem(last=False)
    return rendered


def _shared(settings: Settings, key: tuple, render) -> dict:
    """The rendered views from the shared cache folder, rendering (once, under its lock) when absent."""
    if settings.cache_dir is None:
        return render()
    cache = DiskCache(settings.cache_dir / "wall", max_files=_MAX_ENTRIES * 4)
    name = cache_key("wall", *map(repr, key))
    try:
        kept = cache.read(name)
        if kept is not None:
            return kept
        with cache.locked(name):
            kept = cache.read(name)
            if kept is not None:
                return kept
            rendered = render()
            cache.write(name, rendered)
            return rendered
    except OSError as error:  # a cache folder that cannot be used never stops the screen
        log.warning("wall cache unusable (%s); rendering here", error.__class__.__name__)
        return render()


def forget_rendered() -> None:
    """Drop the views kept in this process (tests)."""
    with _lock:
        _rendered.clear()
