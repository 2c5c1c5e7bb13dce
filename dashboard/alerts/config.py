"""The alerts file (`data/alerts.yaml`, or `ALERTS_PATH`): who hears of which event on which
channel, the scheduled digest and pack, quiet hours. Validated as strictly as the agreement:
a file that breaks the format is refused whole with its line and the reason."""
from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from queries.db import PROJECT_ROOT
from queries.yaml_lines import YamlSyntaxError, lines_by_path, load_yaml

DEFAULT_ALERTS_PATH = PROJECT_ROOT / "data" / "alerts.yaml"
ADDRESS = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+$")
ENV_NAME = re.compile(r"^[A-Z_][A-Z0-9_]*$")
HORIZONS = ("today", "this_week", "this_month", "this_quarter")
PACK_FORMATS = ("pdf", "pptx", "xlsx")


def _check_address(address: str) -> str:
    if not ADDRESS.match(address):
        raise ValueError(f"{address!r} is not an e-mail address")
    return address


Address = Annotated[str, AfterValidator(_check_address)]


def _time_text(value):
    """A time of day must be written in quotes: YAML reads 08:30 unquoted as a number of minutes."""
    if not isinstance(value, (str, dt.time)):
        raise ValueError(f'write the time of day in quotes, e.g. "08:30" (read {value!r})')
    return value


LocalTime = Annotated[dt.time, BeforeValidator(_time_text)]


class AlertsError(ValueError):
    """The alerts file is unusable; says which file, which line and why."""

    def __init__(self, path: Path | str, line: int | None, reason: str):
        self.path, self.line, self.reason = str(path), line, reason
        where = f"{self.path} line {line}" if line else self.path
        super().__init__(f"{where}: {reason}")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Hours(_Strict):
    """A daily window of local time; one whose end comes before its start runs past midnight."""

    start: LocalTime
    end: LocalTime

    @model_validator(mode="after")
    def _not_empty(self):
        if self.start == self.end:
            raise ValueError("quiet_hours start and end must differ")
        return self

    def covers(self, moment: dt.time) -> bool:
        if self.start < self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end


class Channel(_Strict):
    """A chat or webhook destination; its URL, a secret, is read from the environment."""

    kind: Literal["slack", "teams", "webhook"]
    url_env: str

    @field_validator("url_env")
    @classmethod
    def _env_name(cls, name: str) -> str:
        if not ENV_NAME.match(name):
            raise ValueError(f"{name!r} is not an environment variable name (e.g. SLACK_WEBHOOK_URL)")
        return name

    def url(self) -> str | None:
        return os.environ.get(self.url_env) or None


Recipient = str  # owner, team_lead, list:NAME or an e-mail address


class Rule(_Strict):
    """One alert: an event, who hears of it, and how."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    event: Literal["breach_soon", "breach", "pace", "stale_data"]
    to: list[Recipient] = Field(default_factory=list)
    chat: list[str] = Field(default_factory=list)
    urgent: bool = False  # sent at once, outside working hours and quiet hours too
    enabled: bool = True
    share: float | None = Field(default=None, gt=0, lt=1)  # breach_soon: the share of the window gone
    horizon: Literal["today", "this_week", "this_month", "this_quarter"] = "this_month"  # pace
    after_hours: float | None = Field(default=None, gt=0)  # stale_data: hours without an import

    @model_validator(mode="after")
    def _fits_event(self):
        if self.event == "breach_soon" and self.share is None:
            raise ValueError("breach_soon needs share: the share of the response window gone, e.g. 0.75")
        if self.event != "breach_soon" and self.share is not None:
            raise ValueError("share belongs to breach_soon rules only")
        if self.event == "stale_data" and self.after_hours is None:
            raise ValueError("stale_data needs after_hours: how long without an import, e.g. 26")
        if self.event != "stale_data" and self.after_hours is not None:
            raise ValueError("after_hours belongs to stale_data rules only")
        if not self.to and not self.chat:
            raise ValueError("a rule needs someone to tell: `to` (e-mail) or `chat` (channels)")
        for who in self.to:
            if who == "owner" and self.event not in ("breach_soon", "breach"):
                raise ValueError("`owner` is the lead's owner: only breach and breach_soon rules have one")
            if who == "team_lead" and self.event != "pace":
                raise ValueError("`team_lead` is the commitment's team lead: only pace rules have one")
        return self


class Digest(_Strict):
    """The Monday digest: the meeting's numbers with the key charts."""

    day: Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"] = "mon"
    at: LocalTime = dt.time(8, 0)
    to: list[Recipient] = Field(default_factory=list)
    chat: list[str] = Field(default_factory=list)


class Pack(_Strict):
    """The monthly pack on the first working day of the month."""

    at: LocalTime = dt.time(8, 0)
    to: list[Recipient] = Field(default_factory=list)
    chat: list[str] = Field(default_factory=list)
    attach: list[Literal["pdf", "pptx", "xlsx"]] = Field(default_factory=lambda: list(PACK_FORMATS))


class Schedule(_Strict):
    digest: Digest | None = None
    pack: Pack | None = None


class AlertsConfig(_Strict):
    """The whole alerts file."""

    link_base: str = "http://127.0.0.1:8050"  # where the links in messages point
    sender: Address | None = None  # the From address; else SMTP_FROM
    quiet_hours: Hours | None = None
    summary_after: int = Field(default=5, ge=1)  # more events than this at once: one summary message
    retries: int = Field(default=3, ge=0, le=10)
    retry_seconds: float = Field(default=2.0, ge=0)  # the first wait; each next one doubles
    people: dict[str, Address] = Field(default_factory=dict)  # dashboard user name -> e-mail address
    lists: dict[str, list[Address]] = Field(default_factory=dict)
    team_leads: dict[Literal["marketing", "sales"], Address] = Field(default_factory=dict)
    channels: dict[str, Channel] = Field(default_factory=dict)
    rules: list[Rule] = Field(default_factory=list)
    schedule: Schedule = Field(default_factory=Schedule)

    @field_validator("link_base")
    @classmethod
    def _http(cls, url: str) -> str:
        if not re.match(r"^https?://[^\s/]+", url):
            raise ValueError(f"{url!r}: write the dashboard's address, e.g. https://dashboard.example.com")
        return url.rstrip("/")

    @model_validator(mode="after")
    def _references(self):
        ids = [rule.id for rule in self.rules]
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            raise ValueError(f"rule ids must be unique: {', '.join(repeated)} repeat")
        return self

    def address_of(self, user: str) -> str | None:
        """A dashboard user's e-mail address: from `people`, or the name itself when it is one."""
        if user in self.people:
            return self.people[user]
        return user if ADDRESS.match(user or "") else None


def _reference_faults(config: AlertsConfig) -> list[tuple[tuple, str]]:
    """Names a rule or the schedule uses that the file does not define, each with its place."""
    faults = []
    places = [(("rules", i), rule) for i, rule in enumerate(config.rules)]
    places += [(("schedule", name), getattr(config.schedule, name)) for name in ("digest", "pack")
               if getattr(config.schedule, name) is not None]
    for place, item in places:
        for j, who in enumerate(item.to):
            if who in ("owner", "team_lead"):
                if who == "team_lead" and not config.team_leads:
                    faults.append((place + ("to", j), "team_lead needs team_leads: {marketing: ..., sales: ...}"))
                continue
            if who.startswith("list:"):
                if who[5:] not in config.lists:
                    known = ", ".join(sorted(config.lists)) or "none"
                    faults.append((place + ("to", j), f"no list {who[5:]!r} under lists (known: {known})"))
            elif not ADDRESS.match(who):
                faults.append((place + ("to", j), f"{who!r} is not owner, team_lead, list:NAME or an e-mail address"))
        for j, name in enumerate(item.chat):
            if name not in config.channels:
                known = ", ".join(sorted(config.channels)) or "none"
                faults.append((place + ("chat", j), f"no channel {name!r} under channels (known: {known})"))
    return faults


def alerts_path(path: str | Path | None = None) -> Path:
    """The alerts file: `path`, else `ALERTS_PATH`, else data/alerts.yaml."""
    return Path(path or os.environ.get("ALERTS_PATH") or DEFAULT_ALERTS_PATH)


def load_alerts(path: str | Path | None = None) -> AlertsConfig:
    """Read and validate the alerts file; raise AlertsError with a line on any fault."""
    path = alerts_path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise AlertsError(path, None, "no such file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise AlertsError(path, None, f"cannot read it: {error}") from error
    return parse_alerts(text, path)


def parse_alerts(text: str, path: str | Path = "<alerts>") -> AlertsConfig:
    """Validate an alerts file given as YAML text."""
    try:
        root, data = load_yaml(text)
    except YamlSyntaxError as error:
        raise AlertsError(path, error.line, f"not valid YAML: {error.problem}") from error
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise AlertsError(path, 1, "the alerts file must be a mapping of fields")
    lines = lines_by_path(root) if root is not None else {}
    try:
        config = AlertsConfig.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        loc = tuple(first["loc"])
        field = ".".join(str(part) for part in loc) or "alerts"
        message = first["msg"].removeprefix("Value error, ")
        if first["type"] == "missing":
            message = "a required field is missing"
        raise AlertsError(path, _line_for(lines, loc), f"{field}: {message}") from None
    faults = _reference_faults(config)
    if faults:
        loc, message = faults[0]
        raise AlertsError(path, _line_for(lines, loc), f"{'.'.join(map(str, loc))}: {message}")
    return config


def _line_for(lines: dict[tuple, int], loc: tuple) -> int | None:
    """The line of the deepest part of `loc` that the file has (pydantic adds type tags)."""
    for end in range(len(loc), -1, -1):
        key = tuple(str(p) if not isinstance(p, int) else p for p in loc[:end])
        if key in lines:
            return lines[key]
    return None
