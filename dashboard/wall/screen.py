"""What a wall screen's refresh returns: the views of its playlist for the data as it is now.

Many screens refresh the same views; the rendered views are kept in the app's cache per data
version, agreement, views and minute of the clock, so a refresh when nothing changed costs a
version check and a lookup. With a shared cache folder one worker renders for all (as JSON);
while it does, the others asking for the same wait for it instead of rendering again.
"""
from __future__ import annotations

import json
import logging

from plotly.utils import PlotlyJSONEncoder

from dashboard.cache import Cache, key
from dashboard.data import current_cache, current_version, dataset_for
from dashboard.reports.context import ReportContext
from dashboard.reports.wall import wall_report
from dashboard.settings import Settings
from dashboard.wall.views import build_views

log = logging.getLogger(__name__)


def wall_views(settings: Settings, views: tuple[str, ...], cache: Cache | None = None) -> dict:
    """Each view's HTML, as of now; raises what the database raises when it cannot be read."""
    cache = cache if cache is not None else current_cache()
    as_of, agreement = settings.now(), settings.agreement()
    version = current_version(settings, cache)

    def render() -> dict:
        # every record (the wall has no filters), sharing the frames the pages work out in the cache
        context = ReportContext(dataset_for(settings, cache=cache), agreement, as_of, cache=cache,
                                data_version=version if cache is not None else None)
        return build_views(wall_report(context, views))

    if cache is None:
        return render()
    name = key("wall", data_version=version, agreement=agreement, as_of=as_of.floor("min").isoformat(),
               params=(settings.database_url, views))
    return cache.shared(name, render, encode=lambda rendered: json.dumps(rendered, cls=PlotlyJSONEncoder))
