"""A corrupt or missing agreement file while the dashboard runs: the last good version stays
in force, every page shows why in a banner, and the log says so; at start it is refused."""
from __future__ import annotations

import logging
import os

import pytest

from dashboard.application import agreement_warning, create_app
from dashboard.settings import Settings
from dashboard.sla import AgreementError
from tests.agreements import agreement_file, agreement_text
from tests.demo_fixture import AS_OF
from tests.pages.tree import find, page, texts

GOOD = agreement_text()
MORE_MQLS = GOOD.replace("target: {month: 400}", "target: {month: 500}")


def rewrite(path, content: str) -> None:
    """Write the file and move its clock on, as an editor saving it a moment later would."""
    path.write_text(content, encoding="utf-8")
    stat = os.stat(path)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


def mql_target_this_month(app) -> str:
    """The scoreboard's this-month MQL target cell, as the page renders it."""
    with app.server.test_request_context():
        body = page("scoreboard").update_scoreboard(None)
    return texts(find(body, "score-mql_volume-this_month"))[2]


@pytest.fixture
def sla_copy(tmp_path):
    return agreement_file(tmp_path)


def test_a_broken_file_keeps_the_last_good_targets_with_a_banner(demo_settings, sla_copy, caplog):
    assert "target: {month: 400}" in GOOD and MORE_MQLS != GOOD
    settings = Settings(database_url=demo_settings.database_url, sla_path=sla_copy, as_of=AS_OF)
    app = create_app(settings)
    assert mql_target_this_month(app) == "400"
    assert agreement_warning(settings) == ("", True)

    caplog.set_level(logging.WARNING, logger="dashboard.agreement_state")
    rewrite(sla_copy, GOOD.replace("target: {month: 400}", "target: {month: 400"))  # YAML left open
    assert mql_target_this_month(app) == "400"
    message, hidden = agreement_warning(settings)
    assert not hidden
    assert message.startswith(f"The agreement file cannot be used ({sla_copy} line ")
    assert "Every figure still uses the last good version" in message
    refused = [r for r in caplog.records if "refused, the last good version stays in force" in r.getMessage()]
    assert len(refused) == 1  # one line per fault, not one per request

    rewrite(sla_copy, MORE_MQLS)
    assert mql_target_this_month(app) == "500"
    assert agreement_warning(settings) == ("", True)
    assert any("is good again" in r.getMessage() for r in caplog.records)


def test_a_vanished_file_keeps_the_last_good_targets(demo_settings, sla_copy):
    settings = Settings(database_url=demo_settings.database_url, sla_path=sla_copy, as_of=AS_OF)
    app = create_app(settings)
    sla_copy.unlink()
    assert mql_target_this_month(app) == "400"
    message, hidden = agreement_warning(settings)
    assert not hidden and f"({sla_copy}: no such file)" in message
    rewrite(sla_copy, MORE_MQLS)
    assert mql_target_this_month(app) == "500"
    assert agreement_warning(settings) == ("", True)


def test_the_banner_sits_in_the_app_shell(demo_app):
    with demo_app.server.test_request_context():  # the shell is built per request (the navigation)
        banner = find(demo_app.layout(), "agreement-warning")
    assert banner is not None and banner.hidden is True


def test_a_broken_file_at_start_is_refused_saying_why(sla_copy):
    rewrite(sla_copy, GOOD.replace("target: 0.8", "target: 1.8", 1))
    with pytest.raises(AgreementError, match=r"line \d+: commitments\.\d+: rate target 1\.8 must be a fraction"):
        create_app(Settings(sla_path=sla_copy))


def test_a_file_broken_again_after_a_good_start_is_still_refused_at_the_next_start(sla_copy):
    create_app(Settings(sla_path=sla_copy))
    rewrite(sla_copy, "name: [")
    with pytest.raises(AgreementError, match="not valid YAML"):
        create_app(Settings(sla_path=sla_copy))
