"""CSV import (SPEC "Loading data"): one file into tables of the data model, all or nothing.

`import_csv` runs for `app.py import TABLE FILE`; `import_folder` loads one export's files in
`IMPORT_TABLES`; `import_plans` runs the plans a mapping file (`dashboard/importing/mapping.py`)
makes, all in one transaction. A file that breaks a rule below raises `ImportFailed` naming
the file, the row, the column and the reason, and nothing of that import is written.

Reading
- UTF-8 with or without a byte order mark (or the encoding a mapping file declares), LF or
  CRLF line endings. Comma-separated, unless the header line holds more semicolons (or tabs)
  than commas: then those separate the cells (a mapping file may fix the delimiter).
- Rows are numbered as a person counts the file's lines: the header is row 1, the first data
  row is row 2; a row whose quoted cell spans lines is numbered by its first line. Blank rows
  are skipped. Every row has as many cells as the header; a quote left open is refused.
- Header cells are stripped. Columns with an empty name and columns that name no field are
  ignored; a name the header holds twice is refused only when the import reads that column.
- The file is read, checked and written in chunks of CHUNK_ROWS rows inside one transaction,
  so memory stays bounded however long the file is; a fault on any row rolls back every
  chunk already written.

Columns
- A column named like a field of the table needs no mapping; `mapping` maps FIELD to COLUMN
  and a mapped column serves only the fields mapped to it. The record's external id comes
  from the column mapped to `id` (or `external_id`), else the column `external_id`, else `id`.
  A `TablePlan` (from a mapping file) reads only the fields it lists, each from its sources.
- Required columns: the id and every field the table cannot hold empty.

Values (stripped; an empty cell is NULL)
- Timestamps: ISO 8601 `YYYY-MM-DD[(T| )HH:MM[:SS[.fff]]][Z|±HH[:MM]]`, or one of the
  `strptime` formats a mapping declares (`%m/%d/%Y %H:%M`). With an offset it is that
  instant; without, a wall-clock time in `tz`; a plain date is that day's local midnight.
  A wall time the clock shows twice (autumn) is its earlier occurrence; one the clock skips
  (spring) is read with the offset in force before the gap, so it lands as far after the gap
  as it was into it (03:30 on 2026-03-29 in Helsinki is 04:30 summer time).
- Dates: `YYYY-MM-DD`, or a declared format.
- Amounts and costs: digits with a dot for decimals, an optional sign and exponent; rounded
  half up to the column's decimals (cents). A mapping may declare a thousands separator
  (`1,234.50`, grouped by threes) and a decimal comma. Negative amounts load (the
  data-quality report lists them).
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
  inserts; an id twice in one file is refused (unless the plan is `distinct`: then rows with
  no id are skipped and a repeated id updates its record, the last row winning).
- `updated_at` of leads, deals and activities is the time this database wrote the record
  (what the dashboard's refresh follows), so a file's `updated_at` column is ignored there.
- References (`lead_id`, `contact_id`, `owner_id`, `campaign_id`) are other records' external
  ids. One that names no loaded record stores NULL and leaves an `UnresolvedReference` for
  the data-quality report; importing the record it names later fills the reference in and
  removes the pending row, in that import's transaction.
"""
from __future__ import annotations

import calendar
import codecs
import csv
import datetime as dt
import fnmatch
import functools
import io
import itertools
import os
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field as dataclass_field, replace
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
    func,
    insert,
    select,
    update,
)
from sqlalchemy.exc import DataError, IntegrityError, OperationalError

from dashboard import vocabulary
from dashboard.importing.shape import (
    SAMPLE_BYTES,
    DateOrder,
    NumberFormat,
    ShapeError,
    detect_encoding,
    encoding_name,
    sample_lines,
    sniff_delimiter,
)
from queries.history import changes_of_updates, write_changes
from queries.import_lock import import_lock
from queries.schema import (
    EVENT_TIME,
    IMPORT_TABLES,
    MODELS,
    REFERENCES,
    WRITE_STAMPED,
    UnresolvedReference,
    UTCDateTime,
    utcnow,
)

DEFAULT_TIMEZONE = "Europe/Helsinki"
CHUNK_ROWS = 5_000  # rows read, checked and written at a time: what bounds the memory
LOOKUP_ROWS = 1_000  # external ids per IN list; under every engine's parameter limits
TEAMS = {"owners": vocabulary.TEAMS, "activities": vocabulary.ACTIVITY_TEAMS}
TEXT_MAX_BYTES = 65_535
HEADER_SEARCH = 30  # lines a report may print above its header (title, date range, filters)
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
    file: str = dataclass_field(default="", compare=False)
    skipped_columns: tuple[str, ...] = dataclass_field(default=(), compare=False)  # plan's, not in the file
    # how the file was read, and what it gave (for the coverage report), beside the counts
    header: tuple[str, ...] = dataclass_field(default=(), compare=False)
    filled: Mapping[str, int] = dataclass_field(default_factory=dict, compare=False)  # field -> rows with a value
    encoding: str = dataclass_field(default="", compare=False)
    delimiter: str = dataclass_field(default="", compare=False)
    preamble: tuple[tuple[int, str], ...] = dataclass_field(default=(), compare=False)  # (row, text) above the header
    footer: tuple[tuple[int, str], ...] = dataclass_field(default=(), compare=False)  # (row, text) after the rows
    left_out: int = dataclass_field(default=0, compare=False)  # rows the plan's `when` or `skip_unknown` left out


@dataclass(frozen=True)
class ImportProgress:
    """Where a running import is: rows written and bytes read of all the files it reads."""

    file: str
    table: str
    rows: int
    bytes_read: int
    bytes_total: int


@dataclass(frozen=True)
class Reading:
    """How a file's text is read: encoding, delimiter, date formats, number separators."""

    encoding: str = "utf-8"  # or "auto": detected from the file (mapping files)
    delimiter: str | None = None  # None: guessed from the header line (mapping files: sniffed)
    date_formats: tuple[str, ...] = ()  # strptime formats tried after ISO 8601
    decimal: str = "."  # or "auto": told from the file's amounts
    thousands: str = ""  # separators allowed between groups of three digits, or "auto"
    footers: tuple[str, ...] = ()  # patterns of a report's closing lines (the first cell matches)


@dataclass(frozen=True)
class FieldSource:
    """One place a field's value comes from: a column (optionally translated) or a constant.

    `join` reads several columns joined by a space (empty ones left out); `split` keeps the
    first item of a list cell (`123;456` -> `123`). `values` translates cells (compared stripped and case-insensitively); a cell not in it is
    kept as is (`other="keep"`), emptied (`"empty"`) or refused (`"refuse"`). With
    `when_column`, the source applies only on rows whose cell there is in (or, with
    `when_negate`, not in) `when_values`.
    """

    column: str | None = None
    constant: object = None
    values: Mapping[str, object] | None = None
    other: str = "keep"
    formats: tuple[str, ...] = ()
    when_column: str | None = None
    when_values: frozenset[str] = frozenset()
    when_negate: bool = False
    join: tuple[str, ...] = ()
    split: str | None = None
    prefix: str = ""  # put before a non-empty value (`google-ads ` + a campaign id)
    end_of: str | None = None  # "month": a date moves to the last day of its month


@dataclass(frozen=True)
class TablePlan:
    """What to read from one file into one table: each field's sources, first non-empty wins.

    `auto` also reads columns named like the table's fields; `skip_missing` drops a source
    whose column the file lacks instead of refusing the file; `distinct` lets several rows
    name one record (see the module docstring).
    """

    table: str
    fields: Mapping[str, tuple[FieldSource, ...]] = dataclass_field(default_factory=dict)
    auto: bool = False
    skip_missing: bool = False
    distinct: bool = False
    optional: bool = False  # the file may lack the id column: then this table is left alone
    update_only: bool = False  # adds fields to records loaded before; a new id is refused
    skip_unknown: bool = False  # with update_only: a new id is left out instead
    when: FieldSource | None = None  # only the rows whose cell in when.when_column passes
    header_hint: frozenset[str] = frozenset()  # case-folded columns: find the header below a preamble
    earliest: bool = False  # a history: many rows per record, each timestamp keeps its earliest value


class _NothingToRead(Exception):
    """An optional plan whose id column the file lacks."""


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


@dataclass(frozen=True)
class _Bound:
    """A FieldSource with its columns found in the header."""

    source: FieldSource
    index: int | None
    when_index: int | None
    values: Mapping[str, object] | None  # keys case-folded
    join_indexes: tuple[int, ...] = ()


# ---------------------------------------------------------------- values


def parse_timestamp(text: str, tz: ZoneInfo, formats: Iterable[str] = ()) -> dt.datetime:
    """An ISO 8601 timestamp or date (or one in `formats`) as an aware UTC datetime."""
    moment = None
    if _TIMESTAMP.fullmatch(text):
        try:
            moment = dt.datetime.fromisoformat(text.upper())
        except ValueError:
            pass
    for date_format in () if moment else formats:
        try:
            moment = dt.datetime.strptime(text, date_format)
            break
        except ValueError:
            continue
    if moment is None:
        formats = tuple(formats)
        if not formats:
            raise ValueError(f"{text!r} is not an ISO 8601 date or timestamp")
        wanted = " or ".join(["ISO 8601", *formats])
        raise ValueError(f"{text!r} is not a date or timestamp ({wanted})")
    try:
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=tz)  # fold=0: the earlier occurrence, see above
        return moment.astimezone(dt.timezone.utc)
    except (ValueError, OverflowError):
        raise ValueError(f"{text!r} is not an ISO 8601 date or timestamp") from None


def parse_date(text: str, formats: Iterable[str] = ()) -> dt.date:
    """A `YYYY-MM-DD` date, or one in `formats`."""
    try:
        if _DATE.fullmatch(text):
            return dt.date.fromisoformat(text)
    except ValueError:
        pass
    for date_format in formats:
        try:
            return dt.datetime.strptime(text, date_format).date()
        except ValueError:
            continue
    wanted = " or ".join(["YYYY-MM-DD", *formats])
    raise ValueError(f"{text!r} is not a date ({wanted})")


def plain_number(text: str, decimal: str = ".", thousands: str = "") -> str:
    """A number written with thousands separators (any of `thousands`) or a decimal comma, as
    digits and a dot."""
    used = [separator for separator in thousands if separator in text]
    if used:
        digits = "[" + re.escape(thousands) + "]"
        point = re.escape(decimal)
        if not re.fullmatch(rf"[+-]?\d{{1,3}}(?:{digits}\d{{3}})+(?:{point}\d*)?", text):
            raise ValueError(f"{text!r} has a misplaced thousands separator {used[0]!r}")
        for separator in used:
            text = text.replace(separator, "")
    if decimal != ".":
        if "." in text:
            raise ValueError(f"{text!r} is not a number (the decimal separator is {decimal!r})")
        text = text.replace(decimal, ".")
    return text


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


def _parse_value(field: _Field, text: str, table: str, tz: ZoneInfo,
                 reading: Reading = Reading(), formats: tuple[str, ...] = (),
                 end_of: str | None = None) -> object:
    if not text:
        if field.required:
            name = "an id" if field.name == "external_id" else field.name
            raise ValueError(f"is empty, but every record of {table} needs {name}")
        return field.default
    if field.kind == "timestamp":
        return parse_timestamp(text, tz, formats or reading.date_formats)
    if field.kind == "date":
        day = parse_date(text, formats or reading.date_formats)
        if end_of == "month":
            day = day.replace(day=calendar.monthrange(day.year, day.month)[1])
        return day
    if field.kind == "decimal":
        text = plain_number(text, reading.decimal, reading.thousands)
        return parse_decimal(text, field.scale, field.precision)
    if field.kind == "probability":
        return parse_probability(plain_number(text, reading.decimal, reading.thousands))
    if field.kind == "boolean":
        return parse_boolean(text)
    return _parse_text(field, text, table)


def _as_text(value: object) -> str:
    """A translated or constant value (a YAML scalar) as the cell text it stands for."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value).strip()


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


def table_fields(table: str) -> tuple[str, ...]:
    """The field names a file or mapping may give for `table` (`id` for the external id)."""
    return ("id", *(name for name in _fields(table) if name != "external_id"))


# ---------------------------------------------------------------- reading


class _CountingLines:
    """The file's lines decoded one at a time (a decoding error names its line), bytes counted.

    Encodings that write a line break as the byte 0x0A are decoded line by line, so an
    undecodable byte is named by its line; UTF-16 is decoded as a stream."""

    def __init__(self, path: Path, binary: BinaryIO, encoding: str):
        self.path, self.binary, self.bytes_read = path, binary, 0
        self.encoding = codecs.lookup(encoding).name
        self.decode = codecs.getdecoder(encoding)

    def __iter__(self) -> Iterator[str]:
        if self.encoding.startswith("utf-16"):
            yield from self._wide_lines()
            return
        for number, raw in enumerate(self.binary, start=1):
            self.bytes_read += len(raw)
            try:
                line = self.decode(raw)[0]
            except UnicodeDecodeError:
                raise ImportFailed(self.path, number, None, f"not {encoding_name(self.encoding)} text") from None
            yield line.removeprefix("\ufeff") if number == 1 else line

    def _wide_lines(self) -> Iterator[str]:
        text = io.TextIOWrapper(self.binary, encoding=self.encoding, newline="")
        number = 0
        try:
            for number, line in enumerate(text, start=1):
                self.bytes_read = self.binary.tell()
                yield line.removeprefix("\ufeff") if number == 1 else line
        except UnicodeDecodeError:
            raise ImportFailed(self.path, number + 1, None, f"not {encoding_name(self.encoding)} text") from None
        finally:
            text.detach()


def _delimiter(header_line: str) -> str:
    """A comma, unless the header line holds more semicolons or tabs (spreadsheet exports)."""
    return max((",", ";", "\t"), key=header_line.count)


def _records(path: Path, lines: Iterable[str],
             delimiter: str | None) -> Iterator[tuple[int, list[str], bool]]:
    """Each non-blank record of the file, header first, with the line it starts on and whether
    blank lines (or rows of empty cells) came before it."""
    lines = iter(lines)
    blank_lines = 0
    for first_line in lines:
        if first_line.strip():
            break
        blank_lines += 1
    else:
        return
    reader = csv.reader(itertools.chain([first_line], lines),
                        delimiter=delimiter or _delimiter(first_line), strict=True)
    blank_before = False
    while True:
        start = blank_lines + reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise ImportFailed(path, start, None, f"not readable as CSV: {error}") from None
        if any(cell.strip() for cell in cells):
            yield start, cells, blank_before
            blank_before = False
        else:
            blank_before = True


def _auto_plan(table: str, mapping: Mapping[str, str]) -> TablePlan:
    """The plan of `import TABLE FILE --map FIELD=COLUMN`: mapped columns plus same-named ones."""
    fields = _fields(table)
    wanted: dict[str, str] = {}
    for field, column in mapping.items():
        field = "external_id" if field == "id" else field
        if field not in fields:
            known = ", ".join(table_fields(table))
            raise ValueError(f"no field {field!r} in {table} to map; fields: {known}")
        if wanted.get(field, column) != column:
            raise ValueError("id and external_id are mapped to different columns")
        wanted[field] = column
    return TablePlan(table, {field: (FieldSource(column),) for field, column in wanted.items()},
                     auto=True)


class _Header:
    """Where each column of a header is: by its exact name, else its name in any case, or a
    `*` pattern that one column fits (`Amount spent (*)`)."""

    def __init__(self, path: Path, row: int, names: list[str]):
        self.path, self.row, self.names = path, row, names
        self.position: dict[str, int] = {}
        self.folded: dict[str, int] = {}
        self.twice: set[str] = set()
        for index, name in enumerate(names):
            if name in self.position:
                self.twice.add(name)
            elif name:
                self.position[name] = index
            if name.casefold() in self.folded and name not in self.position:
                self.twice.add(name.casefold())
            self.folded.setdefault(name.casefold(), index)

    def find(self, column: str) -> int | None:
        """The column's index; None when absent; ImportFailed when the header names it twice."""
        if "*" in column:
            pattern = column.casefold()
            matches = [index for index, name in enumerate(self.names)
                       if name and fnmatch.fnmatchcase(name.casefold(), pattern)]
            if len(matches) > 1:
                names = ", ".join(repr(self.names[index]) for index in matches)
                raise ImportFailed(self.path, self.row, column, f"several columns fit {column!r}: {names}")
            return matches[0] if matches else None
        if column in self.twice or (column not in self.position and column.casefold() in self.twice):
            raise ImportFailed(self.path, self.row, column, f"the header names column {column!r} twice")
        if column in self.position:
            return self.position[column]
        return self.folded.get(column.casefold())


def _bind(path: Path, header_row: int, header: list[str],
          plan: TablePlan) -> tuple[dict[str, tuple[_Bound, ...]], tuple[str, ...]]:
    """Which cells each field reads: field -> bound sources; and the plan's missing columns."""
    fields = _fields(plan.table)
    columns = _Header(path, header_row, header)
    position = columns.position

    wanted = {("external_id" if name == "id" else name): sources
              for name, sources in plan.fields.items()}
    if plan.auto:
        mapped_columns = {source.column for sources in wanted.values() for source in sources}
        if "external_id" not in wanted:
            for candidate in ("external_id", "id"):
                if candidate in position and candidate not in mapped_columns:
                    wanted["external_id"] = (FieldSource(candidate),)
                    break
        for field in fields:
            if field not in wanted and field in position and field not in mapped_columns:
                wanted[field] = (FieldSource(field),)

    def index_of(column: str, field: str) -> int | None:
        index = columns.find(column)
        if index is not None:
            return index
        if plan.skip_missing:
            skipped.append(column)
            return None
        hint = ""
        if len(header) == 1:
            hint = ("; the header reads as one column: is the file separated by another "
                    "delimiter than the one expected?")
        raise ImportFailed(path, None, column,
                           f"column {column!r}, mapped to field {field!r}, is not in the file{hint}")

    skipped: list[str] = []
    bound: dict[str, tuple[_Bound, ...]] = {}
    for field, sources in wanted.items():
        if field not in fields:
            known = ", ".join(table_fields(plan.table))
            raise ImportFailed(path, None, None,
                               f"no field {field!r} in {plan.table}; fields: {known}")
        found = []
        for source in sources:
            index = when_index = None
            if source.column is not None:
                index = index_of(source.column, field)
                if index is None:
                    continue
            if source.when_column is not None:
                when_index = index_of(source.when_column, field)
                if when_index is None:
                    continue
            join_indexes = tuple(index for index in (index_of(column, field) for column in source.join)
                                 if index is not None)  # skip_missing: the parts the file has
            if source.join and not join_indexes:
                continue
            values = None
            if source.values is not None:
                values = {key.strip().casefold(): value for key, value in source.values.items()}
            found.append(_Bound(source, index, when_index, values, join_indexes))
        if found:
            bound[field] = tuple(found)

    for field in fields.values():
        if field.required and field.name not in bound and (
                field.name == "external_id" or not plan.update_only):
            name = "id" if field.name == "external_id" else field.name
            columns = [source.column for source in wanted.get(field.name, ()) if source.column]
            if columns and field.name == "external_id" and plan.optional:
                raise _NothingToRead()
            if columns:
                raise ImportFailed(path, None, columns[0],
                                   f"column {columns[0]!r}, mapped to field {name!r}, is not in the file")
            hint = ""
            if len(header) == 1 and len(header[0]) > 1:
                hint = ("; the header reads as one column "
                        f"{header[0][:40]!r}: is the file separated by another delimiter?")
            raise ImportFailed(path, None, name,
                               f"required column {name!r} is missing (or map one: {name}=COLUMN)"
                               f"{hint}")
    return bound, tuple(dict.fromkeys(skipped))


def _cell(bound: tuple[_Bound, ...], cells: list[str]) -> tuple[str, str | None, FieldSource | None]:
    """A field's text on a row from its first source that gives one: (text, column, source)."""
    text, column, chosen = "", None, None
    for source in bound:
        if source.when_index is not None:
            matches = cells[source.when_index].strip().casefold() in source.source.when_values
            if matches == source.source.when_negate:
                continue
        if source.join_indexes:
            column = source.source.join[0]
            text = " ".join(part for part in (cells[i].strip() for i in source.join_indexes) if part)
        elif source.index is None:
            text, column = _as_text(source.source.constant), None
        else:
            column = source.source.column
            text = cells[source.index].strip()
            if source.source.split and text:
                text = text.split(source.source.split, 1)[0].strip()
            if source.values is not None and text:
                key = text.casefold()
                if key in source.values:
                    text = _as_text(source.values[key])
                elif source.source.other == "empty":
                    text = ""
                elif source.source.other == "refuse":
                    known = ", ".join(repr(value) for value in source.source.values)
                    raise ValueError(f"{text!r} is not one of the values the mapping knows: {known}")
        chosen = source.source
        if text:
            if chosen.prefix:
                text = chosen.prefix + text
            break
    return text, column, chosen


def _row_text(cells: list[str]) -> str:
    """A record's non-empty cells as one line of text, for messages."""
    return " ".join(cell.strip() for cell in cells if cell.strip())[:80]


class _Reader:
    """One pass over a file for one plan: its rows parsed and checked, in chunks.

    A plan from a mapping file (not `auto`) also reads the file's shape from the file: its
    encoding and delimiter when the mapping leaves them open, the header below any title lines
    of a report (the line among the first HEADER_SEARCH that names most of the mapping's
    columns), a closing block of lines that are not rows (after a blank line, at most one
    filled cell each, or lines the mapping's `footers` describe), the decimal separator and
    the date order (from the first CHUNK_ROWS rows, see `shape`).
    """

    def __init__(self, path: Path, plan: TablePlan, reading: Reading, tz: ZoneInfo):
        self.path, self.plan, self.reading, self.tz = path, plan, reading, tz
        self.lines: _CountingLines | None = None
        self.skipped_columns: tuple[str, ...] = ()
        self.header: tuple[str, ...] = ()
        self.encoding = self.delimiter = ""
        self.preamble: tuple[tuple[int, str], ...] = ()
        self.footer: tuple[tuple[int, str], ...] = ()
        self.filled: Counter = Counter()
        self.left_out = 0

    def _shape(self, binary: BinaryIO) -> tuple[str, str | None]:
        """The file's encoding and delimiter: declared, or (mapping files) read from its start."""
        encoding, delimiter = self.reading.encoding, self.reading.delimiter
        if encoding != "auto" and (delimiter is not None or self.plan.auto):
            return encoding, delimiter
        sample = binary.read(SAMPLE_BYTES)
        binary.seek(0)
        if encoding == "auto":
            try:
                encoding = detect_encoding(sample)
            except ShapeError as error:
                raise ImportFailed(self.path, None, None, error.reason) from None
        if delimiter is None and not self.plan.auto:
            delimiter = sniff_delimiter(sample_lines(sample, encoding, len(sample) < SAMPLE_BYTES)[:200])
        return encoding, delimiter

    def _find_header(self, records: Iterator) -> tuple[tuple | None, Iterator]:
        """The header record (below a report's title lines), and the records after it."""
        if self.plan.auto or not self.plan.header_hint:
            return next(records, None), records
        head = list(itertools.islice(records, HEADER_SEARCH))
        if not head:
            return None, records
        hint = self.plan.header_hint
        overlaps = [sum(cell.strip().casefold() in hint for cell in cells) for _, cells, _ in head]
        at = overlaps.index(max(overlaps)) if max(overlaps) > 0 else 0
        self.preamble = tuple((number, _row_text(cells)) for number, cells, _ in head[:at])
        return head[at], itertools.chain(head[at + 1:], records)

    def rows(self, binary: BinaryIO) -> Iterator[_Row]:
        """Each data row with a value per bound field (distinct plans skip rows with no id)."""
        path, plan, table = self.path, self.plan, self.plan.table
        fields = _fields(table)
        encoding, delimiter = self._shape(binary)
        self.encoding = codecs.lookup(encoding).name
        self.lines = _CountingLines(path, binary, encoding)
        records = _records(path, self.lines, delimiter)
        first, records = self._find_header(records)
        if first is None:
            raise ImportFailed(path, None, None, "no header: the file is empty")
        header_row, header, _ = first
        header = [cell.strip() for cell in header]
        self.header = tuple(header)
        self.delimiter = delimiter or ""
        bound, self.skipped_columns = _bind(path, header_row, header, plan)
        self.id_column = bound["external_id"][0].source.column or "id"
        keep = self._row_filter(header_row, header)
        reading, records = self._decide_numbers_and_dates(bound, header, records)
        dates = self.dates
        tz, distinct = self.tz, plan.distinct
        shaped = not plan.auto
        footers = [re.compile(pattern, re.IGNORECASE) for pattern in reading.footers] if shaped else []

        def parsed(number: int, cells: list[str]) -> _Row | None:
            if len(cells) != len(header):
                raise ImportFailed(path, number, None,
                                   f"{len(cells)} cells, but the header has {len(header)}")
            if keep is not None and not keep(cells):
                self.left_out += 1
                return None
            values = {}
            for name, sources in bound.items():
                column = None
                try:
                    text, column, source = _cell(sources, cells)
                    if distinct and name == "external_id" and not text:
                        return None
                    field = fields[name]
                    formats, end_of = (), None
                    if source is not None:
                        formats, end_of = source.formats, source.end_of
                    if field.kind in ("timestamp", "date") and text:
                        formats = tuple(f for f in (formats or reading.date_formats) if f not in dates.excluded)
                        if not dates.decided and not _TIMESTAMP.fullmatch(text):
                            dates.check(text, number, column or name)
                            formats = tuple(f for f in formats if f not in dates.excluded)
                    values[name] = _parse_value(field, text, table, tz, reading, formats, end_of)
                except ShapeError as error:
                    raise ImportFailed(path, error.row, error.column, error.reason) from None
                except ValueError as error:
                    column = column or sources[0].source.column or f"{name} (constant)"
                    raise ImportFailed(path, number, column, str(error)) from None
            for name, value in values.items():
                if value is not None:
                    self.filled[name] += 1
            return _Row(number, values)

        held: list[tuple[int, list[str]]] = []  # lines that may be a closing block, not rows
        for number, cells, blank_before in records:
            if shaped and (footers or held or blank_before):
                filled = [cell.strip() for cell in cells if cell.strip()]
                described = any(pattern.match(filled[0]) for pattern in footers)
                if described or (len(filled) <= 1 and (held or blank_before)):
                    held.append((number, cells))
                    continue
                for held_number, held_cells in held:  # rows after all: read them as rows
                    row = parsed(held_number, held_cells)
                    if row is not None:
                        yield row
                held = []
            row = parsed(number, cells)
            if row is not None:
                yield row
        self.footer = tuple((number, _row_text(cells)) for number, cells in held)

    def _row_filter(self, header_row: int, header: list[str]) -> Callable[[list[str]], bool] | None:
        """The plan's `when`: which rows the table reads (others are left out and counted)."""
        when = self.plan.when
        if when is None:
            return None
        index = _Header(self.path, header_row, header).find(when.when_column)
        if index is None:
            if self.plan.skip_missing:
                self.skipped_columns += (when.when_column,)
                return None
            raise ImportFailed(self.path, None, when.when_column,
                               f"column {when.when_column!r}, which says which rows to read, is not in the file")
        values, negate = when.when_values, when.when_negate
        return lambda cells: (cells[index].strip().casefold() in values) != negate

    def _decide_numbers_and_dates(self, bound: dict[str, tuple[_Bound, ...]], header: list[str],
                                  records: Iterator) -> tuple[Reading, Iterator]:
        """The reading with the decimal separator and date order this file uses, told from its
        first CHUNK_ROWS rows where the mapping leaves them open."""
        reading, fields = self.reading, _fields(self.plan.table)
        formats = list(reading.date_formats)
        for name, sources in bound.items():
            if fields[name].kind in ("timestamp", "date"):
                formats += [f for source in sources for f in source.source.formats]
        self.dates = DateOrder(formats)
        numbers = NumberFormat() if reading.decimal == "auto" else None
        if numbers is None and reading.thousands == "auto":
            reading = replace(reading, thousands=", \u00a0" if reading.decimal == "." else ". \u00a0")
        if numbers is None and self.dates.decided:
            return reading, records
        sample = list(itertools.islice(records, CHUNK_ROWS))
        for number, cells, _ in sample:
            if len(cells) != len(header):
                continue
            for name, sources in bound.items():
                kind = fields[name].kind
                for source in sources:
                    if source.index is None:
                        continue
                    text = cells[source.index].strip()
                    if not text:
                        continue
                    column = source.source.column
                    if numbers is not None and kind in ("decimal", "probability"):
                        numbers.observe(text.removesuffix("%"), number, column)
                    elif kind in ("timestamp", "date") and not self.dates.decided and not _TIMESTAMP.fullmatch(text):
                        self.dates.observe(text, number, column)
                        if self.dates.evidence:  # one date tells the order; the rest follow it
                            self._settle_dates()
        try:
            if numbers is not None:
                decimal, thousands = numbers.decide(self.delimiter)
                reading = replace(reading, decimal=decimal,
                                  thousands=thousands if reading.thousands == "auto" else reading.thousands)
        except ShapeError as error:
            raise ImportFailed(self.path, error.row, error.column, error.reason) from None
        self._settle_dates()
        return reading, itertools.chain(sample, records)

    def _settle_dates(self) -> None:
        try:
            self.dates.decide()
        except ShapeError as error:
            raise ImportFailed(self.path, error.row, error.column, error.reason) from None

    def first_row_of(self, external_id: str) -> int | None:
        """The first row that names `external_id` (to say where a repeated id was first)."""
        with self.path.open("rb") as binary:
            for row in _Reader(self.path, self.plan, self.reading, self.tz).rows(binary):
                if row.values["external_id"] == external_id:
                    return row.number
        return None


# ---------------------------------------------------------------- writing


def _ids_by_external_id(
    connection: Connection, table: str, external_ids: Iterable[str]
) -> dict[str, int]:
    """The integer ids of the records of `table` with these external ids (those that exist)."""
    model_table = MODELS[table].__table__
    wanted = list(external_ids)
    ids = {}
    for start in range(0, len(wanted), LOOKUP_ROWS):
        statement = select(model_table.c.external_id, model_table.c.id).where(
            model_table.c.external_id.in_(wanted[start:start + LOOKUP_ROWS])
        )
        ids.update(connection.execute(statement).all())
    return ids


@dataclass(frozen=True)
class Recording:
    """When one import writes (SPEC "Recorded time"): its time, and whether what it writes is
    history (a table's first import, or `--backfill`): known from its own event times, its
    changes to earlier records not kept as changes."""

    at: dt.datetime
    history: bool = False


def history_fields(table: str) -> tuple[str, ...]:
    """The fields a history (`earliest`) may fill: the table's timestamps."""
    return tuple(name for name, field in _fields(table).items() if field.kind == "timestamp")


def _earliest_rows(connection: Connection, table: str, rows: list[_Row]) -> list[_Row]:
    """One row per record of a chunk of history rows: each field the earliest value any of its rows
    gives, or the record's stored one where that is earlier (so a history loads in any order and
    in several parts, and a row without a value never empties a field)."""
    merged: dict[str, _Row] = {}
    for row in rows:
        kept = merged.get(row.values["external_id"])
        if kept is None:
            merged[row.values["external_id"]] = _Row(row.number, dict(row.values))
            continue
        for name, value in row.values.items():
            if name != "external_id" and value is not None and (kept.values[name] is None or value < kept.values[name]):
                kept.values[name] = value
    names = [name for name in rows[0].values if name != "external_id"] if rows else []
    if not names:
        return list(merged.values())
    model_table = MODELS[table].__table__
    wanted = list(merged)
    for start in range(0, len(wanted), LOOKUP_ROWS):
        statement = select(model_table.c.external_id, *(model_table.c[name] for name in names)).where(
            model_table.c.external_id.in_(wanted[start:start + LOOKUP_ROWS]))
        for external_id, *stored in connection.execute(statement).all():
            values = merged[external_id].values
            for name, old in zip(names, stored, strict=True):
                if old is not None and (values[name] is None or old < values[name]):
                    values[name] = old
    return list(merged.values())


def _write_chunk(connection: Connection, table: str, rows: list[_Row],
                 existing: dict[str, int], recording: Recording) -> tuple[int, int, int]:
    """Insert a chunk's new records and update its known ones: (inserted, updated, unresolved).
    Each change an update makes to a tracked field is kept in `record_changes`, unless the
    import is history."""
    model_table = MODELS[table].__table__
    unresolved_table = UnresolvedReference.__table__
    present = list(rows[0].values)
    references = {
        field: target for field, target in REFERENCES.get(table, {}).items() if field in present
    }
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
        _insert(connection, model_table, new_records, recording)
    changed_fields = [field for field in present if field != "external_id"]
    if changed_records and changed_fields:
        if not recording.history:
            write_changes(connection, changes_of_updates(connection, table, changed_records, recording.at))
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


def _insert(connection: Connection, model_table, records: list[dict], recording: Recording) -> None:
    """Insert new records: through COPY on PostgreSQL (row-by-row inserts are many times
    slower there), a multi-row insert elsewhere; same transaction either way. COPY knows no
    column defaults, so the write time of the refreshed tables is set here for both, and
    their recording time: the import's, or for history the record's own event time."""
    if model_table.name in WRITE_STAMPED:
        written = utcnow()
        event_time = EVENT_TIME[model_table.name]
        records = [{**record, "updated_at": written,
                    "recorded_at": record[event_time] if recording.history else recording.at}
                   for record in records]
    if connection.dialect.name != "postgresql" or len(records) < 100:
        connection.execute(insert(model_table), records)
        return
    fields = list(records[0])
    names = ", ".join(connection.dialect.identifier_preparer.quote(field) for field in fields)
    utc = dt.timezone.utc
    cursor = connection.connection.driver_connection.cursor()
    with cursor, cursor.copy(f"COPY {model_table.name} ({names}) FROM STDIN") as copy:
        for record in records:
            copy.write_row([
                value.astimezone(utc).replace(tzinfo=None)
                if isinstance(value, dt.datetime) and value.tzinfo is not None else value
                for value in (record[field] for field in fields)
            ])


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


class _Touched:
    """Which records this import has written already, to refuse an id repeated across chunks.

    Records inserted by this import have ids above the table's largest id at its start;
    updated ones are marked in a bitmap by id: a bit per record, so memory stays small.
    """

    def __init__(self, connection: Connection, table: str):
        model_table = MODELS[table].__table__
        self.first_new_id = (connection.execute(select(func.max(model_table.c.id))).scalar() or 0) + 1
        self.bits = bytearray()

    def seen(self, record_id: int) -> bool:
        if record_id >= self.first_new_id:
            return True
        byte, bit = divmod(record_id, 8)
        return byte < len(self.bits) and bool(self.bits[byte] & (1 << bit))

    def mark(self, record_id: int) -> None:
        byte, bit = divmod(record_id, 8)
        if byte >= len(self.bits):
            self.bits.extend(bytes(byte + 1 - len(self.bits)))
        self.bits[byte] |= 1 << bit


def _import_plan(connection: Connection, path: Path, plan: TablePlan, reading: Reading,
                 tz: ZoneInfo, on_chunk: Callable[[int, int], object], recording: Recording) -> ImportResult:
    """Stream one file through one plan inside the caller's transaction."""
    table = plan.table
    reader = _Reader(path, plan, reading, tz)
    touched = _Touched(connection, table)
    inserted = updated = unresolved = rows_done = 0

    def repeated(external_id: str, number: int) -> ImportFailed:
        first = reader.first_row_of(external_id)
        return ImportFailed(path, number, reader.id_column,
                            f"id {external_id!r} is also on row {first}")

    def write(chunk: list[_Row]) -> None:
        nonlocal inserted, updated, unresolved, rows_done
        rows_in_chunk = len(chunk)
        if plan.earliest:  # a history: each field keeps the earliest of its rows and the record's
            chunk = _earliest_rows(connection, table, chunk)
        elif plan.distinct:  # the last row naming a record wins
            chunk = list({row.values["external_id"]: row for row in chunk}.values())
        existing = _ids_by_external_id(connection, table,
                                       (row.values["external_id"] for row in chunk))
        if plan.update_only and plan.skip_unknown:
            known = [row for row in chunk if row.values["external_id"] in existing]
            reader.left_out += len(chunk) - len(known)
            chunk = known
        elif plan.update_only:
            for row in chunk:
                if row.values["external_id"] not in existing:
                    raise ImportFailed(path, row.number, reader.id_column,
                                       f"no {table} record has id {row.values['external_id']!r} "
                                       "(this table only adds to records loaded before)")
        if not plan.distinct:
            for row in chunk:
                record_id = existing.get(row.values["external_id"])
                if record_id is not None:
                    if touched.seen(record_id):
                        raise repeated(row.values["external_id"], row.number)
                    touched.mark(record_id)
        new, changed, pending = _write_chunk(connection, table, chunk, existing, recording) if chunk else (0, 0, 0)
        inserted, updated, unresolved = inserted + new, updated + changed, unresolved + pending
        rows_done += rows_in_chunk
        on_chunk(rows_done, reader.lines.bytes_read)

    try:
        binary = path.open("rb")
    except OSError as error:
        reason = f"cannot read the file: {error.strerror or error}"
        raise ImportFailed(path, None, None, reason) from None
    with binary:
        chunk: list[_Row] = []
        row_in_chunk: dict[str, int] = {}
        rows = reader.rows(binary)
        try:
            first = next(rows, None)
        except _NothingToRead:
            id_columns = tuple(source.column for source in plan.fields.get("id", ()) if source.column)
            return ImportResult(table=table, inserted=0, updated=0, unresolved=0, rows=0,
                                file=str(path), skipped_columns=id_columns, header=reader.header,
                                encoding=reader.encoding, delimiter=reader.delimiter,
                                preamble=reader.preamble)
        for row in itertools.chain([first] if first else [], rows):
            external_id = row.values["external_id"]
            if not plan.distinct:
                if external_id in row_in_chunk:
                    raise ImportFailed(path, row.number, reader.id_column,
                                       f"id {external_id!r} is also on row {row_in_chunk[external_id]}")
                row_in_chunk[external_id] = row.number
            chunk.append(row)
            if len(chunk) == CHUNK_ROWS:
                write(chunk)
                chunk, row_in_chunk = [], {}
        if chunk:
            write(chunk)
    if rows_done == 0 and not plan.distinct and not reader.left_out:
        raise ImportFailed(path, None, None, "no rows: the file has a header only")
    _resolve_pending(connection, table)
    return ImportResult(table=table, inserted=inserted, updated=updated, unresolved=unresolved,
                        rows=rows_done, file=str(path), skipped_columns=reader.skipped_columns,
                        header=reader.header, filled=dict(reader.filled), encoding=reader.encoding,
                        delimiter=reader.delimiter, preamble=reader.preamble, footer=reader.footer,
                        left_out=reader.left_out)


# ---------------------------------------------------------------- the import


def import_plans(
    engine: Engine,
    plans: Iterable[tuple[Path | str, TablePlan] | tuple[Path | str, TablePlan, Reading]],
    reading: Reading = Reading(),
    tz: ZoneInfo | None = None,
    report: Callable[[ImportProgress], object] | None = None,
    progress: Callable[[int], object] | None = None,
    verify: Callable[[Connection, list[ImportResult]], object] | None = None,
    backfill: bool = False,
) -> list[ImportResult]:
    """Run each (file, plan) in order, in one transaction: every plan's rows or none. A plan
    may bring its own Reading (file, plan, reading); else `reading` reads it. With `backfill`
    what the import writes is history (SPEC "Recorded time"), as a table's first import is.

    `report(ImportProgress)` and `progress(rows_written)` are called after each chunk;
    `verify(connection, results)` before the transaction commits: what it raises undoes all.
    """
    plans = [(Path(item[0]), item[1], item[2] if len(item) > 2 else reading) for item in plans]
    tz = tz or ZoneInfo(DEFAULT_TIMEZONE)
    for path, plan, _reading in plans:
        if plan.table not in MODELS:
            tables = ", ".join(IMPORT_TABLES)
            raise ImportFailed(path, None, None, f"unknown table {plan.table!r}; one of: {tables}")
    sizes = []
    for path, _plan, _reading in plans:
        try:
            sizes.append(os.stat(path).st_size)
        except OSError as error:
            reason = f"cannot read the file: {error.strerror or error}"
            raise ImportFailed(path, None, None, reason) from None
    total = sum(sizes)
    results = []
    recording = Recording(utcnow(), history=backfill)
    try:
        with import_lock(engine), engine.begin() as connection:  # ImportBusy while another import runs
            if connection.dialect.name == "postgresql":
                # A lookup prepared while the table was empty keeps its sequential-scan plan as
                # the table grows; plan each with the table's size at the time instead.
                connection.exec_driver_sql("SET LOCAL plan_cache_mode = force_custom_plan")
            # A table's first import is its history load (SPEC "Recorded time"): the tables
            # empty when this import begins, whichever of its files fill them.
            empty = {plan.table for _path, plan, _reading in plans
                     if connection.execute(select(MODELS[plan.table].id).limit(1)).first() is None}
            for number, (path, plan, plan_reading) in enumerate(plans):
                bytes_before = sum(sizes[:number])
                plan_recording = replace(recording, history=True) if plan.table in empty else recording

                def on_chunk(rows: int, bytes_read: int, path=path, plan=plan,
                             bytes_before=bytes_before) -> None:
                    if progress is not None:
                        progress(rows)
                    if report is not None:
                        report(ImportProgress(str(path), plan.table, rows,
                                              bytes_before + bytes_read, total))

                results.append(_import_plan(connection, path, plan, plan_reading, tz, on_chunk, plan_recording))
            if verify is not None:
                verify(connection, results)
    except (IntegrityError, DataError, OperationalError) as error:
        failing = plans[len(results)][0] if len(results) < len(plans) else plans[-1][0]
        reason = f"the database refused the rows: {error.orig}"
        raise ImportFailed(failing, None, None, reason) from error
    return results


def import_csv(
    engine: Engine,
    table: str,
    path: Path | str,
    mapping: dict[str, str] | None = None,
    tz: ZoneInfo | None = None,
    progress: Callable[[int], object] | None = None,
    report: Callable[[ImportProgress], object] | None = None,
    backfill: bool = False,
) -> ImportResult:
    """Load one CSV file into `table`, all of it or nothing (the `import` command).

    `mapping` maps FIELD to COLUMN; `tz` (default Europe/Helsinki) reads timestamps without an
    offset; `progress(rows_written)` and `report(ImportProgress)` are called after each chunk.
    """
    path = Path(path)
    if table not in MODELS:
        tables = ", ".join(IMPORT_TABLES)
        raise ImportFailed(path, None, None, f"unknown table {table!r}; one of: {tables}")
    try:
        plan = _auto_plan(table, dict(mapping or {}))
    except ValueError as error:
        raise ImportFailed(path, None, None, str(error)) from None
    return import_plans(engine, [(path, plan)], tz=tz, report=report, progress=progress, backfill=backfill)[0]


def import_folder(
    engine: Engine, folder: Path | str, tz: ZoneInfo | None = None,
    report: Callable[[ImportProgress], object] | None = None, backfill: bool = False,
) -> list[ImportResult]:
    """Load a folder's `TABLE.csv` files in IMPORT_TABLES, all in one transaction.

    A reader sees the data as it was before or the whole folder, never a part (leads whose
    deals have not landed yet). The first file that fails raises its `ImportFailed` (which
    names the file) and nothing of the folder is written.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ImportFailed(folder, None, None, "not a folder")
    files = [(table, folder / f"{table}.csv") for table in IMPORT_TABLES]
    files = [(table, path) for table, path in files if path.is_file()]
    if not files:
        names = ", ".join(f"{table}.csv" for table in IMPORT_TABLES)
        raise ImportFailed(folder, None, None, f"none of {names} is in the folder")
    return import_plans(engine, [(path, _auto_plan(table, {})) for table, path in files], tz=tz, report=report,
                        backfill=backfill)
