"""Mapping files: how the columns of any CRM export become records of the data model (YAML).

`load_mapping(path)` reads and validates one (pydantic); a file that breaks the format raises
`MappingError` with its line and the reason. `preset_path(name)` finds a shipped preset in
`data/presets/`. `import_mapping` runs it on a file (or, for presets that name their files,
a folder) through `dashboard.importing.importer.import_plans`: every table of every file, or
nothing. The format is documented in docs/IMPORT.md.
"""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from sqlalchemy import Engine

from dashboard.importing.importer import (
    LOAD_ORDER,
    FieldSource,
    ImportFailed,
    ImportProgress,
    ImportResult,
    Reading,
    TablePlan,
    import_plans,
    table_fields,
)
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
        return self

    def field_source(self) -> FieldSource:
        when = self.when
        return FieldSource(
            column=self.column, constant=self.value, values=self.values, other=self.other,
            join=tuple(self.join), split=self.split,
            formats=tuple(self.format),
            when_column=when.column if when else None,
            when_values=frozenset(v.strip().casefold() for v in (when.in_ or when.not_in)) if when else frozenset(),
            when_negate=bool(when and when.not_in is not None),
        )


FieldSpec = str | Source | list[str | Source]


class TablePart(_Strict):
    """One table filled from one file: its fields, each from one or more sources."""

    table: Literal[LOAD_ORDER]  # type: ignore[valid-type]
    file: str | None = None
    distinct: bool = False
    optional: bool = False
    update_only: bool = False
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
        return self

    def plan(self, skip_missing: bool) -> TablePlan:
        fields = {}
        for name, spec in self.fields.items():
            specs = spec if isinstance(spec, list) else [spec]
            fields[name] = tuple(
                FieldSource(item) if isinstance(item, str) else item.field_source() for item in specs
            )
        return TablePlan(self.table, fields, skip_missing=skip_missing, distinct=self.distinct,
                         optional=self.optional, update_only=self.update_only)


class Mapping(_Strict):
    """A mapping file: reading settings and the tables it fills (SPEC "Loading data")."""

    name: str
    description: str = ""
    timezone: str | None = None
    encoding: Literal["utf-8", "cp1252", "latin-1"] = "utf-8"
    delimiter: Literal[",", ";", "\t", "|"] | None = None
    date_formats: list[str] = []
    decimal: Literal[".", ","] = "."
    thousands: Literal["", ",", ".", " ", "'"] = ""
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
        if self.decimal == self.thousands:
            raise ValueError("@thousands: `decimal` and `thousands` must differ")
        return self

    @property
    def reads_folder(self) -> bool:
        return self.tables[0].file is not None

    @property
    def reading(self) -> Reading:
        return Reading(encoding=self.encoding, delimiter=self.delimiter,
                       date_formats=tuple(self.date_formats), decimal=self.decimal,
                       thousands=self.thousands)

    def plans(self, target: Path) -> list[tuple[Path, TablePlan]]:
        """(file, plan) for each table in LOAD_ORDER; `target` is the file, or the folder."""
        skip = self.missing_columns == "skip"
        parts = sorted(self.tables, key=lambda part: LOAD_ORDER.index(part.table))
        if not self.reads_folder:
            if target.is_dir():
                raise ImportFailed(target, None, None,
                                   f"{self.name} reads one file: give the file, not a folder")
            return [(target, part.plan(skip)) for part in parts]
        if not target.is_dir():
            names = ", ".join(sorted({part.file for part in parts}))
            raise ImportFailed(target, None, None,
                               f"{self.name} reads a folder holding {names}: give the folder")
        for name in sorted({part.file for part in parts}):
            if not (target / name).is_file():
                raise ImportFailed(target, None, None, f"{name} is not in the folder")
        return [(target / part.file, part.plan(skip)) for part in parts]


def preset_names() -> list[str]:
    """The presets shipped in data/presets/, by name."""
    return sorted(path.stem for path in PRESETS_DIR.glob("*.yaml"))


def preset_path(name: str) -> Path:
    """The mapping file of a shipped preset; MappingError naming the presets when unknown."""
    path = PRESETS_DIR / f"{name}.yaml"
    if "/" in name or not path.is_file():
        raise MappingError(name, None, f"no such preset; one of: {', '.join(preset_names())}")
    return path


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
) -> list[ImportResult]:
    """Load `target` (a file, or a folder for a preset that names its files) through `mapping`.

    One transaction: every table of every file, or nothing. The mapping's own `timezone`
    reads timestamps without an offset; else `tz` (the agreement's).
    """
    if mapping.timezone:
        tz = ZoneInfo(mapping.timezone)
    plans = mapping.plans(Path(target))
    return import_plans(engine, plans, reading=mapping.reading, tz=tz, report=report)
