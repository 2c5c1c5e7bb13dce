"""Who may see what, checked on every request before Dash sees it: sign-in, roles, wall links,
and the web hygiene every response gets (security headers, same-origin state changes).

With no user configured the dashboard is open, and `check_exposure` refuses to serve it on
anything but loopback. Once a user exists every request needs a session: a signed, expiring,
HttpOnly cookie set by the sign-in page, or by opening a wall link. Roles (each including the
one before): `wall` (only /wall), `viewer` (every page but the leads grid and the exports),
`manager` (plus those), `admin` (plus /admin).

Who may see a page is declared by the page itself: `dash.register_page(..., role=...,
shared_figures=...)`, read by `page_declaration`. Dash's own endpoints are checked too: the layout
and dependencies need a session; a callback request is judged by the callback Dash will run for it
(the one its `output` names), which belongs to the module that defines its function: a page (its
declared role), a module of the shell that declares `CALLBACK_ROLE`, or Dash's page router (the role
of the page it will render, resolved the way Dash resolves it). Anything else needs the admin role.
"""
from __future__ import annotations

import inspect
import ipaddress
import json
import logging
import math
import os
import re
import secrets
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import dash
import flask
from flask_wtf.csrf import CSRFError, CSRFProtect, generate_csrf
from markupsafe import escape
from werkzeug.exceptions import RequestEntityTooLarge

from dashboard.access_store import AccessStore, sessions_path
from dashboard.json_store import StoreError
from dashboard.users import UserDirectory
from dashboard.wall.tokens import WallLinks
from queries.file_modes import private_folder

log = logging.getLogger(__name__)

ROLE_RANK = {"wall": 0, "viewer": 1, "manager": 2, "admin": 3}
ACCESS_EXTENSION = "smarketing_access"  # where the server keeps its Access (flask.Flask.extensions)
STATIC_PREFIXES = ("/assets/", "/_dash-component-suites/", "/_favicon.ico")
DASH_API = {"/_dash-layout", "/_dash-dependencies", "/_dash-update-component", "/_reload-hash"}
CALLBACK_PATH = "/_dash-update-component"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
PAGES_CONTENT, PAGES_LOCATION = "_pages_content", "_pages_location"  # Dash's page router (dash.dash)
# Request bodies: a callback posts its inputs (a few kB); only an admin's upload on the Admin page is
# large (its file, base64, at most 200 MB). Anything larger is refused with 413 before it is read.
BODY_LIMIT = 2**20
UPLOAD_BODY_LIMIT = 200 * 2**20 * 4 // 3 + BODY_LIMIT
MAX_JSON_DEPTH = 64  # Dash's own bodies nest about six deep
NO_ONE = "No one can sign in: add an admin with `python app.py user add NAME --role admin`."


SECRET_PARAMETER = re.compile(r"(?i)\b(token|password|csrf)=[^&\s\"']+")


class RedactSecrets(logging.Filter):
    """Take wall tokens and passwords out of log lines (the access log prints request lines,
    and a wall link's first request carries its token)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = SECRET_PARAMETER.sub(lambda m: f"{m.group(1)}=[redacted]", message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        return True


def redact_access_logs() -> None:
    """Install the filter on the request loggers of the development server and gunicorn (once)."""
    for name in ("werkzeug", "gunicorn.access", "gunicorn.error"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactSecrets) for f in logger.filters):
            logger.addFilter(RedactSecrets())


class AccessError(RuntimeError):
    """The dashboard must not start like this; says what to do."""


def is_loopback(host: str) -> bool:
    if host in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_exposure(host: str, users_file: Path) -> None:
    """Refuse to serve on a non-loopback address while nobody is configured to sign in."""
    if not is_loopback(host) and not UserDirectory(users_file).any():
        raise AccessError(
            f"refusing to serve on {host}: no user is configured, so anyone on the network would see the "
            "pipeline. Add one first: `python app.py user add NAME --role admin` (or serve on 127.0.0.1).")


def secret_key(path: Path) -> str:
    """`SECRET_KEY` from the environment, else the key in `path`, made (mode 0600) on first use."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    path = Path(path)
    if not path.exists():
        private_folder(path.parent)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".secret.")
        with os.fdopen(handle, "w") as file:
            file.write(secrets.token_hex(32))
        try:
            os.link(temporary, path)  # in place whole or not at all; a concurrent first start keeps one key
        except FileExistsError:
            pass
        finally:
            os.unlink(temporary)
    key = path.read_text().strip()
    if len(key) < 32:
        raise AccessError(f"{path}: the secret key is too short; delete the file to make a new one")
    return key


@dataclass(frozen=True)
class PageDeclaration:
    """What a page declares about itself in its `dash.register_page` call."""

    path: str | None  # None: not a page (the shell, or nothing Dash knows)
    role: str  # the least role that may see it
    shared_figures: bool  # may its figures, computed for one person, be given to another of the same role


UNDECLARED = PageDeclaration(None, "admin", False)


def _declared(page: dict) -> PageDeclaration:
    """A page registry entry's declaration; a page that declares no valid role or sharing needs admin."""
    role, shared = page.get("role"), page.get("shared_figures")
    if role not in ROLE_RANK or not isinstance(shared, bool):
        return PageDeclaration(page.get("path"), "admin", False)
    return PageDeclaration(page["path"], role, shared)


def rendered_page(path, app: dash.Dash | None = None) -> dict:
    """The page_registry entry Dash's router renders for this pathname ({} for its 404 page), found
    the way the router finds it: `strip_relative_path` (slashes off both ends), then `_path_to_page`."""
    from dash._pages import _path_to_page  # the router's own lookup, so both always agree

    if not isinstance(path, str):
        return {}
    try:
        stripped = app.strip_relative_path(path) if app is not None else dash.strip_relative_path(path)
    except Exception:  # noqa: BLE001 - Dash refuses it (UnsupportedRelativePath): its router would fail too
        return {}
    page, _variables = _path_to_page(stripped)
    return page


def page_declaration(path, app: dash.Dash | None = None) -> PageDeclaration:
    """The declaration of the page Dash renders for `path`; a path no page answers needs admin."""
    page = rendered_page(path, app)
    return _declared(page) if page else UNDECLARED


def _module_declaration(module: str | None) -> PageDeclaration:
    """Who may run the callbacks defined in `module`: a page's declaration, or the shell module's CALLBACK_ROLE."""
    for page in dash.page_registry.values():
        if page.get("module") == module:
            return _declared(page)
    role = getattr(sys.modules.get(module or ""), "CALLBACK_ROLE", None)
    return PageDeclaration(None, role, False) if role in ROLE_RANK else UNDECLARED


def _callback_module(entry: dict) -> str | None:
    function = entry.get("callback")
    return inspect.unwrap(function).__module__ if function is not None else None


def _is_router(entry: dict) -> bool:
    outputs = entry.get("output")
    outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
    return any(getattr(output, "component_id", None) == PAGES_CONTENT for output in outputs)


def callback_declaration(output: str, app: dash.Dash | None = None) -> PageDeclaration:
    """The declaration of the page whose module defines the callback Dash runs for a request whose
    `output` is this (the key of `app.callback_map`); in a request, `app` defaults to the serving one.
    A figures cache asks `callback_declaration(body["output"]).shared_figures`."""
    if app is None:
        app = flask.current_app.extensions[ACCESS_EXTENSION].app
    entry = app.callback_map.get(output) if isinstance(output, str) else None
    if entry is None or _is_router(entry):
        return UNDECLARED  # the router shares nothing; its role is the page it renders (callback_role)
    return _module_declaration(_callback_module(entry))


def callback_role(payload: dict, app: dash.Dash | None = None) -> str:
    """The least role that may run this callback request: the declared role of the callback Dash
    will run for it; for the page router, the role of the page it will render (its inputs are taken
    by position, as Dash passes them). Unknown callbacks and malformed requests need admin."""
    if not isinstance(payload, dict) or app is None:
        return "admin"
    entry = app.callback_map.get(payload.get("output")) if isinstance(payload.get("output"), str) else None
    if entry is None:
        return "admin"
    if _is_router(entry):
        inputs = payload.get("inputs")
        position = next((index for index, item in enumerate(entry.get("inputs", []))
                         if item.get("id") == PAGES_LOCATION and item.get("property") == "pathname"), None)
        if not isinstance(inputs, list) or position is None or position >= len(inputs) \
                or not isinstance(inputs[position], dict):
            return "admin"
        return page_declaration(inputs[position].get("value"), app).role
    return _module_declaration(_callback_module(entry)).role


def _too_deep(value, limit: int = MAX_JSON_DEPTH) -> bool:
    """True when JSON nests deeper than `limit` (walked without recursion)."""
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(node, dict):
            stack.extend((item, depth + 1) for item in node.values())
        elif isinstance(node, list):
            stack.extend((item, depth + 1) for item in node)
    return False


class MalformedRequest(ValueError):
    """A callback body that is not JSON, or nests too deep to be one Dash sent."""


PAGE_HEAD = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/assets/00-bootstrap-5.3.8.min.css"></head>
<body class="bg-light"><main class="container" style="max-width: 26rem; margin-top: 12vh">"""
LOGIN_PAGE = PAGE_HEAD + """
<h1 class="h3 mb-3">{name}</h1>{message}
<form method="post" action="/login">
<input type="hidden" name="csrf" value="{csrf}"><input type="hidden" name="next" value="{next}">
<div class="mb-3"><label class="form-label" for="name">User name</label>
<input class="form-control" id="name" name="name" autocomplete="username" required autofocus></div>
<div class="mb-3"><label class="form-label" for="password">Password</label>
<input class="form-control" id="password" name="password" type="password" autocomplete="current-password" required></div>
<button class="btn btn-primary w-100" id="sign-in" type="submit">Sign in</button></form></main></body></html>"""
LOGOUT_PAGE = PAGE_HEAD + """
<h1 class="h3 mb-3">Sign out</h1><p>You are signed in as {user}.</p>
<form method="post" action="/logout"><input type="hidden" name="csrf" value="{csrf}">
<button class="btn btn-primary" id="sign-out" type="submit">Sign out</button>
<a class="btn btn-link" href="/">Back to the scoreboard</a></form></main></body></html>"""


def csrf_token() -> str:
    """This session's token for the forms that change state (sign-in, sign-out); Flask-WTF's."""
    return generate_csrf()


def _safe_next(target: str | None) -> str:
    """Only a path of this site: never another host (an open redirect)."""
    target = target or "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


@dataclass(frozen=True)
class Who:
    """Who is asking: a role (None: nobody signed in; "open": no users ever) and a user name."""

    role: str | None
    user: str | None = None


class Access:
    """The checks of one app; `install` hooks them into its Flask server."""

    def __init__(self, users_file: Path, links_file: Path, title: str, session_hours: float = 12.0,
                 secure_cookies: bool = False, proxy_user_header: str | None = None,
                 trusted_proxies: tuple[str, ...] = ("127.0.0.1", "::1"), session_max_hours: float = 7 * 24.0,
                 sessions_file: Path | None = None):
        self.users = UserDirectory(users_file)
        self.links = WallLinks(links_file)
        self.title = title
        self.idle_seconds = session_hours * 3600
        self.absolute_seconds = session_max_hours * 3600
        self.store = AccessStore(sessions_file or sessions_path(users_file), self.idle_seconds,
                                 self.absolute_seconds)
        self.secure_cookies = secure_cookies
        self.proxy_user_header = proxy_user_header
        self.trusted_proxies = set(trusted_proxies)
        self.csrf = CSRFProtect()
        self.app: dash.Dash | None = None
        self._had_users = False
        self._script_hashes: list[str] | None = None

    def install(self, app, key_file: Path) -> None:
        self.app = app
        server = app.server
        server.extensions[ACCESS_EXTENSION] = self
        server.config.update(
            SECRET_KEY=secret_key(key_file),
            SESSION_COOKIE_NAME="smarketing_session",
            SESSION_COOKIE_HTTPONLY=True,
            SESSION_COOKIE_SAMESITE="Lax",
            SESSION_COOKIE_SECURE=self.secure_cookies,
            PERMANENT_SESSION_LIFETIME=int(self.idle_seconds),
            MAX_CONTENT_LENGTH=BODY_LIMIT,
            # Flask-WTF checks only the two forms that call `self.csrf.protect()`: Dash's callbacks
            # carry no form token (they are same-origin JSON, checked in check_request).
            WTF_CSRF_CHECK_DEFAULT=False,
            WTF_CSRF_FIELD_NAME="csrf",
            WTF_CSRF_TIME_LIMIT=None,  # valid while the session is: a tab left open can still sign out
        )
        self.csrf.init_app(server)
        redact_access_logs()
        self.users_state()  # an app that starts with users remembers that it had them
        server.before_request(self.check_request)
        server.after_request(lambda response: self.harden(app, response))
        server.add_url_rule("/login", "login", self.login, methods=["GET", "POST"])
        server.add_url_rule("/logout", "logout", self.logout, methods=["GET", "POST"])
        server.register_error_handler(Exception, self.on_error)

    def on_error(self, error):
        """A callback request the app cannot answer gets a short JSON error, never a traceback:
        400 when the request itself is malformed (unknown output, wrong shape, nesting too deep),
        413 when it is too large, else 500."""
        from werkzeug.exceptions import HTTPException

        dash_api = flask.request.path in DASH_API
        if isinstance(error, HTTPException) and error.code == 413:
            return self._refuse(413, "the request is too large")
        if isinstance(error, HTTPException) and not (dash_api and error.code == 400):
            return error
        if dash_api and isinstance(error, (HTTPException, KeyError, ValueError, TypeError, IndexError,
                                           AttributeError, RecursionError)):
            log.warning("malformed callback request: %s: %s", error.__class__.__name__, str(error)[:200])
            return self._refuse(400, "malformed callback request")
        log.error("request failed: %s %s", flask.request.method, flask.request.path, exc_info=error)
        return self._refuse(500, "internal error; the details are in the server log")

    # --- who is asking -------------------------------------------------------------------
    def users_state(self) -> str | None:
        """None while users are configured; "open" when none ever were (loopback only: see
        check_exposure); else why nobody can sign in. Users seen once are remembered in the store,
        so an installation never opens by losing them (file deleted, emptied or unreadable)."""
        try:
            if self.users.any():
                if not self._had_users:
                    self.store.mark_had_users()
                    self._had_users = True
                return None
        except StoreError as error:
            return f"No one can sign in: {error}. Fix the file, or add an admin with `python app.py user add`."
        if self._had_users or self.store.had_users():
            self._had_users = True
            return NO_ONE
        return "open"

    def client_address(self) -> str:
        """The client's own address: the nearest X-Forwarded-For hop that is not a trusted proxy
        when the request comes from one (TRUSTED_PROXIES), else the peer's address."""
        request = flask.request
        peer = request.remote_addr or "?"
        if peer not in self.trusted_proxies:
            return peer
        for hop in reversed(request.headers.get("X-Forwarded-For", "").split(",")):
            hop = hop.strip()
            if not hop:
                continue
            try:
                ipaddress.ip_address(hop)
            except ValueError:
                return peer  # not what a proxy writes: believe nothing of it
            if hop not in self.trusted_proxies:
                return hop
        return peer

    def who(self) -> Who:
        """Who is asking (worked out once per request): a trusted proxy's user header, else the
        session the cookie names, checked against the store, the users file and the wall links."""
        known = getattr(flask.g, "_smarketing_who", None)
        if known is not None:
            return known
        who = self._who()
        flask.g._smarketing_who = who
        return who

    def _who(self) -> Who:
        if self.users_state() == "open":
            return Who("open")
        if self.proxy_user_header:
            name = flask.request.headers.get(self.proxy_user_header)
            if name and flask.request.remote_addr in self.trusted_proxies:
                user = self.users.get(name)
                return Who(user.role, user.name) if user else Who(None)
        token = flask.session.get("sid")
        session = self.store.session(token) if token else None
        if session is None:
            if token or "user" in flask.session or "wall" in flask.session:
                flask.session.clear()  # ended, or a cookie from before sessions were kept on the server
            return Who(None)
        if session.kind == "user":
            user = self.users.get(session.subject)
            if user is not None and user.stamp == session.stamp:
                return Who(user.role, user.name)
        elif session.kind == "wall" and self.links.is_live(session.subject):
            return Who("wall")
        self.store.end_session(token)  # removed, re-created, password changed, or link revoked
        flask.session.clear()
        return Who(None)

    def role(self) -> str | None:
        """The role of this request ("admin" for an open installation); None when nobody is signed in."""
        role = self.who().role
        return "admin" if role == "open" else role

    def may_see_details(self) -> bool:
        """Admins (and everyone on an open installation) see the detailed health report."""
        return self.users_state() in (None, "open") and self.role() == "admin"

    # --- the checks ------------------------------------------------------------------------
    def check_request(self):
        request = flask.request
        path = request.path
        if path.startswith(STATIC_PREFIXES):
            return None
        if request.method not in SAFE_METHODS and not self._same_origin():
            return self._refuse(403, "cross-site request refused")
        if path == "/healthz":
            return None  # answers for itself, in detail only to admins (may_see_details)
        state = self.users_state()
        if state not in (None, "open"):
            return self._refuse(503, state, page=path not in DASH_API)
        who = self.who()
        flask.g.access_role = who.role
        if path in ("/login", "/logout"):
            return None
        if path.rstrip("/") == "/wall" and request.args.get("token") and state is None:
            return self._open_wall_link()
        role = self.role()
        if role is None:
            if path in DASH_API:
                return self._refuse(401, "sign in first")
            return flask.redirect("/login?" + urlencode({"next": request.full_path.rstrip("?")}))
        if path in DASH_API:
            if path != CALLBACK_PATH:
                return None
            if role == "admin":  # an import dropped on the Admin page is the one large body
                request.max_content_length = UPLOAD_BODY_LIMIT
            try:
                needed = callback_role(self._callback_body(), self.app)
            except MalformedRequest:
                return self._refuse(400, "malformed callback request")
            if ROLE_RANK[role] >= ROLE_RANK[needed]:
                return None
            if role == "wall":  # a wall screen's shell asks for the filter bar: nothing to give, no error
                return flask.Response(status=204)
            return self._refuse(403, f"this needs the {needed} role")
        page = page_declaration(path, self.app)
        if ROLE_RANK[role] >= ROLE_RANK[page.role]:
            return None
        if role == "wall":
            return flask.redirect("/wall")
        if page.path is None:  # no page answers here; only an admin gets Dash's own 404 page
            return self._refuse(404, "There is no page at this address.", page=True)
        return self._refuse(403, f"This page needs the {page.role} role; you are signed in as {role}.", page=True)

    def _callback_body(self) -> dict:
        """The callback request's JSON, read once (Dash reads the same bytes again); MalformedRequest
        when it is not JSON or nests deeper than any body Dash sends."""
        request = flask.request
        data = request.get_data(cache=True)
        if not request.content_length and request.max_content_length is not None \
                and len(data) >= request.max_content_length:
            raise RequestEntityTooLarge()  # a chunked body is cut at the limit by werkzeug, silently
        try:
            payload = json.loads(data or b"{}")
        except (ValueError, RecursionError):
            raise MalformedRequest("not JSON") from None
        if _too_deep(payload):
            raise MalformedRequest("nested too deep")
        return payload

    def _same_origin(self) -> bool:
        """A state-changing request must come from a page of this site (Origin, else Referer)."""
        origin = flask.request.headers.get("Origin") or flask.request.headers.get("Referer")
        if not origin:
            return True  # not a browser (scripts, health checks): SameSite cookies cover browsers
        return urlsplit(origin).netloc == flask.request.host

    def _open_wall_link(self):
        request = flask.request
        link = self.links.verify(request.args.get("token", ""))
        if link is None:
            log.warning("wall link refused (unknown or revoked) from %s", self.client_address())
            return self._refuse(403, "This wall link is unknown or has been revoked. Ask an admin for a new one.",
                                page=True)
        self._start_session("wall", link.id)
        rest = [(key, value) for key, value in request.args.items(multi=True) if key != "token"]
        return flask.redirect("/wall" + ("?" + urlencode(rest) if rest else ""))  # the token leaves the URL

    def _start_session(self, kind: str, subject: str, stamp: str = "") -> None:
        """A fresh cookie (no fixation) naming a new session in the store."""
        flask.session.clear()
        flask.session.permanent = True
        flask.session["sid"] = self.store.start_session(kind, subject, stamp)

    def _refuse(self, status: int, message: str, page: bool = False):
        if page:
            links = "" if status == 503 else ("<p><a href='/'>Scoreboard</a> · "
                                              "<a href='/login'>Sign in as someone else</a></p>")
            body = (f"<!doctype html><title>{status}</title><link rel=stylesheet href=/assets/00-bootstrap-5.3.8.min.css>"
                    f"<main class='container mt-5'><h1 class='h4'>{escape(message)}</h1>{links}</main>")
            return flask.Response(body, status=status, mimetype="text/html")
        return flask.Response(json.dumps({"error": message}), status=status, mimetype="application/json")

    # --- sign-in and sign-out ----------------------------------------------------------------
    def login(self):
        """The sign-in form; a post is checked in this order: same site (check_request), the form's
        token, the throttle (a wait per account and per client address), then the password."""
        request = flask.request
        message = ""
        if request.method == "POST":
            name = request.form.get("name", "")[:64]
            address = self.client_address()
            keys = [("account", name), ("address", address)]
            try:
                self.csrf.protect()
            except CSRFError:
                message = "The form had expired; please sign in again."
            else:
                wait = self.store.wait_before_sign_in(keys)
                if wait:
                    seconds = max(1, math.ceil(wait))
                    log.warning("sign-in throttled from %s: %d s", address, seconds)  # a typed name may be a password
                    page = self._login_page(f"Too many failed sign-ins: wait {seconds} seconds and try again.")
                    return flask.Response(page, status=429, headers={"Retry-After": str(seconds)},
                                          mimetype="text/html")
                user = self.users.check(name, request.form.get("password", ""))
                if user is not None:
                    self.store.sign_in_succeeded(keys[:1])
                    self._start_session("user", user.name, user.stamp)
                    log.info("signed in: %s (%s) from %s", user.name, user.role, address)
                    return flask.redirect(_safe_next(request.form.get("next")))
                self.store.sign_in_failed(keys)
                log.warning("failed sign-in from %s", address)
                message = "Unknown user name or wrong password."
        return self._login_page(message)

    def _login_page(self, message: str) -> str:
        alert = f'<div class="alert alert-warning" id="login-message">{escape(message)}</div>' if message else ""
        return LOGIN_PAGE.format(title=f"Sign in · {escape(self.title)}", name=escape(self.title), message=alert,
                                 csrf=escape(csrf_token()), next=escape(_safe_next(flask.request.values.get("next"))))

    def logout(self):
        """GET: a page with the sign-out button (a link never signs anyone out); POST: sign out."""
        who = self.who()
        if flask.request.method != "POST":
            if who.user is None:
                return flask.redirect("/login")
            return LOGOUT_PAGE.format(title="Sign out", user=escape(who.user), csrf=escape(csrf_token()))
        try:
            self.csrf.protect()
        except CSRFError:
            return self._refuse(403, "sign-out form expired", page=True)
        self.store.end_session(flask.session.get("sid"))
        flask.session.clear()
        return flask.redirect("/login")

    # --- every response -------------------------------------------------------------------------
    def harden(self, app, response):
        """Security headers: a content security policy that lets Dash run and nothing else."""
        if self._script_hashes is None:
            self._script_hashes = list(app.csp_hashes())
        policy = {
            "default-src": "'self'",
            "script-src": " ".join(["'self'", *self._script_hashes]),
            "style-src": "'self' 'unsafe-inline'",  # React, plotly and AG Grid set styles
            "img-src": "'self' data: blob:",
            "font-src": "'self' data:",
            "connect-src": "'self'",
            "object-src": "'none'",
            "base-uri": "'self'",
            "form-action": "'self'",
            "frame-ancestors": "'none'",
        }
        headers = response.headers
        headers.setdefault("Content-Security-Policy", "; ".join(f"{k} {v}" for k, v in policy.items()))
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if self.secure_cookies:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        if flask.request.path in DASH_API or flask.request.path in ("/login", "/logout"):
            headers.setdefault("Cache-Control", "no-store")
        return response
