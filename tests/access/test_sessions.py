"""Server-side sessions and sign-in: a dashboard that had users never opens by losing them; a
session ends with logout, a password change, the user's removal or re-creation, and after its idle
and absolute lifetimes; wrong passwords cost a short delay per account and per real client address,
shared by every worker, never a long lockout; the sign-in and sign-out forms need their token."""
from __future__ import annotations

import dataclasses
import re

import pytest

from dashboard.users import UserError, add_user, list_users, remove_user
from tests.access.conftest import PASSWORD, client_as, post

NO_ONE = "No one can sign in: add an admin with `python app.py user add NAME --role admin`."


def _access(app):
    from dashboard.access import ACCESS_EXTENSION

    return app.server.extensions[ACCESS_EXTENSION]


class Clock:
    """A clock the test moves by hand (seconds since the epoch)."""

    def __init__(self, now: float = 1_790_000_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(app):
    clock = Clock()
    _access(app).store.clock = clock
    return clock


def _csrf(client, path="/login") -> str:
    return re.search(r'name="csrf" value="([^"]+)"', client.get(path).get_data(as_text=True)).group(1)


def _sign_in(client, name, password=PASSWORD, **environ):
    csrf = _csrf(client)
    return client.post("/login", data={"name": name, "password": password, "csrf": csrf, "next": "/"},
                       environ_base=environ or {})


def _sign_out(client):
    layout = client.get("/_dash-layout").get_data(as_text=True)
    token = re.search(r'"name": ?"csrf".*?"value": ?"([^"]+)"|"value": ?"([^"]+)"[^}]*"name": ?"csrf"', layout)
    token = token.group(1) or token.group(2)
    return client.post("/logout", data={"csrf": token})


# --- users running out ----------------------------------------------------------------------------------

@pytest.mark.parametrize("how", ["file deleted", "file emptied"])
def test_ss001_a_dashboard_that_had_users_stays_closed_when_they_run_out(app, files, how):
    """The high finding: with the users gone at runtime every request was anonymous and could make an admin."""
    client = client_as(app, "ada")
    if how == "file deleted":
        files["users"].unlink()
    else:
        files["users"].write_text("{}\n")
    anonymous = app.server.test_client()
    for who in (client, anonymous):
        page = who.get("/admin")
        assert page.status_code == 503 and NO_ONE in page.get_data(as_text=True)
        assert who.get("/_dash-layout").status_code == 503
        assert who.get("/login").status_code == 503
    create_admin = {"output": "..admin-user-message.children...admin-users.children...admin-user-password.value..",
                    "outputs": [{"id": "admin-user-message", "property": "children"},
                                {"id": "admin-users", "property": "children"},
                                {"id": "admin-user-password", "property": "value"}],
                    "inputs": [{"id": "admin-user-add", "property": "n_clicks", "value": 1},
                               {"id": "admin-user-remove", "property": "n_clicks", "value": None}],
                    "state": [{"id": "admin-user-name", "property": "value", "value": "mallory"},
                              {"id": "admin-user-role", "property": "value", "value": "admin"},
                              {"id": "admin-user-password", "property": "value", "value": "a long enough secret"}],
                    "changedPropIds": ["admin-user-add.n_clicks"]}
    answer = post(anonymous, create_admin)
    assert answer.status_code == 503 and answer.get_json() == {"error": NO_ONE}
    assert anonymous.get("/healthz").get_json() == {"status": "degraded"}
    assert not files["users"].exists() or list_users(files["users"]) == []


def test_ss002_a_new_app_on_files_that_had_users_stays_closed(demo_settings, files):
    from dashboard.application import create_app

    settings = dataclasses.replace(demo_settings, users_path=files["users"], wall_tokens_path=files["links"],
                                   secret_key_path=files["key"])
    create_app(settings)  # has seen the users
    files["users"].unlink()
    again = create_app(settings).server.test_client()
    assert again.get("/").status_code == 503


def test_ss003_the_last_admin_cannot_be_removed_or_demoted(files):
    remove_user(files["users"], "max")
    with pytest.raises(UserError, match="ada is the last admin"):
        remove_user(files["users"], "ada")
    with pytest.raises(UserError, match="ada is the last admin"):
        add_user(files["users"], "ada", PASSWORD, "viewer")
    add_user(files["users"], "root", PASSWORD, "admin")
    remove_user(files["users"], "ada")
    assert [(u.name, u.role) for u in list_users(files["users"])] == [("root", "admin"), ("vera", "viewer")]


# --- sessions that end ------------------------------------------------------------------------------------

def _cookie(client) -> str:
    return client.get_cookie("smarketing_session").value


def _replay(app, cookie):
    client = app.server.test_client()
    client.set_cookie("smarketing_session", cookie)
    return client.get("/")


def test_ss004_a_cookie_replayed_after_sign_out_is_refused(app):
    client = client_as(app, "vera")
    cookie = _cookie(client)
    assert _replay(app, cookie).status_code == 200
    assert _sign_out(client).headers["Location"] == "/login"
    assert _replay(app, cookie).status_code == 302


def test_ss005_a_password_change_or_re_creating_the_user_ends_the_sessions(app, files):
    first, second = client_as(app, "vera"), client_as(app, "max")
    add_user(files["users"], "vera", "another long password", "viewer")
    assert first.get("/").status_code == 302
    cookie = _cookie(second)
    remove_user(files["users"], "max")
    add_user(files["users"], "max", PASSWORD, "manager")
    assert _replay(app, cookie).status_code == 302
    assert client_as(app, "max").get("/leads").status_code == 200


def test_ss006_sessions_end_after_their_idle_and_absolute_lifetimes(app, clock):
    store = _access(app).store
    idle, absolute = _access(app).idle_seconds, _access(app).absolute_seconds
    assert (idle, absolute) == (12 * 3600, 7 * 24 * 3600)
    quiet, busy = client_as(app, "vera"), client_as(app, "max")
    clock.now += idle - 60
    assert quiet.get("/").status_code == 200  # still within the idle time: that resets it
    clock.now += idle + 1
    assert quiet.get("/").status_code == 302
    busy = client_as(app, "max")
    start = clock.now
    while clock.now - start < absolute - 3600:
        clock.now += 6 * 3600
        assert busy.get("/").status_code == 200
    clock.now = start + absolute + 1
    assert busy.get("/").status_code == 302
    assert store.session_count() == 0  # both ended sessions are gone from the store


def test_ss007_a_wall_links_session_has_no_absolute_lifetime(app, files, clock):
    """A wall screen nobody touches keeps its session while it refreshes; revoking the link ends it."""
    client = app.server.test_client()
    assert client.get(f"/wall?token={files['token']}").status_code == 302
    for _ in range(120):  # thirty days, a refresh every six hours at least
        clock.now += 6 * 3600
        assert client.get("/wall").status_code == 200


# --- sign-in throttling --------------------------------------------------------------------------------

def test_ss008_wrong_passwords_cost_a_delay_never_a_long_lockout(app, clock):
    client = app.server.test_client()
    for attempt in range(12):
        clock.now += 60
        answer = _sign_in(client, "ada", "wrong password", REMOTE_ADDR=f"10.0.0.{attempt}")
        assert answer.status_code == 200, attempt
    waiting = _sign_in(client, "ada", PASSWORD)
    assert waiting.status_code == 429
    assert 1 <= int(waiting.headers["Retry-After"]) <= 30
    assert "wait" in waiting.get_data(as_text=True)
    clock.now += 31
    assert _sign_in(client, "ada", PASSWORD).status_code == 302


def test_ss009_the_first_five_wrong_passwords_of_an_account_cost_nothing(app, clock):
    client = app.server.test_client()
    for _ in range(5):
        assert _sign_in(client, "vera", "wrong password").status_code == 200
    waiting = _sign_in(client, "vera", "wrong password")
    assert waiting.status_code == 429 and waiting.headers["Retry-After"] == "1"
    clock.now += 1
    assert _sign_in(client, "vera", "wrong password").status_code == 200
    waiting = _sign_in(client, "vera", PASSWORD)
    assert waiting.status_code == 429 and waiting.headers["Retry-After"] == "2"
    clock.now += 2
    assert _sign_in(client, "vera", PASSWORD).status_code == 302
    assert _access(app).store.wait_before_sign_in([("account", "vera")]) == 0  # a success starts afresh


def test_ss010_every_worker_sees_the_same_failures(demo_settings, files, app, clock):
    """Two apps on the same files stand for two gunicorn workers."""
    from dashboard.application import create_app

    other = create_app(dataclasses.replace(demo_settings, users_path=files["users"], wall_tokens_path=files["links"],
                                           secret_key_path=files["key"]))
    _access(other).store.clock = clock
    for index in range(5):
        target = app if index % 2 else other
        assert _sign_in(target.server.test_client(), "max", "wrong password").status_code == 200
    assert _sign_in(other.server.test_client(), "max", PASSWORD).status_code == 429
    assert _sign_in(app.server.test_client(), "max", PASSWORD).status_code == 429


def test_ss011_the_client_address_is_the_one_a_trusted_proxy_forwards(app, clock):
    """Behind the TLS proxy every request comes from its address: the address throttle counts each
    client by X-Forwarded-For, believed only from an address in TRUSTED_PROXIES."""
    access = _access(app)
    with app.server.test_request_context(environ_base={"REMOTE_ADDR": "127.0.0.1"},
                                         headers={"X-Forwarded-For": "203.0.113.9, 198.51.100.7"}):
        assert access.client_address() == "198.51.100.7"
    with app.server.test_request_context(environ_base={"REMOTE_ADDR": "10.9.9.9"},
                                         headers={"X-Forwarded-For": "198.51.100.7"}):
        assert access.client_address() == "10.9.9.9"
    with app.server.test_request_context(environ_base={"REMOTE_ADDR": "127.0.0.1"},
                                         headers={"X-Forwarded-For": "not an address"}):
        assert access.client_address() == "127.0.0.1"
    client = app.server.test_client()
    for index in range(20):  # twenty wrong names from one client: its address waits
        clock.now += 60
        forwarded = {"X-Forwarded-For": "198.51.100.7"}
        csrf = _csrf(client)
        answer = client.post("/login", data={"name": f"guess{index}", "password": "x" * 12, "csrf": csrf},
                             headers=forwarded)
        assert answer.status_code == 200
    csrf = _csrf(client)
    assert client.post("/login", data={"name": "ada", "password": PASSWORD, "csrf": csrf},
                       headers={"X-Forwarded-For": "198.51.100.7"}).status_code == 429
    other = app.server.test_client()
    csrf = _csrf(other)
    assert other.post("/login", data={"name": "ada", "password": PASSWORD, "csrf": csrf, "next": "/"},
                      headers={"X-Forwarded-For": "198.51.100.8"}).status_code == 302


def test_ss012_the_failure_store_stays_bounded(app, clock):
    store = _access(app).store
    store.max_failure_rows = 50
    for index in range(400):
        clock.now += 1
        store.sign_in_failed([("account", f"name{index}")])
    assert store.failure_count() == 50
    assert store.wait_before_sign_in([("account", "name399")]) == 0  # kept: the newest
    clock.now += 15 * 60 + 1
    store.sign_in_failed([("account", "late")])
    assert store.failure_count() == 1  # the old window is pruned


def test_ss013_the_throttle_is_checked_after_the_form_token(app, clock):
    """A forged form neither counts as a failure nor learns anything from a 429."""
    client = app.server.test_client()
    for _ in range(5):
        _sign_in(client, "vera", "wrong password")
    forged = client.post("/login", data={"name": "vera", "password": PASSWORD, "csrf": "forged"})
    assert forged.status_code == 200 and "The form had expired" in forged.get_data(as_text=True)
    assert _access(app).store.failures_of(("account", "vera")) == 5
    assert _sign_in(client, "vera", PASSWORD).status_code == 429  # the token was the first thing checked


# --- the forms' tokens ---------------------------------------------------------------------------------

def test_ss014_a_cross_site_sign_in_is_refused(app):
    """Login CSRF: a page elsewhere posting the attacker's own name and password with no session cookie."""
    client = app.server.test_client()
    blank = client.post("/login", data={"name": "vera", "password": PASSWORD, "csrf": "", "next": "/"})
    assert blank.status_code == 200 and "The form had expired" in blank.get_data(as_text=True)
    assert client.get("/").status_code == 302  # not signed in
    csrf = _csrf(client)
    cross = client.post("/login", data={"name": "vera", "password": PASSWORD, "csrf": csrf},
                        headers={"Origin": "https://evil.example"})
    assert cross.status_code == 403


def test_ss015_a_cross_site_sign_out_is_refused(app):
    client = client_as(app, "vera")
    assert client.post("/logout", data={"csrf": ""}).status_code == 403
    assert client.post("/logout", data={}, headers={"Origin": "https://evil.example"}).status_code == 403
    assert client.get("/").status_code == 200


def test_ss016_get_logout_offers_the_form_and_is_not_the_app(app):
    client = client_as(app, "vera")
    answer = client.get("/logout")
    text = answer.get_data(as_text=True)
    assert answer.status_code == 200 and 'action="/logout"' in text and 'name="csrf"' in text
    assert "_dash-config" not in text and "_dash-renderer" not in text
    assert client.get("/").status_code == 200  # a GET signs nobody out
    assert app.server.test_client().get("/logout").headers["Location"] == "/login"


def test_ss017_common_passwords_are_refused_beside_short_ones(files):
    for password in ("123456789012", " " * 12, "passwordpassword", "qwertyuiopas"):
        with pytest.raises(UserError, match="too easy to guess"):
            add_user(files["users"], "bo", password, "viewer")
    with pytest.raises(UserError, match="too short"):
        add_user(files["users"], "bo", "short", "viewer")
    assert add_user(files["users"], "bo", "twelve chars!", "viewer").name == "bo"
