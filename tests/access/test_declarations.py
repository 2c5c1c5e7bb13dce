"""Who may see what is declared by each page (`dash.register_page(..., role=..., shared_figures=...)`)
and read from there: by the page check, by the callback check, and by the navigation. These tests
hold the code to README's "Access" table, walking every callback Dash serves."""
from __future__ import annotations

import dash
import pytest

from dashboard.access import ROLE_RANK, callback_declaration, page_declaration
from tests.access.conftest import client_as, post, router, wall_client

# README "Access": the least role that may open each page. This table is the truth the code is held to.
PAGE_ROLES = {"/": "viewer", "/funnel": "viewer", "/marketing": "viewer", "/sales": "viewer",
              "/closed-loop": "viewer", "/agreement": "viewer", "/data-quality": "viewer", "/leads": "manager",
              "/review": "manager", "/admin": "admin", "/wall": "wall", "/alerts": "viewer", "/lead": "viewer"}
# The shell around every page (not in any page's layout): the filter bar is a viewer's (its options name
# owners and campaigns), the agreement banner shows on the wall screen too.
SHELL_ROLES = {"url": "viewer", "filter-state": "viewer", "filter-grain": "viewer", "filter-dates": "viewer",
               "filter-segment": "viewer", "filter-source": "viewer", "filter-campaign": "viewer",
               "filter-owner": "viewer", "filter-team": "viewer", "filter-deal-owner": "viewer",
               "filter-deal-team": "viewer", "filter-notice": "viewer",
               "agreement-warning": "wall"}
ROLES = ("wall", "viewer", "manager", "admin")
USERS = {"viewer": "vera", "manager": "max", "admin": "ada"}


@pytest.fixture
def clients(app, files):
    """A signed-in client for each role."""
    return {"wall": wall_client(app, files["token"]), **{role: client_as(app, name) for role, name in USERS.items()}}


def _components(tree):
    """Every component's props in a JSON component tree."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict):
            props = node.get("props")
            if isinstance(props, dict) and "id" in props:
                yield props
            stack.extend(node.values())


def _ids(tree) -> set[str]:
    """Every component id in a JSON component tree (a pattern-matching id by its type)."""
    return {props["id"]["type"] if isinstance(props["id"], dict) else props["id"] for props in _components(tree)}


def _output_ids(callback: dict) -> list[str]:
    """The component ids a callback of /_dash-dependencies writes (a pattern-matching id by its type)."""
    import json

    ids = []
    for part in callback["output"].strip(".").split("..."):
        name = part.rsplit(".", 1)[0].split("@")[0]
        ids.append(json.loads(name)["type"] if name.startswith("{") else name)
    return ids


def _concrete(item: dict, value=None):
    """A dependency as the renderer posts it: MATCH becomes index 0, ALL an empty list."""
    import json

    component_id, prop = item["id"], item["property"]
    if component_id.startswith("{"):
        pattern = json.loads(component_id)
        if "ALL" in json.dumps(pattern):
            return []
        component_id = {key: (0 if value_ == ["MATCH"] else value_) for key, value_ in pattern.items()}
    return {"id": component_id, "property": prop, "value": value}


def body(callback: dict, values: dict | None = None) -> dict:
    """The request the renderer sends for this callback, with the inputs and state the pages' layouts
    give them (`values` by "id.property"), else empty."""
    values = values or {}
    outputs = []
    for part in callback["output"].strip(".").split("..."):
        name, prop = part.rsplit(".", 1)
        name = name.split("@")[0]
        outputs.append(_concrete({"id": name, "property": prop}))
        outputs[-1].pop("value", None)
    def concrete(item):
        return _concrete(item, values.get(f"{item['id']}.{item['property']}"))
    return {"output": callback["output"], "outputs": outputs if len(outputs) > 1 else outputs[0],
            "inputs": [concrete(item) for item in callback["inputs"]],
            "state": [concrete(item) for item in callback["state"]],
            "changedPropIds": [f"{i['id']}.{i['property']}" for i in callback["inputs"] if not i["id"].startswith("{")]}


def test_dc001_every_page_declares_its_role_and_whether_its_figures_may_be_shared(app):
    for module, page in dash.page_registry.items():
        assert page.get("role") in ROLE_RANK, module
        assert isinstance(page.get("shared_figures"), bool), module
        assert page_declaration(page["path"]).role == PAGE_ROLES[page["path"]], module
    assert {page["path"] for page in dash.page_registry.values()} == set(PAGE_ROLES)


def test_dc002_a_path_no_page_answers_or_a_page_that_declares_nothing_needs_the_admin_role(app, monkeypatch):
    assert page_declaration("/no-such-page").role == "admin"
    assert page_declaration("/no-such-page").shared_figures is False
    assert page_declaration(None).role == "admin"
    assert page_declaration("funnel").role == "admin"  # Dash refuses a path without its leading slash
    funnel = dash.page_registry["pages.funnel"]
    monkeypatch.setitem(dash.page_registry, "pages.funnel", {k: v for k, v in funnel.items() if k != "role"})
    assert page_declaration("/funnel").role == "admin"
    assert client_as(app, "vera").get("/funnel").status_code == 403


def test_dc003_no_output_of_a_page_is_reachable_by_a_lower_role(app, clients):
    """Walk every callback of /_dash-dependencies: find the page each one writes to (by the ids in
    the pages' layouts and in their callbacks' answers), then post it as every role below that page's
    role (refused: no answer) and as that role (answered)."""
    admin = clients["admin"]
    callbacks = [c for c in admin.get("/_dash-dependencies").get_json() if not c.get("clientside_function")]
    page_of: dict[str, str] = {}
    values: dict[str, object] = {}
    for path in PAGE_ROLES:
        answer = post(admin, router(path))
        assert answer.status_code == 200, path
        layout = answer.get_json()["response"]["_pages_content"]["children"]
        for component_id in _ids(layout):
            page_of.setdefault(component_id, path)
        for props in _components(layout):
            if isinstance(props["id"], str):
                values.update({f"{props['id']}.{name}": value for name, value in props.items()})

    def expected_role(callback) -> str | None:
        roles = []
        for component_id in _output_ids(callback):
            if component_id == "_pages_content":
                return None  # the page router: judged by the page it renders (test_dc004)
            if component_id in page_of:
                roles.append(PAGE_ROLES[page_of[component_id]])
            else:
                assert component_id in SHELL_ROLES, f"{callback['output']}: on no page and not in the shell"
                roles.append(SHELL_ROLES[component_id])
        return max(roles, key=ROLE_RANK.get)

    for _ in range(2):  # components a callback creates (the leads grid) belong to that callback's page
        for callback in callbacks:
            role = expected_role(callback)
            if role is None:
                continue
            answer = post(clients[role], body(callback, values))
            assert answer.status_code in (200, 204), (callback["output"], role, answer.get_data(as_text=True)[:200])
            if answer.status_code == 200:
                path = next((page_of[i] for i in _output_ids(callback) if i in page_of), None)
                for component_id in _ids(answer.get_json()):
                    if path:
                        page_of.setdefault(component_id, path)
    checked = 0
    for callback in callbacks:
        role = expected_role(callback)
        if role is None:
            continue
        for lower in ROLES[:ROLES.index(role)]:
            answer = post(clients[lower], body(callback, values))
            assert answer.status_code in (204, 403), (callback["output"], lower, answer.status_code)
            assert b'"response"' not in answer.get_data(), (callback["output"], lower)
            checked += 1
    assert checked >= 30  # the leads, review and admin callbacks, the pages' for the wall link, ...


def test_dc004_the_router_is_judged_by_the_page_dash_renders(app, clients):
    """Dash strips slashes at both ends and takes the router's inputs by position: `//admin`, `/admin/`
    and a body with `search` and `pathname` swapped all render the Admin page, so all need its role."""
    for path in PAGE_ROLES:
        for variant in ("{}", "/{}", "{}/", "{}//", "swapped"):
            request = router(variant.format(path) if variant != "swapped" else "/")
            if variant == "swapped":
                request["inputs"] = [{"id": "_pages_location", "property": "search", "value": path},
                                     {"id": "_pages_location", "property": "pathname", "value": "/"}]
            for role in ROLES:
                answer = post(clients[role], request)
                case = (path, variant, role)
                if ROLE_RANK[role] >= ROLE_RANK[PAGE_ROLES[path]]:
                    assert answer.status_code == 200, case
                else:
                    assert answer.status_code in (204, 403) and b'"response"' not in answer.get_data(), case


def test_dc005_a_callback_is_judged_by_the_function_dash_runs_not_the_outputs_the_body_names(app, clients, files):
    """Dash runs the callback named by `output` and only labels its answer with `outputs`: a viewer
    naming the scoreboard in `outputs` still may not run the Admin page's user callback."""
    from dashboard.users import list_users

    add_user = {"output": "..admin-user-message.children...admin-users.children...admin-user-password.value..",
                "outputs": [{"id": "scoreboard-body", "property": "children"}] * 3,
                "inputs": [{"id": "scoreboard-body", "property": "n_clicks", "value": 1},
                           {"id": "scoreboard-body", "property": "n_clicks", "value": None}],
                "state": [{"id": "scoreboard-body", "property": "value", "value": "mallory"},
                          {"id": "scoreboard-body", "property": "value", "value": "admin"},
                          {"id": "scoreboard-body", "property": "value", "value": "a long enough secret"}],
                "changedPropIds": ["admin-user-add.n_clicks"]}
    for role in ("wall", "viewer", "manager"):
        assert post(clients[role], add_user).status_code in (204, 403), role
    assert "mallory" not in {user.name for user in list_users(files["users"])}


def test_dc006_a_cache_reads_whether_a_callbacks_figures_may_be_shared(app, clients):
    post(clients["admin"], router("/"))  # the first request sets up Dash's callbacks
    with app.server.test_request_context():
        scoreboard = callback_declaration("scoreboard-body.children")
        leads = callback_declaration("leads-body.children")
        shell = callback_declaration("..agreement-warning.children...agreement-warning.hidden..")
        unknown = callback_declaration("nothing.children")
    assert (scoreboard.path, scoreboard.role, scoreboard.shared_figures) == ("/", "viewer", True)
    assert (leads.path, leads.role, leads.shared_figures) == ("/leads", "manager", False)
    assert (shell.path, shell.role, shell.shared_figures) == (None, "wall", False)
    assert (unknown.role, unknown.shared_figures) == ("admin", False)


def test_dc007_the_navigation_lists_the_pages_the_role_may_open(app, clients):
    layout = clients["manager"].get("/_dash-layout").get_json()
    links, stack = set(), [layout]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict):
            if node.get("type") == "NavLink":
                links.add(node["props"]["href"])
            stack.extend(node.values())
    # /lead shows one lead named in its link (the alerts', the Leads page's): no place in the menu
    assert links == {path for path, role in PAGE_ROLES.items() if role in ("viewer", "manager") and path != "/lead"}
