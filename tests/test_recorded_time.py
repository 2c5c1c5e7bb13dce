"""Recorded time (SPEC "Recorded time" and the as_of paragraph of "Metric definitions"): what
an import writes later never changes the figures of an earlier as_of; `--restated` shows it.

The agreement is the frozen one: Helsinki, working days Mon-Fri 08:00-16:00, a response
window of 4 working hours. The week is Mon 23 Nov 2026; as_of Fri 27 Nov 17:00 local.
"""
from __future__ import annotations

import datetime as dt
import json

import pandas as pd
from sqlalchemy import select, text
from typer.testing import CliRunner

from app import cli
from dashboard.importing.importer import import_csv
from dashboard.metrics.stages import as_known_at
from queries.db import init_db
from queries.loaders import Dataset, Filters, filter_dataset, load_dataset
from queries.schema import Lead, RecordChange
from tests import factories as f
from tests.agreements import AGREEMENT_PATH

runner = CliRunner()
TZ = "Europe/Helsinki"
OWNERS = "id,name,email,team\nO1,Aino Virtanen,aino@example.com,sales\n"
# L1: MQL Mon 10:00, nothing else yet. L2: MQL Tue 09:30, touched and accepted at 10:00.
FIRST_LEADS = (
    "id,created_at,owner_id,segment,mql_at,sal_at,first_touch_at\n"
    "L1,2026-11-23 09:00,O1,SMB,2026-11-23 10:00,,\n"
    "L2,2026-11-24 09:00,O1,SMB,2026-11-24 09:30,2026-11-24 10:00,2026-11-24 10:00\n"
)
# A week later: L3 entered late (created Tue 11:00), and L1's rejection backdated to Mon 11:00.
LATE_LEADS = (
    "id,created_at,owner_id,segment,mql_at,disqualified_at,disqualified_reason\n"
    "L1,2026-11-23 09:00,O1,SMB,2026-11-23 10:00,2026-11-23 11:00,Not a fit\n"
    "L3,2026-11-24 11:00,O1,SMB,2026-11-24 11:00,,\n"
)
WEEK = ["--grain", "week", "--start", "2026-11-23", "--end", "2026-11-23", "--as-of", "2026-11-27T17:00",
        "--format", "json"]


def _write(tmp_path, name, content):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    return path


def _kpis(url, *extra) -> dict:
    result = runner.invoke(cli, ["kpis", "--db", url, "--sla", str(AGREEMENT_PATH), *WEEK, *extra])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert len(rows) == 1
    return rows[0]


def _load_first(url, tmp_path):
    engine = init_db(url)
    import_csv(engine, "owners", _write(tmp_path, "owners.csv", OWNERS))
    import_csv(engine, "leads", _write(tmp_path, "leads.csv", FIRST_LEADS))
    return engine


def test_a_late_import_leaves_an_earlier_as_of_as_it_was_and_restated_shows_the_change(db_url, tmp_path):
    engine = _load_first(db_url, tmp_path)
    before = _kpis(db_url)
    # MQLs L1, L2; L2 responded in 0.5 h (met), L1 waited past 4 h with nothing (missed, open).
    # No lead has a rejection recorded yet: acceptance is not recorded (SPEC), not 1/1.
    assert before["mqls"] == 2
    assert before["open_breaches"] == 1
    assert before["response_sla_attainment"] == 0.5
    assert (before["acceptance_rate"], before["notes"]["acceptance_rate"]) == (None, "not recorded")

    import_csv(engine, "leads", _write(tmp_path, "late.csv", LATE_LEADS))
    after = _kpis(db_url)
    assert after == before  # the rejection recorded later is unknown at as_of, and so is its source recording any

    restated = _kpis(db_url, "--restated")
    # L3 now exists (MQL Tue 11:00, no response past 4 h: an open breach); L1's rejection at
    # 11:00 is its response (1 h, met) and a decision: acceptance 1 of 2 decided.
    assert "acceptance_rate" not in restated["notes"]
    assert restated["mqls"] == 3
    assert restated["acceptance_rate"] == 0.5
    assert restated["open_breaches"] == 1
    assert restated["response_sla_attainment"] == 0.666667  # L1 and L2 met, L3 missed: 2/3 to six places


def test_the_first_import_is_history_and_a_later_one_is_recorded_with_its_changes(db_url, tmp_path):
    engine = _load_first(db_url, tmp_path)
    started = dt.datetime.now(dt.timezone.utc)
    import_csv(engine, "leads", _write(tmp_path, "late.csv", LATE_LEADS))
    with engine.connect() as connection:
        recorded = dict(connection.execute(select(Lead.external_id, Lead.recorded_at)).all())
        changes = connection.execute(select(RecordChange.field, RecordChange.old_value, RecordChange.new_value)
                                     .order_by(RecordChange.field)).all()
    # the history load counts from each lead's own creation; L3 from the import's time
    assert recorded["L1"] == dt.datetime(2026, 11, 23, 7, 0, tzinfo=dt.timezone.utc)
    assert recorded["L2"] == dt.datetime(2026, 11, 24, 7, 0, tzinfo=dt.timezone.utc)
    assert recorded["L3"] >= started - dt.timedelta(seconds=1)
    # L1's two new values are its changes; the rest of its row is as it was (L1 had no
    # sal_at or first touch in either file: the later file does not name them)
    assert [tuple(c) for c in changes] == [
        ("disqualified_at", None, "2026-11-23T09:00:00.000000+00:00"),
        ("disqualified_reason", None, "Not a fit"),
    ]


def test_backfill_counts_a_later_import_as_history(db_url, tmp_path):
    engine = _load_first(db_url, tmp_path)
    result = runner.invoke(cli, ["import", "--db", db_url, "--sla", str(AGREEMENT_PATH), "--backfill", "leads",
                                 str(_write(tmp_path, "late.csv", LATE_LEADS))])
    assert result.exit_code == 0, result.output
    with engine.connect() as connection:
        assert connection.execute(select(RecordChange.id)).first() is None
    late = _kpis(db_url)
    assert (late["mqls"], late["acceptance_rate"]) == (3, 0.5)  # as if it had always been known
    assert "acceptance_rate" not in late["notes"]


def test_a_lead_moved_to_another_segment_later_counts_in_its_old_segment_before(db_url, tmp_path):
    engine = _load_first(db_url, tmp_path)
    moved = "id,created_at,owner_id,segment,mql_at\nL2,2026-11-24 09:00,O1,Enterprise,2026-11-24 09:30\n"
    import_csv(engine, "leads", _write(tmp_path, "moved.csv", moved))
    smb, enterprise = _kpis(db_url, "--segment", "SMB"), _kpis(db_url, "--segment", "Enterprise")
    assert (smb["mqls"], enterprise["mqls"]) == (2, 0)  # at as_of L2 was still SMB
    smb_now = _kpis(db_url, "--segment", "SMB", "--restated")
    assert smb_now["mqls"] == 1


def test_as_known_at_sets_changed_fields_back_and_leaves_out_later_records():
    stamp = f.t
    leads = f.leads(
        {"id": 1, "created_at": "2026-11-02 09:00", "mql_at": "2026-11-02 10:00", "owner_id": 2,
         "recorded_at": "2026-11-02 09:05"},
        {"id": 2, "created_at": "2026-11-03 09:00", "recorded_at": "2026-11-20 12:00"},
    )
    deals = f.deals({"id": 7, "lead_id": 1, "created_at": "2026-11-04 09:00", "amount": 9000.0,
                     "closed_at": "2026-11-05 09:00", "is_won": True, "recorded_at": "2026-11-04 09:00"})
    changes = pd.DataFrame({
        "id": [1, 2, 3, 4],
        "table_name": pd.Series(["leads", "leads", "deals", "deals"], dtype="str"),
        "record_id": [1, 1, 7, 7],
        "field": pd.Series(["owner_id", "owner_id", "amount", "is_won"], dtype="str"),
        "old_value": pd.Series([None, "3", "5000", None], dtype="str"),
        "recorded_at": pd.Series([stamp("2026-11-10 12:00"), stamp("2026-11-12 12:00"),
                                  stamp("2026-11-10 12:00"), stamp("2026-11-10 12:00")], dtype="datetime64[ns, UTC]"),
    })
    dataset = Dataset(leads, deals, f.activities(), f.owners(), f.campaigns(), changes=changes)

    on_the_9th = as_known_at(dataset, stamp("2026-11-09 12:00"))
    # lead 2 was recorded on the 20th; lead 1's owner before the change of the 10th was none;
    # the deal was 5,000 and open (is_won empty) before the 10th
    assert on_the_9th.leads["id"].tolist() == [1]
    assert pd.isna(on_the_9th.leads["owner_id"].iloc[0])
    assert on_the_9th.deals["amount"].tolist() == [5000.0]
    assert pd.isna(on_the_9th.deals["is_won"].iloc[0])

    on_the_11th = as_known_at(dataset, stamp("2026-11-11 12:00"))
    assert on_the_11th.leads["owner_id"].tolist() == [3]  # the value the change of the 12th replaced
    assert on_the_11th.deals["amount"].tolist() == [9000.0]

    restated = as_known_at(dataset, stamp("2026-11-09 12:00"), recorded_by=stamp("2026-11-21 00:00"))
    assert restated.leads["id"].tolist() == [1, 2]
    assert restated.leads["owner_id"].iloc[0] == 2 and pd.isna(restated.leads["owner_id"].iloc[1])


def test_the_filters_select_a_lead_whose_old_value_matches_and_the_migration_keeps_rows_as_history(tmp_path):
    engine = init_db(f"sqlite:///{tmp_path}/m.db")
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM alembic_version"))
        connection.execute(text("INSERT INTO alembic_version VALUES ('0004')"))
        for table in ("leads", "deals", "activities"):
            connection.execute(text(f"DROP INDEX ix_{table}_recorded_at"))
            connection.execute(text(f"ALTER TABLE {table} DROP COLUMN recorded_at"))
        connection.execute(text("DROP TABLE record_changes"))
        connection.execute(text("INSERT INTO leads (id, external_id, created_at) VALUES "
                                "(1, 'L1', '2026-11-02 07:00:00.000000')"))
    engine.dispose()
    engine = init_db(f"sqlite:///{tmp_path}/m.db")
    leads = load_dataset(engine).leads
    assert leads["recorded_at"].tolist() == [pd.Timestamp("2026-11-02 07:00", tz="UTC")]

    changes = pd.DataFrame({"id": [1], "table_name": pd.Series(["leads"], dtype="str"), "record_id": [1],
                            "field": pd.Series(["segment"], dtype="str"),
                            "old_value": pd.Series(["SMB"], dtype="str"),
                            "recorded_at": pd.Series([f.t("2026-11-10 12:00")], dtype="datetime64[ns, UTC]")})
    dataset = Dataset(f.leads({"id": 1, "created_at": "2026-11-02 09:00", "segment": "Enterprise"}),
                      f.deals(), f.activities(), f.owners(), f.campaigns(), changes=changes)
    assert filter_dataset(dataset, Filters(segments=("SMB",))).leads["id"].tolist() == [1]
    assert filter_dataset(dataset, Filters(segments=("Mid-market",))).leads.empty


def _late_lead_dataset() -> Dataset:
    """Week of Mon 16 Nov: L1 an MQL on Tue 17 Nov, recorded at once; L2 an MQL on Wed 18 Nov,
    entered only on Mon 23 Nov; L3 an MQL on Tue 24 Nov (this week)."""
    return Dataset(
        f.leads({"id": 1, "created_at": "2026-11-17 09:00", "mql_at": "2026-11-17 10:00",
                 "recorded_at": "2026-11-17 09:10"},
                {"id": 2, "created_at": "2026-11-18 09:00", "mql_at": "2026-11-18 10:00",
                 "recorded_at": "2026-11-23 14:00"},
                {"id": 3, "created_at": "2026-11-24 09:00", "mql_at": "2026-11-24 10:00",
                 "recorded_at": "2026-11-24 09:10"}),
        f.deals(), f.activities(), f.owners(), f.campaigns())


def test_last_week_on_the_board_is_as_it_stood_at_its_end_with_the_restated_figure_beside_it():
    from dashboard.metrics.scoreboard import scoreboard
    from tests.agreements import frozen_agreement

    board = scoreboard(_late_lead_dataset(), frozen_agreement(), f.t("2026-11-25 12:00"))
    last_week = board[(board["horizon"] == "last_week") & (board["id"] == "mql_volume")].iloc[0]
    # at Mon 23 Nov 00:00 the board knew L1 only; L2 was recorded that afternoon
    assert (last_week["actual"], last_week["restated"]) == (1, 2)
    this_week = board[(board["horizon"] == "this_week") & (board["id"] == "mql_volume")].iloc[0]
    assert this_week["actual"] == 1 and pd.isna(this_week["restated"])  # a running week is not restated


def test_the_wall_and_the_pack_say_restated():
    from dashboard.metrics.scoreboard import scoreboard
    from dashboard.metrics.wall import week_changes
    from dashboard.reports.context import ReportContext
    from dashboard.reports.filters import ViewFilters
    from dashboard.reports.pack import pack_report
    from tests.agreements import frozen_agreement

    agreement = frozen_agreement()
    board = scoreboard(_late_lead_dataset(), agreement, f.t("2026-11-25 12:00"))
    changes = week_changes(board, [c.id for c in agreement.commitments]).set_index("id")
    assert (changes.loc["mql_volume", "last_week"], changes.loc["mql_volume", "last_week_restated"]) == (1, 2)

    # November's pack on Wed 2 Dec: the month ended with L1 and L3 known (2); L2 was recorded
    # on 23 Nov, inside the month, so nothing was late for the month: no restatement. A lead of
    # 30 Nov recorded on 1 Dec is late for it: final 3, restated 4.
    dataset = _late_lead_dataset()
    late = f.leads({"id": 4, "created_at": "2026-11-30 09:00", "mql_at": "2026-11-30 10:00",
                    "recorded_at": "2026-12-01 09:00"})
    dataset = Dataset(pd.concat([dataset.leads, late], ignore_index=True), f.deals(), f.activities(), f.owners(),
                      f.campaigns())
    context = ReportContext(dataset, agreement, f.t("2026-12-02 12:00"), ViewFilters(grain="month"))
    report = pack_report(context, pd.Timestamp("2026-11-01"), pd.DataFrame())
    mqls = report.scorecard.set_index("id").loc["mql_volume"]
    assert (mqls["actual"], mqls["restated"]) == (3, 4)


def test_the_quality_report_lists_late_recordings_and_later_changes():
    from dashboard.metrics.quality import quality_report

    leads = f.leads({"id": 1, "created_at": "2026-11-02 09:00", "recorded_at": "2026-11-02 09:30"},
                    {"id": 2, "created_at": "2026-11-02 09:00", "recorded_at": "2026-11-03 09:01"},  # 24 h 1 min
                    {"id": 3, "created_at": "2026-11-02 09:00", "recorded_at": "2026-11-03 09:00"})  # exactly a day
    deals = f.deals({"id": 5, "lead_id": 1, "created_at": "2026-11-04 09:00", "amount": 10.0})
    changes = pd.DataFrame({"id": [1, 2], "table_name": pd.Series(["leads", "deals"], dtype="str"),
                            "record_id": [3, 5], "field": pd.Series(["sal_at", "amount"], dtype="str"),
                            "old_value": pd.Series([None, "5"], dtype="str"),
                            "recorded_at": pd.Series([f.t("2026-11-09 10:00")] * 2, dtype="datetime64[ns, UTC]")})
    found = {x.rule: x.examples for x in quality_report(leads, deals, f.owners(), pd.DataFrame(), "EUR", {},
                                                        changes=changes)}
    assert found["recorded_late"] == ("L2",)
    assert (found["changed_later_leads"], found["changed_later_deals"]) == (("L3",), ("D5",))
