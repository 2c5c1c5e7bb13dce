"""Shared by the access tests: three users and a wall link in private files, an app on the demo
database that knows them, a client signed in as one of them, and callback bodies as Dash posts them."""
from __future__ import annotations

import dataclasses
import json
import re

import pytest

from dashboard.users import add_user
from dashboard.wall.tokens import create_link

PASSWORD = "correct horse battery"
SCOREBOARD = {"output": "scoreboard-body.children", "outputs": {"id": "scoreboard-body", "property": "children"},
              "inputs": [{"id": "filter-state", "property": "data", "value": None}], "changedPropIds": [],
              "state": []}
LEADS = {"output": "leads-body.children", "outputs": {"id": "leads-body", "property": "children"},
         "inputs": [{"id": "filter-state", "property": "data", "value": None},
                    {"id": "leads-query", "property": "data", "value": None}], "changedPropIds": [], "state": []}
CSV = {"output": "..", "outputs": {"id": {"type": "leads-grid", "index": 0}, "property": "exportDataAsCsv"},
       "inputs": [], "changedPropIds": [], "state": []}
REVIEW = {"output": "review-pdf-download.data", "outputs": {"id": "review-pdf-download", "property": "data"},
          "inputs": [], "changedPropIds": [], "state": []}
WALL = {"output": "..wall-deck.children...wall-status.data..", "outputs": [{"id": "wall-deck", "property": "children"}, {"id": "wall-status", "property": "data"}],
        "inputs": [{"id": "wall-refresh", "property": "n_intervals", "value": 0}],
        "state": [{"id": "wall-playlist", "property": "data", "value": {"views": ["week"], "titles": [""], "seconds": 5}},
                  {"id": "wall-status", "property": "data", "value": None}], "changedPropIds": []}


def router(path):
    return {"output": ".._pages_content.children..._pages_store.data..", "outputs": [{"id": "_pages_content", "property": "children"},
                                        {"id": "_pages_store", "property": "data"}],
            "inputs": [{"id": "_pages_location", "property": "pathname", "value": path},
                       {"id": "_pages_location", "property": "search", "value": ""}],
            "changedPropIds": ["_pages_location.pathname"], "state": []}


@pytest.fixture
def files(tmp_path):
    users = tmp_path / "users.json"
    for name, role in (("vera", "viewer"), ("max", "manager"), ("ada", "admin")):
        add_user(users, name, PASSWORD, role)
    links = tmp_path / "wall-tokens.json"
    link, token = create_link(links, "Corridor TV")
    return {"users": users, "links": links, "link": link, "token": token, "key": tmp_path / "secret.key"}


@pytest.fixture
def app(demo_settings, files):
    from dashboard.application import create_app

    settings = dataclasses.replace(demo_settings, users_path=files["users"], wall_tokens_path=files["links"],
                                   secret_key_path=files["key"])
    return create_app(settings)


def client_as(app, name):
    client = app.server.test_client()
    if name:
        page = client.get("/login").get_data(as_text=True)
        csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
        response = client.post("/login", data={"name": name, "password": PASSWORD, "csrf": csrf, "next": "/"})
        assert response.status_code == 302 and response.headers["Location"] == "/", name
    return client


def post(client, payload, **headers):
    return client.post("/_dash-update-component", data=json.dumps(payload), content_type="application/json",
                       headers=headers)




def wall_client(app, token):
    """A client that opened a wall link (so its session sees the wall and nothing else)."""
    client = app.server.test_client()
    assert client.get(f"/wall?token={token}").status_code == 302
    return client
