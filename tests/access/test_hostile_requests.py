"""Hostile input straight at the callback endpoint and the importer, bypassing the UI: every
answer is a page, an empty update or a clear 400, never a crash; the database never changes."""
from __future__ import annotations

import hashlib
import json
import sqlite3
import string

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from tests.demo_fixture import AS_OF

INJECTIONS = ["' OR 1=1 --", "1; DROP TABLE leads; --", "\\x00", "%", "_", "*", "<script>alert(1)</script>",
              '=HYPERLINK("x")', "ﷺ" * 50, "\u202egnp.exe", "9" * 400, "-1", "2026-02-30", "9999-99-99"]
text = st.one_of(st.sampled_from(INJECTIONS), st.text(max_size=60))
scalar = st.one_of(text, st.integers(min_value=-2**70, max_value=2**70), st.floats(allow_nan=True), st.none(),
                   st.booleans())
value = st.one_of(scalar, st.lists(scalar, max_size=4), st.dictionaries(text, scalar, max_size=3))
FILTER_KEYS = ["grain", "start", "end", "segments", "sources", "campaign_ids", "owner_ids", "teams"]
filter_state = st.one_of(st.none(), value, st.dictionaries(st.sampled_from(FILTER_KEYS), value, max_size=8))


def fingerprint(path: str) -> str:
    """Every row of every table, hashed: equal before and after means nothing was written."""
    digest = hashlib.sha256()
    with sqlite3.connect(path) as connection:
        for (table,) in connection.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name"):
            for row in connection.execute(f'SELECT * FROM "{table}" ORDER BY 1'):
                digest.update(repr(row).encode())
    return digest.hexdigest()


@pytest.fixture(scope="module")
def hostile_app(tmp_path_factory, request):
    """An open dashboard on a private copy of the demo database, with the callbacks that read the
    filter state and the one that reads the URL, as the browser would post them."""
    from dashboard.application import create_app
    from dashboard.settings import Settings

    demo = request.getfixturevalue("demo_settings")
    target = tmp_path_factory.mktemp("fuzz") / "fuzz.db"
    with sqlite3.connect(demo.database_url.removeprefix("sqlite:///")) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    app = create_app(Settings(database_url=f"sqlite:///{target}", as_of=AS_OF))
    client = app.server.test_client()
    dependencies = client.get("/_dash-dependencies").get_json()
    return app, client, dependencies, str(target)


def payload(callback: dict, values: dict) -> dict:
    """The body Dash's renderer posts for this callback, with these input values by id.property."""
    def entries(items):
        return [{"id": item["id"], "property": item["property"],
                 "value": values.get(f"{item['id']}.{item['property']}")} for item in items]
    outputs = [dict(zip(("id", "property"), part.rsplit(".", 1))) for part in callback["output"].strip(".").split("...")]
    return {"output": callback["output"], "outputs": outputs if len(outputs) > 1 else outputs[0],
            "inputs": entries(callback["inputs"]), "state": entries(callback["state"]),
            "changedPropIds": [f"{item['id']}.{item['property']}" for item in callback["inputs"]]}


def reads(callback, component_property):
    return any(f"{i['id']}.{i['property']}" == component_property for i in callback["inputs"])


@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
@given(state=filter_state)
def test_hx001_any_filter_state_posted_to_any_page_callback_is_answered_cleanly(hostile_app, state):
    app, client, dependencies, path = hostile_app
    before = fingerprint(path)
    callbacks = [c for c in dependencies if reads(c, "filter-state.data") and "{" not in c["output"]]
    assert len(callbacks) >= 8  # every page's main callbacks
    for callback in callbacks:
        response = client.post("/_dash-update-component", data=json.dumps(payload(callback, {"filter-state.data": state})),
                               content_type="application/json")
        assert response.status_code in (200, 204, 400), (callback["output"], state, response.get_data(as_text=True)[:300])
        if response.status_code == 400:
            assert response.get_json() == {"error": "malformed callback request"}
    assert fingerprint(path) == before


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(search=st.one_of(st.text(max_size=200), st.builds(
    lambda pairs: "?" + "&".join(f"{k}={v}" for k, v in pairs),
    st.lists(st.tuples(st.sampled_from(["grain", "start", "end", "segment", "source", "campaign", "owner", "team",
                                        "views", "seconds", "refresh", "stage", "lead", "rule", "by", "month"]),
                       text), max_size=6))))
def test_hx002_any_query_string_is_read_without_error(hostile_app, search):
    """The URL is the filters' only way in from outside: whatever it says, the shell answers."""
    app, client, dependencies, path = hostile_app
    before = fingerprint(path)
    callbacks = [c for c in dependencies if reads(c, "url.search")]
    assert callbacks
    for callback in callbacks:
        body = payload(callback, {"url.search": search, "url.pathname": "/"})
        response = client.post("/_dash-update-component", data=json.dumps(body), content_type="application/json")
        assert response.status_code in (200, 204), (search, response.get_data(as_text=True)[:300])
    assert fingerprint(path) == before


@pytest.mark.parametrize("body", [
    b"not json", b"[]", b'{"output": "nothing.children", "outputs": {"id": "nothing", "property": "children"}}',
    json.dumps({"output": "scoreboard-body.children", "outputs": {"id": "scoreboard-body", "property": "children"},
                "inputs": "x"}).encode(),
])
def test_hx003_a_malformed_callback_request_is_a_400_with_a_short_message(hostile_app, body):
    app, client, dependencies, path = hostile_app
    response = client.post("/_dash-update-component", data=body, content_type="application/json")
    assert response.status_code == 400
    assert response.get_json() == {"error": "malformed callback request"}


CSV_CELLS = st.one_of(st.sampled_from(INJECTIONS + ["", "2026-11-20", "2026-11-20T10:00:00Z", "12.50", "1,234.50",
                                                    "yes", "mql", "L1", '"', '""', "a,b", "\r\n"]),
                      st.text(alphabet=string.printable + "äöå€ﷺ\u202e", max_size=20))
LEAD_COLUMNS = ["external_id", "created_at", "source", "segment", "mql_at", "sal_at", "owner_id", "campaign_id",
                "disqualified_reason", "bogus"]


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(header=st.lists(st.sampled_from(LEAD_COLUMNS), min_size=1, max_size=6),
       rows=st.lists(st.lists(CSV_CELLS, min_size=0, max_size=7), max_size=5),
       delimiter=st.sampled_from([",", ";", "\t"]), bom=st.booleans())
def test_hx004_any_leads_file_loads_whole_or_fails_naming_the_place_and_writes_nothing(
        hostile_app, tmp_path_factory, header, rows, delimiter, bom):
    from dashboard.importing.importer import ImportFailed, import_csv
    from queries.db import get_engine

    app, client, dependencies, path = hostile_app
    folder = tmp_path_factory.mktemp("csv")
    lines = [delimiter.join(header)] + [delimiter.join(row) for row in rows]
    file = folder / "leads.csv"
    file.write_bytes(("\ufeff" if bom else "").encode() + "\r\n".join(lines).encode("utf-8"))
    before = fingerprint(path)
    try:
        import_csv(get_engine(f"sqlite:///{path}"), "leads", file)
    except ImportFailed as error:
        assert str(error).startswith(str(file))
        assert error.reason
        assert fingerprint(path) == before
    else:
        # Loaded whole: then every data row was a lead with an id and a creation time.
        assert {"external_id", "created_at"} <= set(header) or not rows
