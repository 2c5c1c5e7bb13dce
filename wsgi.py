"""The production entry point: `gunicorn --config gunicorn.conf.py wsgi:server` (`make serve`).

`server` is the Flask app of a dashboard built from the environment (DATABASE_URL, SLA_PATH,
CACHE_DIR, AS_OF). gunicorn.conf.py loads it once in the master process (preload_app), creates
or migrates the schema, and only then forks the workers.
"""
from __future__ import annotations

import sys

from dashboard.application import create_app
from dashboard.settings import Settings
from dashboard.sla import AgreementError
from queries.file_modes import serve_privately


def build_server():
    """The dashboard's Flask app with Dash's first-request set-up already done, so that the
    forked workers' threads never race to register the page callbacks."""
    serve_privately()  # the workers fork from here: every file they write is theirs alone
    try:
        settings = Settings.from_env()
    except ValueError as error:  # AgreementError (AS_OF is read in the agreement's zone) included
        sys.exit(f"error: a setting is refused, not starting: {error}")
    try:
        app = create_app(settings)
    except AgreementError as error:
        sys.exit(f"error: the SLA agreement is refused, not starting: {error}")
    with app.server.test_client() as client:
        client.get("/_dash-layout")  # runs the before_request set-up hooks once, here
    return app.server


server = build_server()
