"""The CSV import (SPEC "Loading data"): values, idempotence, references, all-or-nothing."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from dashboard.importing.importer import (
    CHUNK_ROWS,
    ImportFailed,
    ImportResult,
    import_csv,
    import_folder,
    parse_boolean,
    parse_decimal,
    parse_probability,
    parse_timestamp,
)
from queries.db import init_db
from queries.schema import LOAD_ORDER, MODELS, WRITE_STAMPED, Base, UnresolvedReference

HELSINKI = ZoneInfo("Europe/Helsinki")
UTC = dt.timezone.utc

CANONICAL = {
    "owners": (
        "id,name,email,team,active\n"
        "O1,Aino Virtanen,aino@example.com,sales,true\n"
        "O2,Mikko Laine,,SDR,no\n"
        "O3,Sara Nieminen,sara@example.com,marketing,\n"
    ),
    "campaigns": (
        "id,name,channel,started_on,ended_on,cost,currency\n"
        "C1,Spring webinar,webinar,2026-03-01,2026-03-31,1500.50,EUR\n"
        "C2,Search ads,paid_search,2026-01-01,,-20,EUR\n"
        "C3,Trade fair,,,,12.345,\n"
    ),
    "contacts": (
        "id,email,name,company,country,segment,created_at,owner_id,updated_at\n"
        "P1,anna@acme.fi,Anna Aalto,Acme Oy,FI,enterprise,2026-01-15T09:30:00,O1,\n"
        "P2,,Ben Berg,,SE,smb,2026-07-01 12:00,O2,2026-07-02T08:00:00Z\n"
        "P3,,Cleo Rao,,IN,smb,2026-03-01T10:00:00+05:30,,2026-03-01\n"
    ),
    "leads": (
        "id,contact_id,created_at,source,campaign_id,segment,owner_id,mql_at,assigned_at,sal_at,"
        "sql_at,opportunity_at,disqualified_at,disqualified_reason,recycled_at,recycled_reason,"
        "first_touch_at,updated_at\n"
        "L1,P1,2026-03-02T09:00,webinar,C1,enterprise,O1,2026-03-03T10:00,2026-03-03T10:30,"
        "2026-03-04,,,,,,,2026-03-03T11:00,\n"
        "L2,P2,2026-03-05,ads,C2,smb,O2,,,,,,2026-03-06T12:00Z,not a fit,,,,\n"
    ),
    "deals": (
        "id,lead_id,contact_id,owner_id,name,pipeline,stage,amount,currency,created_at,"
        "expected_close_on,closed_at,is_won,lost_reason,probability,updated_at\n"
        "D1,L1,P1,O1,Acme expansion,new,won,25000.00,EUR,2026-03-10T09:00,2026-04-30,"
        "2026-04-20T15:00,Won,,100%,\n"
        "D2,L2,P2,O2,Ben pilot,new,lost,1200,EUR,2026-03-12,,2026-03-20T10:00+02:00,lost,budget,0.25,\n"
        "D3,L1,,O1,Acme add-on,new,proposal,5000.5,EUR,2026-03-15,2026-05-15,,,,40,\n"
    ),
    "activities": (
        "id,lead_id,contact_id,owner_id,team,type,detail,occurred_at\n"
        'A1,L1,P1,O1,sales,call,"Intro call, went well",2026-03-03T11:00\n'
        "A2,L1,P1,,Marketing,webinar,,2026-03-01T17:00Z\n"
    ),
}


def utc(*parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=UTC)


def write_csv(folder: Path, name: str, content: str | bytes) -> Path:
    """A CSV file in `folder` holding `content` (text is written as UTF-8, as is)."""
    path = folder / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return path


def load(engine, folder: Path, *tables: str) -> list[ImportResult]:
    """Import the canonical file of each table, in the order given."""
    return [import_csv(engine, table, write_csv(folder, f"{table}.csv", CANONICAL[table])) for table in tables]


def records(engine, table: str) -> dict[str, dict]:
    """Every record of `table` by external id, as a dict of its columns."""
    model_table = MODELS[table].__table__
    with engine.connect() as connection:
        rows = connection.execute(select(model_table)).mappings().all()
    return {row["external_id"]: dict(row) for row in rows}


def ids(engine, table: str) -> dict[str, int]:
    return {external_id: record["id"] for external_id, record in records(engine, table).items()}


def pending_references(engine) -> list[tuple]:
    unresolved = UnresolvedReference.__table__
    statement = select(
        unresolved.c.table_name, unresolved.c.record_id, unresolved.c.field,
        unresolved.c.target_table, unresolved.c.target_external_id,
    ).order_by(unresolved.c.table_name, unresolved.c.record_id, unresolved.c.field)
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(statement)]


def dump(engine, without_write_times: bool = False) -> dict[str, list[tuple]]:
    """Every row of every table of the data model, for "nothing changed" comparisons; with
    `without_write_times`, leaving out the `updated_at` that every write stamps."""
    with engine.connect() as connection:
        return {
            table.name: [tuple(row) for row in connection.execute(select(*(
                column for column in table.columns
                if not (without_write_times and column.name == "updated_at" and table.name in WRITE_STAMPED)
            )).order_by(table.c.id))]
            for table in Base.metadata.sorted_tables
        }


def count(engine, table: str) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(MODELS[table].__table__)).scalar_one()


@pytest.fixture
def engine(tmp_path):
    """A fresh SQLite database with the schema, disposed after the test."""
    engine = init_db(f"sqlite:///{tmp_path}/x.db")
    yield engine
    engine.dispose()


# ---------------------------------------------------------------- values, as tables


@pytest.mark.parametrize(("text", "expected"), [
    ("2026-01-15T09:30:00", utc(2026, 1, 15, 7, 30)),       # winter: +02:00
    ("2026-07-01 12:00", utc(2026, 7, 1, 9, 0)),            # summer: +03:00
    ("2026-07-02T08:00:00Z", utc(2026, 7, 2, 8, 0)),
    ("2026-03-01T10:00:00+05:30", utc(2026, 3, 1, 4, 30)),
    ("2026-03-01t10:00z", utc(2026, 3, 1, 10, 0)),
    ("2026-03-01T10:00:00,25+0200", dt.datetime(2026, 3, 1, 8, 0, 0, 250000, tzinfo=UTC)),
    ("2026-03-01", utc(2026, 2, 28, 22, 0)),                 # a date is local midnight
    ("2026-07-01", utc(2026, 6, 30, 21, 0)),
    ("2026-03-29T03:30", utc(2026, 3, 29, 1, 30)),           # in the spring gap: 04:30 EEST
    ("2026-10-25T03:30", utc(2026, 10, 25, 0, 30)),          # shown twice: the earlier, EEST
])
def test_parse_timestamp(text, expected):
    """Offsets give the instant; no offset is Helsinki wall time, DST included."""
    assert parse_timestamp(text, HELSINKI) == expected


@pytest.mark.parametrize("text", [
    "2026-13-01", "2026-02-30", "01.03.2026", "2026-03-01Z", "2026-03-01T25:00", "20260301T1000",
    "yesterday", "2026-03-01T10",
])
def test_parse_timestamp_refuses(text):
    with pytest.raises(ValueError, match="is not an ISO 8601 date or timestamp"):
        parse_timestamp(text, HELSINKI)


@pytest.mark.parametrize(("text", "expected"), [
    ("0.4", Decimal("0.4")), ("40", Decimal("0.4")), ("40%", Decimal("0.4")), ("40 %", Decimal("0.4")),
    ("1", Decimal("1")), ("1%", Decimal("0.01")), ("0", Decimal("0")), ("100", Decimal("1")),
    ("12.345%", Decimal("0.1235")),
])
def test_parse_probability(text, expected):
    """Above 1 or with % is a percentage; 0..1 is a fraction."""
    assert parse_probability(text) == expected


@pytest.mark.parametrize("text", ["-0.1", "101", "150%", "forty", "%", "0,4"])
def test_parse_probability_refuses(text):
    with pytest.raises(ValueError, match="probability"):
        parse_probability(text)


@pytest.mark.parametrize(("text", "expected"), [
    ("true", True), ("YES", True), ("1", True), ("Won", True),
    ("false", False), ("No", False), ("0", False), ("LOST", False),
])
def test_parse_boolean(text, expected):
    assert parse_boolean(text) is expected


@pytest.mark.parametrize(("text", "expected"), [
    ("1500.50", Decimal("1500.50")), ("-20", Decimal("-20.00")), ("12.345", Decimal("12.35")),
    ("1e3", Decimal("1000.00")), (".5", Decimal("0.50")), ("+7", Decimal("7.00")),
])
def test_parse_decimal(text, expected):
    assert parse_decimal(text) == expected


@pytest.mark.parametrize("text", ["12,50", "1 000", "EUR 5", "NaN", "Infinity", "100000000000000"])
def test_parse_decimal_refuses(text):
    with pytest.raises(ValueError):
        parse_decimal(text)


# ---------------------------------------------------------------- canonical files


def test_owners_load(engine, tmp_path):
    [result] = load(engine, tmp_path, "owners")
    assert result == ImportResult(table="owners", inserted=3, updated=0, unresolved=0, rows=3)
    owners = records(engine, "owners")
    assert {key: (o["name"], o["email"], o["team"], o["active"]) for key, o in owners.items()} == {
        "O1": ("Aino Virtanen", "aino@example.com", "sales", True),
        "O2": ("Mikko Laine", None, "sdr", False),
        "O3": ("Sara Nieminen", "sara@example.com", "marketing", True),  # empty active: the default
    }


def test_campaigns_load(engine, tmp_path):
    [result] = load(engine, tmp_path, "campaigns")
    assert (result.inserted, result.rows) == (3, 3)
    campaigns = records(engine, "campaigns")
    assert {key: (c["name"], c["channel"], c["started_on"], c["ended_on"], c["cost"], c["currency"])
            for key, c in campaigns.items()} == {
        "C1": ("Spring webinar", "webinar", dt.date(2026, 3, 1), dt.date(2026, 3, 31), Decimal("1500.50"), "EUR"),
        "C2": ("Search ads", "paid_search", dt.date(2026, 1, 1), None, Decimal("-20"), "EUR"),
        "C3": ("Trade fair", None, None, None, Decimal("12.35"), None),
    }


def test_contacts_load_with_timestamps_and_owner_references(engine, tmp_path):
    """Winter +02:00, summer +03:00, Z, +05:30 and a plain date, and owners by external id."""
    _, result = load(engine, tmp_path, "owners", "contacts")
    assert result == ImportResult(table="contacts", inserted=3, updated=0, unresolved=0, rows=3)
    owner_ids = ids(engine, "owners")
    contacts = records(engine, "contacts")
    assert {key: (c["created_at"], c["updated_at"], c["owner_id"]) for key, c in contacts.items()} == {
        "P1": (utc(2026, 1, 15, 7, 30), None, owner_ids["O1"]),
        "P2": (utc(2026, 7, 1, 9, 0), utc(2026, 7, 2, 8, 0), owner_ids["O2"]),
        "P3": (utc(2026, 3, 1, 4, 30), utc(2026, 2, 28, 22, 0), None),
    }
    assert (contacts["P1"]["email"], contacts["P1"]["name"], contacts["P1"]["company"],
            contacts["P1"]["country"], contacts["P1"]["segment"]) == (
        "anna@acme.fi", "Anna Aalto", "Acme Oy", "FI", "enterprise")
    assert pending_references(engine) == []


def test_leads_load(engine, tmp_path):
    before = dt.datetime.now(dt.timezone.utc)
    *_, result = load(engine, tmp_path, "owners", "campaigns", "contacts", "leads")
    after = dt.datetime.now(dt.timezone.utc)
    assert result == ImportResult(table="leads", inserted=2, updated=0, unresolved=0, rows=2)
    owner_ids, campaign_ids, contact_ids = ids(engine, "owners"), ids(engine, "campaigns"), ids(engine, "contacts")
    leads = records(engine, "leads")
    first, second = leads["L1"], leads["L2"]
    assert (first["contact_id"], first["campaign_id"], first["owner_id"]) == (
        contact_ids["P1"], campaign_ids["C1"], owner_ids["O1"])
    assert first["created_at"] == utc(2026, 3, 2, 7, 0)
    assert first["mql_at"] == utc(2026, 3, 3, 8, 0)
    assert first["assigned_at"] == utc(2026, 3, 3, 8, 30)
    assert first["sal_at"] == utc(2026, 3, 3, 22, 0)
    assert first["first_touch_at"] == utc(2026, 3, 3, 9, 0)
    assert [first[name] for name in ("sql_at", "opportunity_at", "disqualified_at")] == [None] * 3
    # updated_at is the write time (the file's column is ignored): what the refresh follows
    assert before <= first["updated_at"] <= after and before <= second["updated_at"] <= after
    assert (first["source"], first["segment"]) == ("webinar", "enterprise")
    assert (second["created_at"], second["disqualified_at"], second["disqualified_reason"]) == (
        utc(2026, 3, 4, 22, 0), utc(2026, 3, 6, 12, 0), "not a fit")
    assert (second["contact_id"], second["campaign_id"], second["owner_id"]) == (
        contact_ids["P2"], campaign_ids["C2"], owner_ids["O2"])


def test_deals_load(engine, tmp_path):
    *_, result = load(engine, tmp_path, "owners", "campaigns", "contacts", "leads", "deals")
    assert result == ImportResult(table="deals", inserted=3, updated=0, unresolved=0, rows=3)
    lead_ids, contact_ids, owner_ids = ids(engine, "leads"), ids(engine, "contacts"), ids(engine, "owners")
    deals = records(engine, "deals")
    assert {key: (d["lead_id"], d["contact_id"], d["owner_id"]) for key, d in deals.items()} == {
        "D1": (lead_ids["L1"], contact_ids["P1"], owner_ids["O1"]),
        "D2": (lead_ids["L2"], contact_ids["P2"], owner_ids["O2"]),
        "D3": (lead_ids["L1"], None, owner_ids["O1"]),
    }
    assert {key: (d["amount"], d["is_won"], d["probability"], d["lost_reason"]) for key, d in deals.items()} == {
        "D1": (Decimal("25000"), True, Decimal("1"), None),
        "D2": (Decimal("1200"), False, Decimal("0.25"), "budget"),
        "D3": (Decimal("5000.50"), None, Decimal("0.4"), None),
    }
    assert {key: (d["created_at"], d["expected_close_on"], d["closed_at"]) for key, d in deals.items()} == {
        "D1": (utc(2026, 3, 10, 7, 0), dt.date(2026, 4, 30), utc(2026, 4, 20, 12, 0)),
        "D2": (utc(2026, 3, 11, 22, 0), None, utc(2026, 3, 20, 8, 0)),
        "D3": (utc(2026, 3, 14, 22, 0), dt.date(2026, 5, 15), None),
    }
    assert (deals["D1"]["name"], deals["D1"]["pipeline"], deals["D1"]["stage"], deals["D1"]["currency"]) == (
        "Acme expansion", "new", "won", "EUR")


def test_activities_load(engine, tmp_path):
    *_, result = load(engine, tmp_path, *LOAD_ORDER)
    assert result == ImportResult(table="activities", inserted=2, updated=0, unresolved=0, rows=2)
    lead_ids, contact_ids, owner_ids = ids(engine, "leads"), ids(engine, "contacts"), ids(engine, "owners")
    activities = records(engine, "activities")
    assert {key: (a["lead_id"], a["contact_id"], a["owner_id"], a["team"], a["type"], a["detail"], a["occurred_at"])
            for key, a in activities.items()} == {
        "A1": (lead_ids["L1"], contact_ids["P1"], owner_ids["O1"], "sales", "call", "Intro call, went well",
               utc(2026, 3, 3, 9, 0)),
        "A2": (lead_ids["L1"], contact_ids["P1"], None, "marketing", "webinar", None, utc(2026, 3, 1, 17, 0)),
    }


def test_import_folder_loads_in_load_order(engine, tmp_path):
    for table in reversed(LOAD_ORDER):
        write_csv(tmp_path, f"{table}.csv", CANONICAL[table])
    results = import_folder(engine, tmp_path, HELSINKI)
    assert [result.table for result in results] == list(LOAD_ORDER)
    assert [result.inserted for result in results] == [3, 3, 3, 2, 3, 2]
    assert sum(result.unresolved for result in results) == 0
    assert pending_references(engine) == []


def test_import_folder_writes_nothing_when_a_file_fails(engine, tmp_path):
    write_csv(tmp_path, "owners.csv", CANONICAL["owners"])
    write_csv(tmp_path, "contacts.csv", "id,created_at\nP1,soon\n")
    write_csv(tmp_path, "leads.csv", CANONICAL["leads"])
    with pytest.raises(ImportFailed) as failure:
        import_folder(engine, tmp_path, HELSINKI)
    assert Path(failure.value.file).name == "contacts.csv"
    assert (failure.value.row, failure.value.column) == (2, "created_at")
    assert count(engine, "owners") == 0  # the folder is one transaction: owners.csv rolled back too
    assert count(engine, "leads") == 0


def test_import_folder_without_files(engine, tmp_path):
    with pytest.raises(ImportFailed, match="owners.csv"):
        import_folder(engine, tmp_path, HELSINKI)


# ---------------------------------------------------------------- mapping


def test_map_renames_columns(engine, tmp_path):
    """FIELD=COLUMN picks columns by another name; a mapped column serves only its fields."""
    path = write_csv(tmp_path, "export.csv", (
        "Record ID,name,Owner name,Team,Email\n"
        "h-1,ignored,Aino Virtanen,Sales,aino@example.com\n"
    ))
    mapping = {"id": "Record ID", "name": "Owner name", "team": "Team", "email": "Email"}
    result = import_csv(engine, "owners", path, mapping=mapping)
    assert result.inserted == 1
    assert {key: (o["name"], o["team"], o["email"]) for key, o in records(engine, "owners").items()} == {
        "h-1": ("Aino Virtanen", "sales", "aino@example.com"),
    }


def test_map_of_one_column_to_two_fields(engine, tmp_path):
    path = write_csv(tmp_path, "leads.csv", "Lead,Created\nL1,2026-03-02T09:00\n")
    import_csv(engine, "leads", path, mapping={"id": "Lead", "created_at": "Created", "mql_at": "Created"})
    lead = records(engine, "leads")["L1"]
    assert lead["created_at"] == lead["mql_at"] == utc(2026, 3, 2, 7, 0)


def test_external_id_column_is_the_id(engine, tmp_path):
    """A column literally named external_id is the id, before a column named id."""
    path = write_csv(tmp_path, "owners.csv", "id,external_id,name\n7,O1,Aino\n")
    import_csv(engine, "owners", path)
    assert list(records(engine, "owners")) == ["O1"]


# ---------------------------------------------------------------- idempotence


def test_reimport_updates_and_never_duplicates(engine, tmp_path):
    load(engine, tmp_path, "owners")
    before = ids(engine, "owners")
    path = write_csv(tmp_path, "owners-again.csv", (
        "id,name,email,team,active\n"
        "O1,Aino Virtanen-Laine,aino@example.com,sales,true\n"
        "O2,Mikko Laine,,sdr,no\n"
        "O3,Sara Nieminen,sara@example.com,marketing,false\n"
        "O4,Tero Koski,,cs,yes\n"
    ))
    result = import_csv(engine, "owners", path)
    assert result == ImportResult(table="owners", inserted=1, updated=3, unresolved=0, rows=4)
    owners = records(engine, "owners")
    assert count(engine, "owners") == 4
    assert {key: owners[key]["id"] for key in before} == before
    assert owners["O1"]["name"] == "Aino Virtanen-Laine"
    assert owners["O3"]["active"] is False

    again = import_csv(engine, "owners", path)
    assert (again.inserted, again.updated) == (0, 4)
    assert records(engine, "owners") == owners


def test_reimport_updates_only_the_columns_in_the_file(engine, tmp_path):
    load(engine, tmp_path, "owners")
    teams = "id,name,team\nO1,Aino Virtanen,cs\nO2,Mikko Laine,\n"
    result = import_csv(engine, "owners", write_csv(tmp_path, "teams.csv", teams))
    assert (result.inserted, result.updated) == (0, 2)
    owners = records(engine, "owners")
    assert (owners["O1"]["name"], owners["O1"]["email"], owners["O1"]["team"]) == (
        "Aino Virtanen", "aino@example.com", "cs")
    assert (owners["O2"]["name"], owners["O2"]["team"]) == ("Mikko Laine", None)


def test_large_file_loads_across_chunks(engine, tmp_path):
    rows = CHUNK_ROWS * 2 + 7
    lines = ["id,name,team"] + [f"O{number},Owner {number},sales" for number in range(rows)]
    path = write_csv(tmp_path, "owners.csv", "\n".join(lines) + "\n")
    seen = []
    result = import_csv(engine, "owners", path, progress=seen.append)
    assert (result.inserted, result.rows) == (rows, rows)
    assert seen == [CHUNK_ROWS, CHUNK_ROWS * 2, rows]
    again = import_csv(engine, "owners", path)
    assert (again.inserted, again.updated) == (0, rows)
    assert count(engine, "owners") == rows


# ---------------------------------------------------------------- references


def test_unknown_reference_is_kept_then_resolved(engine, tmp_path):
    """A reference to an owner not loaded yet stores NULL, is listed, and resolves when it loads."""
    load(engine, tmp_path, "campaigns")
    contacts = write_csv(tmp_path, "contacts.csv", "id,name,owner_id\nP1,Anna,O9\nP2,Ben,\n")
    leads = write_csv(tmp_path, "leads.csv", (
        "id,contact_id,created_at,campaign_id,owner_id\n"
        "L1,P1,2026-03-02,C1,O9\n"
        "L2,P404,2026-03-03,C1,O1\n"
    ))
    deals = write_csv(tmp_path, "deals.csv", "id,lead_id,owner_id,created_at\nD1,L1,O9,2026-03-10\n")
    assert import_csv(engine, "contacts", contacts).unresolved == 1
    assert import_csv(engine, "leads", leads).unresolved == 3
    assert import_csv(engine, "deals", deals).unresolved == 1

    contact_ids, lead_ids, deal_ids = ids(engine, "contacts"), ids(engine, "leads"), ids(engine, "deals")
    assert records(engine, "leads")["L1"]["owner_id"] is None
    assert records(engine, "leads")["L1"]["contact_id"] == contact_ids["P1"]
    assert records(engine, "deals")["D1"]["lead_id"] == lead_ids["L1"]
    assert pending_references(engine) == sorted([
        ("contacts", contact_ids["P1"], "owner_id", "owners", "O9"),
        ("deals", deal_ids["D1"], "owner_id", "owners", "O9"),
        ("leads", lead_ids["L1"], "owner_id", "owners", "O9"),
        ("leads", lead_ids["L2"], "contact_id", "contacts", "P404"),
        ("leads", lead_ids["L2"], "owner_id", "owners", "O1"),
    ])

    import_csv(engine, "owners", write_csv(tmp_path, "owners.csv", "id,name\nO1,Aino\nO9,Nina\n"))
    owner_ids = ids(engine, "owners")
    assert records(engine, "contacts")["P1"]["owner_id"] == owner_ids["O9"]
    assert records(engine, "contacts")["P2"]["owner_id"] is None
    assert records(engine, "leads")["L1"]["owner_id"] == owner_ids["O9"]
    assert records(engine, "leads")["L2"]["owner_id"] == owner_ids["O1"]
    assert records(engine, "deals")["D1"]["owner_id"] == owner_ids["O9"]
    assert pending_references(engine) == [("leads", lead_ids["L2"], "contact_id", "contacts", "P404")]


def test_reimport_replaces_a_pending_reference(engine, tmp_path):
    """What a later file says about a reference wins over what was pending."""
    load(engine, tmp_path, "owners")
    first = write_csv(tmp_path, "leads.csv", "id,created_at,owner_id\nL1,2026-03-02,O9\nL2,2026-03-02,O8\n")
    import_csv(engine, "leads", first)
    assert len(pending_references(engine)) == 2

    second = write_csv(tmp_path, "leads2.csv", "id,created_at,owner_id\nL1,2026-03-02,O1\nL2,2026-03-02,\n")
    result = import_csv(engine, "leads", second)
    assert (result.updated, result.unresolved) == (2, 0)
    assert pending_references(engine) == []
    leads = records(engine, "leads")
    assert (leads["L1"]["owner_id"], leads["L2"]["owner_id"]) == (ids(engine, "owners")["O1"], None)


def test_reimport_without_the_reference_column_keeps_it_pending(engine, tmp_path):
    import_csv(engine, "leads", write_csv(tmp_path, "leads.csv", "id,created_at,owner_id\nL1,2026-03-02,O9\n"))
    import_csv(engine, "leads", write_csv(tmp_path, "leads2.csv", "id,created_at,source\nL1,2026-03-02,web\n"))
    assert [row[2:] for row in pending_references(engine)] == [("owner_id", "owners", "O9")]


# ---------------------------------------------------------------- bad input changes nothing

# (case id, table, file content, mapping, row, column, part of the reason)
BAD_INPUTS = [
    ("missing-required-column", "owners", "id,email\nO5,x@example.com\n", None, None, "name", "required column 'name'"),
    ("missing-id-column", "owners", "name,team\nTero,sales\n", None, None, "id", "required column 'id'"),
    ("missing-mapped-column", "owners", "id,name\nO5,Tero\n", {"team": "Tiimi"}, None, "Tiimi", "not in the file"),
    ("unknown-mapped-field", "owners", "id,name\nO5,Tero\n", {"colour": "name"}, None, None, "no field 'colour'"),
    ("bad-timestamp", "contacts", "id,name,created_at\nP1,Anna,2026-01-01\nP2,Ben,2026-13-01\n", None, 3,
     "created_at", "'2026-13-01' is not an ISO 8601 date or timestamp"),
    ("bad-date", "campaigns", "id,name,started_on\nC9,Fair,01.03.2026\n", None, 2, "started_on", "not a date"),
    ("bad-number", "campaigns", "id,name,cost\nC9,Fair,100\nC10,Expo,\"12,50\"\n", None, 3, "cost", "not a number"),
    ("bad-probability", "deals", "id,created_at,probability\nD9,2026-03-01,150%\n", None, 2, "probability",
     "probability"),
    ("bad-boolean", "owners", "id,name,active\nO5,Tero,yes\nO6,Ulla,maybe\n", None, 3, "active", "'maybe'"),
    ("bad-team", "owners", "id,name,team\nO5,Tero,support\n", None, 2, "team", "'support' is not a team"),
    ("bad-activity-team", "activities", "id,team,type,occurred_at\nA9,sdr,call,2026-03-01\n", None, 2, "team",
     "'sdr' is not a team"),
    ("empty-required-value", "activities", "id,team,type,occurred_at\nA9,sales,,2026-03-01\n", None, 2, "type",
     "is empty"),
    ("empty-id", "owners", "id,name\n,Tero\n", None, 2, "id", "needs an id"),
    ("duplicate-id", "owners", "id,name\nO5,Tero\nO6,Ulla\nO5,Tero again\n", None, 4, "id", "also on row 2"),
    ("latin-1", "owners", "id,name\nO5,Tero\nO6,Jyrki Mäkelä\n".encode("latin-1"), None, 3, None,
     "not UTF-8 text"),
    ("empty-file", "owners", b"", None, None, None, "no header"),
    ("blank-lines-only", "owners", "\n\r\n  \n", None, None, None, "no header"),
    ("header-only", "owners", "id,name\n", None, None, None, "no rows"),
    ("duplicated-header", "owners", "id,name,team,name \nO5,Tero,sales,Tero\n", None, 1, "name", "twice"),
    ("unknown-table", "prospects", "id,name\nX1,Someone\n", None, None, None,
     "one of: owners, campaigns, contacts, leads, deals, activities"),
    ("too-long-string", "campaigns", "id,name,currency\nC9,Fair,EURO\n", None, 2, "currency", "at most 3"),
    ("too-long-name", "owners", "id,name\nO5," + "x" * 201 + "\n", None, 2, "name", "201 characters"),
    ("too-long-reference", "leads", "id,created_at,owner_id\nL9,2026-03-01," + "o" * 192 + "\n", None, 2,
     "owner_id", "at most 191"),
    ("cell-count", "owners", "id,name\nO5,Tero,extra\n", None, 2, None, "3 cells"),
    ("open-quote", "owners", 'id,name\nO5,Tero\nO6,"Ulla\nO7,Ville\n', None, 3, None, "not readable as CSV"),
    ("nul-character", "owners", "id,name\nO5,Te\x00ro\n", None, 2, "name", "NUL"),
]


@pytest.mark.parametrize(("table", "content", "mapping", "row", "column", "reason"),
                         [case[1:] for case in BAD_INPUTS], ids=[case[0] for case in BAD_INPUTS])
def test_bad_input_fails_and_changes_nothing(engine, tmp_path, table, content, mapping, row, column, reason):
    """Each bad file names its row and column, and the database stays exactly as it was."""
    load(engine, tmp_path, "owners", "campaigns")
    import_csv(engine, "leads", write_csv(tmp_path, "leads.csv", "id,created_at,owner_id\nL1,2026-03-02,O9\n"))
    before = dump(engine)
    path = write_csv(tmp_path, "bad.csv", content)
    with pytest.raises(ImportFailed) as failure:
        import_csv(engine, table, path, mapping=mapping)
    assert (failure.value.row, failure.value.column) == (row, column)
    assert reason in failure.value.reason
    assert failure.value.file == str(path)
    assert dump(engine) == before


def test_failure_message_names_file_row_and_column(tmp_path):
    failure = ImportFailed(tmp_path / "deals.csv", 7, "amount", "'x' is not a number")
    assert str(failure) == f"{tmp_path / 'deals.csv'} row 7 column amount: 'x' is not a number"
    assert str(ImportFailed("deals.csv", None, None, "no rows")) == "deals.csv: no rows"
    assert isinstance(failure, ValueError)


def test_bad_row_late_in_a_large_file_changes_nothing(engine, tmp_path):
    load(engine, tmp_path, "owners")
    before = dump(engine)
    lines = ["id,name,active"] + [f"N{number},Owner {number},yes" for number in range(CHUNK_ROWS * 3)]
    lines[CHUNK_ROWS * 2 + 10] = "N-bad,Owner,perhaps"
    path = write_csv(tmp_path, "owners.csv", "\n".join(lines) + "\n")
    with pytest.raises(ImportFailed) as failure:
        import_csv(engine, "owners", path)
    assert (failure.value.row, failure.value.column) == (CHUNK_ROWS * 2 + 11, "active")
    assert dump(engine) == before


def test_failure_while_writing_rolls_back_what_was_written(engine, tmp_path):
    """All or nothing holds past parsing: the one transaction takes written chunks back."""
    load(engine, tmp_path, "owners")
    before = dump(engine)
    lines = ["id,name"] + [f"N{number},Owner {number}" for number in range(CHUNK_ROWS * 2)]
    path = write_csv(tmp_path, "owners.csv", "\n".join(lines) + "\n")

    def interrupt(rows_done):
        if rows_done > CHUNK_ROWS:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        import_csv(engine, "owners", path, progress=interrupt)
    assert dump(engine) == before


def test_missing_file(engine, tmp_path):
    with pytest.raises(ImportFailed, match="cannot read the file"):
        import_csv(engine, "owners", tmp_path / "nowhere.csv")


# ---------------------------------------------------------------- file formats that load


def test_bom_and_windows_line_endings_load(engine, tmp_path):
    content = 'id,name,team\r\nO1,"Aino\r\nVirtanen",sales\r\nO2,Mikko Laine,sdr\r\n'.encode("utf-8-sig")
    result = import_csv(engine, "owners", write_csv(tmp_path, "owners.csv", content))
    assert result.inserted == 2
    owners = records(engine, "owners")
    assert (owners["O1"]["name"], owners["O2"]["name"], owners["O2"]["team"]) == (
        "Aino\r\nVirtanen", "Mikko Laine", "sdr")


def test_semicolon_separated_file_loads(engine, tmp_path):
    path = write_csv(tmp_path, "owners.csv", "id;name;team\nO1;Virtanen, Aino;sales\n")
    import_csv(engine, "owners", path)
    assert records(engine, "owners")["O1"]["name"] == "Virtanen, Aino"


def test_rows_are_numbered_by_their_first_line(engine, tmp_path):
    """Blank lines are skipped but counted; a row spanning lines is numbered by its first."""
    path = write_csv(tmp_path, "owners.csv", 'id,name,team\nO1,"Two\nlines",sales\n\nO2,Mikko,nope\n')
    with pytest.raises(ImportFailed) as failure:
        import_csv(engine, "owners", path)
    assert (failure.value.row, failure.value.column) == (5, "team")


def test_values_are_stripped_and_extra_columns_ignored(engine, tmp_path):
    path = write_csv(tmp_path, "owners.csv", " id , name ,Notes,\n O1 ,  Aino  ,likes coffee,\n")
    import_csv(engine, "owners", path)
    owner = records(engine, "owners")["O1"]
    assert (owner["name"], owner["email"]) == ("Aino", None)


def test_other_time_zone(engine, tmp_path):
    path = write_csv(tmp_path, "leads.csv", "id,created_at\nL1,2026-03-02T09:00\nL2,2026-07-02\n")
    import_csv(engine, "leads", path, tz=ZoneInfo("America/New_York"))
    leads = records(engine, "leads")
    assert (leads["L1"]["created_at"], leads["L2"]["created_at"]) == (utc(2026, 3, 2, 14, 0), utc(2026, 7, 2, 4, 0))


# ---------------------------------------------------------------- every database


class TestAcrossDatabases:
    """The canonical load and re-import give the same records on SQLite, PostgreSQL and MariaDB."""

    def test_canonical_load_and_reimport(self, db_url, tmp_path):
        engine = init_db(db_url)
        for table in LOAD_ORDER:
            write_csv(tmp_path, f"{table}.csv", CANONICAL[table])
        first = import_folder(engine, tmp_path, HELSINKI)
        assert [(r.table, r.inserted, r.updated, r.unresolved) for r in first] == [
            ("owners", 3, 0, 0), ("campaigns", 3, 0, 0), ("contacts", 3, 0, 0),
            ("leads", 2, 0, 0), ("deals", 3, 0, 0), ("activities", 2, 0, 0),
        ]
        loaded, first_written = dump(engine, without_write_times=True), records(engine, "leads")

        again = import_folder(engine, tmp_path, HELSINKI)
        assert [(r.inserted, r.updated) for r in again] == [(0, 3), (0, 3), (0, 3), (0, 2), (0, 3), (0, 2)]
        assert dump(engine, without_write_times=True) == loaded
        # the re-import wrote every lead again: its write time moved on, the refresh will see it
        assert all(lead["updated_at"] >= first_written[key]["updated_at"]
                   for key, lead in records(engine, "leads").items())

        contacts, deals = records(engine, "contacts"), records(engine, "deals")
        assert [contacts[key]["created_at"] for key in ("P1", "P2", "P3")] == [
            utc(2026, 1, 15, 7, 30), utc(2026, 7, 1, 9, 0), utc(2026, 3, 1, 4, 30)]
        assert contacts["P3"]["updated_at"] == utc(2026, 2, 28, 22, 0)
        assert {key: (d["amount"], d["probability"], d["is_won"]) for key, d in deals.items()} == {
            "D1": (Decimal("25000"), Decimal("1"), True),
            "D2": (Decimal("1200"), Decimal("0.25"), False),
            "D3": (Decimal("5000.50"), Decimal("0.4"), None),
        }
        assert records(engine, "campaigns")["C3"]["cost"] == Decimal("12.35")
        assert records(engine, "owners")["O2"]["active"] is False

    def test_pending_reference_resolves(self, db_url, tmp_path):
        engine = init_db(db_url)
        import_csv(engine, "leads", write_csv(tmp_path, "leads.csv", "id,created_at,owner_id\nL1,2026-03-02,O1\n"))
        assert [row[2:] for row in pending_references(engine)] == [("owner_id", "owners", "O1")]
        before = dump(engine)
        with pytest.raises(ImportFailed):
            import_csv(engine, "owners", write_csv(tmp_path, "bad.csv", "id,name,active\nO1,Aino,maybe\n"))
        assert dump(engine) == before
        load(engine, tmp_path, "owners")
        assert records(engine, "leads")["L1"]["owner_id"] == ids(engine, "owners")["O1"]
        assert pending_references(engine) == []


# ---------------------------------------------------------------- streaming in chunks


def test_id_repeated_across_chunks_names_its_first_row(engine, tmp_path):
    """Chunks are written as they are read; a repeat in a later chunk still names row 2 and undoes all."""
    load(engine, tmp_path, "owners")
    before = dump(engine)
    lines = ["id,name"] + [f"N{number},Owner {number}" for number in range(CHUNK_ROWS + 5)]
    lines.append("N0,Owner zero again")  # row CHUNK_ROWS + 7; N0 is on row 2
    path = write_csv(tmp_path, "owners.csv", "\n".join(lines) + "\n")
    with pytest.raises(ImportFailed) as failure:
        import_csv(engine, "owners", path)
    assert (failure.value.row, failure.value.column) == (CHUNK_ROWS + 7, "id")
    assert failure.value.reason == "id 'N0' is also on row 2"
    assert dump(engine) == before


def test_known_id_repeated_across_chunks_is_refused(engine, tmp_path):
    """O1 exists before the import: its first row updates it, its second (next chunk) is refused."""
    load(engine, tmp_path, "owners")
    before = dump(engine)
    lines = ["id,name", "O1,Aino again"] + [f"N{number},Owner {number}" for number in range(CHUNK_ROWS)]
    lines.append("O1,Aino thrice")  # row CHUNK_ROWS + 3
    path = write_csv(tmp_path, "owners.csv", "\n".join(lines) + "\n")
    with pytest.raises(ImportFailed) as failure:
        import_csv(engine, "owners", path)
    assert (failure.value.row, failure.value.reason) == (CHUNK_ROWS + 3, "id 'O1' is also on row 2")
    assert dump(engine) == before


def test_report_gives_rows_and_bytes(engine, tmp_path):
    lines = ["id,name"] + [f"N{number:05d},Owner" for number in range(CHUNK_ROWS + 1)]
    path = write_csv(tmp_path, "owners.csv", "\n".join(lines) + "\n")
    seen = []
    import_csv(engine, "owners", path, report=seen.append)
    # header "id,name\n" is 8 bytes, each row "N00000,Owner\n" 13 bytes
    size = 8 + 13 * (CHUNK_ROWS + 1)
    assert [(p.rows, p.bytes_read, p.bytes_total) for p in seen] == [
        (CHUNK_ROWS, 8 + 13 * CHUNK_ROWS, size), (CHUNK_ROWS + 1, size, size)]

def test_bulk_insert_and_rollback_across_databases(db_url, tmp_path):
    """New rows take the bulk path (COPY on PostgreSQL): same values; a bad row after a written chunk undoes it."""
    engine = init_db(db_url)
    lines = ["id,created_at,source,mql_at,updated_at"] + [
        f"L{number},2026-03-02T09:{number % 60:02d},web,2026-03-03 10:00+00:00," for number in range(CHUNK_ROWS + 10)]
    path = write_csv(tmp_path, "leads.csv", "\n".join(lines + ["L-bad,2026-03-02,web,never,"]) + "\n")
    with pytest.raises(ImportFailed) as failure:
        import_csv(engine, "leads", path)
    assert (failure.value.row, failure.value.column) == (CHUNK_ROWS + 12, "mql_at")
    assert count(engine, "leads") == 0
    path = write_csv(tmp_path, "leads.csv", "\n".join(lines) + "\n")
    before = dt.datetime.now(dt.timezone.utc)
    assert import_csv(engine, "leads", path).inserted == CHUNK_ROWS + 10
    after = dt.datetime.now(dt.timezone.utc)
    leads = records(engine, "leads")
    # 09:07 in Helsinki on 2 March (UTC+2) is 07:07 UTC
    assert (leads["L7"]["created_at"], leads["L7"]["mql_at"], leads["L7"]["source"]) == (
        utc(2026, 3, 2, 7, 7), utc(2026, 3, 3, 10, 0), "web")
    # updated_at is the time this database wrote the row, on the bulk path (COPY) as on the other
    assert all(before - dt.timedelta(seconds=1) <= lead["updated_at"] <= after + dt.timedelta(seconds=1)
               for lead in leads.values())
