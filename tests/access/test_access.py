"""Sign-in, roles and wall links on every route, including Dash's own endpoints; the login
rate limit, CSRF and same-origin checks, security headers, and refusing an open network bind."""
from __future__ import annotations

import dataclasses
import re
import time

import pytest

from dashboard.access import AccessError, callback_role, check_exposure
from dashboard.users import remove_user
from dashboard.wall.tokens import revoke_link
from tests.access.conftest import CSV, LEADS, PASSWORD, REVIEW, SCOREBOARD, WALL, client_as, post, router

PAGES = ["/", "/funnel", "/marketing", "/sales", "/closed-loop", "/agreement", "/data-quality", "/leads", "/review",
         "/admin", "/wall"]
ALLOWED = {
    "vera": {"/", "/funnel", "/marketing", "/sales", "/closed-loop", "/agreement", "/data-quality", "/wall"},
    "max": {"/", "/funnel", "/marketing", "/sales", "/closed-loop", "/agreement", "/data-quality", "/wall", "/leads",
            "/review"},
    "ada": set(PAGES),
}


@pytest.mark.parametrize("name", ["vera", "max", "ada"])
def test_ac001_each_role_opens_its_pages_and_is_refused_the_others(app, name):
    client = client_as(app, name)
    for path in PAGES:
        response = client.get(path)
        assert response.status_code == (200 if path in ALLOWED[name] else 403), (name, path)


@pytest.mark.parametrize("name, payload, status", [
    ("vera", SCOREBOARD, 200), ("vera", LEADS, 403), ("vera", CSV, 403), ("vera", REVIEW, 403),
    ("vera", router("/leads"), 403), ("vera", router("/"), 200), ("vera", WALL, 200),
    ("max", LEADS, 200), ("max", router("/review"), 200), ("max", router("/admin"), 403),
    ("ada", router("/admin"), 200), ("ada", LEADS, 200),
])
def test_ac002_callbacks_are_checked_by_the_outputs_they_write_and_the_page_they_route_to(app, name, payload, status):
    """The check is on Dash's callback endpoint, so a request made by hand gets no more than the UI."""
    assert post(client_as(app, name), payload).status_code == status


def test_ac003_nobody_signed_in_gets_the_sign_in_page_and_no_data(app):
    client = client_as(app, None)
    response = client.get("/sales?segment=SMB")
    assert response.status_code == 302 and response.headers["Location"] == "/login?next=%2Fsales%3Fsegment%3DSMB"
    assert client.get("/_dash-layout").status_code == 401
    assert client.get("/_dash-dependencies").status_code == 401
    assert post(client, SCOREBOARD).status_code == 401
    assert client.get("/assets/10-dashboard.css").status_code == 200  # styles carry no data
    assert client.get("/login").status_code == 200


def test_ac004_a_wall_link_opens_the_wall_only_and_revoking_it_ends_the_session(app, files):
    client = client_as(app, None)
    response = client.get(f"/wall?token={files['token']}&seconds=30")
    assert response.status_code == 302 and response.headers["Location"] == "/wall?seconds=30"  # token gone
    assert client.get("/wall?seconds=30").status_code == 200
    assert client.get("/").headers["Location"] == "/wall"
    assert client.get("/leads").headers["Location"] == "/wall"
    assert client.get("/_dash-layout").status_code == 200
    assert post(client, WALL).status_code == 200
    assert post(client, router("/wall")).status_code == 200
    assert post(client, SCOREBOARD).status_code == 204  # the shell's other callbacks: nothing, quietly
    assert post(client, router("/leads")).status_code == 204
    assert post(client, LEADS).status_code == 204

    revoke_link(files["links"], "Corridor TV")
    assert client.get("/wall").headers["Location"].startswith("/login")
    assert post(client, WALL).status_code == 401
    fresh = client_as(app, None)
    assert fresh.get(f"/wall?token={files['token']}").status_code == 403
    assert fresh.get("/wall?token=guessed").status_code == 403


def test_ac005_a_removed_user_is_signed_out_at_the_next_request(app, files):
    client = client_as(app, "max")
    assert client.get("/leads").status_code == 200
    remove_user(files["users"], "max")
    assert client.get("/leads").status_code == 302


def test_ac006_wrong_passwords_are_limited_and_the_form_needs_its_token(app):
    client = app.server.test_client()
    page = client.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    for _ in range(5):
        response = client.post("/login", data={"name": "vera", "password": "wrong", "csrf": csrf})
        assert response.status_code == 200 and "Unknown user name or wrong password." in response.get_data(as_text=True)
    limited = client.post("/login", data={"name": "vera", "password": PASSWORD, "csrf": csrf})
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0
    other = app.server.test_client()  # same address, another name: still allowed
    other.get("/login")
    stale = other.post("/login", data={"name": "max", "password": PASSWORD, "csrf": "forged"})
    assert stale.status_code == 200 and "The form had expired" in stale.get_data(as_text=True)


def test_ac007_after_sign_in_only_a_local_path_is_followed(app):
    client = app.server.test_client()
    csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)
    response = client.post("/login", data={"name": "vera", "password": PASSWORD, "csrf": csrf,
                                           "next": "//evil.example/x"})
    assert response.headers["Location"] == "/"


def test_ac008_sign_out_needs_the_form_token_and_clears_the_session(app):
    client = client_as(app, "vera")
    assert client.post("/logout", data={"csrf": "nope"}).status_code == 403
    assert client.get("/").status_code == 200
    layout = client.get("/_dash-layout").get_data(as_text=True)
    csrf = re.search(r'"name": ?"csrf".*?"value": ?"([^"]+)"|"value": ?"([^"]+)"[^}]*"name": ?"csrf"', layout)
    token = next(group for group in csrf.groups() if group)
    assert client.post("/logout", data={"csrf": token}).headers["Location"] == "/login"
    assert client.get("/").status_code == 302


def test_ac009_a_cross_site_callback_request_is_refused(app):
    client = client_as(app, "ada")
    assert post(client, SCOREBOARD, Origin="https://evil.example").status_code == 403
    assert post(client, SCOREBOARD, Origin="http://localhost").status_code == 200


def test_ac010_every_response_carries_the_security_headers(app):
    response = client_as(app, "vera").get("/")
    headers = response.headers
    policy = headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
    assert re.search(r"script-src 'self'( 'sha256-[A-Za-z0-9+/=]+')+", policy)
    assert "unsafe-eval" not in policy and "script-src 'self' 'unsafe-inline'" not in policy
    assert headers["X-Frame-Options"] == "DENY" and headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    cookie = client_as(app, None).post("/login", data={}).headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_ac011_sessions_expire(demo_settings, files):
    from dashboard.application import create_app

    app = create_app(dataclasses.replace(demo_settings, users_path=files["users"], wall_tokens_path=files["links"],
                                         secret_key_path=files["key"], session_hours=1 / 3600))
    client = client_as(app, "vera")
    assert client.get("/").status_code == 200
    time.sleep(2.2)
    assert client.get("/").status_code == 302


def test_ac012_a_trusted_proxys_user_header_is_believed_only_from_the_proxy(demo_settings, files):
    from dashboard.application import create_app

    app = create_app(dataclasses.replace(demo_settings, users_path=files["users"], wall_tokens_path=files["links"],
                                         secret_key_path=files["key"], proxy_user_header="X-Remote-User"))
    client = app.server.test_client()
    assert client.get("/leads", headers={"X-Remote-User": "max"}).status_code == 200
    assert client.get("/leads", headers={"X-Remote-User": "vera"}).status_code == 403
    assert client.get("/", headers={"X-Remote-User": "nobody"}).status_code == 302
    outsider = client.get("/", headers={"X-Remote-User": "ada"}, environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert outsider.status_code == 302


def test_ac013_serving_beyond_loopback_needs_a_user(tmp_path, files):
    check_exposure("127.0.0.1", tmp_path / "none.json")
    check_exposure("::1", tmp_path / "none.json")
    with pytest.raises(AccessError, match="python app.py user add"):
        check_exposure("0.0.0.0", tmp_path / "none.json")
    check_exposure("0.0.0.0", files["users"])


@pytest.mark.parametrize("payload", [{"outputs": "x"}, {"outputs": [1]}, {}, {"outputs": []}])
def test_ac014_a_malformed_callback_request_needs_the_highest_role_or_is_refused(payload):
    try:
        assert callback_role(payload) == "admin"
    except ValueError:
        pass


@pytest.mark.usefixtures("app")  # the app puts its filter on the request log
def test_ac015_tokens_and_passwords_never_reach_the_request_log(files):
    """The development server logs every request line; a wall link's token is taken out."""
    import logging

    from dashboard.access import RedactSecrets

    record = logging.LogRecord("werkzeug", logging.INFO, __file__, 1, '%s - - "%s" %s',
                               ("127.0.0.1", f"GET /wall?token={files['token']}&seconds=30 HTTP/1.1", "302"), None)
    assert RedactSecrets().filter(record)
    assert record.getMessage() == '127.0.0.1 - - "GET /wall?token=[redacted]&seconds=30 HTTP/1.1" 302'
    assert any(isinstance(f, RedactSecrets) for f in logging.getLogger("werkzeug").filters)
