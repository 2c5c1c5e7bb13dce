"""Mapping files and the shipped presets (SPEC "Loading data"): hand-made exports, expected records."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from dashboard.importing.importer import ImportFailed
from dashboard.importing.mapping import (
    MappingError,
    import_mapping,
    load_mapping,
    parse_mapping,
    preset_names,
    preset_path,
    preset_paths,
    recognise,
)
from queries.db import init_db
from tests.test_import import dump, ids, pending_references, records, write_csv

FIXTURES = Path(__file__).parent / "fixtures" / "presets"
PRESETS = ("hubspot-contacts", "hubspot-deals", "pipedrive-deals", "salesforce-leads",
           "salesforce-opportunities")
UTC = dt.timezone.utc


def utc(*parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=UTC)


@pytest.fixture
def engine(tmp_path):
    """A fresh SQLite database with the schema, disposed after the test."""
    engine = init_db(f"sqlite:///{tmp_path}/x.db")
    yield engine
    engine.dispose()


def load_preset(engine, name: str, target: Path | None = None):
    """Import a fixture through the generation of preset `name` that its header fits (a file
    that fits none, through the current one: to see what the import itself says of it)."""
    target = target or FIXTURES / f"{name}.csv"
    try:
        mapping = recognise(target, name).mapping
    except MappingError:
        mapping = load_mapping(preset_path(name))
    return import_mapping(engine, mapping, target)


def test_every_preset_is_shipped_and_valid():
    assert set(PRESETS) <= set(preset_names())
    for name in preset_names():
        for path in preset_paths(name):
            mapping = load_mapping(path)
            assert mapping.tables and mapping.preset == name and mapping.generation, path


def test_unknown_preset_names_the_known_ones():
    with pytest.raises(MappingError, match="no such preset; one of: .*hubspot-contacts"):
        preset_path("zoho")


# ---------------------------------------------------------------- presets on hand-made exports
# All fixtures are read in Europe/Helsinki: UTC+2 until 2026-03-29 and from 2026-10-25, UTC+3 between.


def test_hubspot_contacts(engine):
    """BOM, CRLF; owners by name, contacts, and leads with "Became a ..." and lifecycle fallbacks."""
    results = load_preset(engine, "hubspot-contacts")
    assert [(r.table, r.inserted) for r in results] == [("owners", 2), ("contacts", 4), ("leads", 4)]
    owners = records(engine, "owners")
    assert {key: o["name"] for key, o in owners.items()} == {
        "Aino Virtanen": "Aino Virtanen", "Mikko Laine": "Mikko Laine"}
    owner_ids = ids(engine, "owners")

    contacts = records(engine, "contacts")
    assert {key: (c["name"], c["email"], c["company"], c["country"], c["owner_id"])
            for key, c in contacts.items()} == {
        "101": ("Anna Aalto", "anna@acme.fi", "Acme Oy", "Finland", owner_ids["Aino Virtanen"]),
        "102": ("Ben Berg", "ben@berg.se", "Berg AB", "Sweden", owner_ids["Mikko Laine"]),
        "103": ("Cleo", "cleo@example.com", None, "India", None),
        "104": ("Dan Dahl", None, "Dahl, Dahl & Co", "Norway", owner_ids["Aino Virtanen"]),
    }
    assert (contacts["101"]["created_at"], contacts["101"]["updated_at"]) == (
        utc(2026, 3, 2, 7, 15), utc(2026, 3, 20, 8, 0))

    leads = records(engine, "leads")
    contact_ids = ids(engine, "contacts")
    assert {key: lead["contact_id"] for key, lead in leads.items()} == contact_ids
    stage_dates = {key: (lead["source"], lead["mql_at"], lead["sql_at"], lead["opportunity_at"],
                         lead["disqualified_at"]) for key, lead in leads.items()}
    assert stage_dates == {
        "101": ("organic_search", utc(2026, 3, 3, 8, 0), utc(2026, 3, 5, 10, 30), utc(2026, 3, 10, 6, 0), None),
        # lifecycle MQL without its "Became" date: the Last Modified Date (11:00 local)
        "102": ("paid_social", utc(2026, 3, 6, 9, 0), None, None, None),
        # a source the preset does not translate is kept; Lead Status Unqualified disqualifies
        "103": ("Some New Source", None, None, None, utc(2026, 3, 7, 14, 45)),
        # lifecycle SQL without its "Became" date: Last Modified 2026-03-09 09:00 local
        "104": ("referral", utc(2026, 3, 6, 9, 0), utc(2026, 3, 9, 7, 0), None, None),
    }
    assert leads["101"]["created_at"] == utc(2026, 3, 2, 7, 15)
    assert leads["103"]["owner_id"] is None
    assert pending_references(engine) == []


def test_hubspot_deals_link_to_the_contacts_leads(engine):
    load_preset(engine, "hubspot-contacts")
    results = load_preset(engine, "hubspot-deals")
    assert [(r.table, r.inserted, r.updated) for r in results] == [("owners", 0, 2), ("deals", 3, 0)]
    deals, lead_ids = records(engine, "deals"), ids(engine, "leads")
    assert {key: (d["lead_id"], d["stage"], d["amount"], d["is_won"], d["closed_at"], d["expected_close_on"],
                  d["probability"], d["lost_reason"]) for key, d in deals.items()} == {
        # "25,000.50" with the thousands comma; 15:00 local in April (UTC+3); "101;105" -> 101
        "9001": (lead_ids["101"], "Closed Won", Decimal("25000.50"), True, utc(2026, 4, 20, 12, 0),
                 dt.date(2026, 4, 20), Decimal("1"), None),
        "9002": (lead_ids["102"], "Closed Lost", Decimal("1200"), False, utc(2026, 3, 24, 22, 0),
                 dt.date(2026, 3, 25), Decimal("0"), "budget"),
        # open: no close instant, Close Date is the expected one
        "9003": (lead_ids["104"], "Contract Sent", Decimal("5000"), None, None, dt.date(2026, 5, 15),
                 Decimal("0.6"), None),
    }
    assert deals["9001"]["created_at"] == utc(2026, 3, 10, 6, 0)


def test_salesforce_leads_with_us_dates(engine):
    results = load_preset(engine, "salesforce-leads")
    assert [(r.table, r.inserted) for r in results] == [("owners", 2), ("contacts", 3), ("leads", 3)]
    leads, owner_ids = records(engine, "leads"), ids(engine, "owners")
    assert {key: (lead["created_at"], lead["source"], lead["segment"], lead["owner_id"], lead["sql_at"],
                  lead["disqualified_at"]) for key, lead in leads.items()} == {
        # 11/20/2026 is local midnight (UTC+2 in November); Converted Date is the SQL date
        "00Q1": (utc(2026, 11, 19, 22, 0), "Web", "Manufacturing", owner_ids["Sara Nieminen"],
                 utc(2026, 11, 24, 22, 0), None),
        "00Q2": (utc(2026, 11, 21, 7, 5), "Trade Show", "Retail", owner_ids["Sara Nieminen"], None, None),
        # Closed - Not Converted: disqualified at Last Modified, 10:00 AM local
        "00Q3": (utc(2026, 11, 1, 22, 0), "Web", None, owner_ids["Mikko Laine"], None, utc(2026, 11, 24, 8, 0)),
    }
    assert records(engine, "contacts")["00Q3"]["name"] == "Cleo Rao"


def test_salesforce_opportunities_semicolons_european_dates_thousands(engine):
    load_preset(engine, "salesforce-leads")
    load_preset(engine, "salesforce-opportunities")
    deals, lead_ids = records(engine, "deals"), ids(engine, "leads")
    assert {key: (d["lead_id"], d["amount"], d["probability"], d["is_won"], d["closed_at"],
                  d["expected_close_on"], d["created_at"], d["pipeline"]) for key, d in deals.items()} == {
        "006A": (lead_ids["00Q1"], Decimal("1234.50"), Decimal("1"), True, utc(2026, 11, 29, 22, 0),
                 dt.date(2026, 11, 30), utc(2026, 11, 24, 22, 0), "New Business"),
        "006B": (lead_ids["00Q2"], Decimal("12000"), Decimal("0.6"), None, None,
                 dt.date(2027, 1, 15), utc(2026, 11, 21, 22, 0), "New Business"),
        # 01.10.2026 is still summer time (UTC+3)
        "006C": (None, Decimal("500"), Decimal("0"), False, utc(2026, 10, 31, 22, 0),
                 dt.date(2026, 11, 1), utc(2026, 9, 30, 21, 0), "Existing Business"),
    }
    assert pending_references(engine) == []


def test_pipedrive_deals_duplicated_unread_header(engine):
    """Two "Deal - Label" columns: not read, so the export loads; persons are named on several deals."""
    results = load_preset(engine, "pipedrive-deals")
    assert [(r.table, r.inserted) for r in results] == [("owners", 2), ("contacts", 2), ("deals", 3)]
    contacts, deals = records(engine, "contacts"), records(engine, "deals")
    assert {key: c["company"] for key, c in contacts.items()} == {"Anna Aalto": "Acme Oy", "Ben Berg": "Berg AB"}
    contact_ids = ids(engine, "contacts")
    assert {key: (d["contact_id"], d["amount"], d["currency"], d["is_won"], d["closed_at"], d["lost_reason"],
                  d["expected_close_on"]) for key, d in deals.items()} == {
        "1": (contact_ids["Anna Aalto"], Decimal("25000"), "EUR", True, utc(2026, 4, 1, 9, 0), None,
              dt.date(2026, 4, 15)),
        "2": (contact_ids["Ben Berg"], Decimal("1500.50"), "SEK", False, utc(2026, 3, 30, 5, 0), "Too expensive",
              None),
        "3": (contact_ids["Anna Aalto"], Decimal("800"), "EUR", None, None, None, dt.date(2026, 5, 1)),
    }


def test_presets_reload_idempotently(engine):
    for name in PRESETS:
        load_preset(engine, name)
    loaded = dump(engine, without_write_times=True)
    for name in PRESETS:
        load_preset(engine, name)
    assert dump(engine, without_write_times=True) == loaded  # the rows were written again: new write times


# ---------------------------------------------------------------- mapping files: malformed exports

BASE = """
name: test
{settings}
tables:
  - table: deals
    fields:
      id: Deal
      created_at: {created}
      amount: Amount
"""


def mapping(settings: str = "", created: str = "Created") -> object:
    return parse_mapping(BASE.format(settings=settings, created=created))


@pytest.mark.parametrize(("settings", "created", "content", "expected"), [
    # Excel-style dates, when the mapping declares the format
    ('date_formats: ["%m/%d/%Y"]', "Created", "Deal,Created,Amount\nD1,11/20/2026,5\n",
     (utc(2026, 11, 19, 22, 0), Decimal("5"))),
    ('date_formats: ["%d.%m.%Y %H:%M"]', "Created", "Deal,Created,Amount\nD1,20.11.2026 10:30,5\n",
     (utc(2026, 11, 20, 8, 30), Decimal("5"))),
    # a per-field format
    ('', '{column: Created, format: "%Y/%m/%d"}', "Deal,Created,Amount\nD1,2026/11/20,5\n",
     (utc(2026, 11, 19, 22, 0), Decimal("5"))),
    # thousands separators and decimal commas
    ('thousands: ","', "Created", 'Deal,Created,Amount\nD1,2026-11-20,"1,234.50"\n',
     (utc(2026, 11, 19, 22, 0), Decimal("1234.50"))),
    ('thousands: "."\ndecimal: ","', "Created", "Deal;Created;Amount\nD1;2026-11-20;1.234,5\n",
     (utc(2026, 11, 19, 22, 0), Decimal("1234.50"))),
    ("thousands: \" \"\ndecimal: \",\"\ndelimiter: \";\"", "Created", "Deal;Created;Amount\nD1;2026-11-20;12 345,00\n",
     (utc(2026, 11, 19, 22, 0), Decimal("12345"))),
    # BOM and Windows line endings
    ("", "Created", "\ufeffDeal,Created,Amount\r\nD1,2026-11-20,5\r\n", (utc(2026, 11, 19, 22, 0), Decimal("5"))),
    # cp1252 text, when the mapping says so
    ("encoding: cp1252", "Created", "Deal,Created,Amount\nD1,2026-11-20,5\n".encode("cp1252"),
     (utc(2026, 11, 19, 22, 0), Decimal("5"))),
], ids=["us-dates", "dotted-dates", "field-format", "thousands", "decimal-comma", "space-thousands", "bom-crlf",
        "cp1252"])
def test_malformed_but_declared_loads(engine, tmp_path, settings, created, content, expected):
    path = write_csv(tmp_path, "deals.csv", content)
    import_mapping(engine, mapping(settings, created), path)
    deal = records(engine, "deals")["D1"]
    assert (deal["created_at"], deal["amount"]) == expected


@pytest.mark.parametrize(("settings", "content", "row", "column", "reason"), [
    ("", "Deal,Created,Amount\nD1,2026-11-20,5\nD2,11/20/2026,5\n", 3, "Created",
     "'11/20/2026' is not an ISO 8601 date or timestamp"),
    ('date_formats: ["%d.%m.%Y"]', "Deal,Created,Amount\nD1,11/20/2026,5\n", 2, "Created",
     "'11/20/2026' is not a date or timestamp (ISO 8601 or %d.%m.%Y)"),
    ('date_formats: ["%d.%m.%Y"]', "Deal,Created,Amount\nD1,31.02.2026,5\n", 2, "Created", "'31.02.2026'"),
    ("", 'Deal,Created,Amount\nD1,2026-11-20,"1,234.50"\n', 2, "Amount", "not a number"),
    ('thousands: ","', 'Deal,Created,Amount\nD1,2026-11-20,"12,50"\n', 2, "Amount",
     "'12,50' has a misplaced thousands separator ','"),
    ('delimiter: ","', "Deal;Created;Amount\nD1;2026-11-20;5\n", None, "Deal", "is the file separated by another"),
    ("", "Deal,Created,Amount,Created\nD1,2026-11-20,5,2026-11-21\n", 1, "Created", "twice"),
    ("", "Deal,Created,Amount\nD1,2026-11-20\n", 2, None, "2 cells, but the header has 3"),
    ("", "Deal,Created,Amount\nD1,2026-11-20,5\nD1,2026-11-21,6\n", 3, "Deal", "also on row 2"),
], ids=["undeclared-us-date", "other-format", "impossible-date", "undeclared-thousands", "misplaced-thousands",
        "wrong-delimiter", "duplicated-read-header", "short-row", "duplicate-id"])
def test_malformed_fails_naming_row_and_column(engine, tmp_path, settings, content, row, column, reason):
    import_mapping(engine, mapping(), write_csv(tmp_path, "first.csv", "Deal,Created,Amount\nD0,2026-01-01,1\n"))
    before = dump(engine)
    with pytest.raises(ImportFailed) as failure:
        import_mapping(engine, mapping(settings), write_csv(tmp_path, "deals.csv", content))
    assert (failure.value.row, failure.value.column) == (row, column)
    assert reason in failure.value.reason
    assert dump(engine) == before


def test_translations_constants_and_conditions(engine, tmp_path):
    rules = parse_mapping("""
name: custom CRM
tables:
  - table: deals
    fields:
      id: Nr
      created_at: Opened
      currency: {value: SEK}
      pipeline: {value: Partner}
      is_won: {column: Phase, values: {Vunnen: true, Förlorad: false}, other: empty}
      stage: {column: Phase, values: {vunnen: won, FÖRLORAD: lost}}
      closed_at: {column: Changed, when: {column: Phase, not_in: [Öppen]}}
      amount: [Belopp, {value: 0}]
""")
    path = write_csv(tmp_path, "affärer.csv", (
        "Nr,Opened,Phase,Changed,Belopp\n"
        "A1,2026-11-02,Vunnen,2026-11-20,100\n"
        "A2,2026-11-03,förlorad,2026-11-21,\n"
        "A3,2026-11-04,Öppen,2026-11-22,7\n"
    ))
    import_mapping(engine, rules, path)
    deals = records(engine, "deals")
    assert {key: (d["currency"], d["pipeline"], d["is_won"], d["stage"], d["closed_at"], d["amount"])
            for key, d in deals.items()} == {
        "A1": ("SEK", "Partner", True, "won", utc(2026, 11, 19, 22, 0), Decimal("100")),
        # translations match whatever the case; an empty amount falls through to the constant 0
        "A2": ("SEK", "Partner", False, "lost", utc(2026, 11, 20, 22, 0), Decimal("0")),
        "A3": ("SEK", "Partner", None, "Öppen", None, Decimal("7")),
    }


def test_refused_value_names_row_and_column(engine, tmp_path):
    rules = parse_mapping("""
name: strict
tables:
  - table: deals
    fields:
      id: Nr
      created_at: Opened
      is_won: {column: Phase, values: {Won: true, Lost: false}, other: refuse}
""")
    path = write_csv(tmp_path, "deals.csv", "Nr,Opened,Phase\nA1,2026-11-02,Won\nA2,2026-11-02,Maybe\n")
    with pytest.raises(ImportFailed) as failure:
        import_mapping(engine, rules, path)
    assert (failure.value.row, failure.value.column) == (3, "Phase")
    assert failure.value.reason == "'Maybe' is not one of the values the mapping knows: 'Won', 'Lost'"
    assert records(engine, "deals") == {}


def test_a_bad_row_in_the_last_table_undoes_the_whole_preset(engine, tmp_path):
    """hubspot-contacts writes owners and contacts before reading leads: a bad lead row undoes all three."""
    content = (FIXTURES / "hubspot-contacts.csv").read_text(encoding="utf-8-sig")
    content = content.replace("2026-03-05 12:30", "yesterday")
    path = write_csv(tmp_path, "contacts.csv", content)
    before = dump(engine)
    with pytest.raises(ImportFailed) as failure:
        load_preset(engine, "hubspot-contacts", path)
    assert (failure.value.row, failure.value.column) == (2, "Became a Sales Qualified Lead Date")
    assert dump(engine) == before


def test_preset_missing_required_column(engine, tmp_path):
    """No owner column: the owners are left alone; no Create Date: refused, naming the column."""
    path = write_csv(tmp_path, "contacts.csv", "Record ID,Email\n1,a@example.com\n")
    with pytest.raises(ImportFailed) as failure:
        load_preset(engine, "hubspot-contacts", path)
    assert (failure.value.column, failure.value.reason) == (
        "Create Date", "column 'Create Date', mapped to field 'created_at', is not in the file")
    assert dump(engine)["contacts"] == []


def test_preset_without_optional_owner_column(engine, tmp_path):
    path = write_csv(tmp_path, "contacts.csv", "Record ID,Email,Create Date\n1,a@example.com,2026-03-02\n")
    results = load_preset(engine, "hubspot-contacts", path)
    assert [(r.table, r.rows, r.inserted) for r in results] == [("owners", 0, 0), ("contacts", 1, 1), ("leads", 1, 1)]
    assert results[0].skipped_columns == ("Contact owner",)


# ---------------------------------------------------------------- mapping file validation


@pytest.mark.parametrize(("text", "line", "reason"), [
    ("name: x\ntables:\n  - table: prospects\n    fields: {id: a}\n", 3, "tables.0.table: Input should be 'owners'"),
    ("name: x\ntables:\n  - table: deals\n    fields:\n      id: a\n      colour: b\n", 6,
     "tables.0.fields.colour: no field 'colour' in deals"),
    ("name: x\ntables:\n  - table: deals\n    fields:\n      id: a\n      amount: {column: x, value: 3}\n", 6,
     "give one of `column`, `join` or `value`"),
    ("name: x\ntables:\n  - table: deals\n    fields:\n      id: a\n      amount:\n        - b\n"
     "        - {column: x, when: {column: y}}\n", 8, "tables.0.fields.amount.1.when: give one of `in` or `not_in`"),
    ("name: x\ntables:\n  - table: deals\n    fields: {created_at: a}\n", 3, "needs an `id` field"),
    ("name: x\ntimezone: Mars/Base\ntables:\n  - table: deals\n    fields: {id: a}\n", 2,
     "timezone: unknown time zone 'Mars/Base'"),
    ("name: x\ntables:\n  - {table: deals, file: a.csv, fields: {id: a}}\n  - {table: owners, fields: {id: a}}\n",
     2, "either every table names its `file`"),
    ("name: x\ntables: []\n", 2, "tables: List should have at least 1 item"),
    ("tables:\n  - {table: deals, fields: {id: a}}\n", 1, "name: a required setting is missing"),
    ("name: [\n", 2, "not valid YAML"),
    ("- a\n", 1, "a mapping file is a mapping"),
])
def test_bad_mapping_file_names_line_and_reason(tmp_path, text, line, reason):
    path = tmp_path / "map.yaml"
    path.write_text(text)
    with pytest.raises(MappingError) as failure:
        load_mapping(path)
    assert failure.value.line == line
    assert reason in failure.value.reason


def test_update_only_table_adds_fields_and_refuses_new_ids(engine, tmp_path):
    rules = parse_mapping("""
name: two files
tables:
  - {table: leads, file: leads.csv, fields: {id: Id, created_at: First}}
  - {table: leads, file: won.csv, update_only: true, fields: {id: Id, segment: Segment}}
""")
    write_csv(tmp_path, "leads.csv", "Id,First\nL1,2026-11-02\nL2,2026-11-03\n")
    write_csv(tmp_path, "won.csv", "Id,Segment\nL2,retail\n")
    results = import_mapping(engine, rules, tmp_path)
    assert [(r.table, r.inserted, r.updated) for r in results] == [("leads", 2, 0), ("leads", 0, 1)]
    assert {key: lead["segment"] for key, lead in records(engine, "leads").items()} == {"L1": None, "L2": "retail"}

    before = dump(engine)
    write_csv(tmp_path, "won.csv", "Id,Segment\nL2,retail\nL9,pets\n")
    with pytest.raises(ImportFailed) as failure:
        import_mapping(engine, rules, tmp_path)
    assert (failure.value.row, failure.value.column) == (3, "Id")
    assert failure.value.reason.startswith("no leads record has id 'L9'")
    assert dump(engine) == before


# ---------------------------------------------------------------- the command


def test_import_command_with_a_preset(tmp_path):
    """The classic HubSpot export has no first touch: loaded with --allow-partial, the command
    says which generation it recognised, how it read the file, what it left alone and what
    each table got (the fixture by hand: emails of 101-103, companies of 101, 102, 104, owners
    of 101, 102, 104; MQL dates of 101, 104 and 102's lifecycle fallback; SQLs 101, 104; the
    opportunity of 101; 103 disqualified), and that response cannot be measured."""
    from typer.testing import CliRunner

    from app import cli

    url = f"sqlite:///{tmp_path}/x.db"
    result = CliRunner().invoke(cli, ["import", "--preset", "hubspot-contacts", str(FIXTURES / "hubspot-contacts.csv"),
                                      "--db", url, "--sla", str(FIXTURES / "sla.yaml"), "--allow-partial"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "recognised HubSpot contacts export (hubspot-contacts, classic): 15 of its 19 columns",
        "owners <- hubspot-contacts.csv: 3 rows, 2 inserted, 0 updated, 0 unknown references kept",
        "  read as UTF-8, comma-separated",
        "contacts <- hubspot-contacts.csv: 4 rows, 4 inserted, 0 updated, 0 unknown references kept",
        "  not in the file, so left alone: Segment",
        "leads <- hubspot-contacts.csv: 4 rows, 4 inserted, 0 updated, 0 unknown references kept",
        "  not in the file, so left alone: Segment, Unqualified Reason, Owner Assigned Date, First Engagement Date",
        "coverage (rows that got a value, of the rows read):",
        "  owners (3 rows): name 3, email 0, team 0",
        "  contacts (4 rows): email 3, company 3, segment 0, owner_id 3",
        "  leads (4 rows): source 4, campaign_id 0, segment 0, owner_id 3, mql_at 3, assigned_at 0, sal_at 0, "
        "sql_at 2, opportunity_at 1, disqualified_at 1, recycled_at 0, first_touch_at 0",
        "  not recorded: leads.first_touch_at (or sales activities), so commitment first_touch cannot be measured",
    ]


def test_import_command_refusals(tmp_path):
    from typer.testing import CliRunner

    from app import cli

    url = f"sqlite:///{tmp_path}/x.db"
    bad_mapping = tmp_path / "bad.yaml"
    bad_mapping.write_text("name: x\ntables:\n  - table: deals\n    fields: {id: a, colour: b}\n")
    runner = CliRunner()
    cases = [
        (["--preset", "zoho", "f.csv"], "no such preset; one of: hubspot-contacts"),
        (["--mapping", str(bad_mapping), "f.csv"], "line 4: tables.0.fields.colour: no field 'colour'"),
        (["--preset", "olist", "--mapping", str(bad_mapping), "f.csv"], "not both"),
        (["deals", "--preset", "hubspot-deals", "f.csv"], "give only the file"),
        (["--preset", "hubspot-deals", str(tmp_path)], "reads one file: give the file"),
        (["f.csv"], "give TABLE FILE"),
    ]
    for args, message in cases:
        result = runner.invoke(cli, ["import", *args, "--db", url])
        assert result.exit_code == 2, args
        assert message in result.stderr, (args, result.stderr)


def test_every_preset_column_is_documented():
    """docs/IMPORT.md lists, per preset and generation, every column it reads (a preset changed
    means the docs change)."""
    docs = (Path(__file__).resolve().parent.parent / "docs" / "IMPORT.md").read_text()
    for name in preset_names():
        for path in preset_paths(name):
            mapping = load_mapping(path)
            section = docs.split(f"#### `{name}`, {mapping.generation}:", 1)[1].split("\n#### ", 1)[0]
            for part in mapping.tables:
                for column in part.columns():
                    assert f"`{column}`" in section, (name, mapping.generation, column)


def test_every_preset_is_documented_with_its_export():
    """Each preset has its vendor's how-to in docs/IMPORT.md: where to click, which file to pass."""
    docs = (Path(__file__).resolve().parent.parent / "docs" / "IMPORT.md").read_text()
    for name in preset_names():
        assert f"--preset {name}" in docs, name

