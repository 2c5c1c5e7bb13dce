"""The SLA agreement file (SPEC "The SLA agreement file"): loaded, validated, refused whole.

`load_agreement(path)` runs at start (app, every command); a file that breaks the format
raises `AgreementError` naming the line and the reason, and nothing of it is applied.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import os
import re
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as public_holidays
from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from dashboard import vocabulary
from queries.db import PROJECT_ROOT
from queries.yaml_lines import YamlSyntaxError, lines_by_path, load_yaml

DEFAULT_SLA_PATH = PROJECT_ROOT / "data" / "sla.yaml"

# The fields of `kpis` a commitment may name, by kind (SPEC "The headless interface").
COUNT_METRICS = vocabulary.COUNT_METRICS
RATE_METRICS = vocabulary.RATE_METRICS
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
STAGES = vocabulary.AGREEMENT_STAGES
PERIOD_KEY = re.compile(r"^\d{4}-(\d{2}|W\d{2}|Q[1-4]|\d{2}-\d{2})$")
# The two forms of `holidays` (pydantic names the one it read in an error's location).
HOLIDAY_DATES, HOLIDAY_COUNTRY = "list of dates", "country's holidays"


class _FaultAt(ValueError):
    """A fault a model validator finds below its own model: `loc` is where, from that model,
    so the refusal names that line rather than the model's first."""

    def __init__(self, loc: tuple, reason: str):
        self.loc = loc
        super().__init__(reason)


class AgreementError(ValueError):
    """The agreement file is unusable; says which file, which line and why."""

    def __init__(self, path: Path | str, line: int | None, reason: str):
        self.path, self.line, self.reason = str(path), line, reason
        where = f"{self.path} line {line}" if line else self.path
        super().__init__(f"{where}: {reason}")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class WorkingHours(_Strict):
    start: dt.time
    end: dt.time

    @model_validator(mode="after")
    def _start_before_end(self):
        if self.end <= self.start:
            raise ValueError(f"working_hours end {self.end} must be after start {self.start}")
        return self

    @property
    def hours(self) -> float:
        start = dt.datetime.combine(dt.date.min, self.start)
        return (dt.datetime.combine(dt.date.min, self.end) - start).total_seconds() / 3600


class CountryHolidays(_Strict):
    """`holidays: {country: FI, subdivision: "01", extra: [2026-12-24]}`: a country's public
    holidays (the `holidays` package; optionally with those of one of its subdivisions) plus
    the extra days the teams agreed."""

    country: str
    subdivision: str | None = None
    extra: list[dt.date] = Field(default_factory=list)

    @field_validator("country")
    @classmethod
    def _known_country(cls, country: str) -> str:
        if not re.fullmatch(r"[A-Z]{2}", country):
            raise ValueError(f"{country!r} is not a country code: two capital letters (ISO 3166-1), "
                             "such as FI, SE, NO or DK")
        try:
            public_holidays.country_holidays(country)
        except NotImplementedError:
            raise ValueError(f"unknown country {country!r}: the holidays package has no public holidays "
                             "for it (ISO 3166-1 codes such as FI, SE, NO or DK)") from None
        return country

    @field_validator("subdivision")
    @classmethod
    def _known_subdivision(cls, subdivision: str | None, info: ValidationInfo) -> str | None:
        country = info.data.get("country")  # absent when the country itself was refused
        if subdivision is None or country is None:
            return subdivision
        calendar = type(public_holidays.country_holidays(country))
        if subdivision not in calendar.subdivisions and subdivision not in calendar.subdivisions_aliases:
            choice = f"one of {', '.join(calendar.subdivisions)}" if calendar.subdivisions else "it has none"
            raise ValueError(f"{country} has no subdivision {subdivision!r} ({choice})")
        return subdivision


def _holidays_form(value) -> str:
    return HOLIDAY_COUNTRY if isinstance(value, (dict, CountryHolidays)) else HOLIDAY_DATES


Holidays = Annotated[
    Annotated[list[dt.date], Tag(HOLIDAY_DATES)] | Annotated[CountryHolidays, Tag(HOLIDAY_COUNTRY)],
    Discriminator(_holidays_form),
]


# The dimensions a commitment may give targets for (SPEC "Targets per slice"), as the filters name them.
GRAINS = ("day", "week", "month", "quarter")


def _check_overrides(overrides: dict[str, float]) -> dict[str, float]:
    for key in overrides:
        if not PERIOD_KEY.match(key):
            raise ValueError(
                f"override period {key!r} is not a month (2026-07), ISO week (2026-W27), "
                "quarter (2026-Q3) or day (2026-07-03)"
            )
    return overrides


class SliceTarget(_Strict):
    """The target of one slice of a commitment: `{month: 100}` (a count, optionally with its
    own `overrides`) or `0.7` / `{target: 0.7, overrides: {...}}` (a rate). Without its own
    overrides a slice has none: the commitment's do not apply to it."""

    day: float | None = Field(default=None, ge=0)
    week: float | None = Field(default=None, ge=0)
    month: float | None = Field(default=None, ge=0)
    quarter: float | None = Field(default=None, ge=0)
    target: float | None = Field(default=None, ge=0, le=1)
    overrides: dict[str, float] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _fraction(cls, value):
        return {"target": value} if isinstance(value, (int, float)) and not isinstance(value, bool) else value

    @field_validator("overrides")
    @classmethod
    def _period_keys(cls, overrides: dict[str, float]) -> dict[str, float]:
        return _check_overrides(overrides)

    @model_validator(mode="after")
    def _one_target(self):
        given = [grain for grain in GRAINS if getattr(self, grain) is not None]
        if self.target is not None and given:
            raise ValueError("a slice target is a count ({month: 100}) or a rate (0.7), not both")
        if self.target is None and len(given) != 1:
            raise ValueError("a slice target names one period, e.g. {month: 100}, or is a fraction, e.g. 0.7")
        return self

    @property
    def is_count(self) -> bool:
        return self.target is None

    @property
    def target_unit(self) -> str | None:
        return next(grain for grain in GRAINS if getattr(self, grain) is not None) if self.is_count else None

    @property
    def target_value(self) -> float:
        return getattr(self, self.target_unit) if self.is_count else self.target


class Commitment(_Strict):
    """One promise of one team: a kpis field with its target."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    team: Literal["marketing", "sales"]
    metric: str
    target: float | dict[Literal["day", "week", "month", "quarter"], float]
    overrides: dict[str, float] = Field(default_factory=dict)
    window_hours: float | None = Field(default=None, gt=0)
    description: str | None = None
    slices: dict[Literal["segment", "source", "campaign", "owner", "team"], dict[str, SliceTarget]] = Field(
        default_factory=dict)

    @field_validator("metric")
    @classmethod
    def _known_metric(cls, metric: str) -> str:
        if metric not in COUNT_METRICS + RATE_METRICS:
            known = ", ".join(COUNT_METRICS + RATE_METRICS)
            raise ValueError(f"unknown metric {metric!r}; a commitment names one of: {known}")
        return metric

    @field_validator("overrides")
    @classmethod
    def _period_keys(cls, overrides: dict[str, float]) -> dict[str, float]:
        return _check_overrides(overrides)

    @model_validator(mode="after")
    def _target_fits_metric(self):
        if self.is_count:
            if not isinstance(self.target, dict) or len(self.target) != 1:
                raise ValueError(
                    f"{self.metric} is a count: its target names one period, e.g. {{month: 400}}"
                )
            if next(iter(self.target.values())) < 0:
                raise ValueError("a count target cannot be negative")
        else:
            if isinstance(self.target, dict):
                raise ValueError(f"{self.metric} is a rate: its target is a fraction, e.g. 0.8")
            if not 0 <= self.target <= 1:
                raise ValueError(f"rate target {self.target} must be a fraction between 0 and 1")
            for key, value in self.overrides.items():
                if not 0 <= value <= 1:
                    raise ValueError(f"rate override {key}: {value} must be between 0 and 1")
        if self.metric == "response_sla_attainment" and self.window_hours is None:
            raise ValueError("response_sla_attainment needs window_hours (the response window)")
        for dimension, targets in self.slices.items():
            for value, slice_target in targets.items():
                if slice_target.is_count != self.is_count:
                    kind = "a count: {month: 100}" if self.is_count else "a rate: a fraction such as 0.7"
                    raise _FaultAt(("slices", dimension, value), f"{self.metric} is {kind}")
                if not self.is_count:
                    for key, rate in slice_target.overrides.items():
                        if not 0 <= rate <= 1:
                            raise _FaultAt(("slices", dimension, value, "overrides", key),
                                           f"rate override {key}: {rate} must be between 0 and 1")
        return self

    @property
    def is_count(self) -> bool:
        return self.metric in COUNT_METRICS

    @property
    def target_unit(self) -> str | None:
        return next(iter(self.target)) if isinstance(self.target, dict) else None

    @property
    def target_value(self) -> float:
        return next(iter(self.target.values())) if isinstance(self.target, dict) else self.target


def _unique_ids(commitments: list[Commitment]) -> None:
    ids = [c.id for c in commitments]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ValueError(f"commitment ids must be unique: {', '.join(duplicates)} repeat")


def _every_stage(definitions: dict[str, str]) -> dict[str, str]:
    missing = [stage for stage in STAGES if not definitions.get(stage)]
    if missing:
        raise ValueError(f"definitions lack a sentence for: {', '.join(missing)}")
    return definitions


class EarlierVersion(_Strict):
    """One earlier version of the agreement under `versions:`: its first day, its targets and,
    where they differed from the current version, its definitions and who agreed it when."""

    effective_from: dt.date
    commitments: list[Commitment] = Field(min_length=1)
    definitions: dict[Literal["lead", "mql", "sal", "sql", "opportunity"], str] | None = None
    agreed_on: dt.date | None = None
    agreed_by: list[str] | None = Field(default=None, min_length=1)

    @field_validator("definitions")
    @classmethod
    def _every_stage_defined(cls, definitions):
        return definitions if definitions is None else _every_stage(definitions)

    @model_validator(mode="after")
    def _unique_commitments(self):
        _unique_ids(self.commitments)
        return self


@dataclasses.dataclass(frozen=True)
class Version:
    """A version of the agreement as in force from `effective_from` (None: since always)
    until `until` (exclusive; None: still in force), with everything it says filled in."""

    number: int  # 1 for the earliest
    effective_from: dt.date | None
    until: dt.date | None
    commitments: tuple[Commitment, ...]
    definitions: dict[str, str]
    agreed_on: dt.date
    agreed_by: tuple[str, ...]
    name: str
    is_current: bool

    def commitment(self, commitment_id: str) -> Commitment | None:
        return next((c for c in self.commitments if c.id == commitment_id), None)

    @property
    def label(self) -> str:
        since = f"from {self.effective_from.isoformat()}" if self.effective_from else "from the start"
        return f"version {self.number} ({since})"


class Agreement(_Strict):
    """The written SLA between marketing and sales."""

    name: str
    agreed_on: dt.date
    agreed_by: list[str] = Field(min_length=1)
    effective_from: dt.date | None = None
    review: Literal["monthly", "quarterly", "half-yearly", "yearly"] = "quarterly"
    timezone: str = "Europe/Helsinki"
    currency: str = Field(default="EUR", pattern=r"^[A-Z]{3}$")
    working_days: list[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]] = Field(
        default_factory=lambda: ["mon", "tue", "wed", "thu", "fri"], min_length=1
    )
    working_hours: WorkingHours | None = None
    holidays: Holidays = Field(default_factory=list)
    definitions: dict[Literal["lead", "mql", "sal", "sql", "opportunity"], str]
    commitments: list[Commitment] = Field(min_length=1)
    versions: list[EarlierVersion] = Field(default_factory=list)
    # Optional knobs beyond SPEC's example, each with a sensible default.
    exchange_rates: dict[str, float] = Field(default_factory=dict)
    stage_probabilities: dict[str, float] = Field(default_factory=dict)
    stuck_after_days: dict[Literal["lead", "mql", "sal", "sql", "opportunity"], int] = Field(
        default_factory=lambda: {"mql": 7, "sal": 21, "sql": 30, "opportunity": 90}
    )

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, name: str) -> str:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {name!r} (use an IANA name like Europe/Helsinki)") from None
        return name

    @field_validator("definitions")
    @classmethod
    def _every_stage_defined(cls, definitions: dict[str, str]) -> dict[str, str]:
        return _every_stage(definitions)

    @model_validator(mode="after")
    def _unique_commitments(self):
        _unique_ids(self.commitments)
        return self

    @model_validator(mode="after")
    def _versions_in_order(self):
        if not self.versions:
            return self
        if self.effective_from is None:
            raise _FaultAt(("versions",), "the current version needs effective_from (its first day) when "
                                          "versions lists earlier ones")
        days = [version.effective_from for version in self.versions] + [self.effective_from]
        for index, (earlier, later) in enumerate(zip(days, days[1:])):
            if earlier >= later:
                raise _FaultAt(("versions", index, "effective_from"),
                               "versions must run in order, earliest first, each before the next and the "
                               f"current version: {earlier} is not before {later}")
        # A commitment keeps its figure across versions: its targets add up day by day.
        metrics = {c.id: c.metric for c in self.commitments}
        for index in range(len(self.versions) - 1, -1, -1):
            for position, commitment in enumerate(self.versions[index].commitments):
                known = metrics.setdefault(commitment.id, commitment.metric)
                if known != commitment.metric:
                    raise _FaultAt(("versions", index, "commitments", position, "metric"),
                                   f"commitment {commitment.id} measures {known} in a later version, not "
                                   f"{commitment.metric}: a changed figure needs a new commitment id")
        return self

    @property
    def all_versions(self) -> tuple[Version, ...]:
        """Every version, earliest first, the current one last (SPEC "Versions")."""
        listed = [*self.versions, None]
        starts = [v.effective_from for v in self.versions] + [self.effective_from]
        found = []
        for number, (version, start) in enumerate(zip(listed, starts), start=1):
            until = starts[number] if number < len(starts) else None
            if version is None:
                found.append(Version(number, start, until, tuple(self.commitments), dict(self.definitions),
                                     self.agreed_on, tuple(self.agreed_by), self.name, True))
            else:
                found.append(Version(
                    number, start, until, tuple(version.commitments), dict(version.definitions or self.definitions),
                    version.agreed_on or version.effective_from, tuple(version.agreed_by or self.agreed_by),
                    self.name, False))
        return tuple(found)

    def version_on(self, day) -> Version:
        """The version in force on a local date; days before the earliest take the earliest."""
        day = day.date() if isinstance(day, dt.datetime) else day
        chosen = self.all_versions[0]
        for version in self.all_versions:
            if version.effective_from is None or version.effective_from <= day:
                chosen = version
        return chosen

    def versions_between(self, first, last) -> tuple[Version, ...]:
        """The versions in force on some day of first..last (local dates, both included)."""
        first = first.date() if isinstance(first, dt.datetime) else first
        last = last.date() if isinstance(last, dt.datetime) else last
        numbers = {self.version_on(first).number}
        numbers |= {v.number for v in self.all_versions if v.effective_from and first < v.effective_from <= last}
        return tuple(v for v in self.all_versions if v.number in numbers)

    @property
    def commitment_ids(self) -> tuple[str, ...]:
        """Every commitment id of any version: the current ones first, in their order."""
        ids = [c.id for c in self.commitments]
        for version in reversed(self.all_versions):
            ids += [c.id for c in version.commitments if c.id not in ids]
        return tuple(ids)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def weekday_numbers(self) -> tuple[int, ...]:
        return tuple(sorted(WEEKDAYS.index(day) for day in self.working_days))

    @property
    def holiday_dates(self) -> list[dt.date]:
        """The days off the file lists itself: `holidays` as a list, or a country's `extra`."""
        return self.holidays.extra if isinstance(self.holidays, CountryHolidays) else self.holidays

    @property
    def holiday_country(self) -> CountryHolidays | None:
        """The country (and subdivision) whose public holidays are days off, if the file names one."""
        return self.holidays if isinstance(self.holidays, CountryHolidays) else None

    @property
    def response_commitment(self) -> Commitment | None:
        return next(
            (c for c in self.commitments if c.metric == "response_sla_attainment"), None
        )

    @property
    def response_window_hours(self) -> float | None:
        commitment = self.response_commitment
        return commitment.window_hours if commitment else None

    def commitment(self, commitment_id: str) -> Commitment:
        """The commitment of this id in the latest version that has it."""
        for version in reversed(self.all_versions):
            found = version.commitment(commitment_id)
            if found is not None:
                return found
        raise StopIteration(commitment_id)

    def next_review(self, today: dt.date) -> dt.date:
        """The first review date after `today`, counted from the day it was agreed."""
        months = {"monthly": 1, "quarterly": 3, "half-yearly": 6, "yearly": 12}[self.review]
        step, review = 0, self.agreed_on
        while review <= today:
            step += months
            month = self.agreed_on.month - 1 + step
            year = self.agreed_on.year + month // 12
            review = dt.date(year, month % 12 + 1, min(self.agreed_on.day, 28))
        return review


def agreement_path(path: str | Path | None = None) -> Path:
    """The agreement in force: `path`, else `SLA_PATH`, else `data/sla.yaml`."""
    return Path(path or os.environ.get("SLA_PATH") or DEFAULT_SLA_PATH)


def load_agreement(path: str | Path | None = None) -> Agreement:
    """Read and validate the agreement file; raise AgreementError with a line on any fault."""
    path = agreement_path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise AgreementError(path, None, "no such file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise AgreementError(path, None, f"cannot read it: {error}") from error
    return parse_agreement(text, path)


def parse_agreement(text: str, path: str | Path = "<agreement>") -> Agreement:
    """Validate an agreement given as YAML text."""
    try:
        root, data = load_yaml(text)
    except YamlSyntaxError as error:
        raise AgreementError(path, error.line, f"not valid YAML: {error.problem}") from error
    if not isinstance(data, dict):
        raise AgreementError(path, 1, "the agreement must be a mapping of fields")
    try:
        return Agreement.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        loc = tuple(part for part in first["loc"] if part not in (HOLIDAY_DATES, HOLIDAY_COUNTRY))
        cause = (first.get("ctx") or {}).get("error")
        if isinstance(cause, _FaultAt):
            loc += cause.loc
        line = _line_for(lines_by_path(root), loc)
        field = ".".join(str(part) for part in loc) or "agreement"
        message = first["msg"].removeprefix("Value error, ")
        if first["type"] == "missing":
            message = "a required field is missing"
        raise AgreementError(path, line, f"{field}: {message}") from error


def _line_for(lines: dict[tuple, int], loc: tuple) -> int | None:
    """The line of the deepest part of `loc` that the file has (pydantic adds type tags)."""
    for end in range(len(loc), -1, -1):
        key = tuple(str(p) if not isinstance(p, int) else p for p in loc[:end])
        if key in lines:
            return lines[key]
    return None


@dataclasses.dataclass(frozen=True)
class Change:
    """One difference between a version and the one before it: a commitment `added`,
    `removed` or `changed` (with the fields that changed), or a stage's `definition`."""

    kind: Literal["added", "removed", "changed", "definition"]
    subject: str  # the commitment's id or the stage
    before: Commitment | str | None = None
    after: Commitment | str | None = None
    fields: tuple[str, ...] = ()


def version_changes(earlier: Version, later: Version) -> list[Change]:
    """What changed from `earlier` to `later`: commitments added, removed, changed (in the
    later version's order, then the removed ones), then the definitions that changed."""
    changes = []
    for commitment in later.commitments:
        before = earlier.commitment(commitment.id)
        if before is None:
            changes.append(Change("added", commitment.id, None, commitment))
            continue
        old, new = before.model_dump(), commitment.model_dump()
        fields = tuple(name for name in new if old[name] != new[name])
        if fields:
            changes.append(Change("changed", commitment.id, before, commitment, fields))
    changes += [Change("removed", c.id, c, None) for c in earlier.commitments if later.commitment(c.id) is None]
    changes += [Change("definition", stage, earlier.definitions.get(stage), later.definitions.get(stage))
                for stage in STAGES if earlier.definitions.get(stage) != later.definitions.get(stage)]
    return changes
