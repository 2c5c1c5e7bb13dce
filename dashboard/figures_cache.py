"""A page's figures computed once and shared: the answer to a page-body callback is kept in the
app's cache (dashboard/cache.py), so twenty wall screens asking for the same scoreboard cost
one computation instead of twenty, and the server's workers share it through the cache folder.

The key is the one recipe's: kind `figures`, the code's version, the data version, the
agreement in force, the as_of bucket (a frozen AS_OF, else the current span of
`settings.figures_seconds`), the callback's whole request body as parameters, and the role the
access check gave the request, so figures are never shared across roles. Only the answers of
callbacks defined by a page that declares `shared_figures=True` in its `register_page` call
are kept (`access.callback_declaration`), and never an answer the page marked as a fault
(`components.layout.mark_not_cacheable`). While one worker computes an answer the others
asking for the same wait for it (the key's lock).
"""
from __future__ import annotations

import json
import logging
import time

import flask
from sqlalchemy.exc import SQLAlchemyError

from dashboard.cache import key

log = logging.getLogger(__name__)



def _clock() -> float:
    return time.time()


def as_of_bucket(settings) -> str:
    """The frozen AS_OF, else the current span of figures_seconds."""
    if settings.as_of is not None:
        return settings.as_of.isoformat()
    return str(int(_clock() // settings.figures_seconds))


class _NotKept(Exception):
    """Carries an answer that must not be kept out of the cache's compute step."""

    def __init__(self, response):
        self.response = response


def install(server: flask.Flask, current_settings, current_cache) -> None:
    """Wrap Dash's callback endpoint on `server` with the figures cache."""
    from dashboard.access import callback_declaration
    from dashboard.data import current_version

    endpoint = next(rule.endpoint for rule in server.url_map.iter_rules()
                    if rule.rule.endswith("/_dash-update-component"))
    dispatch = server.view_functions[endpoint]

    def dispatch_with_figures_cache(*args, **kwargs):
        settings, cache = current_settings(), current_cache()
        if cache.disk is None or settings.figures_seconds <= 0:
            return dispatch(*args, **kwargs)
        body = flask.request.get_data(cache=True)
        try:
            output = json.loads(body).get("output")
        except (ValueError, AttributeError):
            return dispatch(*args, **kwargs)
        if not callback_declaration(output).shared_figures:
            return dispatch(*args, **kwargs)
        try:
            version = current_version(settings, cache)
        except SQLAlchemyError:
            return dispatch(*args, **kwargs)  # the page says the database is gone
        # Who may see these figures: the role the access check gave this request (dashboard/access.py),
        # so people of one role share and nobody sees figures computed for another.
        role = repr((getattr(flask.g, "access_role", None), flask.request.headers.get("Authorization", "")))
        name = key("figures", data_version=version, agreement=settings.agreement(), as_of=as_of_bucket(settings),
                   params=(settings.database_url, body), role=role)

        def compute() -> bytes:
            response = dispatch(*args, **kwargs)
            if response.status_code != 200 or getattr(flask.g, "not_cacheable", False):
                raise _NotKept(response)
            return response.get_data()

        try:
            data = cache.shared(name, compute, encode=bytes, decode=bytes, memory=False)
        except _NotKept as not_kept:
            return not_kept.response
        return flask.Response(data, mimetype="application/json")

    server.view_functions[endpoint] = dispatch_with_figures_cache
