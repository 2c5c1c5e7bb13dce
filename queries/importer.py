"""CSV import (SPEC "Loading data"): one file into one table of the data model, all or nothing.

`import_csv` runs for `app.py import`; `import_folder` loads one export's files in
`LOAD_ORDER`. A file that breaks a rule below raises `ImportFailed` naming the file, the row,
the column and the reason, and nothing of that file is written.

Reading
- UTF-8 with or without a byte order mark, LF or CRLF line endings. Comma-separated, unless the
  header line holds more semicolons (or tabs) than commas: then those separate the cells.
- Rows are numbered as a person counts the file's lines: the header is row 1, the first data
  row is row 2; a row whose quoted cell spans lines is numbered by its first line. Blank rows
  are skipped. Every row has as many cells as the header; a quote left open is refused.
- Header cells are stripped; a name may appear once. Columns with an empty name and columns
  that name no field are ignored.

Columns
- A column named like a field of the table needs no mapping; `mapping` maps FIELD to COLUMN
  and a mapped column serves only the fields mapped to it. The record's external id comes
  from the column mapped to `id` (or `external_id`), else the column `external_id`, else `id`.
- Required columns: the id and every field the table cannot hold empty.

Values (stripped; an empty cell is NULL)
- Timestamps: ISO 8601 `YYYY-MM-DD[(T| )HH:MM[:SS[.fff]]][Z|±HH[:MM]]`. With an offset it is
  that instant; without, a wall-clock time in `tz`; a plain date is that day's local midnight.
  A wall time the clock shows twice (autumn) is its earlier occurrence; one the clock skips
  (spring) is read with the offset in force before the gap, so it lands as far after the gap
  as it was into it (03:30 on 2026-03-29 in Helsinki is 04:30 summer time).
- Dates: `YYYY-MM-DD`.
- Amounts and costs: digits with a dot for decimals, an optional sign and exponent; rounded
  half up to the column's decimals (cents). Negative amounts load (the data-quality report
  lists them).
- Probability: `40%` and `40` are 0.4: a number above 1 is a percentage, a number from 0 to 1
  a fraction (so `1` is 100%; write `1%` for one percent). Rounded half up to 4 decimals;
  anything outside 0..100% is refused.
- Booleans: true/yes/1/won and false/no/0/lost in any case. Empty is NULL, except for
  `owners.active`, which cannot be NULL: empty there means true, its default.
- Teams are lower-cased and must be one of the table's teams (`TEAMS`).
- Text longer than its column is refused; `activities.detail` holds at most 65,535 bytes of
  UTF-8 (what a MariaDB TEXT column holds).

Writing
- Idempotent by external id: a known one updates the columns present in the file, a new one
  inserts; an id twice in one file is refused.
- `updated_at` of leads, deals and activities is the time this database wrote the record
  (what the dashboard's refresh follows), so a file's `updated_at` column is ignored there.
- References (`lead_id`, `contact_id`, `owner_id`, `campaign_id`) are other records' external
  ids. One that names no loaded record stores NULL and leaves an `UnresolvedReference` for
  the data-quality report; importing the record it names later fills the reference in and
  removes the pending row, in that import's transaction.
- The whole file is parsed and checked first, then written in one transaction.
"""
from __future__ import annotations

import csv
import datetime as dt
import functools
import itertools
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import BinaryIO
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Boolean,
    Connection,
    Date,
    Engine,
    Numeric,
    String,
    Text,
    bindparam,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.exc import DataError, IntegrityError

from queries.schema import LOAD_ORDER, MODELS, REFERENCES, WRITE_STAMPED, UnresolvedReference, UTCDateTime

DEFAULT_TIMEZONE = "Europe/Helsinki"
CHUNK_ROWS = 500  # rows per lookup and per write; keeps IN lists under every engine's limits
TEAMS = {"owners": ("marketing", "sdr", "sales", "cs"), "activities": ("sales", "marketing")}
TEXT_MAX_BYTES = 65_535
TRUE_WORDS = frozenset({"true", "yes", "1", "won"})
FALSE_WORDS = frozenset({"false", "no", "0", "lost"})

_TIMESTAMP = re.compile(
    r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?)?",
    re.IGNORECASE,
)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


class ImportFailed(ValueError):
    """A file that cannot be imported: which file, row (header = 1) and column, and why."""

    def __init__(self, file: Path | str, row: int | None, column: str | None, reason: str):
        self.file, self.row, self.column, self.reason = str(file), row, column, reason
        where = self.file
        if row is not None:
            where += f" row {row}"
        if column is not None:
            where += f" column {column}"
        super().__init__(f"{where}: {reason}")


@dataclass(frozen=True)
class ImportResult:
    """What one import did: rows read, records inserted and updated, references left pending."""

    table: str
    inserted: int
    updated: int
    unresolved: int
    rows: int


@dataclass(frozen=True)
class _Field:
    """How the import reads one field of a table."""

    name: str
    kind: str  # text, team, reference, timestamp, date, decimal, probability, boolean
    required: bool = False
    default: object = None
    max_length: int | None = None
    max_bytes: int | None = None
    scale: int = 0
    precision: int = 0


@dataclass(frozen=True)
class _Row:
    """One parsed data row: its row number and its values by field (references as external ids)."""

    number: int
    values: dict[str, object]


# ---------------------------------------------------------------- values


def parse_timestamp(text: str, tz: ZoneInfo) -> dt.datetime:
    """An ISO 8601 timestamp or date as an aware UTC datetime (rules in the module docstring)."""
    if not _TIMESTAMP.fullmatch(text):
        raise ValueError(f"{text!r} is not an ISO 8601 date or timestamp")
    try:
        moment = dt.datetime.fromisoformat(text.upper())
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=tz)  # fold=0: the earlier occurrence, see above
        return moment.astimezone(dt.timezone.utc)
    except (ValueError, OverflowError):
        raise ValueError(f"{text!r} is not an ISO 8601 date or timestamp") from None


def parse_date(text: str) -> dt.date:
    """A `YYYY-MM-DD` date."""
    try:
        if _DATE.fullmatch(text):
            return dt.date.fromisoformat(text)
    except ValueError:
        pass
    raise ValueError(f"{text!r} is not a date (YYYY-MM-DD)")


def parse_decimal(text: str, scale: int = 2, precision: int = 16) -> Decimal:
    """A decimal number with a dot, rounded half up to `scale` decimals, in `precision` digits."""
    if not _NUMBER.fullmatch(text):
        raise ValueError(f"{text!r} is not a number (digits with a dot for decimals)")
    try:
        number = Decimal(text).quantize(Decimal(1).scaleb(-scale), rounding=ROUND_HALF_UP)
    except InvalidOperation:
        raise ValueError(f"{text!r} is too large") from None
    if abs(number) >= Decimal(10) ** (precision - scale):
        digits = precision - scale
        raise ValueError(f"{text!r} is too large: at most {digits} digits before the dot")
    return number


def parse_probability(text: str) -> Decimal:
    """A probability as a fraction 0..1 from `0.4`, `40` or `40%` (above 1 means percent)."""
    number_text = text.removesuffix("%").strip()
    if not _NUMBER.fullmatch(number_text):
        raise ValueError(f"{text!r} is not a probability (0..1, or a percentage like 40%)")
    number = Decimal(number_text)
    if text.endswith("%") or number > 1:
        number /= 100
    if not 0 <= number <= 1:
        raise ValueError(f"{text!r} is not a probability between 0 and 100%")
    return number.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def parse_boolean(text: str) -> bool:
    """True from true/yes/1/won, false from false/no/0/lost, in any case."""
    word = text.lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError(f"{text!r} is not a yes/no value (true/false, yes/no, 1/0, won/lost)")


def _parse_text(field: _Field, text: str, table: str) -> str:
    if "\x00" in text:
        raise ValueError("holds a NUL character, which databases refuse")
    if field.kind == "team":
        text = text.lower()
        if text not in TEAMS[table]:
            raise ValueError(f"{text!r} is not a team of {table} ({', '.join(TEAMS[table])})")
    if field.max_length is not None and len(text) > field.max_length:
        raise ValueError(f"{len(text)} characters; at most {field.max_length} fit")
    if field.max_bytes is not None and len(text.encode("utf-8")) > field.max_bytes:
        raise ValueError(f"longer than {field.max_bytes} bytes of UTF-8")
    return text


def _parse_value(field: _Field, text: str, table: str, tz: ZoneInfo) -> object:
    if not text:
        if field.required:
            name = "an id" if field.name == "external_id" else field.name
            raise ValueError(f"is empty, but every record of {table} needs {name}")
        return field.default
    if field.kind == "timestamp":
        return parse_timestamp(text, tz)
    if field.kind == "date":
        return parse_date(text)
    if field.kind == "decimal":
        return parse_decimal(text, field.scale, field.precision)
    if field.kind == "probability":
        return parse_probability(text)
    if field.kind == "boolean":
        return parse_boolean(text)
    return _parse_text(field, text, table)


@functools.cache
def _fields(table: str) -> dict[str, _Field]:
    """The fields of `table` the import reads, with how to read each, from the schema."""
    references = REFERENCES.get(table, {})
    fields = {}
    for column in MODELS[table].__table__.columns:
        if column.primary_key or (column.name == "updated_at" and table in WRITE_STAMPED):
            continue  # the write time, stamped by the schema on every insert and update
        default = column.default.arg if column.default is not None else None
        common = {"name": column.name, "required": not column.nullable and default is None,
                  "default": default}
        column_type = column.type
        if column.name in references:
            field = _Field(kind="reference", max_length=191, **common)
        elif isinstance(column_type, UTCDateTime):
            field = _Field(kind="timestamp", **common)
        elif isinstance(column_type, Date):
            field = _Field(kind="date", **common)
        elif isinstance(column_type, Numeric):
            kind = "probability" if column.name == "probability" else "decimal"
            field = _Field(kind=kind, scale=column_type.scale, precision=column_type.precision,
                           **common)
        elif isinstance(column_type, Boolean):
            field = _Field(kind="boolean", **common)
        elif isinstance(column_type, Text):
            field = _Field(kind="text", max_bytes=TEXT_MAX_BYTES, **common)
        elif isinstance(column_type, String):
            kind = "team" if column.name == "team" and table in TEAMS else "text"
            field = _Field(kind=kind, max_length=column_type.length, **common)
        else:
            raise TypeError(f"{table}.{column.name}: no import rule for {column_type!r}")
        fields[column.name] = field
    return fields


# ---------------------------------------------------------------- reading


def _lines(path: Path, binary: BinaryIO) -> Iterator[str]:
    """The file's lines decoded one at a time, so that a decoding error names its line."""
    for number, raw in enumerate(binary, start=1):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise ImportFailed(path, number, None, "not UTF-8 text") from None
        yield line.removeprefix("\ufeff") if number == 1 else line


def _delimiter(header_line: str) -> str:
    """A comma, unless the header line holds more semicolons or tabs (spreadsheet exports)."""
    return max((",", ";", "\t"), key=header_line.count)


def _records(path: Path, binary: BinaryIO) -> Iterator[tuple[int, list[str]]]:
    """Each non-blank record of the file, header first, with the line it starts on."""
    lines = _lines(path, binary)
    blank_lines = 0
    for first_line in lines:
        if first_line.strip():
            break
        blank_lines += 1
    else:
        return
    reader = csv.reader(
        itertools.chain([first_line], lines), delimiter=_delimiter(first_line), strict=True
    )
    while True:
        start = blank_lines + reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise ImportFailed(path, start, None, f"not readable as CSV: {error}") from None
        if any(cell.strip() for cell in cells):
            yield start, cells


def _columns(path: Path, header_row: int, header: list[str], table: str,
             mapping: dict[str, str]) -> dict[str, tuple[int, str]]:
    """Which column of the file each field reads: field -> (cell index, column name)."""
    fields = _fields(table)
    position: dict[str, int] = {}
    for index, name in enumerate(header):
        if name in position:
            raise ImportFailed(path, header_row, name, f"the header names column {name!r} twice")
        if name:
            position[name] = index

    wanted: dict[str, str] = {}
    for field, column in mapping.items():
        field = "external_id" if field == "id" else field
        if field not in fields:
            known = ", ".join(["id", *(name for name in fields if name != "external_id")])
            raise ImportFailed(path, None, None,
                               f"no field {field!r} in {table} to map; fields: {known}")
        if wanted.get(field, column) != column:
            raise ImportFailed(path, None, None,
                               "id and external_id are mapped to different columns")
        wanted[field] = column
    mapped_columns = set(wanted.values())
    if "external_id" not in wanted:
        for candidate in ("external_id", "id"):
            if candidate in position and candidate not in mapped_columns:
                wanted["external_id"] = candidate
                break
    for field in fields:
        if field not in wanted and field in position and field not in mapped_columns:
            wanted[field] = field

    for field, column in wanted.items():
        if column not in position:
            raise ImportFailed(path, None, column,
                               f"column {column!r}, mapped to field {field!r}, is not in the file")
    for field in fields.values():
        if field.required and field.name not in wanted:
            name = "id" if field.name == "external_id" else field.name
            raise ImportFailed(path, None, name,
                               f"required column {name!r} is missing (or map one: {name}=COLUMN)")
    return {field: (position[column], column) for field, column in wanted.items()}


def _parsed_chunks(path: Path, table: str, mapping: dict[str, str],
                   tz: ZoneInfo) -> Iterator[list[_Row]]:
    """The file's data rows parsed and checked, in chunks of CHUNK_ROWS, read as they go."""
    fields = _fields(table)
    with path.open("rb") as binary:
        records = _records(path, binary)
        header_row, header = next(records, (None, None))
        if header is None:
            raise ImportFailed(path, None, None, "no header: the file is empty")
        header = [cell.strip() for cell in header]
        columns = _columns(path, header_row, header, table, mapping)
        id_column = columns["external_id"][1]
        row_of_external_id: dict[str, int] = {}
        chunk: list[_Row] = []
        for number, cells in records:
            if len(cells) != len(header):
                raise ImportFailed(path, number, None,
                                   f"{len(cells)} cells, but the header has {len(header)}")
            values = {}
            for field, (index, column) in columns.items():
                try:
                    values[field] = _parse_value(fields[field], cells[index].strip(), table, tz)
                except ValueError as error:
                    raise ImportFailed(path, number, column, str(error)) from None
            external_id = values["external_id"]
            if external_id in row_of_external_id:
                first_row = row_of_external_id[external_id]
                raise ImportFailed(path, number, id_column,
                                   f"id {external_id!r} is also on row {first_row}")
            row_of_external_id[external_id] = number
            chunk.append(_Row(number, values))
            if len(chunk) == CHUNK_ROWS:
                yield chunk
                chunk = []
        if chunk:
            yield chunk
        if not row_of_external_id:
            raise ImportFailed(path, None, None, "no rows: the file has a header only")


# ---------------------------------------------------------------- writing


def _ids_by_external_id(
    connection: Connection, table: str, external_ids: Iterable[str]
) -> dict[str, int]:
    """The integer ids of the records of `table` with these external ids (those that exist)."""
    model_table = MODELS[table].__table__
    wanted = list(external_ids)
    ids = {}
    for start in range(0, len(wanted), CHUNK_ROWS):
        statement = select(model_table.c.external_id, model_table.c.id).where(
            model_table.c.external_id.in_(wanted[start:start + CHUNK_ROWS])
        )
        ids.update(connection.execute(statement).tuples().all())
    return ids


def _write_chunk(connection: Connection, table: str, rows: list[_Row]) -> tuple[int, int, int]:
    """Insert a chunk's new records and update its known ones: (inserted, updated, unresolved)."""
    model_table = MODELS[table].__table__
    unresolved_table = UnresolvedReference.__table__
    present = list(rows[0].values)
    references = {
        field: target for field, target in REFERENCES.get(table, {}).items() if field in present
    }
    existing = _ids_by_external_id(connection, table, (row.values["external_id"] for row in rows))
    target_ids = {
        field: _ids_by_external_id(connection, target, {row.values[field] for row in rows} - {None})
        for field, target in references.items()
    }

    new_records, changed_records, pending = [], [], []
    for row in rows:
        record = dict(row.values)
        external_id = record["external_id"]
        for field, target in references.items():
            if record[field] is not None:
                target_external_id = record[field]
                record[field] = target_ids[field].get(target_external_id)
                if record[field] is None:
                    pending.append((external_id, field, target, target_external_id))
        if external_id in existing:
            changed_records.append({"b_id": existing[external_id], **{
                f"b_{field}": value for field, value in record.items() if field != "external_id"}})
        else:
            new_records.append(record)

    if new_records:
        connection.execute(insert(model_table), new_records)
    changed_fields = [field for field in present if field != "external_id"]
    if changed_records and changed_fields:
        statement = (
            update(model_table)
            .where(model_table.c.id == bindparam("b_id"))
            .values({field: bindparam(f"b_{field}") for field in changed_fields})
        )
        connection.execute(statement, changed_records)

    if references:
        if existing:  # what a re-import says about a reference replaces what was pending
            connection.execute(delete(unresolved_table).where(
                unresolved_table.c.table_name == table,
                unresolved_table.c.field.in_(list(references)),
                unresolved_table.c.record_id.in_(list(existing.values())),
            ))
        if pending:
            record_ids = {**existing, **_ids_by_external_id(
                connection, table, (record["external_id"] for record in new_records))}
            connection.execute(insert(unresolved_table), [
                {"table_name": table, "record_id": record_ids[external_id], "field": field,
                 "target_table": target, "target_external_id": target_external_id}
                for external_id, field, target, target_external_id in pending
            ])
    return len(new_records), len(changed_records), len(pending)


def _resolve_pending(connection: Connection, table: str) -> None:
    """Fill in every pending reference to a record of `table` that now exists, and drop it."""
    target = MODELS[table].__table__
    unresolved_table = UnresolvedReference.__table__
    pending_with_target = unresolved_table.join(
        target, target.c.external_id == unresolved_table.c.target_external_id
    )
    for source_table, references in REFERENCES.items():
        for field, target_table in references.items():
            if target_table != table:
                continue
            source = MODELS[source_table].__table__
            of_this_field = (
                unresolved_table.c.target_table == table,
                unresolved_table.c.table_name == source_table,
                unresolved_table.c.field == field,
            )
            found_id = (
                select(target.c.id).select_from(pending_with_target)
                .where(*of_this_field, unresolved_table.c.record_id == source.c.id)
                .scalar_subquery()
            )
            resolvable = (
                select(unresolved_table.c.record_id).select_from(pending_with_target)
                .where(*of_this_field)
            )
            connection.execute(
                update(source).where(source.c.id.in_(resolvable)).values({field: found_id})
            )
    connection.execute(delete(unresolved_table).where(
        unresolved_table.c.target_table == table,
        unresolved_table.c.target_external_id.in_(select(target.c.external_id)),
    ))


# ---------------------------------------------------------------- the import


def import_csv(
    engine: Engine,
    table: str,
    path: Path | str,
    mapping: dict[str, str] | None = None,
    tz: ZoneInfo | None = None,
    progress: Callable[[int], object] | None = None,
) -> ImportResult:
    """Load one CSV file into `table`, all of it or nothing (the `import` command).

    `mapping` maps FIELD to COLUMN; `tz` (default Europe/Helsinki) reads timestamps without an
    offset; `progress(rows_written)` is called after each chunk written.
    """
    path = Path(path)
    if table not in MODELS:
        tables = ", ".join(LOAD_ORDER)
        raise ImportFailed(path, None, None, f"unknown table {table!r}; one of: {tables}")
    tz = tz or ZoneInfo(DEFAULT_TIMEZONE)
    try:  # check the whole file before opening the transaction; streaming would write as it reads
        chunks = list(_parsed_chunks(path, table, dict(mapping or {}), tz))
    except OSError as error:
        reason = f"cannot read the file: {error.strerror or error}"
        raise ImportFailed(path, None, None, reason) from None

    inserted = updated = unresolved = rows_done = 0
    try:
        with engine.begin() as connection:
            for chunk in chunks:
                new, changed, pending = _write_chunk(connection, table, chunk)
                inserted += new
                updated += changed
                unresolved += pending
                rows_done += len(chunk)
                if progress is not None:
                    progress(rows_done)
            _resolve_pending(connection, table)
    except (IntegrityError, DataError) as error:
        reason = f"the database refused the rows: {error.orig}"
        raise ImportFailed(path, None, None, reason) from error
    return ImportResult(table=table, inserted=inserted, updated=updated, unresolved=unresolved,
                        rows=rows_done)


def import_folder(
    engine: Engine, folder: Path | str, tz: ZoneInfo | None = None
) -> list[ImportResult]:
    """Load a folder's `TABLE.csv` files in LOAD_ORDER, each in its own transaction.

    Stops at the first file that fails, raising its `ImportFailed` (which names the file);
    the files before it in LOAD_ORDER stay loaded.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ImportFailed(folder, None, None, "not a folder")
    files = [(table, folder / f"{table}.csv") for table in LOAD_ORDER]
    files = [(table, path) for table, path in files if path.is_file()]
    if not files:
        names = ", ".join(f"{table}.csv" for table in LOAD_ORDER)
        raise ImportFailed(folder, None, None, f"none of {names} is in the folder")
    return [import_csv(engine, table, path, tz=tz) for table, path in files]
