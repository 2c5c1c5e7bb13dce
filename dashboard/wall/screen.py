"""What a wall screen's refresh returns: the views of its playlist for the data as it is now.

Many screens refresh the same views; the rendered views are kept per data version, views and
minute of the clock, so a refresh when nothing changed costs a version check and a lookup.
"""
from __future__ import annotations

import threading
from collections import OrderedDict

from dashboard.data import current_version, dataset_for
from dashboard.settings import Settings
from dashboard.wall.views import build_views

_MAX_ENTRIES = 8
_lock = threading.Lock()
_rendered: "OrderedDict[tuple, dict]" = OrderedDict()


def wall_views(settings: Settings, views: tuple[str, ...]) -> dict:
    """Each view's HTML, as of now; raises what the database raises when it cannot be read."""
    as_of = settings.now()
    agreement = settings.agreement()
    key = (settings.database_url, str(settings.sla_path), _modified(settings.sla_path), current_version(settings),
           views, as_of.floor("min"))
    with _lock:
        if key in _rendered:
            _rendered.move_to_end(key)
            return _rendered[key]
    rendered = build_views(dataset_for(settings), agreement, as_of, views)
    with _lock:
        _rendered[key] = rendered
        while len(_rendered) > _MAX_ENTRIES:
            _rendered.popitem(last=False)
    return rendered


def _modified(path) -> int | None:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return None


def forget_rendered() -> None:
    """Drop the kept views (tests)."""
    with _lock:
        _rendered.clear()
