"""The admin page's callbacks as functions: users, wall links and an uploaded import."""
from __future__ import annotations

import base64
import dataclasses
import sqlite3

import pytest

from dashboard.users import list_users
from dashboard.wall.tokens import list_links
from tests.pages.tree import find, page, texts


@pytest.fixture
def admin(tmp_path, empty_settings):
    from dashboard.application import create_app

    target = tmp_path / "admin.db"
    with sqlite3.connect(empty_settings.database_url.removeprefix("sqlite:///")) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    settings = dataclasses.replace(empty_settings, database_url=f"sqlite:///{target}",
                                   users_path=tmp_path / "users.json", wall_tokens_path=tmp_path / "links.json",
                                   secret_key_path=tmp_path / "key")
    app = create_app(settings)
    return app, page("admin"), settings, target


def _csv(text: str) -> str:
    return "data:text/csv;base64," + base64.b64encode(text.encode()).decode()


def _clicked(app, callback, trigger, *args, base_url="http://localhost"):
    """Run a two-button callback as if `trigger` had been clicked."""
    from dash._callback_context import context_value
    from dash._utils import AttributeDict

    context_value.set(AttributeDict(triggered_inputs=[{"prop_id": f"{trigger}.n_clicks", "value": 1}]))
    with app.server.test_request_context(base_url=base_url):
        return callback(1, None, *args)


def _leads(path) -> list:
    with sqlite3.connect(path) as connection:
        return connection.execute("SELECT external_id, source FROM leads ORDER BY external_id").fetchall()


def test_ad001_add_update_and_remove_a_user(admin):
    app, module, settings, _ = admin

    def run(trigger, *args):
        return _clicked(app, module.change_user, trigger, *args)

    message, users, password = run(module.USER_ADD, "aino", "manager", "twelve chars!")
    assert texts(message) == ["aino may sign in as manager."] and password == ""
    assert [(u.name, u.role) for u in list_users(settings.users_path)] == [("aino", "manager")]
    message, _, _ = run(module.USER_ADD, "bo", "viewer", "short")
    assert texts(message) == ["the password is too short: at least 12 characters"]
    message, users, _ = run(module.USER_REMOVE, "aino", None, None)
    assert texts(message) == ["aino removed."] and list_users(settings.users_path) == []


def test_ad002_create_a_wall_link_once_and_revoke_it(admin):
    app, module, settings, _ = admin

    def run(trigger, *args):
        return _clicked(app, module.change_link, trigger, *args, base_url="https://dash.example.com")

    message, _, options = run(module.LINK_CREATE, "Corridor TV", None)
    url = texts(find(message, "admin-link-url"))[0]
    assert url.startswith("https://dash.example.com/wall?token=") and len(url) > 60
    link = list_links(settings.wall_tokens_path)[0]
    assert options == [{"label": f"Corridor TV ({link.id})", "value": link.id}]
    message, _, options = run(module.LINK_REVOKE, None, link.id)
    assert texts(message) == ["Revoked the link of Corridor TV."] and options == []
    assert list_links(settings.wall_tokens_path)[0].revoked


def test_ad003_an_uploaded_leads_file_loads_whole_and_a_faulty_one_writes_nothing(admin):
    app, module, settings, path = admin
    good = "external_id,created_at,source\r\nL1,2026-11-02T09:00:00Z,webinar\r\nL2,2026-11-03T10:00:00Z,email\r\n"
    with app.server.test_request_context():
        result = module.import_upload(_csv(good), "leads.csv", "table:leads")
    assert texts(result) == ["leads: 2 rows, 2 inserted, 0 updated, 0 unknown references kept"]
    assert _leads(path) == [("L1", "webinar"), ("L2", "email")]

    bad = "external_id,created_at,source\r\nL3,2026-11-04T09:00:00Z,ads\r\nL4,yesterday,ads\r\n"
    with app.server.test_request_context():
        result = module.import_upload(_csv(bad), "march.csv", "table:leads")
    text = "".join(texts(result))
    assert text.startswith("Nothing was written: march.csv row 3 column created_at")
    assert "smarketing-upload" not in text
    assert _leads(path) == [("L1", "webinar"), ("L2", "email")]


def test_ad004_an_unreadable_upload_or_unknown_kind_is_refused(admin):
    app, module, _, path = admin
    with app.server.test_request_context():
        assert "".join(texts(module.import_upload("data:text/csv;base64,@@@", "x.csv", "table:leads"))) == (
            "Nothing was written: the upload could not be read; choose the file again")
        assert "choose what the file is" in "".join(texts(module.import_upload(_csv("a\r\n1\r\n"), "x.csv", "table:x")))
    assert _leads(path) == []


@pytest.mark.parametrize("filename, shown", [
    ("..", "upload.csv"), (".", "upload.csv"), ("", "upload.csv"), ("../../etc/passwd", "passwd"),
    ("x" * 300 + ".csv", "x" * 117 + "…"), ("bad\x00name\r\n.csv", "badname.csv"),
])
def test_ad005_an_upload_of_any_name_loads_and_is_named_safely(admin, filename, shown):
    app, module, settings, path = admin
    good = "external_id,created_at,source\r\nL1,2026-11-02T09:00:00Z,webinar\r\n"
    with app.server.test_request_context():
        result = module.import_upload(_csv(good), filename, "table:leads")
    assert texts(result) == ["leads: 1 rows, 1 inserted, 0 updated, 0 unknown references kept"]
    bad = "external_id,created_at,source\r\nL4,yesterday,ads\r\n"
    with app.server.test_request_context():
        result = module.import_upload(_csv(bad), filename, "table:leads")
    assert "".join(texts(result)).startswith(f"Nothing was written: {shown} row 2 column created_at")


def test_ad006_an_upload_does_not_migrate_the_schema(admin, monkeypatch):
    """The server migrated at its start; twenty uploads at once must not race to migrate again."""
    import alembic.command

    app, module, settings, path = admin

    def refuse(*_args, **_kwargs):
        raise AssertionError("an upload ran a migration")

    monkeypatch.setattr(alembic.command, "upgrade", refuse)
    good = "external_id,created_at,source\r\nL1,2026-11-02T09:00:00Z,webinar\r\n"
    with app.server.test_request_context():
        result = module.import_upload(_csv(good), "leads.csv", "table:leads")
    assert texts(result) == ["leads: 1 rows, 1 inserted, 0 updated, 0 unknown references kept"]


def test_ad007_an_upload_while_another_import_runs_is_refused_cleanly(admin):
    from queries.db import get_engine
    from queries.import_lock import import_lock

    app, module, settings, path = admin
    good = "external_id,created_at,source\r\nL1,2026-11-02T09:00:00Z,webinar\r\n"
    with import_lock(get_engine(settings.database_url)), app.server.test_request_context():
        result = module.import_upload(_csv(good), "leads.csv", "table:leads")
    assert texts(result) == ["Nothing was written: ", "another import is running; try again when it has finished"]
    assert _leads(path) == []


PRESETS = __import__("pathlib").Path(__file__).resolve().parent.parent / "fixtures" / "presets"


def _file(name: str) -> str:
    return "data:text/csv;base64," + base64.b64encode((PRESETS / name).read_bytes()).decode()


def test_ad008_an_export_upload_is_recognised_and_reports_its_coverage(admin):
    """The same path as `app.py import --preset auto`: the preset and generation recognised from the
    header, what each table got, how the file was read, and the coverage report."""
    app, module, settings, path = admin
    with app.server.test_request_context():
        result = module.import_upload(_file("hubspot-contacts-current.csv"), "contacts.csv", "preset:auto", False)
    lines = "".join(texts(result)).splitlines()
    assert lines[0] == "recognised HubSpot contacts export (hubspot-contacts, current): 16 of its 17 columns"
    assert "coverage (rows that got a value, of the rows read):" in lines
    assert any(line.startswith("leads <- contacts.csv: 5 rows, 5 inserted") for line in lines)  # 5 data rows
    assert "smarketing-upload" not in "".join(lines)
    assert [external_id for external_id, _ in _leads(path)] == ["201", "202", "203", "204", "205"]


def test_ad009_an_export_that_cannot_serve_the_agreement_is_refused_unless_the_box_is_ticked(admin):
    """Classic HubSpot contacts have no first touch: the agreement's first_touch commitment could not be
    measured, so the upload is refused with the column it expected and writes nothing; ticked, it loads
    and says which commitment is not recorded (the CLI's --allow-partial)."""
    app, module, settings, path = admin
    with app.server.test_request_context():
        refused = module.import_upload(_file("hubspot-contacts.csv"), "old.csv", "preset:auto", False)
    text = "\n".join(texts(refused))
    assert text.startswith("recognised HubSpot contacts export (hubspot-contacts, classic): 15 of its 19 columns")
    assert ("Nothing was written: \nold.csv column First Engagement Date: commitment first_touch needs "
            "leads.first_touch_at (or sales activities), and no record has it: expected column "
            "'First Engagement Date', which is not in the file") in text
    assert "tick the box below the upload" in text and "--allow-partial" not in text
    assert "smarketing-upload" not in text
    assert _leads(path) == []

    with app.server.test_request_context():
        loaded = module.import_upload(_file("hubspot-contacts.csv"), "old.csv", "preset:auto", True)
    lines = "".join(texts(loaded)).splitlines()
    assert lines[-1] == ("  not recorded: leads.first_touch_at (or sales activities), so commitment first_touch "
                         "cannot be measured")
    assert len(_leads(path)) == 4  # the file's four contacts, one lead each


def test_ad010_a_file_no_preset_recognises_is_refused_naming_the_nearest(admin):
    app, module, settings, path = admin
    with app.server.test_request_context():
        refused = module.import_upload(_csv("Colour,Size\r\nred,3\r\n"), "stock.csv", "preset:auto", False)
    assert "".join(texts(refused)) == "Nothing was written: stock.csv: no preset recognises this header"
    with app.server.test_request_context():
        wrong = module.import_upload(_file("hubspot-contacts-current.csv"), "c.csv", "preset:salesforce-leads", False)
    text = "".join(texts(wrong))
    assert text.startswith("Nothing was written: c.csv: this is not a Salesforce leads report file: it lacks 'Lead ID'")
    assert "use --preset hubspot-contacts" in text
    assert _leads(path) == []
