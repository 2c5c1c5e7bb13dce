"""The smarketing dashboard: entry point and command line (`python app.py --help`)."""
from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import json
import sys
from enum import Enum
from pathlib import Path
from typing import Optional

import typer

cli = typer.Typer(
    help="The shared sales-and-marketing scoreboard: serve it, load data, print its figures.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

DB_HELP = "Database URL (default: DATABASE_URL, else the embedded SQLite file data/smarketing.db)."
SLA_HELP = "The SLA agreement file (default: SLA_PATH, else data/sla.yaml)."


class Grain(str, Enum):
    day = "day"
    week = "week"
    month = "month"
    quarter = "quarter"


class Format(str, Enum):
    json = "json"
    csv = "csv"
    table = "table"


def _fail(message: str, code: int = 2) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def _agreement(sla: Optional[str]):
    from dashboard.sla import AgreementError, load_agreement

    try:
        return load_agreement(sla)
    except AgreementError as error:
        _fail(f"the SLA agreement is refused: {error}")


def _engine(db: Optional[str], create: bool = False):
    from sqlalchemy.exc import SQLAlchemyError

    from queries.db import get_engine, init_db, schema_is_current

    try:
        if create:
            return init_db(db)
        engine = get_engine(db)
        if not schema_is_current(engine):
            _fail(f"no dashboard schema in {engine.url.render_as_string(hide_password=True)}: "
                  "run `python app.py init-db` (or `demo`, or `import`) first")
        return engine
    except SQLAlchemyError as error:
        _fail(f"cannot reach the database: {error.__class__.__name__}: {str(error).splitlines()[0]}")


@cli.command("init-db")
def init_db_command(db: Optional[str] = typer.Option(None, "--db", help=DB_HELP)):
    """Create the schema in an empty database, or migrate it to the newest revision."""
    engine = _engine(db, create=True)
    typer.echo(f"schema is current in {engine.url.render_as_string(hide_password=True)}")


@cli.command()
def demo(
    db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
    seed: int = typer.Option(7, "--seed", help="Random seed: the same seed gives the same data."),
    leads: int = typer.Option(20000, "--leads", help="About how many leads to generate."),
):
    """Fill an empty database with two years of realistic demo data up to today."""
    from queries.demo import generate_demo

    engine = _engine(db, create=True)
    try:
        written = generate_demo(engine, seed=seed, n_leads=leads)
    except ValueError as error:
        _fail(str(error))
    typer.echo("demo data written: " + ", ".join(f"{count:,} {table}" for table, count in written.items()))


@cli.command("import")
def import_command(
    table: str = typer.Argument(..., help="owners, campaigns, contacts, leads, deals or activities; "
                                          "or `folder` to load a folder of TABLE.csv files in order."),
    file: Path = typer.Argument(..., help="The CSV file (or the folder, with `folder`)."),
    mapping: list[str] = typer.Option([], "--map", help="FIELD=COLUMN: read FIELD from COLUMN (repeatable)."),
    db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
    sla: Optional[str] = typer.Option(None, "--sla", help=SLA_HELP),
):
    """Load a CSV into one table: all rows or none, idempotent by external id."""
    from queries.importer import ImportFailed, import_csv, import_folder

    agreement = _agreement(sla)
    fields = {}
    for item in mapping:
        field, _, column = item.partition("=")
        if not field or not column:
            _fail(f"--map {item!r}: write it as FIELD=COLUMN")
        fields[field.strip()] = column.strip()
    engine = _engine(db, create=True)
    try:
        if table == "folder":
            results = import_folder(engine, file, tz=agreement.tz)
        else:
            results = [import_csv(engine, table, file, mapping=fields, tz=agreement.tz)]
    except ImportFailed as error:
        _fail(f"nothing was written: {error}")
    except (FileNotFoundError, IsADirectoryError, PermissionError) as error:
        _fail(f"cannot read {file}: {error.strerror}")
    for result in results:
        typer.echo(f"{result.table}: {result.rows:,} rows, {result.inserted:,} inserted, "
                   f"{result.updated:,} updated, {result.unresolved:,} unknown references kept")


@cli.command()
def kpis(
    grain: Grain = typer.Option(..., "--grain", help="Period: day, ISO week, month or quarter."),
    start: str = typer.Option(..., "--start", help="First date, YYYY-MM-DD (its period is included)."),
    end: str = typer.Option(..., "--end", help="Last date, YYYY-MM-DD (its period is included)."),
    as_of: Optional[str] = typer.Option(None, "--as-of", help="The instant the figures are as of "
                                        "(ISO 8601; local time of the agreement without an offset). Default: now."),
    db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
    sla: Optional[str] = typer.Option(None, "--sla", help=SLA_HELP),
    segment: list[str] = typer.Option([], "--segment", help="Only leads of this segment (repeatable)."),
    source: list[str] = typer.Option([], "--source", help="Only leads of this source (repeatable)."),
    owner: list[str] = typer.Option([], "--owner", help="Only this owner's leads and deals: external id, "
                                    "e-mail or name (repeatable)."),
    output: Format = typer.Option(Format.table, "--format", help="json, csv or table."),
):
    """Print the figures of SPEC's definitions, one row per period, with every commitment."""
    from dashboard.metrics.kpis import compute_kpis
    from queries.loaders import Filters, load_dataset, load_owners

    agreement = _agreement(sla)
    try:
        start_date, end_date = dt.date.fromisoformat(start), dt.date.fromisoformat(end)
    except ValueError as error:
        _fail(f"--start/--end: {error} (write dates as YYYY-MM-DD)")
    if end_date < start_date:
        _fail(f"--end {end} is before --start {start}")
    instant = _as_of(as_of, agreement)
    engine = _engine(db)
    owner_ids = _resolve_owners(load_owners(engine), owner)
    filters = Filters(segments=tuple(segment), sources=tuple(source), owner_ids=owner_ids)
    records = compute_kpis(load_dataset(engine, instant, filters), agreement, grain.value,
                           start_date, end_date, instant)
    typer.echo(render_kpis(records, output.value), nl=False)


def _as_of(text: Optional[str], agreement):
    """--as-of as a UTC instant (local time of the agreement without an offset); now without it."""
    import pandas as pd

    from dashboard.settings import parse_instant

    try:
        return parse_instant(text, agreement) if text else pd.Timestamp.now(tz="UTC")
    except ValueError as error:
        _fail(f"--as-of: {error}")


def _resolve_owners(owners, names: list[str]) -> tuple[int, ...]:
    ids = []
    for name in names:
        wanted = name.strip().casefold()
        match = owners[(owners["external_id"].astype(str).str.casefold() == wanted)
                       | (owners["email"].fillna("").str.casefold() == wanted)
                       | (owners["name"].fillna("").str.casefold() == wanted)]
        if match.empty:
            _fail(f"--owner {name!r}: no owner has that external id, e-mail or name")
        ids.extend(int(i) for i in match["id"])
    return tuple(ids)


def render_kpis(records: list[dict], output: str) -> str:
    """The kpis rows as JSON, CSV (commitments flattened to ID.FIELD columns) or a table."""
    if output == "json":
        return json.dumps(records, indent=2) + "\n"
    flat = []
    for record in records:
        row = {k: v for k, v in record.items() if k != "commitments"}
        for commitment_id, fields in record["commitments"].items():
            for field, value in fields.items():
                row[f"{commitment_id}.{field}"] = value
        flat.append(row)
    if output == "csv":
        buffer = io.StringIO()
        if flat:
            writer = csv.DictWriter(buffer, fieldnames=list(flat[0]), lineterminator="\n")
            writer.writeheader()
            writer.writerows({k: "" if v is None else v for k, v in row.items()} for row in flat)
        return buffer.getvalue()
    return _table(records)


def _table(records: list[dict]) -> str:
    import pandas as pd

    if not records:
        return "no periods\n"
    main = pd.DataFrame([{k: v for k, v in r.items() if k != "commitments"} for r in records])
    pd.set_option("display.width", 250)
    pd.set_option("display.max_columns", 50)
    rates = [c for c in main.columns if c.startswith("conv_") or c.endswith(("_rate", "_attainment"))]
    shown = main.copy()
    for column in rates:
        shown[column] = shown[column].map(lambda v: "-" if v is None or pd.isna(v) else f"{v:.1%}")
    shown["revenue_won"] = shown["revenue_won"].map(lambda v: f"{v:,.0f}")
    rows = []
    for record in records:
        for commitment_id, fields in record["commitments"].items():
            rows.append({"period_start": record["period_start"], "commitment": commitment_id, **fields})
    def number(value, is_rate: bool) -> str:
        if value is None or (isinstance(value, float) and pd.isna(value)):
            return "-"
        return f"{value:.1%}" if is_rate else f"{value:,.2f}".rstrip("0").rstrip(".")

    for row in rows:
        is_rate = "expected" not in row  # rate commitments carry no pacing fields
        for column in ("actual", "target", "expected", "projected", "required_per_day"):
            row[column] = number(row.get(column), is_rate)
        row["status"] = row["status"] or "-"
    scored = pd.DataFrame(rows)
    return shown.to_string(index=False) + "\n\n" + scored.to_string(index=False) + "\n"


@cli.command()
def check(
    db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
    sla: Optional[str] = typer.Option(None, "--sla", help=SLA_HELP),
    output: Format = typer.Option(Format.table, "--format", help="json or table (csv gives one row a rule)."),
    fail_on_findings: bool = typer.Option(False, "--strict", help="Exit 1 when any rule has findings."),
):
    """The data-quality report: every rule with its count and example external ids."""
    from dashboard.metrics.quality import quality_report
    from queries.loaders import load_dataset, load_unresolved_references

    agreement = _agreement(sla)
    engine = _engine(db)
    data = load_dataset(engine)
    findings = quality_report(data.leads, data.deals, data.owners, load_unresolved_references(engine),
                              agreement.currency, agreement.exchange_rates)
    if output is Format.json:
        typer.echo(json.dumps([f.as_dict() for f in findings], indent=2))
    elif output is Format.csv:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(["rule", "table", "count", "examples", "description"])
        for f in findings:
            writer.writerow([f.rule, f.table, f.count, " ".join(f.examples), f.description])
    else:
        width = max(len(f.rule) for f in findings)
        for f in findings:
            examples = f"  e.g. {', '.join(f.examples[:5])}" if f.count else ""
            typer.echo(f"{f.rule:<{width}}  {f.count:>6,}  {f.description}{examples}")
    if fail_on_findings and any(f.count for f in findings):
        raise typer.Exit(1)


@cli.command()
def export(
    month: Optional[str] = typer.Option(None, "--month", help="The month, YYYY-MM (default: the last complete "
                                        "month at --as-of)."),
    formats: str = typer.Option("pdf,pptx,xlsx", "--format", help="Comma-separated: pdf, pptx, xlsx."),
    out: Path = typer.Option(Path("exports"), "--out", help="The folder to write the pack into."),
    as_of: Optional[str] = typer.Option(None, "--as-of", help="The instant the figures are as of "
                                        "(ISO 8601; local time of the agreement without an offset). Default: now."),
    db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
    sla: Optional[str] = typer.Option(None, "--sla", help=SLA_HELP),
    first_working_day: bool = typer.Option(False, "--first-working-day", help="Write nothing unless --as-of "
                                           "falls on its month's first working day in the agreement (for cron)."),
):
    """Write the monthly leadership pack: a PDF report, PPTX slides and an XLSX workbook."""
    from dashboard.export.content import ExportError, is_first_working_day, last_complete_month, parse_month
    from dashboard.export.pack import build_pack, parse_formats, write_files
    from queries.loaders import load_dataset, load_unresolved_references

    agreement = _agreement(sla)
    try:
        chosen = parse_formats(formats)
        wanted = parse_month(month) if month else None
    except ExportError as error:
        _fail(str(error))
    instant = _as_of(as_of, agreement)
    if first_working_day and not is_first_working_day(instant, agreement):
        typer.echo("not the first working day of the month: nothing to do")
        return
    engine = _engine(db)
    try:
        report, files = build_pack(load_dataset(engine), agreement, wanted or last_complete_month(instant, agreement.tz),
                                   instant, load_unresolved_references(engine), chosen)
        written = write_files(files, report.month, out)
    except ExportError as error:
        _fail(f"nothing was written: {error}")
    if not report.complete:
        typer.echo(f"note: {report.partial_note}")
    if not report.has_data:
        typer.echo(f"note: there is no data for {report.label}; the pack says so.")
    for path in written:
        typer.echo(f"wrote {path} ({path.stat().st_size:,} bytes)")


@cli.command()
def run(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to serve on."),
    port: int = typer.Option(8050, "--port", help="Port to serve on."),
    db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
    sla: Optional[str] = typer.Option(None, "--sla", help=SLA_HELP),
    seed_demo: bool = typer.Option(True, "--demo/--no-demo",
                                   help="Fill an empty database with demo data on first start."),
    debug: bool = typer.Option(False, "--debug", help="Dash's debug mode (reloads on code changes)."),
):
    """Serve the dashboard; the first start creates the database and seeds the demo data."""
    from dashboard.application import create_app
    from dashboard.settings import Settings
    from queries.demo import database_is_empty, generate_demo

    _agreement(sla)
    engine = _engine(db, create=True)
    if seed_demo and database_is_empty(engine):
        typer.echo("empty database: writing two years of demo data (about a minute) ...")
        generate_demo(engine)
    settings = Settings.from_env(database_url=str(engine.url.render_as_string(hide_password=False)), sla_path=sla)
    if debug:  # code changes reload the app: figures computed by the old code must not be shared
        settings = dataclasses.replace(settings, figures_seconds=0)
    app = create_app(settings)
    typer.echo(f"serving the dashboard on http://{host}:{port}/")
    app.run(host=host, port=port, debug=debug)


if __name__ == "__main__":
    cli()
