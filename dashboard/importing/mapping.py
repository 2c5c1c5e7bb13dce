"""Mapping files: how the columns of any CRM export become records of the data model (YAML).

`load_mapping(path)` reads and validates one (pydantic); a file that breaks the format raises
`MappingError` with its line and the reason. A shipped preset (`data/presets/`) is one
mapping file per generation of a CRM's export (`hubspot-contacts.yaml` for the current one,
`hubspot-contacts.classic.yaml` for the one before); `recognise(target, preset)` reads the
file's header and picks the preset and generation whose columns it has (`preset="auto"`: any
preset), refusing a file no generation fits with the name of the preset it looks like.
`import_mapping` runs a mapping on a file (or, for presets that name their files, a folder)
through `dashboard.importing.importer.import_plans`: every table of every file, or nothing.
The format is documented in docs/IMPORT.md.
"""
from __future__ import annotations

import csv
import datetime as dt
import fnmatch
import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from sqlalchemy import Connection, Engine

from dashboard.importing.importer import (
    HEADER_SEARCH,
    IMPORT_TABLES,
    FieldSource,
    ImportFailed,
    ImportProgress,
    ImportResult,
    Reading,
    TablePlan,
    history_fields,
    import_plans,
    table_fields,
)
from dashboard.importing.shape import SAMPLE_BYTES, ShapeError, detect_encoding, sample_lines, sniff_delimiter
from queries.db import PROJECT_ROOT
from queries.yaml_lines import YamlSyntaxError, lines_by_path, load_yaml

PRESETS_DIR = PROJECT_ROOT / "data" / "presets"

Scalar = str | bool | int | float | dt.date | None


class MappingError(ValueError):
    """A mapping file that cannot be used: which file, which line, and why."""

    def __init__(self, path: Path | str, line: int | None, reason: str):
        self.path, self.line, self.reason = str(path), line, reason
        where = f"{self.path} line {line}" if line else self.path
        super().__init__(f"{where}: {reason}")


def _cell_text(value: object) -> str:
    """A YAML scalar (True, 0.0, a date) as the text a CSV cell would hold for it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class When(_Strict):
    """The rows a source applies to: the cell of `column` is (not) one of these values."""

    column: str
    in_: list[str] | None = Field(default=None, alias="in")
    not_in: list[str] | None = None

    def field_source(self) -> FieldSource:
        """The condition as the importer holds it (values compared stripped, in any case)."""
        return FieldSource(when_column=self.column,
                           when_values=frozenset(v.strip().casefold() for v in (self.in_ or self.not_in)),
                           when_negate=self.not_in is not None)

    @field_validator("in_", "not_in", mode="before")
    @classmethod
    def _as_cells(cls, values):
        return [_cell_text(value) for value in values] if isinstance(values, list) else values

    @model_validator(mode="after")
    def _one_test(self):
        if (self.in_ is None) == (self.not_in is None):
            raise ValueError("give one of `in` or `not_in`")
        return self


class Source(_Strict):
    """Where a field's value comes from: `column` (with translations) or a constant `value`."""

    column: str | None = None
    join: list[str] = []
    value: Scalar = None
    split: str | None = None
    values: dict[str, Scalar] | None = None
    other: Literal["keep", "empty", "refuse"] = "keep"
    format: list[str] = []
    when: When | None = None
    prefix: str = ""
    end_of: Literal["month"] | None = None

    @field_validator("values", mode="before")
    @classmethod
    def _keys_as_cells(cls, values):
        if isinstance(values, dict):
            return {_cell_text(key): value for key, value in values.items()}
        return values

    @field_validator("format", mode="before")
    @classmethod
    def _one_or_more_formats(cls, formats):
        return [formats] if isinstance(formats, str) else formats

    @model_validator(mode="after")
    def _column_or_value(self):
        given = [self.column is not None, "value" in self.model_fields_set, bool(self.join)]
        if sum(given) != 1:
            raise ValueError("give one of `column`, `join` or `value`")
        if "value" in self.model_fields_set and (self.values is not None or self.format or self.split):
            raise ValueError("`values`, `format` and `split` read a column, not a `value`")
        if self.prefix and "value" in self.model_fields_set:
            raise ValueError("`prefix` goes before a column's values, not a `value`")
        return self

    def field_source(self) -> FieldSource:
        when = self.when
        return FieldSource(
            column=self.column, constant=self.value, values=self.values, other=self.other,
            join=tuple(self.join), split=self.split,
            formats=tuple(self.format), prefix=self.prefix, end_of=self.end_of,
            when_column=when.column if when else None,
            when_values=frozenset(v.strip().casefold() for v in (when.in_ or when.not_in)) if when else frozenset(),
            when_negate=bool(when and when.not_in is not None),
        )


FieldSpec = str | Source | list[str | Source]


class TablePart(_Strict):
    """One table filled from one file: its fields, each from one or more sources."""

    table: Literal[IMPORT_TABLES]  # type: ignore[valid-type]
    file: str | None = None
    distinct: bool = False
    optional: bool = False
    update_only: bool = False
    unknown_ids: Literal["refuse", "skip"] = "refuse"  # with update_only
    earliest: bool = False  # a history: many rows per record, each timestamp keeps its earliest value
    when: When | None = None  # only the rows this holds for
    fields: dict[str, FieldSpec]

    @model_validator(mode="after")
    def _known_fields(self):
        known = table_fields(self.table)
        for name in self.fields:
            if name not in known:
                raise ValueError(f"@fields.{name}: no field {name!r} in {self.table}; "
                                 f"fields: {', '.join(known)}")
        if "id" not in self.fields:
            raise ValueError(f"{self.table} needs an `id` field (the record's id in the CRM)")
        if self.unknown_ids == "skip" and not self.update_only:
            raise ValueError("@unknown_ids: `unknown_ids: skip` goes with `update_only: true`")
        if self.earliest:
            if not self.update_only:
                raise ValueError("@earliest: a history adds to records loaded before: `earliest` goes with "
                                 "`update_only: true`")
            stamps = history_fields(self.table)
            for name in self.fields:
                if name != "id" and name not in stamps:
                    raise ValueError(f"@fields.{name}: a history (`earliest: true`) fills timestamps only; "
                                     f"of {self.table}: {', '.join(stamps)}")
        return self

    def columns(self) -> list[str]:
        """Every column this part reads, in the order the mapping names them."""
        names = [self.when.column] if self.when else []
        for spec in self.fields.values():
            for item in spec if isinstance(spec, list) else [spec]:
                if isinstance(item, str):
                    names.append(item)
                else:
                    names += [name for name in (item.column, *item.join) if name]
                    if item.when:
                        names.append(item.when.column)
        return list(dict.fromkeys(names))

    def plan(self, skip_missing: bool, header_hint: frozenset[str] = frozenset()) -> TablePlan:
        fields = {}
        for name, spec in self.fields.items():
            specs = spec if isinstance(spec, list) else [spec]
            fields[name] = tuple(
                FieldSource(item) if isinstance(item, str) else item.field_source() for item in specs
            )
        return TablePlan(self.table, fields, skip_missing=skip_missing, distinct=self.distinct or self.earliest,
                         earliest=self.earliest,
                         optional=self.optional, update_only=self.update_only,
                         skip_unknown=self.unknown_ids == "skip",
                         when=self.when.field_source() if self.when else None, header_hint=header_hint)


class Mapping(_Strict):
    """A mapping file: reading settings and the tables it fills (SPEC "Loading data")."""

    name: str
    description: str = ""
    preset: str | None = None  # shipped presets: the preset this file is a generation of
    generation: str | None = None
    recognise: list[str] = []  # columns every export of this generation has
    not_recorded: dict[str, str] = {}  # TABLE.FIELD -> why this export never fills it
    timezone: str | None = None
    encoding: Literal["auto", "utf-8", "utf-16", "cp1252", "iso-8859-15", "latin-1", "cp1250"] = "auto"
    delimiter: Literal[",", ";", "\t", "|"] | None = None
    date_formats: list[str] = []
    decimal: Literal[".", ",", "auto"] = "."
    thousands: Literal["", ",", ".", " ", "'", "auto"] = ""
    footers: list[str] = []
    missing_columns: Literal["refuse", "skip"] = "refuse"
    tables: list[TablePart] = Field(min_length=1)

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, name: str | None) -> str | None:
        if name is not None:
            try:
                ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"unknown time zone {name!r}") from None
        return name

    @model_validator(mode="after")
    def _files_named_by_all_or_none(self):
        named = {part.file is not None for part in self.tables}
        if len(named) > 1:
            raise ValueError("@tables: either every table names its `file` (a folder export) or none does")
        if self.decimal == self.thousands and self.decimal != "auto":
            raise ValueError("@thousands: `decimal` and `thousands` must differ")
        for pattern in self.footers:
            try:
                re.compile(pattern)
            except re.error as error:
                raise ValueError(f"@footers: {pattern!r} is not a pattern: {error}") from None
        for key in self.not_recorded:
            table, _, field = key.partition(".")
            if table not in IMPORT_TABLES or field not in table_fields(table):
                raise ValueError(f"@not_recorded.{key}: name a field as TABLE.FIELD (leads.first_touch_at)")
        return self

    @property
    def title(self) -> str:
        """The mapping's name, with its preset and generation when it is a shipped one."""
        if self.preset and self.generation:
            return f"{self.name} ({self.preset}, {self.generation})"
        return self.name

    @property
    def reads_folder(self) -> bool:
        return self.tables[0].file is not None

    @property
    def reading(self) -> Reading:
        return Reading(encoding=self.encoding, delimiter=self.delimiter,
                       date_formats=tuple(self.date_formats), decimal=self.decimal,
                       thousands=self.thousands, footers=tuple(self.footers))

    def plans(self, target: Path) -> list[tuple[Path, TablePlan]]:
        """(file, plan) for each table in load order (a table's `update_only` parts after the
        others); `target` is the file, or the folder."""
        skip = self.missing_columns == "skip"
        parts = sorted(self.tables, key=lambda part: (IMPORT_TABLES.index(part.table), part.update_only))
        hints = {}
        for part in parts:
            hints.setdefault(part.file, set()).update(column.casefold() for column in part.columns())
        if not self.reads_folder:
            if target.is_dir():
                raise ImportFailed(target, None, None,
                                   f"{self.name} reads one file: give the file, not a folder")
            return [(target, part.plan(skip, frozenset(hints[None]))) for part in parts]
        if not target.is_dir():
            names = ", ".join(sorted({part.file for part in parts}))
            raise ImportFailed(target, None, None,
                               f"{self.name} reads a folder holding {names}: give the folder")
        for name in sorted({part.file for part in parts}):
            if not (target / name).is_file():
                raise ImportFailed(target, None, None, f"{name} is not in the folder")
        return [(target / part.file, part.plan(skip, frozenset(hints[part.file]))) for part in parts]

    def columns(self) -> list[str]:
        """Every column the mapping reads."""
        return list(dict.fromkeys(column for part in self.tables for column in part.columns()))


def _preset_files() -> dict[str, list[Path]]:
    """Each shipped preset's mapping files, one per generation, the current one first."""
    presets: dict[str, list[Path]] = {}
    for path in sorted(PRESETS_DIR.glob("*.yaml")):
        presets.setdefault(path.name.split(".", 1)[0], []).append(path)
    for paths in presets.values():
        paths.sort(key=lambda path: (path.name.count(".") > 1, path.name))
    return presets


def preset_names() -> list[str]:
    """The presets shipped in data/presets/, by name."""
    return sorted(_preset_files())


def preset_paths(name: str) -> list[Path]:
    """The mapping files of a shipped preset, one per generation (the current one first)."""
    presets = _preset_files()
    if name not in presets:
        raise MappingError(name, None, f"no such preset; one of: {', '.join(sorted(presets))}, or auto")
    return presets[name]


def preset_path(name: str) -> Path:
    """The mapping file of a shipped preset's current generation; MappingError naming the
    presets when unknown."""
    return preset_paths(name)[0]


@dataclass(frozen=True)
class Recognition:
    """A mapping fitted to a file: the columns of the mapping the file has, of all it reads."""

    mapping: Mapping
    path: Path
    found: tuple[str, ...]
    wanted: tuple[str, ...]
    fits: bool  # the file has every column of the mapping's `recognise`

    @property
    def summary(self) -> str:
        return f"{self.mapping.title}: {len(self.found)} of its {len(self.wanted)} columns"


def header_cells(path: Path) -> set[str]:
    """The case-folded cells of a file's first lines: its header, and any title lines above."""
    try:
        with path.open("rb") as binary:
            sample = binary.read(SAMPLE_BYTES)
    except OSError as error:
        raise ImportFailed(path, None, None, f"cannot read the file: {error.strerror or error}") from None
    try:
        lines = sample_lines(sample, detect_encoding(sample), len(sample) < SAMPLE_BYTES)
    except ShapeError as error:
        raise ImportFailed(path, None, None, error.reason) from None
    cells: set[str] = set()
    try:
        for record in itertools.islice(csv.reader(lines, delimiter=sniff_delimiter(lines[:200])), HEADER_SEARCH):
            cells.update(cell.strip().casefold() for cell in record if cell.strip())
    except csv.Error:
        pass
    return cells


def _has(cells: set[str], column: str) -> bool:
    folded = column.casefold()
    if "*" in folded:
        return any(fnmatch.fnmatchcase(cell, folded) for cell in cells)
    return folded in cells


def fit(mapping: Mapping, path: Path, target: Path, cells: set[str] | None) -> Recognition:
    """How well `mapping` fits `target` (a file's header cells, or a folder's files)."""
    if mapping.reads_folder:
        wanted = tuple(sorted({part.file for part in mapping.tables}))
        found = tuple(name for name in wanted if target.is_dir() and (target / name).is_file())
        return Recognition(mapping, path, found, wanted, fits=found == wanted)
    wanted = tuple(mapping.columns())
    found = tuple(column for column in wanted if cells is not None and _has(cells, column))
    fits = bool(found) and all(_has(cells or set(), column) for column in mapping.recognise)
    return Recognition(mapping, path, found, wanted, fits)


def recognise(target: Path | str, preset: str = "auto") -> Recognition:
    """The preset generation that reads `target`: of `preset`, or of any preset (`auto`).

    Of the generations whose `recognise` columns the file has, the one with most of its
    columns (the current one on a tie); a file none fits is refused, naming the preset it
    looks like when another one fits.
    """
    target = Path(target)
    if preset != "auto":
        preset_paths(preset)  # an unknown name is refused, naming the known ones
    cells = None if target.is_dir() else header_cells(target)
    every = [(name, fit(load_mapping(path), path, target, cells))
             for name, paths in _preset_files().items() for path in paths]
    every = [(name, r) for name, r in every if r.mapping.reads_folder == target.is_dir()]
    asked = [(name, r) for name, r in every if preset in ("auto", name)]
    fitting = [(name, r) for name, r in asked if r.fits]
    if fitting:
        best = max(len(r.found) for _, r in fitting)
        leaders = [(name, r) for name, r in fitting if len(r.found) == best]
        if len({name for name, _ in leaders}) > 1:
            raise MappingError(target, None, "the header fits " + " and ".join(
                r.mapping.title for _, r in leaders) + " alike: give --preset")
        return leaders[0][1]
    what = "folder" if target.is_dir() else "header"
    if not asked and preset != "auto":  # a folder for a preset of one file, or the other way round
        load_mapping(preset_path(preset)).plans(target)  # raises ImportFailed saying which to give
    if preset == "auto" or not asked:
        if not asked:
            raise MappingError(target, None, f"no preset reads a {what} like this")
        _, nearest = max(asked, key=lambda item: len(item[1].found) / max(len(item[1].wanted), 1))
        hint = f"; the nearest is {nearest.summary}" if nearest.found else ""
        raise MappingError(target, None, f"no preset recognises this {what}{hint}")
    wanted = asked[0][1]
    lacks = [c for c in wanted.mapping.recognise if not _has(cells or set(), c)] or [
        c for c in wanted.wanted if c not in wanted.found]
    reason = f"this is not a {wanted.mapping.name} file: it lacks {', '.join(repr(c) for c in lacks[:4])}"
    elsewhere = [(name, r) for name, r in every if r.fits and name != preset]
    if elsewhere:
        name, other = max(elsewhere, key=lambda item: len(item[1].found))
        reason += f"; it looks like a {other.mapping.title}: use --preset {name}"
    raise MappingError(target, None, reason)


def recognise_folder(folder: Path | str) -> tuple[list[tuple[Path, Recognition]], list[Path]]:
    """Each CSV file of an export folder (a Salesforce Data Export, say) with the preset
    generation that reads it, and the files no preset recognises."""
    folder = Path(folder)
    recognised, unknown = [], []
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() != ".csv" or not path.is_file():
            continue
        try:
            recognised.append((path, recognise(path, "auto")))
        except MappingError:
            unknown.append(path)
    return recognised, unknown


def load_mapping(path: Path | str) -> Mapping:
    """Read and validate a mapping file; MappingError with the line on any fault."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise MappingError(path, None, "no such file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise MappingError(path, None, f"cannot read it: {error}") from None
    return parse_mapping(text, path)


def parse_mapping(text: str, path: Path | str = "<mapping>") -> Mapping:
    """Validate a mapping given as YAML text."""
    try:
        root, data = load_yaml(text)
    except YamlSyntaxError as error:
        raise MappingError(path, error.line, f"not valid YAML: {error.problem}") from None
    if not isinstance(data, dict):
        raise MappingError(path, 1, "a mapping file is a mapping of settings with `tables`")
    try:
        return Mapping.model_validate(data)
    except ValidationError as error:
        errors = error.errors()
        # a union (column name, source, list) fails on every branch: say what the input meant
        first = next((e for e in errors if e["type"] not in _TYPE_MISMATCHES), errors[0])
        loc = tuple(first["loc"])
        message = first["msg"].removeprefix("Value error, ")
        inner = re.match(r"@(\S+): ", message)
        if inner:  # a validator names the setting it is about: point at its line
            loc, message = loc + tuple(inner.group(1).split(".")), message[inner.end():]
        if first["type"] == "missing":
            message = "a required setting is missing"
        where = ".".join(str(part) for part in loc if not _is_type_tag(part)) or "mapping"
        raise MappingError(path, _line_for(lines_by_path(root), loc), f"{where}: {message}") from None


_TYPE_MISMATCHES = ("string_type", "list_type", "model_type", "dict_type", "model_attributes_type")


def _is_type_tag(part: Any) -> bool:
    """Pydantic names the union member it tried (`str`, `Source`, `list[...]`) in a location."""
    return isinstance(part, str) and (part in ("str", "Source") or part.startswith(("list[", "function-")))


def _line_for(lines: dict[tuple, int], loc: tuple) -> int | None:
    """The line of the deepest part of `loc` the file has (skipping pydantic's type tags)."""
    keys = tuple(part for part in loc if not _is_type_tag(part))
    keys = tuple("in" if part == "in_" else part for part in keys)
    for end in range(len(keys), -1, -1):
        if keys[:end] in lines:
            return lines[keys[:end]]
    return None


def import_mapping(
    engine: Engine,
    mapping: Mapping,
    target: Path | str,
    tz: ZoneInfo | None = None,
    report: Callable[[ImportProgress], object] | None = None,
    verify: Callable[[Connection, list[ImportResult]], object] | None = None,
    backfill: bool = False,
) -> list[ImportResult]:
    """Load `target` (a file, or a folder for a preset that names its files) through `mapping`.

    One transaction: every table of every file, or nothing (`verify`, such as the coverage
    check, runs before it commits). The mapping's own `timezone` reads timestamps without an
    offset; else `tz` (the agreement's).
    """
    if mapping.timezone:
        tz = ZoneInfo(mapping.timezone)
    plans = mapping.plans(Path(target))
    return import_plans(engine, plans, reading=mapping.reading, tz=tz, report=report, verify=verify,
                        backfill=backfill)


def import_mappings(
    engine: Engine,
    files: list[tuple[Path, Mapping]],
    tz: ZoneInfo | None = None,
    report: Callable[[ImportProgress], object] | None = None,
    verify: Callable[[Connection, list[ImportResult]], object] | None = None,
    backfill: bool = False,
) -> list[ImportResult]:
    """Load several files, each through its own mapping, in one transaction: the tables of all
    in load order (so a folder's users load before the leads they own), all or nothing."""
    plans = [(path, plan, mapping.reading) for path, mapping in files for path, plan in mapping.plans(path)]
    plans.sort(key=lambda item: (IMPORT_TABLES.index(item[1].table), item[1].update_only))
    return import_plans(engine, plans, tz=tz, report=report, verify=verify, backfill=backfill)
