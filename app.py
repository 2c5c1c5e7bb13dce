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


def _agreement(sla: str | None):
    from dashboard.sla import AgreementError, load_agreement

    try:
        return load_agreement(sla)
    except AgreementError as error:
        _fail(f"the SLA agreement is refused: {error}")


def _engine(db: str | None, create: bool = False):
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
def init_db_command(db: str | None = typer.Option(None, "--db", help=DB_HELP)):
    """Create the schema in an empty database, or migrate it to the newest revision."""
    engine = _engine(db, create=True)
    typer.echo(f"schema is current in {engine.url.render_as_string(hide_password=True)}")


@cli.command()
def demo(
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    seed: int = typer.Option(7, "--seed", help="Random seed: the same seed gives the same data."),
    leads: int = typer.Option(20000, "--leads", help="About how many leads to generate."),
):
    """Fill an empty database with two years of realistic demo data up to today."""
    from dashboard.demo import generate_demo

    engine = _engine(db, create=True)
    try:
        written = generate_demo(engine, seed=seed, n_leads=leads)
    except ValueError as error:
        _fail(str(error))
    typer.echo("demo data written: " + ", ".join(f"{count:,} {table}" for table, count in written.items()))


@cli.command("import")
def import_command(
    targets: list[str] = typer.Argument(..., metavar="[TABLE] FILE",
                                        help="TABLE FILE.csv (owners, campaigns, contacts, leads, deals, activities, "
                                             "campaign_costs); `folder DIR` for a folder of TABLE.csv files; with "
                                             "--preset or --mapping just the FILE (or the folder of a preset that "
                                             "reads several)."),
    mapping: list[str] = typer.Option([], "--map", help="FIELD=COLUMN: read FIELD from COLUMN (repeatable)."),
    preset: str | None = typer.Option(None, "--preset", help="A shipped mapping for a CRM or ad platform "
                                         "export (data/presets/, docs/IMPORT.md), or `auto`: the one whose columns "
                                         "the file has. The generation of the export is told from its header."),
    mapping_file: Path | None = typer.Option(None, "--mapping", help="A mapping file (YAML, docs/IMPORT.md)."),
    allow_partial: bool = typer.Option(False, "--allow-partial", help="Load a preset or mapping import even when it "
                                       "leaves a commitment of the agreement without the data it needs (those "
                                       "figures then show as not recorded)."),
    backfill: bool = typer.Option(False, "--backfill", help="Load history: what this import writes counts as "
                                  "known from its own event times, like a table's first import (SPEC \"Recorded "
                                  "time\"). Without it, new records and changes count as known from now."),
    show_progress: bool | None = typer.Option(None, "--progress/--no-progress",
                                                 help="A progress bar on stderr (default: when stderr is a terminal)."),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    sla: str | None = typer.Option(None, "--sla", help=SLA_HELP),
):
    """Load a CSV export: all rows or none, idempotent by external id."""
    from dashboard.importing.coverage import coverage_lines
    from dashboard.importing.importer import ImportFailed, import_csv, import_folder
    from dashboard.importing.mapping import MappingError, preset_paths
    from dashboard.importing.progress import TerminalProgress
    from dashboard.importing.run import plan_import, result_lines, run_import
    from queries.import_lock import ImportBusy

    agreement = _agreement(sla)
    if targets[:1] == ["folder"] and len(targets) == 2:
        table, file = "folder", Path(targets[1])
    elif len(targets) == 2:
        table, file = targets[0], Path(targets[1])
    elif len(targets) == 1 and (preset or mapping_file):
        table, file = None, Path(targets[0])
    else:
        _fail("give TABLE FILE, `folder DIR`, or --preset/--mapping with FILE")
    plan = None
    if preset or mapping_file:
        if preset and mapping_file:
            _fail("give --preset or --mapping, not both")
        if mapping:
            _fail("--map works without a preset; put the columns in a mapping file instead")
        if table not in (None, "folder"):
            _fail(f"with --preset or --mapping give only the file, not the table {table!r}")
        if preset and preset != "auto":
            try:
                preset_paths(preset)  # an unknown preset is refused before the file is read
            except MappingError as error:
                _fail(f"the mapping is refused: {error}")
        if preset and not file.exists():
            _fail(f"cannot read {file}: No such file or directory")
        try:
            plan = plan_import(file, preset=preset, mapping_file=mapping_file)
        except MappingError as error:
            _fail(f"the mapping is refused: {error}")
        except ImportFailed as error:
            _fail(f"nothing was written: {error}")
        for note in plan.notes:
            typer.echo(note)
    fields = {}
    for item in mapping:
        field, _, column = item.partition("=")
        if not field or not column:
            _fail(f"--map {item!r}: write it as FIELD=COLUMN")
        fields[field.strip()] = column.strip()
    engine = _engine(db, create=True)
    bar = TerminalProgress(sys.stderr) if (sys.stderr.isatty() if show_progress is None else show_progress) else None
    outcome = None
    try:
        if plan is not None:
            outcome = run_import(engine, plan, agreement.commitments, tz=agreement.tz, allow_partial=allow_partial,
                                 report=bar, backfill=backfill)
            results = outcome.results
        elif table == "folder":
            results = import_folder(engine, file, tz=agreement.tz, report=bar, backfill=backfill)
        else:
            results = [import_csv(engine, table, file, mapping=fields, tz=agreement.tz, report=bar, backfill=backfill)]
    except (ImportFailed, ImportBusy) as error:
        _fail(f"nothing was written: {error}")
    except (FileNotFoundError, IsADirectoryError, PermissionError) as error:
        _fail(f"cannot read {file}: {error.strerror}")
    finally:
        if bar is not None:
            bar.finish()
    if outcome is not None:
        for line in [*result_lines(results), *coverage_lines(results, outcome.gaps)]:
            typer.echo(line)
        return
    for result in results:
        typer.echo(f"{result.table}: {result.rows:,} rows, {result.inserted:,} inserted, "
                   f"{result.updated:,} updated, {result.unresolved:,} unknown references kept")
        if result.left_out:
            typer.echo(f"  {result.left_out:,} {'row' if result.left_out == 1 else 'rows'} left out "
                       "(not rows this table reads)")
        if result.skipped_columns:
            typer.echo(f"  not in the file, so left alone: {', '.join(result.skipped_columns)}")


@cli.command()
def kpis(
    grain: Grain = typer.Option(..., "--grain", help="Period: day, ISO week, month or quarter."),
    start: str = typer.Option(..., "--start", help="First date, YYYY-MM-DD (its period is included)."),
    end: str = typer.Option(..., "--end", help="Last date, YYYY-MM-DD (its period is included)."),
    as_of: str | None = typer.Option(None, "--as-of", help="The instant the figures are as of "
                                     "(ISO 8601; local time of the agreement without an offset). Default: now."),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    sla: str | None = typer.Option(None, "--sla", help=SLA_HELP),
    segment: list[str] = typer.Option([], "--segment", help="Only leads of this segment (repeatable)."),
    source: list[str] = typer.Option([], "--source", help="Only leads of this source (repeatable)."),
    campaign: list[str] = typer.Option([], "--campaign", help="Only leads of this campaign: external id or "
                                       "name (repeatable)."),
    owner: list[str] = typer.Option([], "--owner", help="Only the leads this owner owns, with their deals "
                                    "whoever owns those: external id, e-mail or name (repeatable)."),
    team: list[str] = typer.Option([], "--team", help="Only the leads whose owner is in this team, with their "
                                   "deals (repeatable)."),
    deal_owner: list[str] = typer.Option([], "--deal-owner", help="Only the deals this owner owns, for the deal "
                                         "figures: external id, e-mail or name (repeatable)."),
    deal_team: list[str] = typer.Option([], "--deal-team", help="Only the deals whose owner is in this team, "
                                        "for the deal figures (repeatable)."),
    restated: bool = typer.Option(False, "--restated", help="The same periods and --as-of with everything "
                                  "recorded until now: what late data changed (SPEC \"Recorded time\")."),
    output: Format = typer.Option(Format.table, "--format", help="json, csv or table."),
):
    """Print the figures of SPEC's definitions, one row per period, with every commitment."""
    import dataclasses

    from dashboard.metrics.stages import as_recorded_by
    from dashboard.reports.context import ReportContext
    from dashboard.reports.filters import ViewFilters
    from dashboard.reports.kpis import kpis_report
    from queries.loaders import filter_dataset, load_dataset, load_filter_options

    agreement = _agreement(sla)
    try:
        start_date, end_date = dt.date.fromisoformat(start), dt.date.fromisoformat(end)
    except ValueError as error:
        _fail(f"--start/--end: {error} (write dates as YYYY-MM-DD)")
    if end_date < start_date:
        _fail(f"--end {end} is before --start {start}")
    instant = _as_of(as_of, agreement)
    engine = _engine(db)
    filters = ViewFilters(grain.value, start_date, end_date,
                          **_kpis_filters(load_filter_options(engine), segment=segment, source=source,
                                          campaign=campaign, owner=owner, team=team, deal_owner=deal_owner,
                                          deal_team=deal_team))
    # every record, then the filters: a lead's segment or owner may have been another at as_of,
    # and what the source records (SPEC "not recorded") is what it had recorded by then
    everything = load_dataset(engine, instant)
    context = ReportContext(everything, agreement, instant, filters, records_filter=filters.data_filters)
    if restated:
        context = context.restated()
    recorded_by = context.recorded_by if context.recorded_by is not None else instant
    everything = dataclasses.replace(everything, unrecorded=as_recorded_by(everything, recorded_by).not_recorded)
    context = dataclasses.replace(context, dataset=filter_dataset(everything, filters.data_filters))
    typer.echo(render_kpis(kpis_report(context), output.value), nl=False)


def _as_of(text: str | None, agreement):
    """--as-of as a UTC instant (local time of the agreement without an offset); now without it."""
    import pandas as pd

    from dashboard.settings import parse_instant

    try:
        return parse_instant(text, agreement) if text else pd.Timestamp.now(tz="UTC")
    except ValueError as error:
        _fail(f"--as-of: {error}")


def _kpis_filters(options: dict, **given: list[str]) -> dict:
    """The kpis filter flags as ViewFilters fields. A value that matches nothing is an error
    naming the known values (SPEC "The headless interface"), never a silent row of zeros:
    segments, sources and teams are matched exactly; owners by external id, e-mail or name
    and campaigns by external id or name, case aside."""
    from dashboard.vocabulary import TEAMS

    def exact(flag: str, values: list[str], known: list[str]) -> tuple[str, ...]:
        for value in values:
            if value not in known:
                _fail(f"{flag} {value!r} matches nothing; the known values are: {_listed(known)}")
        return tuple(dict.fromkeys(values))

    def by_name(flag: str, values: list[str], records: list[dict], keys: tuple[str, ...]) -> tuple[int, ...]:
        ids = []
        for value in values:
            wanted = value.strip().casefold()
            found = [r["id"] for r in records
                     if any(isinstance(r.get(k), str) and r[k].strip().casefold() == wanted for k in keys)]
            if not found:
                names = [str(r["name"]) for r in records]
                _fail(f"{flag} {value!r}: no {flag[2:].replace('-', ' ')} has that {', '.join(keys)}; "
                      f"the known ones are: {_listed(names)}")
            ids.extend(int(i) for i in found)
        return tuple(dict.fromkeys(ids))

    owner_keys = ("external_id", "email", "name")
    return {
        "segments": exact("--segment", given["segment"], options["segments"]),
        "sources": exact("--source", given["source"], options["sources"]),
        "campaign_ids": by_name("--campaign", given["campaign"], options["campaigns"], ("external_id", "name")),
        "owner_ids": by_name("--owner", given["owner"], options["owners"], owner_keys),
        "teams": exact("--team", given["team"], list(TEAMS)),
        "deal_owner_ids": by_name("--deal-owner", given["deal_owner"], options["owners"], owner_keys),
        "deal_teams": exact("--deal-team", given["deal_team"], list(TEAMS)),
    }


def _listed(values: list[str]) -> str:
    """Known values for an error message: all of them up to 30, else the first 30 and how many more."""
    shown = ", ".join(repr(v) for v in values[:30]) or "(none)"
    return shown + (f" and {len(values) - 30} more" if len(values) > 30 else "")


def render_kpis(records: list[dict], output: str) -> str:
    """The kpis rows as JSON, CSV (commitments flattened to ID.FIELD columns, the notes as one
    `FIELD: reason; ...` column) or a table (the notes under it)."""
    if output == "json":
        return json.dumps(records, indent=2) + "\n"
    flat = []
    for record in records:
        row = {k: v for k, v in record.items() if k != "commitments"}
        row["notes"] = _notes_text(record.get("notes") or {})
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
    main = pd.DataFrame([{k: v for k, v in r.items() if k not in ("commitments", "notes")} for r in records])
    pd.set_option("display.width", 250)
    pd.set_option("display.max_columns", 50)
    rates = [c for c in main.columns if c.startswith("conv_") or c.endswith(("_rate", "_attainment"))]
    shown = main.copy()
    notes = records[0].get("notes") or {}
    for column in rates:
        empty = notes.get(column, "-")
        shown[column] = shown[column].map(lambda v, empty=empty: empty if v is None or pd.isna(v) else f"{v:.1%}")
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
    footer = f"\nnotes: {_notes_text(notes)}\n" if notes else ""
    return shown.to_string(index=False) + "\n\n" + scored.to_string(index=False) + "\n" + footer


def _notes_text(notes: dict[str, str]) -> str:
    """The kpis notes as one line: `acceptance_rate: not recorded; win_rate: not recorded`."""
    return "; ".join(f"{field}: {reason}" for field, reason in notes.items())


@cli.command()
def check(
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    sla: str | None = typer.Option(None, "--sla", help=SLA_HELP),
    output: Format = typer.Option(Format.table, "--format", help="json or table (csv gives one row a rule)."),
    fail_on_findings: bool = typer.Option(False, "--strict", help="Exit 1 when any rule has findings."),
):
    """The data-quality report: every rule with its count and example external ids."""
    from dashboard.metrics.drilldown import quality_findings
    from queries.loaders import load_dataset, load_unresolved_references

    agreement = _agreement(sla)
    engine = _engine(db)
    findings = quality_findings(load_dataset(engine), load_unresolved_references(engine), agreement)
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
    month: str | None = typer.Option(None, "--month", help="The month, YYYY-MM (default: the last complete "
                                     "month at --as-of)."),
    formats: str = typer.Option("pdf,pptx,xlsx", "--format", help="Comma-separated: pdf, pptx, xlsx."),
    out: Path = typer.Option(Path("exports"), "--out", help="The folder to write the pack into."),
    as_of: str | None = typer.Option(None, "--as-of", help="The instant the figures are as of "
                                     "(ISO 8601; local time of the agreement without an offset). Default: now."),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    sla: str | None = typer.Option(None, "--sla", help=SLA_HELP),
    first_working_day: bool = typer.Option(False, "--first-working-day", help="Write nothing unless --as-of "
                                           "falls on its month's first working day in the agreement (for cron)."),
    template: Path | None = typer.Option(None, "--template", help="A corporate .pptx whose layouts the slides use "
                                         "(by name: Title Slide, Title and Content, Title Only)."),
):
    """Write the monthly leadership pack: a PDF report, PPTX slides and an XLSX workbook."""
    from dashboard.export.content import ExportError, last_complete_month, parse_month
    from dashboard.export.pack import build_pack, parse_formats, write_files
    from dashboard.reports.context import ReportContext
    from dashboard.reports.pack import is_first_working_day
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
        context = ReportContext(load_dataset(engine), agreement, instant)
        report, files = build_pack(context, wanted or last_complete_month(instant, agreement.tz),
                                   load_unresolved_references(engine), chosen, template)
        written = write_files(files, report.month, out)
    except ExportError as error:
        _fail(f"nothing was written: {error}")
    if not report.complete:
        typer.echo(f"note: {report.partial_note}")
    if not report.has_data:
        typer.echo(f"note: there is no data for {report.label}; the pack says so.")
    for path in written:
        typer.echo(f"wrote {path} ({path.stat().st_size:,} bytes)")


ALERTS_HELP = "The alerts file (default: ALERTS_PATH, else data/alerts.yaml)."


def _alerts(path: str | None):
    from dashboard.alerts.config import AlertsError, load_alerts

    try:
        return load_alerts(path)
    except AlertsError as error:
        _fail(f"the alerts file is refused: {error}")


def _check_alerts_file(path: str | None) -> None:
    """At start: an alerts file that is there must be good (a missing one means no alerts)."""
    from dashboard.alerts.config import alerts_path

    if path or alerts_path().is_file():
        _alerts(path)


class Only(str, Enum):
    breach_soon = "breach_soon"
    breach = "breach"
    pace = "pace"
    stale_data = "stale_data"
    digest = "digest"
    pack = "pack"


@cli.command()
def notify(
    as_of: str | None = typer.Option(None, "--as-of", help="The instant of the pass (ISO 8601; local time of the "
                                        "agreement without an offset). Default: now."),
    only: list[Only] = typer.Option([], "--only", help="Only these kinds (repeatable): breach_soon, breach, pace, "
                                    "stale_data, digest, pack."),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    sla: str | None = typer.Option(None, "--sla", help=SLA_HELP),
    alerts: str | None = typer.Option(None, "--alerts", help=ALERTS_HELP),
):
    """One pass of the alerts: find the events due now, send each once, record it (for cron)."""
    from dashboard.alerts.runner import KINDS, notify as notify_pass

    agreement = _agreement(sla)
    config = _alerts(alerts)
    instant = _as_of(as_of, agreement)
    engine = _engine(db, create=True)  # the alert tables come with the newest migration
    result = notify_pass(engine, agreement, config, instant, tuple(k.value for k in only) or KINDS)
    for status, destination, subject in result.deliveries:
        typer.echo(f"{status}: {destination}: {subject}")
    for rule in result.held:
        typer.echo(f"held until working hours: {rule}")
    for note in result.notes:
        typer.echo(f"not configured, skipped: {note}")
    counts = {status: result.count(status) for status in ("sent", "failed", "paused")}
    typer.echo(", ".join(f"{count} {status}" for status, count in counts.items()))
    if counts["failed"]:
        raise typer.Exit(1)


@cli.command()
def scheduler(
    every: float = typer.Option(5.0, "--every", help="Minutes between alert passes."),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    sla: str | None = typer.Option(None, "--sla", help=SLA_HELP),
    alerts: str | None = typer.Option(None, "--alerts", help=ALERTS_HELP),
):
    """Run the alerts for good: a pass every few minutes, the digest and the pack at their times."""
    from dashboard.alerts.scheduler import build_scheduler

    agreement = _agreement(sla)
    config = _alerts(alerts)
    engine = _engine(db, create=True)
    schedule = build_scheduler(engine, agreement, config, every_minutes=every)
    typer.echo(f"alerts scheduler running: a pass every {every:g} min; jobs: "
               + ", ".join(job.id for job in schedule.get_jobs()) + " (Ctrl-C stops it)")
    try:
        schedule.start()
    except (KeyboardInterrupt, SystemExit):
        pass


@cli.command()
def run(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to serve on."),
    port: int = typer.Option(8050, "--port", help="Port to serve on."),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    sla: str | None = typer.Option(None, "--sla", help=SLA_HELP),
    seed_demo: bool = typer.Option(True, "--demo/--no-demo",
                                   help="Fill an empty database with demo data on first start."),
    debug: bool = typer.Option(False, "--debug", help="Dash's debug mode (reloads on code changes)."),
):
    """Serve the dashboard; the first start creates the database and seeds the demo data."""
    from dashboard.access import is_loopback
    from dashboard.application import create_app
    from dashboard.demo import database_is_empty, generate_demo
    from dashboard.settings import Settings
    from queries.file_modes import serve_privately

    if debug and not is_loopback(host):  # the Werkzeug debugger on its error pages runs what it is sent
        _fail(f"refusing --debug on {host}: Dash's debug mode runs code sent to its error pages; "
              "serve it on 127.0.0.1 only")
    serve_privately()  # the database, its WAL, the caches and the session store: 0600, folders 0700
    _agreement(sla)
    _check_alerts_file(None)
    engine = _engine(db, create=True)
    if seed_demo and database_is_empty(engine):
        typer.echo("empty database: writing two years of demo data (about a minute) ...")
        generate_demo(engine)
    settings = Settings.from_env(database_url=str(engine.url.render_as_string(hide_password=False)), sla_path=sla)
    from dashboard.access import AccessError, check_exposure

    try:
        check_exposure(host, settings.users_path)
    except AccessError as error:
        _fail(str(error))
    if debug:  # code changes reload the app: figures computed by the old code must not be shared
        settings = dataclasses.replace(settings, figures_seconds=0)
    app = create_app(settings)
    typer.echo(f"serving the dashboard on http://{host}:{port}/")
    app.run(host=host, port=port, debug=debug)


users_cli = typer.Typer(help="Who may sign in: add, remove and list users (data/users.json, or USERS_PATH).",
                        no_args_is_help=True)
cli.add_typer(users_cli, name="user")
USERS_HELP = "The users file (default: USERS_PATH, else data/users.json)."


class Role(str, Enum):
    viewer = "viewer"
    manager = "manager"
    admin = "admin"


@users_cli.command("add")
def user_add(
    name: str = typer.Argument(..., help="The user name to sign in with."),
    role: Role = typer.Option(Role.viewer, "--role", help="viewer: every page but the leads grid and exports; "
                                                          "manager: plus those; admin: plus the admin page."),
    password_stdin: bool = typer.Option(False, "--password-stdin", help="Read the password from standard input "
                                                                        "(for scripts) instead of asking."),
    path: Path | None = typer.Option(None, "--users", help=USERS_HELP),
):
    """Add a user, or set an existing user's password and role. The password is asked for (twice)."""
    from dashboard.json_store import StoreError
    from dashboard.users import UserError, add_user, users_path

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    try:
        user = add_user(users_path(path), name, password, role.value)
    except (UserError, StoreError) as error:
        _fail(str(error))
    typer.echo(f"{user.name} may sign in as {user.role}")


@users_cli.command("remove")
def user_remove(name: str = typer.Argument(...), path: Path | None = typer.Option(None, "--users", help=USERS_HELP)):
    """Remove a user; their open sessions end at their next request."""
    from dashboard.json_store import StoreError
    from dashboard.users import UserError, remove_user, users_path

    try:
        remove_user(users_path(path), name)
    except (UserError, StoreError) as error:
        _fail(str(error))
    typer.echo(f"{name} removed")


@users_cli.command("list")
def user_list(path: Path | None = typer.Option(None, "--users", help=USERS_HELP)):
    """Every user and role (never the password hashes)."""
    from dashboard.json_store import StoreError
    from dashboard.users import list_users, users_path

    try:
        users = list_users(users_path(path))
    except StoreError as error:
        _fail(str(error))
    if not users:
        typer.echo("no users: the dashboard is open, and serves on loopback only")
    for user in users:
        typer.echo(f"{user.name}\t{user.role}")


wall_cli = typer.Typer(help="Read-only links for wall screens (data/wall-tokens.json, or WALL_TOKENS_PATH).",
                       no_args_is_help=True)
cli.add_typer(wall_cli, name="wall-token")
TOKENS_HELP = "The wall links file (default: WALL_TOKENS_PATH, else data/wall-tokens.json)."


@wall_cli.command("create")
def wall_token_create(
    name: str = typer.Argument(..., help="Which screen, e.g. \"Corridor TV\"."),
    base_url: str = typer.Option("http://127.0.0.1:8050", "--url", help="The dashboard's address as screens reach it."),
    path: Path | None = typer.Option(None, "--tokens", help=TOKENS_HELP),
):
    """Make a read-only wall link; it is printed once and only its hash is kept."""
    from dashboard.json_store import StoreError
    from dashboard.wall.tokens import TokenError, create_link, tokens_path

    try:
        link, token = create_link(tokens_path(path), name)
    except (TokenError, StoreError) as error:
        _fail(str(error))
    typer.echo(f"wall link {link.id} for {link.name}:")
    typer.echo(f"{base_url.rstrip('/')}/wall?token={token}")
    typer.echo("Open it once on the screen; it then keeps its own session. Revoke with "
               f"`python app.py wall-token revoke {link.id}`.")


@wall_cli.command("list")
def wall_token_list(path: Path | None = typer.Option(None, "--tokens", help=TOKENS_HELP)):
    """Every wall link: id, screen, created, revoked."""
    from dashboard.json_store import StoreError
    from dashboard.wall.tokens import list_links, tokens_path

    try:
        links = list_links(tokens_path(path))
    except StoreError as error:
        _fail(str(error))
    if not links:
        typer.echo("no wall links")
    for link in links:
        typer.echo(f"{link.id}\t{link.name}\tcreated {link.created}\t" +
                   (f"revoked {link.revoked}" if link.revoked else "live"))


@wall_cli.command("revoke")
def wall_token_revoke(which: str = typer.Argument(..., help="The link's id (or its screen's name)."),
                      path: Path | None = typer.Option(None, "--tokens", help=TOKENS_HELP)):
    """Revoke a wall link: the screens using it lose access at their next refresh."""
    from dashboard.json_store import StoreError
    from dashboard.wall.tokens import TokenError, revoke_link, tokens_path

    try:
        link = revoke_link(tokens_path(path), which)
    except (TokenError, StoreError) as error:
        _fail(str(error))
    typer.echo(f"revoked wall link {link.id} ({link.name})")


if __name__ == "__main__":
    cli()
