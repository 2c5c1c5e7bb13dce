"""A preset or mapping import from start to end, as `app.py import` and the Admin page's upload
both run it: which preset (and generation) reads the file (`auto`: any preset), the load with the
coverage check of the agreement (refused with the reason unless `allow_partial`), and the lines
that say what happened: what was recognised, per table what was written and how the file was
read, and the coverage report. One implementation, so the browser refuses what the command line
refuses and says it in the same words."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from dashboard.importing.coverage import Coverage, coverage_lines
from dashboard.importing.importer import ImportProgress, ImportResult
from dashboard.importing.mapping import (
    Mapping,
    MappingError,
    import_mapping,
    import_mappings,
    load_mapping,
    preset_paths,
    recognise,
    recognise_folder,
)
from dashboard.importing.shape import DELIMITER_NAMES, encoding_name


@dataclass(frozen=True)
class Plan:
    """What a preset or mapping import will read: each file with its mapping, and what was said
    while choosing them (`recognised ...`, `ignored ...`)."""

    target: Path
    files: tuple[tuple[Path, Mapping], ...]
    notes: tuple[str, ...] = ()
    folder: bool = False  # an export folder of files, each recognised on its own


@dataclass(frozen=True)
class Outcome:
    """A finished import: its results, the coverage gaps it was allowed through with, and the lines
    that describe it."""

    plan: Plan
    results: list[ImportResult]
    gaps: list = field(default_factory=list)

    @property
    def lines(self) -> list[str]:
        return [*self.plan.notes, *result_lines(self.results), *coverage_lines(self.results, self.gaps)]


def plan_import(target: Path | str, preset: str | None = None, mapping_file: Path | str | None = None) -> Plan:
    """The files and mappings of a `--preset NAME|auto` or `--mapping FILE` import of `target`.

    Raises MappingError (an unknown preset, a file no preset recognises, a bad mapping file) or
    ImportFailed (an unreadable file)."""
    target = Path(target)
    if (preset is None) == (mapping_file is None):
        raise MappingError(target, None, "give a preset or a mapping file, not both or neither")
    if mapping_file is not None:
        return Plan(target, ((target, load_mapping(mapping_file)),))
    if preset != "auto":
        preset_paths(preset)  # an unknown preset is refused before the file is read
    if not target.exists():
        raise MappingError(target, None, "no such file or folder")
    try:
        recognition = recognise(target, preset)
    except MappingError:
        if not (preset == "auto" and target.is_dir()):
            raise
        found, unknown = recognise_folder(target)  # an export folder of CSV files
        if not found:
            raise
        notes = [f"recognised {path.name}: {r.summary}" for path, r in found]
        notes += [f"ignored {path.name}: no preset recognises it" for path in unknown]
        return Plan(target, tuple((path, r.mapping) for path, r in found), tuple(notes), folder=True)
    return Plan(target, ((target, recognition.mapping),), (f"recognised {recognition.summary}",))


def run_import(engine: Engine, plan: Plan, commitments: Iterable, tz: ZoneInfo | None = None,
               allow_partial: bool = False,
               report: Callable[[ImportProgress], object] | None = None, backfill: bool = False) -> Outcome:
    """Load the plan's files in one transaction, checked against the agreement's commitments
    before it commits (CoverageRefused, an ImportFailed, when it cannot serve them); with
    `backfill` what it writes is history (SPEC "Recorded time")."""
    mappings = [mapping for _, mapping in plan.files]
    coverage = Coverage(list(commitments), mappings, plan.target, allow_partial=allow_partial)
    if plan.folder:
        results = import_mappings(engine, list(plan.files), tz=tz, report=report, verify=coverage, backfill=backfill)
    else:
        (path, mapping), = plan.files
        results = import_mapping(engine, mapping, path, tz=tz, report=report, verify=coverage, backfill=backfill)
    return Outcome(plan, results, coverage.gaps)


def result_lines(results: list[ImportResult]) -> list[str]:
    """Per table what was written, and per file (once) how it was read."""
    lines, described = [], set()
    for result in results:
        lines.append(f"{result.table} <- {Path(result.file).name}: {result.rows:,} rows, {result.inserted:,} inserted, "
                     f"{result.updated:,} updated, {result.unresolved:,} unknown references kept")
        if result.file not in described and result.header:
            described.add(result.file)
            lines += [f"  {line}" for line in file_shape_lines(result)]
        if result.left_out:
            rows = "row" if result.left_out == 1 else "rows"
            lines.append(f"  {result.left_out:,} {rows} left out (not rows this table reads)")
        if result.skipped_columns:
            lines.append(f"  not in the file, so left alone: {', '.join(result.skipped_columns)}")
    return lines


def file_shape_lines(result: ImportResult) -> list[str]:
    """How a preset or mapping import read a file: encoding, delimiter, lines that were not rows."""
    lines = [f"read as {encoding_name(result.encoding)}, {DELIMITER_NAMES.get(result.delimiter, 'comma')}-separated"]
    if result.preamble:
        first, last = result.preamble[0][0], result.preamble[-1][0]
        lines.append(f"skipped {len(result.preamble)} title lines above the header (rows {first}-{last}: "
                     f"{result.preamble[0][1]!r})")
    if result.footer:
        first, last = result.footer[0][0], result.footer[-1][0]
        lines.append(f"skipped {len(result.footer)} closing lines after the rows (rows {first}-{last}: "
                     f"{result.footer[0][1]!r})")
    return lines
