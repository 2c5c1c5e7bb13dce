"""The one filter bar: grain, date range, segment, source, campaign, owner, team.

The filters live in the URL's query string (`?grain=week&start=...&segment=SMB,Enterprise`),
so a copied link reproduces the view; `ViewFilters.from_query` reads them and ignores values
it cannot read rather than failing.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from urllib.parse import parse_qs, urlencode

import dash_bootstrap_components as dbc
from dash import Input, Output, ctx, dcc, html, no_update

from dashboard.metrics.calendar import GRAINS
from queries.loaders import Filters


class ID:
    """Component ids shared by the shell, the filter bar and every page."""

    URL = "url"
    GRAIN = "filter-grain"
    DATES = "filter-dates"
    SEGMENT = "filter-segment"
    SOURCE = "filter-source"
    CAMPAIGN = "filter-campaign"
    OWNER = "filter-owner"
    TEAM = "filter-team"
    STATE = "filter-state"  # dcc.Store with the ViewFilters as a dict
    BAR = "filter-bar"


TEAMS = ("marketing", "sdr", "sales", "cs")
FILTER_KEYS = ("grain", "start", "end", "segment", "source", "campaign", "owner", "team")


def default_range(today: dt.date) -> tuple[dt.date, dt.date]:
    """The date range shown when the URL names none: the last six months to today."""
    month = today.month - 5
    start = dt.date(today.year + (month - 1) // 12, (month - 1) % 12 + 1, 1)
    return start, today


@dataclass(frozen=True)
class ViewFilters:
    """What the filter bar says: a grain, a date range and the slicing filters."""

    grain: str = "week"
    start: dt.date | None = None
    end: dt.date | None = None
    segments: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    campaign_ids: tuple[int, ...] = ()
    owner_ids: tuple[int, ...] = ()
    teams: tuple[str, ...] = ()

    @classmethod
    def from_query(cls, query: dict) -> "ViewFilters":
        """From URL query arguments (values may be strings, comma lists or lists)."""
        def values(name) -> list[str]:
            raw = query.get(name) or []
            raw = raw if isinstance(raw, (list, tuple)) else [raw]
            return [part.strip() for item in raw for part in str(item).split(",") if part.strip()]

        def date(name):
            try:
                return dt.date.fromisoformat(values(name)[0])
            except (IndexError, ValueError):
                return None

        def ints(name):
            return tuple(int(v) for v in values(name) if v.isdigit())

        grain = (values("grain") or ["week"])[0]
        start, end = date("start"), date("end")
        if start and end and end < start:
            start, end = end, start
        return cls(
            grain=grain if grain in GRAINS else "week",
            start=start, end=end,
            segments=tuple(values("segment")), sources=tuple(values("source")),
            campaign_ids=ints("campaign"), owner_ids=ints("owner"),
            teams=tuple(t for t in values("team") if t in TEAMS),
        )

    @classmethod
    def from_search(cls, search: str | None) -> "ViewFilters":
        return cls.from_query(parse_qs((search or "").lstrip("?")))

    def to_search(self) -> str:
        """The query string that reproduces these filters ('' for all defaults)."""
        pairs = {
            "grain": self.grain if self.grain != "week" else None,
            "start": self.start.isoformat() if self.start else None,
            "end": self.end.isoformat() if self.end else None,
            "segment": ",".join(self.segments), "source": ",".join(self.sources),
            "campaign": ",".join(map(str, self.campaign_ids)), "owner": ",".join(map(str, self.owner_ids)),
            "team": ",".join(self.teams),
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
        start, end = default_range(today)
        return self.start or start, self.end or end

    @property
    def data_filters(self) -> Filters:
        """The part the loaders push into SQL."""
        return Filters(self.segments, self.sources, self.campaign_ids, self.owner_ids, self.teams)

    def to_dict(self) -> dict:
        data = asdict(self)
        data["start"] = self.start.isoformat() if self.start else None
        data["end"] = self.end.isoformat() if self.end else None
        return data

    @classmethod
    def from_dict(cls, data: dict | None) -> "ViewFilters":
        if not data:
            return cls()
        return cls.from_query({
            "grain": data.get("grain"), "start": data.get("start"), "end": data.get("end"),
            "segment": list(data.get("segments") or []), "source": list(data.get("sources") or []),
            "campaign": [str(v) for v in data.get("campaign_ids") or []],
            "owner": [str(v) for v in data.get("owner_ids") or []], "team": list(data.get("teams") or []),
        })


def _dropdown(component_id: str, placeholder: str, multi: bool = True, width: int = 2) -> dbc.Col:
    # maxHeight: Dash 4's taller option rows showed only three options in its default 200 px
    return dbc.Col(dcc.Dropdown(id=component_id, multi=multi, placeholder=placeholder, clearable=True,
                                maxHeight=320), md=width, className="mb-2")


def filter_bar() -> html.Div:
    """The filter bar's controls (values and options are filled from the URL and the data)."""
    return html.Div(id=ID.BAR, className="filter-bar", children=dbc.Row([
        dbc.Col(dcc.Dropdown(
            id=ID.GRAIN, clearable=False, value="week",
            options=[{"label": f"By {g}", "value": g} for g in GRAINS],
        ), md=1, className="mb-2"),
        dbc.Col(dcc.DatePickerRange(id=ID.DATES, display_format="YYYY-MM-DD", first_day_of_week=1,
                                    minimum_nights=0, start_date_placeholder_text="From",
                                    end_date_placeholder_text="To"), md=3, className="mb-2"),
        _dropdown(ID.SEGMENT, "All segments"),
        _dropdown(ID.SOURCE, "All sources"),
        _dropdown(ID.CAMPAIGN, "All campaigns"),
        _dropdown(ID.OWNER, "All owners", width=1),
        _dropdown(ID.TEAM, "All teams", width=1),
    ], className="g-2"))


FILTER_CONTROLS = (
    (ID.GRAIN, "value"), (ID.DATES, "start_date"), (ID.DATES, "end_date"), (ID.SEGMENT, "value"),
    (ID.SOURCE, "value"), (ID.CAMPAIGN, "value"), (ID.OWNER, "value"), (ID.TEAM, "value"),
)
# The dropdowns whose options come from the data (`fill_options`).
OPTION_CONTROLS = (ID.SEGMENT, ID.SOURCE, ID.CAMPAIGN, ID.OWNER, ID.TEAM)


def controls_to_filters(grain, start, end, segments, sources, campaigns, owners, teams) -> ViewFilters:
    """The filter bar's values as ViewFilters."""
    return ViewFilters.from_query({
        "grain": grain, "start": (start or "")[:10], "end": (end or "")[:10],
        "segment": segments or [], "source": sources or [],
        "campaign": [str(v) for v in campaigns or []], "owner": [str(v) for v in owners or []],
        "team": teams or [],
    })


def filters_to_controls(filters: ViewFilters) -> list:
    """ViewFilters as the values of the filter bar's controls, in FILTER_CONTROLS order."""
    return [filters.grain, filters.start.isoformat() if filters.start else None,
            filters.end.isoformat() if filters.end else None, list(filters.segments),
            list(filters.sources), list(filters.campaign_ids), list(filters.owner_ids), list(filters.teams)]


def sync_filters(search, *values):
    """URL changed: set the controls from it; a control changed: write the URL. Either way,
    the filter state store gets the result."""
    if ctx.triggered_id in (None, ID.URL):
        return _controls_from_url(search)
    filters = controls_to_filters(*values)
    new_search = filters.merged_into(search)
    return [new_search if new_search != (search or "") else no_update, filters.to_dict(),
            *[no_update] * len(FILTER_CONTROLS)]


def sync_filters_with_options(search, *values_and_options):
    """`sync_filters`, run after the dropdowns' options arrive: Dash 4's dropdown drops a value
    that its options lack (all of them before the options are filled), so the controls are set
    from the URL once the options are there, and again whenever the options are renewed."""
    if any(prop.endswith(".options") for prop in ctx.triggered_prop_ids):
        return _controls_from_url(search)
    return sync_filters(search, *values_and_options[:len(FILTER_CONTROLS)])


def _controls_from_url(search) -> list:
    filters = ViewFilters.from_search(search)
    return [no_update, filters.to_dict(), *filters_to_controls(filters)]


def register_filter_callbacks(app, options_loader) -> None:
    """Wire the filter bar to the URL and fill its options from the data."""
    app.callback(
        Output(ID.URL, "search"), Output(ID.STATE, "data"),
        *[Output(component, prop) for component, prop in FILTER_CONTROLS],
        Input(ID.URL, "search"),
        *[Input(component, prop) for component, prop in FILTER_CONTROLS],
        *[Input(component, "options") for component in OPTION_CONTROLS],
    )(sync_filters_with_options)

    @app.callback(
        Output(ID.SEGMENT, "options"), Output(ID.SOURCE, "options"), Output(ID.CAMPAIGN, "options"),
        Output(ID.OWNER, "options"), Output(ID.TEAM, "options"),
        Input(ID.URL, "pathname"),
    )
    def fill_options(_pathname):
        options = options_loader()
        return (
            [{"label": s, "value": s} for s in options["segments"]],
            [{"label": s.replace("_", " "), "value": s} for s in options["sources"]],
            [{"label": c["name"], "value": c["id"]} for c in options["campaigns"]],
            [{"label": f"{o['name']} ({o['team']})", "value": o["id"]} for o in options["owners"]],
            [{"label": t.upper() if t in ("sdr", "cs") else t.title(), "value": t} for t in TEAMS],
        )
