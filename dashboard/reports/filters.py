"""What a view is filtered by: the grain, the date range and the slicing filters, as the URL's
query string says them (`?grain=week&start=...&segment=SMB,Enterprise&deal_owner=7`), so a copied link
reproduces the view; `ViewFilters.from_query` reads them and ignores values it cannot read
rather than failing. The filter bar (dashboard/components/filters.py) shows and edits them;
the reports read them.

What one view may ask for is bounded, so that no link and no callback body makes a page work
for minutes: at most MAX_PERIODS periods of its grain (the start moves up), dates within
EARLIEST..LATEST, at most MAX_VALUES values per filter. The filter bar says what it cut
(`ViewFilters.notices`).
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import asdict, dataclass, field
from urllib.parse import parse_qs, urlencode

from dashboard import vocabulary
from dashboard.metrics.calendar import GRAINS
from queries.loaders import Filters

TEAMS = vocabulary.TEAMS
FILTER_KEYS = ("grain", "start", "end", "segment", "source", "campaign", "owner", "team", "deal_owner", "deal_team")
MAX_PERIODS = 400  # a day view of 13 months, a week view of 7 years, a month view of 33
EARLIEST, LATEST = dt.date(1900, 1, 1), dt.date(2199, 12, 31)
MAX_VALUES = 100
LONGER_GRAINS = {"day": "a week, month or quarter view", "week": "a month or quarter view",
                 "month": "a quarter view", "quarter": None}


def default_range(today: dt.date) -> tuple[dt.date, dt.date]:
    """The date range shown when the URL names none: the last six months to today."""
    month = today.month - 5
    start = dt.date(today.year + (month - 1) // 12, (month - 1) % 12 + 1, 1)
    return start, today


def earliest_start(end: dt.date, grain: str) -> dt.date:
    """The earliest start of a range ending on `end` that spans at most MAX_PERIODS periods of `grain`."""
    if grain == "day":
        return end - dt.timedelta(days=MAX_PERIODS - 1)
    if grain == "week":
        return end - dt.timedelta(weeks=MAX_PERIODS - 1)
    months = (MAX_PERIODS - 1) * (3 if grain == "quarter" else 1)
    index = end.year * 12 + end.month - 1 - months
    return max(dt.date(index // 12, index % 12 + 1, 1), EARLIEST)


@dataclass(frozen=True)
class ViewFilters:
    """What the filter bar says: a grain, a date range and the slicing filters. `owner_ids`
    and `teams` select leads by the lead's owner (their deals go with them); `deal_owner_ids`
    and `deal_teams` select deals by the deal's own owner (queries.loaders.Filters)."""

    grain: str = "week"
    start: dt.date | None = None
    end: dt.date | None = None
    segments: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    campaign_ids: tuple[int, ...] = ()
    owner_ids: tuple[int, ...] = ()
    teams: tuple[str, ...] = ()
    deal_owner_ids: tuple[int, ...] = ()
    deal_teams: tuple[str, ...] = ()
    cuts: tuple[str, ...] = field(default=(), compare=False)  # what reading the query left out, said

    @classmethod
    def from_query(cls, query: dict) -> ViewFilters:
        """From URL query arguments (values may be strings, comma lists or lists), within the bounds."""
        cuts: list[str] = []

        def values(name, plural: str | None = None) -> list[str]:
            raw = query.get(name) or []
            raw = raw if isinstance(raw, (list, tuple)) else [raw]
            found = [part.strip() for item in raw[:MAX_VALUES + 1] for part in str(item).split(",") if part.strip()]
            if plural and len(found) > MAX_VALUES:
                cuts.append(f"Only the first {MAX_VALUES} {plural} are used.")
            return found[:MAX_VALUES]

        def date(name):
            try:
                day = dt.date.fromisoformat(values(name)[0])
            except (IndexError, ValueError):
                return None
            if not EARLIEST <= day <= LATEST:
                cuts.append(f"{name} {day.isoformat()} is outside {EARLIEST} to {LATEST}: ignored.")
                return None
            return day

        def ints(name, plural):
            return tuple(int(v) for v in values(name, plural) if v.isdigit() and len(v) <= 18)

        grain = (values("grain") or ["week"])[0]
        grain = grain if grain in GRAINS else "week"
        start, end = date("start"), date("end")
        if start and end and end < start:
            start, end = end, start
        if start and end and start < earliest_start(end, grain):
            start = earliest_start(end, grain)
            cuts.append(_range_notice(grain, start, end))
        return cls(
            grain=grain, start=start, end=end,
            segments=tuple(values("segment", "segments")), sources=tuple(values("source", "sources")),
            campaign_ids=ints("campaign", "campaigns"), owner_ids=ints("owner", "owners"),
            teams=tuple(t for t in values("team") if t in TEAMS),
            deal_owner_ids=ints("deal_owner", "deal owners"),
            deal_teams=tuple(t for t in values("deal_team") if t in TEAMS), cuts=tuple(cuts),
        )

    @classmethod
    def from_search(cls, search: str | None) -> ViewFilters:
        return cls.from_query(parse_qs((search or "").lstrip("?")))

    def to_search(self) -> str:
        """The query string that reproduces these filters ('' for all defaults)."""
        pairs = {
            "grain": self.grain if self.grain != "week" else None,
            "start": self.start.isoformat() if self.start else None,
            "end": self.end.isoformat() if self.end else None,
            "segment": ",".join(self.segments), "source": ",".join(self.sources),
            "campaign": ",".join(map(str, self.campaign_ids)), "owner": ",".join(map(str, self.owner_ids)),
            "team": ",".join(self.teams), "deal_owner": ",".join(map(str, self.deal_owner_ids)),
            "deal_team": ",".join(self.deal_teams),
        }
        query = urlencode({k: v for k, v in pairs.items() if v}, safe=",")
        return f"?{query}" if query else ""

    def merged_into(self, search: str | None) -> str:
        """`to_search()` with the query arguments the filter bar does not own (a page's
        `stage`, `breach`, `lead`, ...) carried over from `search`, so changing a filter
        does not lose the rest of the view."""
        own = self.to_search().lstrip("?")
        kept = [(k, v) for k, values in parse_qs((search or "").lstrip("?")).items()
                if k not in FILTER_KEYS for v in values]
        query = "&".join(part for part in (own, urlencode(kept, safe=",")) if part)
        return f"?{query}" if query else ""

    def date_range(self, today: dt.date) -> tuple[dt.date, dt.date]:
        """The range the view covers, both ends included: at most MAX_PERIODS periods of its grain."""
        start, end = default_range(today)
        start, end = self.start or start, self.end or end
        if end < start:
            start, end = end, start
        return max(start, earliest_start(end, self.grain)), end

    def notices(self, today: dt.date) -> list[str]:
        """What the view asked for and does not get, in words for the filter bar."""
        start, end = default_range(today)
        asked = min(self.start or start, self.end or end)
        start, end = self.date_range(today)
        said = list(self.cuts)
        if start > asked and _range_notice(self.grain, start, end) not in said:
            said.append(_range_notice(self.grain, start, end))
        return said

    @property
    def data_filters(self) -> Filters:
        """The part the loaders push into SQL."""
        return Filters(self.segments, self.sources, self.campaign_ids, self.owner_ids, self.teams,
                       self.deal_owner_ids, self.deal_teams)

    def to_dict(self) -> dict:
        data = asdict(self)
        data["start"] = self.start.isoformat() if self.start else None
        data["end"] = self.end.isoformat() if self.end else None
        data["cuts"] = list(self.cuts)
        return data

    @classmethod
    def from_dict(cls, data: dict | None) -> ViewFilters:
        if not data:
            return cls()
        if not isinstance(data, dict):
            return cls()

        def listed(key) -> list:
            value = data.get(key) or []
            return list(value[:MAX_VALUES + 1]) if isinstance(value, (list, tuple)) else [value]

        read = cls.from_query({
            "grain": data.get("grain"), "start": data.get("start"), "end": data.get("end"),
            "segment": listed("segments"), "source": listed("sources"),
            "campaign": [str(v) for v in listed("campaign_ids")], "owner": [str(v) for v in listed("owner_ids")],
            "team": listed("teams"), "deal_owner": [str(v) for v in listed("deal_owner_ids")],
            "deal_team": listed("deal_teams"),
        })
        kept = data.get("cuts")
        if isinstance(kept, list) and all(isinstance(cut, str) for cut in kept[:10]):
            read = dataclasses.replace(read, cuts=tuple(dict.fromkeys([*kept[:10], *read.cuts])))
        return read


def _range_notice(grain: str, start: dt.date, end: dt.date) -> str:
    longer = LONGER_GRAINS[grain]
    return (f"A {grain} view covers at most {MAX_PERIODS} {grain}s: showing {start} to {end}"
            + (f"; choose {longer} for a longer range." if longer else "."))
