"""The Dash application factory: `create_app(settings)` builds one dashboard."""
from __future__ import annotations

import logging
from pathlib import Path

import dash
import dash_bootstrap_components as dbc
import flask
from dash import Dash, Input, Output, dcc, html
from markupsafe import escape
from sqlalchemy.exc import SQLAlchemyError

from dashboard.access import ACCESS_EXTENSION, Access, csrf_token
from dashboard.agreement_state import agreement_problem, load_at_start
from dashboard.cache import Cache
from dashboard.components.filters import ID, filter_bar, register_filter_callbacks
from dashboard.data import filter_options
from dashboard.settings import Settings

log = logging.getLogger(__name__)
PAGES_DIR = Path(__file__).resolve().parent / "pages"
ASSETS_DIR = Path(__file__).resolve().parent / "assets"
SETTINGS_KEY = "SMARKETING_SETTINGS"
CACHE_KEY = "SMARKETING_CACHE"
# Who may run the callbacks defined here (dashboard/access.py): the agreement banner is part of the
# shell around every page, the wall screen's included.
CALLBACK_ROLE = "wall"
AGREEMENT_WARNING = "agreement-warning"
AGREEMENT_CHECK = "agreement-check"
AGREEMENT_CHECK_MS = 30_000  # a wall screen nobody touches still learns of a broken file


def current_settings() -> Settings:
    """The settings of the app serving this request (callbacks and layouts run in one)."""
    return flask.current_app.config[SETTINGS_KEY]


def current_cache() -> Cache:
    """The cache of the app serving this request."""
    return flask.current_app.config[CACHE_KEY]


def _navigation(access: Access) -> dbc.Navbar:
    """The pages this person may open, and who is signed in with a sign-out button."""
    from dashboard.access import ROLE_RANK, page_declaration

    role = access.role()
    links = [
        dbc.NavItem(dbc.NavLink(page["name"], href=page["relative_path"], active="exact"))
        for page in dash.page_registry.values()
        if page.get("nav", True) and role and ROLE_RANK[role] >= ROLE_RANK[page_declaration(page["path"]).role]
    ]
    account = []
    user = access.who().user
    if user is not None:
        account = [html.Form([
            html.Span(f"{user} · {role}", className="navbar-text me-2", id="nav-user"),
            dcc.Input(type="hidden", name="csrf", value=csrf_token()),
            html.Button("Sign out", type="submit", className="btn btn-sm btn-outline-light", id="nav-sign-out"),
        ], method="POST", action="/logout", className="ms-auto d-flex align-items-center")]
    return dbc.Navbar(dbc.Container([
        dbc.NavbarBrand("Smarketing scoreboard", href="/"),
        dbc.Nav(links, navbar=True, className="ms-3"),
        *account,
    ], fluid=True), color="dark", dark=True, className="py-1")


def _forget_unserved_page_callbacks() -> None:
    """Dash imports the pages (and so registers their callbacks) into a process-wide list that
    the app takes over only at its first request. An app built earlier in this process and never
    served would leave its copies there and give the next app each callback twice."""
    from dash import _callback

    _callback.GLOBAL_CALLBACK_LIST.clear()
    _callback.GLOBAL_CALLBACK_MAP.clear()


def create_app(settings: Settings | None = None) -> Dash:
    """Build the dashboard for the given settings; refuses a broken agreement file at once."""
    settings = settings or Settings.from_env()
    agreement = load_at_start(settings.sla_path)
    _forget_unserved_page_callbacks()
    app = Dash(
        __name__,
        use_pages=True,
        pages_folder=str(PAGES_DIR),
        assets_folder=str(ASSETS_DIR),
        title=str(escape(agreement.name)),  # Dash writes the title into <title> as it is: text, never HTML
        suppress_callback_exceptions=True,
        update_title=None,
        serve_locally=True,
    )
    app.server.config[SETTINGS_KEY] = settings
    app.server.config[CACHE_KEY] = Cache(settings.cache_dir)  # this app's one cache (dashboard/cache.py)
    access = Access(settings.users_path, settings.wall_tokens_path, agreement.name, settings.session_hours,
                    settings.secure_cookies, settings.proxy_user_header, settings.trusted_proxies,
                    session_max_hours=settings.session_max_hours, sessions_file=settings.sessions_path)
    access.install(app, settings.secret_key_path)
    app.layout = lambda: html.Div([  # per request: the navigation depends on who asks
        dcc.Location(id=ID.URL, refresh="callback-nav"),
        dcc.Store(id=ID.STATE),
        _navigation(access),
        html.Div(id=AGREEMENT_WARNING, hidden=True, role="alert", className="alert alert-warning mb-0"),
        dcc.Interval(id=AGREEMENT_CHECK, interval=AGREEMENT_CHECK_MS),
        filter_bar(),
        html.Div(dash.page_container, className="page"),
    ])
    register_filter_callbacks(app, lambda: filter_options(current_settings()),
                              lambda: _local_today(current_settings()))
    _register_serving_routes(app.server)
    app.callback(
        Output(AGREEMENT_WARNING, "children"), Output(AGREEMENT_WARNING, "hidden"),
        Input(ID.URL, "pathname"), Input(AGREEMENT_CHECK, "n_intervals"),
    )(lambda _pathname, _ticks: agreement_warning(current_settings()))
    return app


def _local_today(settings: Settings):
    """as_of's date in the agreement's time zone."""
    return settings.now().tz_convert(settings.agreement().tz).date()


def agreement_warning(settings: Settings) -> tuple[str, bool]:
    """The banner's text and hidden flag: shown while the agreement file is not in force."""
    problem = agreement_problem(settings.sla_path)
    return (problem.message(), False) if problem else ("", True)


def _register_serving_routes(server: flask.Flask) -> None:
    """`/healthz`, a clean 503 for any request the database fails (a callback that is not a
    page body, e.g. the filter options) instead of a 500 with a traceback, and the figures
    cache in front of the page callbacks."""
    from dashboard import figures_cache
    from dashboard.health import health_report

    figures_cache.install(server, current_settings, current_cache)

    @server.route("/healthz")
    def healthz():
        """The status for anyone (a load balancer); the details (version, paths, database errors)
        for an admin, and on an installation open to everyone on loopback."""
        access = server.extensions[ACCESS_EXTENSION]
        body, status = health_report(current_settings())
        if access.users_state() not in (None, "open") and body["status"] == "ok":
            body["status"] = "degraded"  # nobody can sign in: the users are gone
        if not access.may_see_details():
            body = {"status": body["status"]}
        return flask.jsonify(body), status, {"Cache-Control": "no-store"}

    @server.errorhandler(SQLAlchemyError)
    def database_unavailable(error):
        log.warning("database unavailable for %s: %s", flask.request.path, error.__class__.__name__)
        body = {"error": "the database cannot be reached; try again shortly", "detail": error.__class__.__name__}
        return flask.jsonify(body), 503, {"Retry-After": "5"}
