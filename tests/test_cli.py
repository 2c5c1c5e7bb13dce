"""The command line: `kpis` in every format, `check`, and clear errors for bad input."""
from __future__ import annotations

import csv
import io
import json

import pytest
from typer.testing import CliRunner

from app import cli
from queries.db import init_db
from queries.schema import Deal, Lead, Owner
from tests.agreements import agreement_file
from tests.factories import t

runner = CliRunner()
SPEC_FIELDS = [
    "period_start", "leads", "mqls", "sals", "sqls", "opportunities", "deals_won", "deals_lost", "revenue_won",
    "conv_lead_mql", "conv_mql_sql", "conv_sql_won", "response_sla_attainment", "response_pending",
    "open_breaches", "acceptance_rate", "win_rate", "notes", "commitments",
]


@pytest.fixture(scope="module")
def small_db(tmp_path_factory):
    """Three leads and a deal in November 2026, written through the ORM."""
    url = f"sqlite:///{tmp_path_factory.mktemp('cli')}/cli.db"
    engine = init_db(url)
    from sqlalchemy.orm import Session

    with Session(engine) as session:
        session.add(Owner(id=1, external_id="o-1", name="Aino Virtanen", email="aino@example.com", team="sdr"))
        session.add_all([
            Lead(id=1, external_id="l-1", created_at=t("2026-11-02 09:00"), mql_at=t("2026-11-02 10:00"),
                 first_touch_at=t("2026-11-02 11:00"), sal_at=t("2026-11-03 09:00"), segment="SMB", owner_id=1),
            Lead(id=2, external_id="l-2", created_at=t("2026-11-03 09:00"), mql_at=t("2026-11-03 10:00"),
                 disqualified_at=t("2026-11-04 09:00"), segment="Enterprise"),
            Lead(id=3, external_id="l-3", created_at=t("2026-11-10 09:00"), segment="SMB"),
        ])
        session.add(Deal(id=1, external_id="d-1", lead_id=1, owner_id=1, created_at=t("2026-11-05 09:00"),
                         closed_at=t("2026-11-12 09:00"), is_won=True, amount=12000, currency="EUR"))
        session.commit()
    return url


def _kpis(url, *args):
    return runner.invoke(cli, ["kpis", "--db", url, "--as-of", "2026-11-20T12:00", *args])


def test_kpis_json_has_every_spec_field(small_db):
    result = _kpis(small_db, "--grain", "month", "--start", "2026-11-01", "--end", "2026-11-30", "--format", "json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert len(rows) == 1 and list(rows[0]) == SPEC_FIELDS
    row = rows[0]
    # 3 leads, 2 MQLs; lead 1 accepted, lead 2 rejected: 0.5; deal 1 won: 12,000; lead 1 reached
    # opportunity through its deal, so SAL (recorded) and SQL (inferred) are both 1; no deal was
    # ever lost and the one SQL won, so win rate and SQL -> won are not recorded: null, and said
    # so in the notes
    assert (row["leads"], row["mqls"], row["sals"], row["sqls"], row["opportunities"]) == (3, 2, 1, 1, 1)
    assert (row["deals_won"], row["revenue_won"], row["acceptance_rate"], row["win_rate"]) == (1, 12000.0, 0.5, None)
    assert row["notes"] == {"conv_sql_won": "not recorded", "win_rate": "not recorded"}
    assert set(row["commitments"]) == {"mql_volume", "mql_acceptance", "first_touch", "sql_volume", "deals_won",
                                       "won_revenue"}
    assert list(row["commitments"]["mql_volume"]) == ["actual", "target", "expected", "projected",
                                                      "required_per_day", "status"]
    assert list(row["commitments"]["mql_acceptance"]) == ["actual", "target", "status"]


@pytest.mark.parametrize("grain, periods", [("day", 20), ("week", 4), ("month", 1), ("quarter", 1)])
def test_kpis_one_row_per_period(small_db, grain, periods):
    """1-20 Nov 2026: 20 days; the weeks from the one holding Sunday the 1st (week 44, from
    Monday 26 Oct) to the one holding the 20th (week 47): 4; one month; one quarter."""
    result = _kpis(small_db, "--grain", grain, "--start", "2026-11-01", "--end", "2026-11-20", "--format", "json")
    rows = json.loads(result.stdout)
    assert len(rows) == periods
    assert rows[0]["period_start"] == {"day": "2026-11-01", "week": "2026-10-26", "month": "2026-11-01",
                                       "quarter": "2026-10-01"}[grain]


def test_kpis_csv_flattens_commitments(small_db):
    result = _kpis(small_db, "--grain", "week", "--start", "2026-11-02", "--end", "2026-11-08", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 1
    assert rows[0]["mqls"] == "2" and rows[0]["mql_volume.actual"] == "2"
    # The week of 2 November is over at as_of, so its acceptance result is final: missed (SPEC 9).
    assert rows[0]["win_rate"] == "" and rows[0]["mql_acceptance.status"] == "missed"


def test_kpis_table_and_filters(small_db):
    result = _kpis(small_db, "--grain", "month", "--start", "2026-11-01", "--end", "2026-11-01", "--segment", "SMB",
                   "--format", "json")
    assert json.loads(result.stdout)[0]["leads"] == 2
    result = _kpis(small_db, "--grain", "month", "--start", "2026-11-01", "--end", "2026-11-01", "--owner",
                   "aino@example.com", "--format", "json")
    assert json.loads(result.stdout)[0]["leads"] == 1
    table = _kpis(small_db, "--grain", "month", "--start", "2026-11-01", "--end", "2026-11-01")
    assert table.exit_code == 0 and "mql_volume" in table.stdout and "period_start" in table.stdout


@pytest.mark.parametrize("args, message", [
    (["--grain", "month", "--start", "2026-13-01", "--end", "2026-11-01"], "--start/--end"),
    (["--grain", "month", "--start", "2026-11-01", "--end", "2026-10-01"], "is before --start"),
    (["--grain", "month", "--start", "2026-11-01", "--end", "2026-11-02", "--owner", "nobody"], "no owner"),
])
def test_kpis_bad_input_gets_a_clear_error(small_db, args, message):
    result = runner.invoke(cli, ["kpis", "--db", small_db, *args])
    assert result.exit_code == 2 and message in result.stderr


def test_kpis_bad_as_of_and_grain(small_db):
    result = _kpis(small_db, "--grain", "month", "--start", "2026-11-01", "--end", "2026-11-02")
    assert result.exit_code == 0
    result = runner.invoke(cli, ["kpis", "--db", small_db, "--as-of", "yesterday", "--grain", "month",
                                 "--start", "2026-11-01", "--end", "2026-11-02"])
    assert result.exit_code == 2 and "--as-of" in result.stderr
    result = runner.invoke(cli, ["kpis", "--db", small_db, "--grain", "year", "--start", "2026-11-01", "--end", "2026-11-02"])
    assert result.exit_code == 2


def test_a_broken_agreement_is_refused_with_its_line(small_db, tmp_path):
    broken = agreement_file(tmp_path, ("target: 0.9", "target: 1.9"))
    result = runner.invoke(cli, ["kpis", "--db", small_db, "--sla", str(broken), "--grain", "month",
                                 "--start", "2026-11-01", "--end", "2026-11-02"])
    assert result.exit_code == 2
    assert "line 40" in result.stderr and "rate target 1.9 must be a fraction between 0 and 1" in result.stderr


def test_kpis_on_a_database_without_schema_says_what_to_do(tmp_path):
    result = runner.invoke(cli, ["kpis", "--db", f"sqlite:///{tmp_path}/none.db", "--grain", "month",
                                 "--start", "2026-11-01", "--end", "2026-11-02"])
    assert result.exit_code == 2 and "init-db" in result.stderr


def test_check_reports_every_rule(small_db):
    result = runner.invoke(cli, ["check", "--db", small_db, "--format", "json"])
    assert result.exit_code == 0
    findings = {f["rule"]: f for f in json.loads(result.stdout)}
    # lead 2 was rejected without a reason; lead 1's SQL date was inferred from its deal
    assert findings["rejected_without_reason"]["count"] == 1
    assert findings["rejected_without_reason"]["examples"] == ["l-2"]
    assert findings["inferred_sql"]["examples"] == ["l-1"]
    assert findings["negative_amount"]["count"] == 0
    strict = runner.invoke(cli, ["check", "--db", small_db, "--strict"])
    assert strict.exit_code == 1 and "rejected_without_reason" in strict.stdout


def test_every_command_has_help():
    for command in ("run", "init-db", "demo", "import", "kpis", "check"):
        result = runner.invoke(cli, [command, "--help"])
        assert result.exit_code == 0 and "Usage" in result.stdout, command


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.20", "::"])
def test_run_refuses_debug_mode_on_a_network_address(small_db, tmp_path, monkeypatch, host):
    """Dash's debug mode serves the Werkzeug debugger: code sent to it runs. Never beyond loopback,
    even when users exist (that alone lets `run` serve the network)."""
    import dash

    from dashboard.users import add_user

    users = tmp_path / "users.json"
    add_user(users, "ada", "correct horse battery", "admin")
    monkeypatch.setenv("USERS_PATH", str(users))
    monkeypatch.setattr(dash.Dash, "run", lambda *args, **kwargs: pytest.fail("the app was served"))
    result = runner.invoke(cli, ["run", "--host", host, "--debug", "--no-demo", "--db", small_db])
    assert result.exit_code == 2
    assert (f"error: refusing --debug on {host}: Dash's debug mode runs code sent to its error pages; "
            "serve it on 127.0.0.1 only") in result.stderr
