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

import hmac
import inspect
import ipaddress
import json
import logging
import os
import re
import secrets
import sys
import tempfile
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import dash
import flask
from markupsafe import escape

from dashboard.users import UserDirectory
from dashboard.wall.tokens import WallLinks

log = logging.getLogger(__name__)

ROLE_RANK = {"wall": 0, "viewer": 1, "manager": 2, "admin": 3}
ACCESS_EXTENSION = "smarketing_access"  # where the server keeps its Access (flask.Flask.extensions)
OPEN_PATHS = {"/login", "/logout", "/healthz"}
STATIC_PREFIXES = ("/assets/", "/_dash-component-suites/", "/_favicon.ico")
DASH_API = {"/_dash-layout", "/_dash-dependencies", "/_dash-update-component", "/_reload-hash"}
PAGES_CONTENT, PAGES_LOCATION = "_pages_content", "_pages_location"  # Dash's page router (dash.dash)
LOGIN_LIMIT = (5, 15 * 60)  # failures per user name and address, in seconds
ADDRESS_LIMIT = (20, 15 * 60)  # failures per address, whatever the name


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
        path.parent.mkdir(parents=True, exist_ok=True)
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


class LoginLimiter:
    """Failed sign-ins per (address, name) and per address in a sliding window (per process)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._failures: dict[tuple, deque] = defaultdict(deque)

    def _recent(self, key, window: float, now: float) -> deque:
        times = self._failures[key]
        while times and now - times[0] > window:
            times.popleft()
        return times

    def retry_after(self, address: str, name: str) -> int:
        """Seconds until this address may try this name again (0: now)."""
        now = time.monotonic()
        wait = 0.0
        with self._lock:
            for key, (limit, window) in (((address, name), LOGIN_LIMIT), ((address,), ADDRESS_LIMIT)):
                times = self._recent(key, window, now)
                if len(times) >= limit:
                    wait = max(wait, window - (now - times[0]))
        return int(wait) + 1 if wait else 0

    def failed(self, address: str, name: str) -> None:
        now = time.monotonic()
        with self._lock:
            self._failures[(address, name)].append(now)
            self._failures[(address,)].append(now)

    def succeeded(self, address: str, name: str) -> None:
        with self._lock:
            self._failures.pop((address, name), None)


LOGIN_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in · {title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/assets/00-bootstrap-5.3.8.min.css"></head>
<body class="bg-light"><main class="container" style="max-width: 26rem; margin-top: 12vh">
<h1 class="h3 mb-3">{title}</h1>{message}
<form method="post" action="/login">
<input type="hidden" name="csrf" value="{csrf}"><input type="hidden" name="next" value="{next}">
<div class="mb-3"><label class="form-label" for="name">User name</label>
<input class="form-control" id="name" name="name" autocomplete="username" required autofocus></div>
<div class="mb-3"><label class="form-label" for="password">Password</label>
<input class="form-control" id="password" name="password" type="password" autocomplete="current-password" required></div>
<button class="btn btn-primary w-100" id="sign-in" type="submit">Sign in</button></form></main></body></html>"""


def csrf_token() -> str:
    """This session's token for forms that change state (sign-in, sign-out)."""
    if "csrf" not in flask.session:
        flask.session["csrf"] = secrets.token_urlsafe(24)
    return flask.session["csrf"]


def _safe_next(target: str | None) -> str:
    """Only a path of this site: never another host (an open redirect)."""
    target = target or "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


class Access:
    """The checks of one app; `install` hooks them into its Flask server."""

    def __init__(self, users_file: Path, links_file: Path, title: str, session_hours: float = 12.0,
                 secure_cookies: bool = False, proxy_user_header: str | None = None,
                 trusted_proxies: tuple[str, ...] = ("127.0.0.1", "::1")):
        self.users = UserDirectory(users_file)
        self.links = WallLinks(links_file)
        self.title = title
        self.session_hours = session_hours
        self.secure_cookies = secure_cookies
        self.proxy_user_header = proxy_user_header
        self.trusted_proxies = set(trusted_proxies)
        self.limiter = LoginLimiter()
        self.app: dash.Dash | None = None
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
            PERMANENT_SESSION_LIFETIME=int(self.session_hours * 3600),
        )
        redact_access_logs()
        server.before_request(self.check_request)
        server.after_request(lambda response: self.harden(app, response))
        server.add_url_rule("/login", "login", self.login, methods=["GET", "POST"])
        server.add_url_rule("/logout", "logout", self.logout, methods=["POST"])
        server.register_error_handler(Exception, self.on_error)

    def on_error(self, error):
        """A callback request the app cannot answer gets a short JSON error, never a traceback:
        400 when the request itself is malformed (unknown output, wrong shape), else 500."""
        from werkzeug.exceptions import HTTPException

        dash_api = flask.request.path in DASH_API
        if isinstance(error, HTTPException) and not (dash_api and error.code == 400):
            return error
        if dash_api and isinstance(error, (HTTPException, KeyError, ValueError, TypeError, IndexError,
                                           AttributeError)):
            log.warning("malformed callback request: %s: %s", error.__class__.__name__, str(error)[:200])
            return self._refuse(400, "malformed callback request")
        log.error("request failed: %s %s", flask.request.method, flask.request.path, exc_info=error)
        return self._refuse(500, "internal error; the details are in the server log")

    # --- who is asking -------------------------------------------------------------------
    def role(self) -> str | None:
        """The role of this request: from the session (kept current with the users and links
        files), or from a trusted proxy's header; None when nobody is signed in."""
        session = flask.session
        if self.proxy_user_header:
            name = flask.request.headers.get(self.proxy_user_header)
            if name and flask.request.remote_addr in self.trusted_proxies:
                return self.users.role_of(name)
        if "user" in session:
            role = self.users.role_of(session["user"])
            if role is None:  # removed since signing in
                session.clear()
            return role
        if "wall" in session:
            if self.links.is_live(session["wall"]):
                return "wall"
            session.clear()
        return None

    # --- the checks ------------------------------------------------------------------------
    def check_request(self):
        request = flask.request
        path = request.path
        if path.startswith(STATIC_PREFIXES) or path in OPEN_PATHS:
            return None
        if request.method not in ("GET", "HEAD", "OPTIONS") and not self._same_origin():
            return self._refuse(403, "cross-site request refused")
        if not self.users.any():
            flask.g.access_role = "open"
            return None  # open: nobody configured (check_exposure keeps this on loopback)
        if path.rstrip("/") == "/wall" and request.args.get("token"):
            return self._open_wall_link()
        role = self.role()
        flask.g.access_role = role
        if role is None:
            if path in DASH_API:
                return self._refuse(401, "sign in first")
            return flask.redirect("/login?" + urlencode({"next": request.full_path.rstrip("?")}))
        if path in DASH_API:
            if path != "/_dash-update-component":
                return None
            try:
                needed = callback_role(json.loads(request.get_data(cache=True) or b"{}"), self.app)
            except (ValueError, TypeError, AttributeError):
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
            log.warning("wall link refused (unknown or revoked) from %s", request.remote_addr)
            return self._refuse(403, "This wall link is unknown or has been revoked. Ask an admin for a new one.",
                                page=True)
        flask.session.clear()
        flask.session.permanent = True
        flask.session["wall"] = link.id
        rest = [(key, value) for key, value in request.args.items(multi=True) if key != "token"]
        return flask.redirect("/wall" + ("?" + urlencode(rest) if rest else ""))  # the token leaves the URL

    def _refuse(self, status: int, message: str, page: bool = False):
        if page:
            body = (f"<!doctype html><title>{status}</title><link rel=stylesheet href=/assets/00-bootstrap-5.3.8.min.css>"
                    f"<main class='container mt-5'><h1 class='h4'>{escape(message)}</h1>"
                    "<p><a href='/'>Scoreboard</a> · <a href='/login'>Sign in as someone else</a></p></main>")
            return flask.Response(body, status=status, mimetype="text/html")
        return flask.Response(json.dumps({"error": message}), status=status, mimetype="application/json")

    # --- sign-in and sign-out ----------------------------------------------------------------
    def login(self):
        request = flask.request
        message = ""
        if request.method == "POST":
            name = request.form.get("name", "")[:64]
            address = request.remote_addr or "?"
            wait = self.limiter.retry_after(address, name)
            if not hmac.compare_digest(request.form.get("csrf", ""), flask.session.get("csrf", "")):
                message = "The form had expired; please sign in again."
            elif wait:
                log.warning("sign-in rate limit hit from %s", address)
                page = self._login_page(f"Too many failed attempts. Try again in {wait // 60 + 1} minutes.")
                return flask.Response(page, status=429, headers={"Retry-After": str(wait)}, mimetype="text/html")
            else:
                user = self.users.check(name, request.form.get("password", ""))
                if user is not None:
                    self.limiter.succeeded(address, name)
                    flask.session.clear()  # a fresh session: no fixation
                    flask.session.permanent = True
                    flask.session["user"] = user.name
                    log.info("signed in: %s (%s)", user.name, user.role)
                    return flask.redirect(_safe_next(request.form.get("next")))
                self.limiter.failed(address, name)
                log.warning("failed sign-in from %s", address)
                message = "Unknown user name or wrong password."
        return self._login_page(message)

    def _login_page(self, message: str) -> str:
        alert = f'<div class="alert alert-warning" id="login-message">{escape(message)}</div>' if message else ""
        return LOGIN_PAGE.format(title=escape(self.title), message=alert, csrf=escape(csrf_token()),
                                 next=escape(_safe_next(flask.request.values.get("next"))))

    def logout(self):
        if not hmac.compare_digest(flask.request.form.get("csrf", ""), flask.session.get("csrf", "")):
            return self._refuse(403, "sign-out form expired", page=True)
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
        if flask.request.path in DASH_API or flask.request.path in ("/login",):
            headers.setdefault("Cache-Control", "no-store")
        return response
