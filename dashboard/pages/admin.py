"""Admin: who may sign in, the wall screens' read-only links, loading a CRM export from the
browser, and the alerts (their rules, recent deliveries and pauses). The same stores and importer
as `app.py user`, `wall-token` and `import`; only the admin role reaches this page and its
callbacks (declared below: `role="admin"`)."""
from __future__ import annotations

import base64
import binascii
import tempfile
from pathlib import Path
from typing import NamedTuple

import dash
import dash_bootstrap_components as dbc
import flask
from dash import Input, Output, State, callback, dcc, html

from dashboard.application import current_settings
from dashboard.components.alerts import alerts_config, deliveries_table, pauses_table, rules_table
from dashboard.components.layout import page_header
from dashboard.components.sections import section, table
from dashboard.data import forget_cached_data
from dashboard.json_store import StoreError
from dashboard.users import ROLES, UserError, add_user, list_users, remove_user
from dashboard.wall.tokens import TokenError, create_link, list_links, revoke_link

dash.register_page(__name__, path="/admin", name="Admin", title="Admin", order=9,
                   role="admin", shared_figures=False)

USERS = "admin-users"
USER_NAME, USER_ROLE, USER_PASSWORD, USER_ADD, USER_REMOVE = (
    "admin-user-name", "admin-user-role", "admin-user-password", "admin-user-add", "admin-user-remove")
USER_MESSAGE = "admin-user-message"
LINKS = "admin-links"
LINK_NAME, LINK_CREATE, LINK_REVOKE, LINK_CHOICE, LINK_MESSAGE = (
    "admin-link-name", "admin-link-create", "admin-link-revoke", "admin-link-choice", "admin-link-message")
ALERT_LOG = "admin-alert-log"
IMPORT_KIND, IMPORT_UPLOAD, IMPORT_MESSAGE = "admin-import-kind", "admin-import-upload", "admin-import-message"
IMPORT_PARTIAL = "admin-import-partial"
PARTIAL_LABEL = "Load it even if a commitment then cannot be measured (those figures show as not recorded)"
TABLES = ("owners", "campaigns", "contacts", "leads", "deals", "activities")
MAX_UPLOAD = 200 * 2**20  # larger exports: `app.py import`, which streams


def _users_table(settings) -> html.Div:
    try:
        users = list_users(settings.users_path)
    except StoreError as error:
        return dbc.Alert(str(error), color="danger")
    if not users:
        return html.P("No users: the dashboard is open to whoever reaches it and serves on loopback only. "
                      "Add the first admin below.", className="text-muted")
    return table(["User", "Role"], [[user.name, user.role] for user in users], numeric=set())


def _links_table(settings) -> html.Div:
    try:
        links = list_links(settings.wall_tokens_path)
    except StoreError as error:
        return dbc.Alert(str(error), color="danger")
    if not links:
        return html.P("No wall links yet.", className="text-muted")
    return table(["Id", "Screen", "Created", "State"],
                 [[link.id, link.name, link.created, f"revoked {link.revoked}" if link.revoked else "live"]
                  for link in links], numeric=set())


def _link_options(settings) -> list[dict]:
    try:
        return [{"label": f"{link.name} ({link.id})", "value": link.id}
                for link in list_links(settings.wall_tokens_path) if not link.revoked]
    except StoreError:
        return []


def layout(**_query):
    settings = current_settings()
    from dashboard.importing.mapping import preset_names

    kinds = [{"label": "a CRM or ad platform export: recognise it from its header", "value": "preset:auto"}]
    kinds += [{"label": f"preset {name}", "value": f"preset:{name}"} for name in preset_names()]
    kinds += [{"label": f"{name} (one table)", "value": f"table:{name}"} for name in TABLES]
    return html.Div([
        page_header("Admin", "Who may sign in, the wall screens' links, loading a CRM export, and the alerts."),
        dbc.Row([
            dbc.Col(section("Users", html.Div(_users_table(settings), id=USERS), dbc.Row([
                dbc.Col(dbc.Input(id=USER_NAME, placeholder="user name", maxLength=64), md=4),
                dbc.Col(dbc.Select(id=USER_ROLE, options=[{"label": r, "value": r} for r in ROLES], value="viewer"),
                        md=3),
                dbc.Col(dbc.Input(id=USER_PASSWORD, type="password", placeholder="password (12+ characters)",
                                  autoComplete="new-password"), md=5),
            ], className="g-2 mt-2"), html.Div([
                dbc.Button("Add or update", id=USER_ADD, color="primary", size="sm", className="me-2"),
                dbc.Button("Remove this user", id=USER_REMOVE, color="outline-danger", size="sm"),
            ], className="mt-2"), html.Div(id=USER_MESSAGE, className="mt-2"),
                note="Passwords are stored as scrypt hashes. Removing a user ends their sessions at once."), lg=6),
            dbc.Col(section("Wall links", html.Div(_links_table(settings), id=LINKS), dbc.Row([
                dbc.Col(dbc.Input(id=LINK_NAME, placeholder="screen name, e.g. Corridor TV", maxLength=100), md=7),
                dbc.Col(dbc.Button("Create link", id=LINK_CREATE, color="primary", size="sm"), md=5),
            ], className="g-2 mt-2"), dbc.Row([
                dbc.Col(dcc.Dropdown(id=LINK_CHOICE, options=_link_options(settings), placeholder="a live link"), md=7),
                dbc.Col(dbc.Button("Revoke", id=LINK_REVOKE, color="outline-danger", size="sm"), md=5),
            ], className="g-2 mt-2"), html.Div(id=LINK_MESSAGE, className="mt-2"),
                note="A link is shown once; only its hash is kept. Revoking sends the screen to the sign-in page "
                     "at its next refresh."), lg=6),
        ], className="g-3"),
        section("Load a CRM export", dbc.Row([
            dbc.Col(dcc.Dropdown(id=IMPORT_KIND, options=kinds, value="table:leads", clearable=False), md=4),
            dbc.Col(dcc.Upload(id=IMPORT_UPLOAD, children=html.Div(["Drop a CSV file here, or ", html.A("choose one")]),
                               className="upload-box", max_size=MAX_UPLOAD), md=8),
        ], className="g-2"),
            dbc.Checkbox(id=IMPORT_PARTIAL, label=PARTIAL_LABEL, value=False, className="mt-2"),
            html.Div(id=IMPORT_MESSAGE, className="mt-2"),
            note="All rows or none: a file with a fault names its row and column and writes nothing. An export "
                 "that leaves a commitment of the agreement without the data it needs is refused with the column "
                 "it lacks, unless the box above is ticked (as `app.py import --allow-partial`). Presets and "
                 "mapping files: README, Commands, and docs/IMPORT.md. Files over 200 MB: use `app.py import`."),
        _alerts_section(settings),
    ])


def _alerts_section(settings) -> html.Div:
    config, problem = alerts_config(settings)
    body = [problem] if problem is not None else [html.H4("Rules", className="h6 mt-2"), rules_table(config)]
    body += [html.H4("Recent deliveries", className="h6 mt-3"), html.Div(deliveries_table(settings), id=ALERT_LOG),
             html.H4("Paused", className="h6 mt-3"), pauses_table(settings)]
    return section("Alerts", *body, note=f"From {settings.alerts_path}; sent by `app.py notify` or `app.py scheduler` "
                                         "(docs/ALERTS.md). Each person pauses their own on the My alerts page.")


def _origin() -> str:
    return flask.request.host_url.rstrip("/") if flask.has_request_context() else "http://127.0.0.1:8050"


@callback(Output(USER_MESSAGE, "children"), Output(USERS, "children"), Output(USER_PASSWORD, "value"),
          Input(USER_ADD, "n_clicks"), Input(USER_REMOVE, "n_clicks"),
          State(USER_NAME, "value"), State(USER_ROLE, "value"), State(USER_PASSWORD, "value"), prevent_initial_call=True)
def change_user(_add, _remove, name, role, password):
    """Add, update or remove a user; the password field is emptied whatever happens."""
    settings = current_settings()
    try:
        if dash.ctx.triggered_id == USER_REMOVE:
            remove_user(settings.users_path, (name or "").strip())
            message = dbc.Alert(f"{name} removed.", color="success", className="py-2")
        else:
            user = add_user(settings.users_path, (name or "").strip(), password or "", role or "viewer")
            message = dbc.Alert(f"{user.name} may sign in as {user.role}.", color="success", className="py-2")
    except (UserError, StoreError) as error:
        message = dbc.Alert(str(error), color="warning", className="py-2")
    return message, _users_table(settings), ""


@callback(Output(LINK_MESSAGE, "children"), Output(LINKS, "children"), Output(LINK_CHOICE, "options"),
          Input(LINK_CREATE, "n_clicks"), Input(LINK_REVOKE, "n_clicks"),
          State(LINK_NAME, "value"), State(LINK_CHOICE, "value"), prevent_initial_call=True)
def change_link(_create, _revoke, name, chosen):
    """Create a wall link (shown once, here) or revoke one."""
    settings = current_settings()
    try:
        if dash.ctx.triggered_id == LINK_REVOKE:
            link = revoke_link(settings.wall_tokens_path, chosen or "")
            message = dbc.Alert(f"Revoked the link of {link.name}.", color="success", className="py-2")
        else:
            link, token = create_link(settings.wall_tokens_path, name or "")
            url = f"{_origin()}/wall?token={token}"
            message = dbc.Alert([html.Div(f"The link of {link.name}, shown this once:"),
                                 html.Code(url, id="admin-link-url", className="user-select-all")],
                                color="success", className="py-2")
    except (TokenError, StoreError) as error:
        message = dbc.Alert(str(error), color="warning", className="py-2")
    return message, _links_table(settings), _link_options(settings)


def upload_name(filename: str | None) -> str:
    """The uploaded file's name as messages show it: its last part, without control characters,
    at most 118 characters; `upload.csv` for a name that is no file name ('', '.', '..')."""
    name = "".join(character for character in (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
                   if character.isprintable())
    if name.strip(". ") == "":
        return "upload.csv"
    return name if len(name) <= 118 else name[:117] + "…"


class Upload(NamedTuple):
    """What an upload did: the results, one per table, and the lines that describe it (for a preset:
    what was recognised, how the file was read, the coverage report; as `app.py import` prints).
    A named tuple, not a dataclass: Dash loads page modules outside sys.modules."""

    results: list
    lines: list[str]


class UploadRefused(ValueError):
    """An upload that wrote nothing: the reason, and what was said before it (the preset recognised)."""

    def __init__(self, reason: str, notes: tuple[str, ...] = ()):
        super().__init__(reason)
        self.notes = notes


def load_upload(contents: str, filename: str, kind: str, settings, allow_partial: bool = False) -> Upload:
    """Write the uploaded file to a private temporary folder under a name of our own and import it:
    one table, or a preset (`auto`: the one the header names) through the same plan, coverage check
    and report as `app.py import --preset` (dashboard.importing.run). Raises UploadRefused or
    ImportBusy, naming the file as the admin knows it, never the temporary copy.

    The schema is not migrated here: the server did that at its start (concurrent uploads raced
    to migrate); a database without it fails the import, saying so."""
    from dashboard.importing.importer import ImportFailed, import_csv
    from dashboard.importing.mapping import MappingError
    from dashboard.importing.run import plan_import, run_import
    from queries.db import get_engine

    _, _, data = (contents or "").partition(",")
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise UploadRefused("the upload could not be read; choose the file again") from None
    what, _, name = (kind or "").partition(":")
    if not ((what == "preset" and name) or (what == "table" and name in TABLES)):
        raise UploadRefused(f"choose what the file is (got {kind!r})")
    shown = upload_name(filename)
    suffix = Path(shown).suffix.lower()
    with tempfile.TemporaryDirectory(prefix="smarketing-upload-") as folder:
        path = Path(folder) / f"upload{suffix if suffix in ('.csv', '.txt', '.tsv') else '.csv'}"
        path.write_bytes(raw)

        def named(text: str) -> str:  # the temporary copy's name, as the admin knows the file
            return text.replace(str(path), shown).replace(path.name, shown)

        engine = get_engine(settings.database_url)
        agreement = settings.agreement()
        notes: tuple[str, ...] = ()
        try:
            if what == "table":
                return Upload([import_csv(engine, name, path, tz=agreement.tz)], [])
            plan = plan_import(path, preset=name)
            notes = tuple(named(note) for note in plan.notes)
            outcome = run_import(engine, plan, agreement.commitments, tz=agreement.tz, allow_partial=allow_partial)
            return Upload(outcome.results, [named(line) for line in outcome.lines])
        except ImportFailed as error:
            reason = str(ImportFailed(shown, error.row, error.column, named(error.reason)))
            if "--allow-partial" in reason:
                reason = reason.replace("pass --allow-partial", "tick the box below the upload")
            raise UploadRefused(reason, notes) from None
        except MappingError as error:
            raise UploadRefused(f"{shown}: {named(error.reason)}", notes) from None


@callback(Output(IMPORT_MESSAGE, "children"), Input(IMPORT_UPLOAD, "contents"), State(IMPORT_UPLOAD, "filename"),
          State(IMPORT_KIND, "value"), State(IMPORT_PARTIAL, "value"), prevent_initial_call=True)
def import_upload(contents, filename, kind, allow_partial=False):
    """Import the dropped file; every page shows the new figures at its next load."""
    from queries.import_lock import ImportBusy

    settings = current_settings()
    try:
        upload = load_upload(contents, filename, kind, settings, allow_partial=bool(allow_partial))
    except UploadRefused as error:
        return dbc.Alert([*(html.Div(note) for note in error.notes), "Nothing was written: ", str(error)],
                         color="warning", className="py-2")
    except ImportBusy as error:
        return dbc.Alert(["Nothing was written: ", str(error)], color="warning", className="py-2")
    forget_cached_data()
    if upload.lines:
        return dbc.Alert(html.Pre("\n".join(upload.lines), className="mb-0 import-report"),
                         color="success", className="py-2", id="admin-import-result")
    return dbc.Alert([html.Div(f"{r.table}: {r.rows:,} rows, {r.inserted:,} inserted, {r.updated:,} updated, "
                               f"{r.unresolved:,} unknown references kept") for r in upload.results],
                     color="success", className="py-2", id="admin-import-result")
