"""A page's figures computed once and shared: the answer to a page-body callback is kept in the
shared cache folder, keyed by everything it depends on, so that twenty wall screens asking for
the same scoreboard cost one computation instead of twenty.

The key is the code's version, the callback's whole request body (its output, the filter state and every other
input), the data version, the agreement in force, the as_of instant (a frozen AS_OF, else the
current minute: figures are shared for at most `settings.figures_seconds`), and the viewer's
role as the access check decided it, so figures are never shared across roles. Only the page bodies named in CACHEABLE_OUTPUTS are kept;
an answer carrying a page's outage or failure message is never kept. While one worker computes
an answer the others asking for the same wait for it (the cache folder's lock).
"""
from __future__ import annotations

import hashlib
import json
import logging
import time

import flask
from sqlalchemy.exc import SQLAlchemyError

from dashboard.shared_cache import DiskCache, cache_key

log = logging.getLogger(__name__)

# The callbacks whose answer depends only on their inputs, the data, the agreement and as_of.
CACHEABLE_OUTPUTS = frozenset({
    "scoreboard-body.children", "marketing-body.children", "sales-response-body.children",
    "sales-period-body.children", "funnel-summary.children", "funnel-conversion.children",
    "funnel-details.children", "loop-body.children", "quality-body.children",
})
# What a page shows instead of figures when it could not compute them (components/layout.py).
FAULT_TEXTS = (b"The database cannot be reached", b"This view could not be computed")
MAX_FILES = 256
_agreement_digests: dict[int, tuple[object, str]] = {}


def _agreement_digest(agreement) -> str:
    """A digest of the agreement's content (computed once per agreement object)."""
    known = _agreement_digests.get(id(agreement))
    if known is not None and known[0] is agreement:
        return known[1]
    digest = hashlib.sha256(agreement.model_dump_json().encode("utf-8")).hexdigest()
    _agreement_digests.clear()  # one agreement is in force at a time
    _agreement_digests[id(agreement)] = (agreement, digest)
    return digest


def _as_of_key(settings) -> str:
    if settings.as_of is not None:
        return settings.as_of.isoformat()
    return str(int(time.time() // settings.figures_seconds))


def install(server: flask.Flask, current_settings) -> None:
    """Wrap Dash's callback endpoint on `server` with the figures cache."""
    from dashboard.data import current_version
    from dashboard.health import code_version

    endpoint = next(rule.endpoint for rule in server.url_map.iter_rules()
                    if rule.rule.endswith("/_dash-update-component"))
    dispatch = server.view_functions[endpoint]

    def dispatch_with_figures_cache(*args, **kwargs):
        settings = current_settings()
        if settings.cache_dir is None or settings.figures_seconds <= 0:
            return dispatch(*args, **kwargs)
        body = flask.request.get_data(cache=True)
        try:
            output = json.loads(body).get("output")
        except (ValueError, AttributeError):
            return dispatch(*args, **kwargs)
        if output not in CACHEABLE_OUTPUTS:
            return dispatch(*args, **kwargs)
        try:
            version = current_version(settings)
        except SQLAlchemyError:
            return dispatch(*args, **kwargs)  # the page says the database is gone
        # Who may see these figures: the role the access check gave this request (dashboard/access.py),
        # so people of one role share and nobody sees figures computed for another.
        viewer = (getattr(flask.g, "access_role", None), flask.request.headers.get("Authorization", ""))
        key = cache_key("figures", code_version(), body, version, _agreement_digest(settings.agreement()),
                        _as_of_key(settings), viewer)
        cache = DiskCache(settings.cache_dir / "figures", max_files=MAX_FILES)
        kept = cache.read(key)
        if kept is None:
            with cache.locked(key):
                kept = cache.read(key)
                if kept is None:
                    response = dispatch(*args, **kwargs)
                    data = response.get_data()
                    if response.status_code == 200 and not any(text in data for text in FAULT_TEXTS):
                        cache.write(key, data)
                    return response
        return flask.Response(kept, mimetype="application/json")

    server.view_functions[endpoint] = dispatch_with_figures_cache

