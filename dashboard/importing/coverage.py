"""What an import filled, and whether the agreement's commitments can be measured after it.

`coverage_lines(results)` is the report printed after every preset or mapping import: per
table, how many of the rows read got a value in each field that a figure reads (source, each
stage date, first touch, owner, amount, close). `Coverage(agreement, mapping)` is passed to
the import as its `verify` step: before the transaction commits it checks, for each
commitment of the agreement, that the fields its metric reads have a value on at least one
record of the database (SPEC "What bad or odd data gets": a rate whose deciding field is
never recorded is not measured). An import that leaves one empty is refused, naming the
column the mapping expected and the file's headers that look like it, so that nothing is
written, unless the import allows a partial load or the mapping declares that its export
never records that field (`not_recorded`); the gaps are then reported as not recorded.
"""
from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, exists, or_, select

from dashboard.importing.importer import ImportFailed, ImportResult
from queries.schema import MODELS

# The fields of each table that a figure reads, in the order the report lists them.
REPORTED = {
    "owners": ("name", "email", "team"),
    "campaigns": ("name", "channel", "cost"),
    "contacts": ("email", "company", "segment", "owner_id"),
    "leads": ("source", "campaign_id", "segment", "owner_id", "mql_at", "assigned_at", "sal_at", "sql_at",
              "opportunity_at", "disqualified_at", "recycled_at", "first_touch_at"),
    "deals": ("lead_id", "owner_id", "amount", "currency", "closed_at", "is_won", "expected_close_on"),
    "activities": ("lead_id", "owner_id", "team", "type"),
    "campaign_costs": ("campaign_id", "amount", "currency"),
}


@dataclass(frozen=True)
class Need:
    """Fields a metric reads: one of `fields` of `table` must be filled somewhere; `sales_touches`
    means sales activities serve too (SPEC 5: the first sales activity is a first touch)."""

    table: str
    fields: tuple[str, ...]
    sales_touches: bool = False

    @property
    def label(self) -> str:
        names = " or ".join(f"{self.table}.{field}" for field in self.fields)
        return names + (" (or sales activities)" if self.sales_touches else "")


_CLOSE = (Need("deals", ("closed_at",)), Need("deals", ("is_won",)))
METRIC_NEEDS: dict[str, tuple[Need, ...]] = {
    "leads": (),
    "mqls": (Need("leads", ("mql_at",)),),
    "sals": (Need("leads", ("sal_at",)),),
    "sqls": (Need("leads", ("sql_at",)),),
    "opportunities": (Need("leads", ("opportunity_at",)),),
    "deals_won": _CLOSE,
    "deals_lost": _CLOSE,
    "win_rate": _CLOSE,
    "revenue_won": (*_CLOSE, Need("deals", ("amount",))),
    "conv_lead_mql": (Need("leads", ("mql_at",)),),
    "conv_mql_sql": (Need("leads", ("mql_at",)), Need("leads", ("sql_at",))),
    "conv_sql_won": (Need("leads", ("sql_at",)), *_CLOSE),
    "response_sla_attainment": (Need("leads", ("mql_at",)),
                                Need("leads", ("first_touch_at",), sales_touches=True)),
    "acceptance_rate": (Need("leads", ("sal_at", "disqualified_at")),),
}


@dataclass(frozen=True)
class Gap:
    """A need no record meets after the import: which commitments it leaves unmeasured, and why."""

    need: Need
    commitments: tuple[str, ...]
    expected: tuple[str, ...]  # the columns the mapping reads the fields from
    message: str
    declared: str | None = None  # the mapping's reason when its export never records the field


class CoverageRefused(ImportFailed):
    """An import that would leave a commitment of the agreement without the data it needs."""

    def __init__(self, file: Path | str, gaps: list[Gap]):
        self.gaps = gaps
        reason = "; ".join(gap.message for gap in gaps)
        reason += (". Nothing was written; load an export that has these columns, or pass "
                   "--allow-partial to load it anyway (those figures then show as not recorded)")
        super().__init__(file, None, gaps[0].expected[0] if gaps[0].expected else None, reason)


def agreement_needs(commitments: Iterable) -> dict[Need, tuple[str, ...]]:
    """Need -> the ids of the commitments that need it, from the agreement's commitments."""
    needs: dict[Need, list[str]] = {}
    for commitment in commitments:
        for need in METRIC_NEEDS.get(commitment.metric, ()):
            needs.setdefault(need, []).append(commitment.id)
    return {need: tuple(ids) for need, ids in needs.items()}


def _met(connection: Connection, need: Need) -> bool:
    table = MODELS[need.table].__table__
    if connection.execute(select(exists().where(or_(*(table.c[f].isnot(None) for f in need.fields))))).scalar():
        return True
    if need.sales_touches:
        activities = MODELS["activities"].__table__
        return bool(connection.execute(select(exists().where(activities.c.team == "sales"))).scalar())
    return False


def similar_headers(expected: Iterable[str], header: Iterable[str], limit: int = 4) -> list[str]:
    """The file's headers that look like the expected columns: close spellings, shared words."""
    header = [name for name in header if name]
    found: list[str] = []
    for column in expected:
        found += difflib.get_close_matches(column, header, n=limit, cutoff=0.6)
        words = {word for word in re.findall(r"[a-z]{4,}", column.casefold()) if word not in _COMMON_WORDS}
        found += [name for name in header if words & set(re.findall(r"[a-z]{4,}", name.casefold()))]
    return list(dict.fromkeys(name for name in found if name not in expected))[:limit]


_COMMON_WORDS = {"date", "time", "first", "last", "name", "record", "lifecycle", "stage", "pipeline", "deal",
                 "lead", "contact"}


class Coverage:
    """The `verify` step of a preset or mapping import (see the module docstring)."""

    def __init__(self, commitments: Iterable, mappings, target: Path | str, allow_partial: bool = False):
        self.needs = agreement_needs(commitments)
        self.mappings = mappings if isinstance(mappings, list) else [mappings]
        self.target, self.allow_partial = Path(target), allow_partial
        self.gaps: list[Gap] = []

    def _expected(self, need: Need) -> tuple[str, ...]:
        columns: list[str] = []
        for part in (part for mapping in self.mappings for part in mapping.tables):
            if part.table != need.table:
                continue
            for field in need.fields:
                spec = part.fields.get(field)
                for item in (spec if isinstance(spec, list) else [spec]) if spec is not None else []:
                    columns += [item] if isinstance(item, str) else [c for c in (item.column, *item.join) if c]
        return tuple(dict.fromkeys(columns))

    def __call__(self, connection: Connection, results: list[ImportResult]) -> None:
        written = {result.table for result in results if result.inserted or result.updated}
        headers = {column for result in results for column in result.header}
        gaps = []
        for need, commitments in self.needs.items():
            if need.table not in written or _met(connection, need):
                continue
            expected = self._expected(need)
            declared = next((mapping.not_recorded[f"{need.table}.{f}"] for mapping in self.mappings
                             for f in need.fields if f"{need.table}.{f}" in mapping.not_recorded), None)
            in_file = [column for column in expected if column.casefold() in {h.casefold() for h in headers}]
            if not expected:
                where = f"{' and '.join(m.name for m in self.mappings)} read no column for it"
            elif in_file:
                where = f"column {', '.join(repr(c) for c in in_file)} is empty on every row"
            else:
                where = f"expected column {' or '.join(repr(c) for c in expected)}, which is not in the file"
            similar = similar_headers(expected or need.fields, headers)
            if similar:
                where += f" (the file has {', '.join(repr(c) for c in similar)})"
            if need.sales_touches:
                where += (" (sales activities serve too: load the CRM's calls, meetings or tasks first, "
                          "with hubspot-engagements, salesforce-tasks or salesforce-events)")
            message = (f"commitment {', '.join(commitments)} needs {need.label}, and no record has it: {where}")
            gaps.append(Gap(need, commitments, expected, message, declared))
        self.gaps = gaps
        refused = [gap for gap in gaps if gap.declared is None]
        if refused and not self.allow_partial:
            raise CoverageRefused(self.target, refused)


def coverage_lines(results: list[ImportResult], gaps: Iterable[Gap] = ()) -> list[str]:
    """The coverage report: per table, rows read and how many got a value in each field."""
    rows: dict[str, int] = {}
    filled: dict[str, dict[str, int]] = {}
    for result in results:
        rows[result.table] = rows.get(result.table, 0) + result.rows
        for field, count in result.filled.items():
            filled.setdefault(result.table, {})[field] = filled.get(result.table, {}).get(field, 0) + count
    lines = ["coverage (rows that got a value, of the rows read):"]
    for table, count in rows.items():
        if not count:
            continue
        values = filled.get(table, {})
        cells = [f"{field} {values.get(field, 0):,}" for field in REPORTED.get(table, ())]
        lines.append(f"  {table} ({count:,} rows): " + ", ".join(cells))
    for gap in gaps:
        why = f" ({gap.declared})" if gap.declared else ""
        commitments = ("commitment " if len(gap.commitments) == 1 else "commitments ") + ", ".join(gap.commitments)
        lines.append(f"  not recorded: {gap.need.label}, so {commitments} cannot be measured{why}")
    return lines
