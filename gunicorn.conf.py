"""gunicorn settings for serving the dashboard on a company server (`make serve`).

Environment: HOST (default 127.0.0.1), PORT (8050), WEB_CONCURRENCY (worker processes;
default 2 x cores + 1, at most 4), THREADS (threads per worker, 4), SEED_DEMO (1: fill an
empty database with demo data at start; 0: leave it empty), plus the app's own DATABASE_URL,
SLA_PATH, CACHE_DIR.
"""
import os

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8050')}"
workers = int(os.environ.get("WEB_CONCURRENCY") or min(2 * (os.cpu_count() or 1) + 1, 4))
worker_class = "gthread"  # a thread can answer /healthz while another computes a page
threads = int(os.environ.get("THREADS", "4"))
preload_app = True  # build the app once, then fork: the agreement is checked once, before any worker
timeout = 60
graceful_timeout = 30
# Requests gunicorn refuses before the app sees them (400): a request line (the URL, with the
# filters in its query string) over 8190 bytes, more than 100 header fields, a field over 8190
# bytes. gunicorn has no body limit: the app refuses bodies over 1 MB (an admin's upload: 270 MB)
# with 413 before reading them (dashboard/access.py, BODY_LIMIT).
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190
keepalive = 75  # longer than a browser (or the load test) waits between requests: no close-while-reused race
accesslog = "-"
errorlog = "-"
# The default access line without the query string (%(U)s is the path only): page links carry
# filters and lead ids in the query string, and the log does not need them.
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms'


def on_starting(server):
    """Refuse a network address with nobody configured to sign in; then create or migrate the
    schema (and seed an empty database) once, before the workers fork."""
    from dashboard.access import AccessError, check_exposure
    from dashboard.demo import database_is_empty, generate_demo
    from dashboard.settings import Settings
    from queries.db import get_engine, init_db
    from queries.file_modes import serve_privately

    serve_privately()  # the database, its WAL and every cache file: 0600, folders 0700
    settings = Settings.from_env()
    host = bind.rsplit(":", 1)[0]
    try:
        check_exposure(host, settings.users_path)
    except AccessError as error:
        raise SystemExit(f"error: {error}") from error
    engine = init_db(settings.database_url)
    server.log.info("schema is current in %s", engine.url.render_as_string(hide_password=True))
    if os.environ.get("SEED_DEMO", "1") != "0" and database_is_empty(engine):
        server.log.info("empty database: writing two years of demo data (about a minute)")
        generate_demo(engine)
    get_engine(settings.database_url).dispose()  # the workers open their own connections


def post_fork(server, worker):
    """A forked worker starts with no engine of the master's: each opens its own pool."""
    from queries.db import get_engine

    get_engine.cache_clear()
