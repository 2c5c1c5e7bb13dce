"""The one filter bar: grain, date range, segment, source, campaign, owner, team (the lead's
owner), deal owner and deal team (the deal's own owner).

What the filters mean, how the URL says them and their bounds are in dashboard/reports/filters.py
(`ViewFilters`); this module shows and edits them.
"""
from __future__ import annotations

import datetime as dt

import dash_bootstrap_components as dbc
from dash import Input, Output, ctx, dcc, html, no_update

from dashboard import vocabulary
from dashboard.metrics.calendar import GRAINS
from dashboard.reports.filters import (  # noqa: F401 (the bar's names, kept importable from here)
    FILTER_KEYS,
    MAX_PERIODS,
    TEAMS,
    ViewFilters,
    default_range,
    earliest_start,
)


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
    DEAL_OWNER = "filter-deal-owner"
    DEAL_TEAM = "filter-deal-team"
    STATE = "filter-state"  # dcc.Store with the ViewFilters as a dict
    BAR = "filter-bar"
    NOTICE = "filter-notice"  # what the bar cut from the view asked for


# Who may run the callbacks defined here (dashboard/access.py): the filter bar's options name owners
# and campaigns, which every viewer page shows, but a wall link does not.
CALLBACK_ROLE = "viewer"
def _dropdown(component_id: str, placeholder: str, multi: bool = True, width: int = 2) -> dbc.Col:
    # maxHeight: Dash 4's taller option rows showed only three options in its default 200 px
    return dbc.Col(dcc.Dropdown(id=component_id, multi=multi, placeholder=placeholder, clearable=True,
                                maxHeight=320), md=width, className="mb-2")


def filter_bar() -> html.Div:
    """The filter bar's controls (values and options are filled from the URL and the data)."""
    return html.Div(id=ID.BAR, className="filter-bar", children=[dbc.Row([
        dbc.Col(dcc.Dropdown(
            id=ID.GRAIN, clearable=False, value="week",
            options=[{"label": f"By {g}", "value": g} for g in GRAINS],
        ), md=1, className="mb-2"),
        dbc.Col(dcc.DatePickerRange(id=ID.DATES, display_format="YYYY-MM-DD", first_day_of_week=1,
                                    minimum_nights=0, start_date_placeholder_text="From",
                                    end_date_placeholder_text="To"), md=3, className="mb-2"),
        _dropdown(ID.SEGMENT, "All segments", width=1),
        _dropdown(ID.SOURCE, "All sources", width=1),
        _dropdown(ID.CAMPAIGN, "All campaigns", width=1),
        _dropdown(ID.OWNER, "All lead owners", width=1),
        _dropdown(ID.TEAM, "All lead teams", width=1),
        _dropdown(ID.DEAL_OWNER, "All deal owners", width=1),
        _dropdown(ID.DEAL_TEAM, "All deal teams", width=1),
    ], className="g-2"), html.Div(id=ID.NOTICE, className="filter-notice", role="status")])


FILTER_CONTROLS = (
    (ID.GRAIN, "value"), (ID.DATES, "start_date"), (ID.DATES, "end_date"), (ID.SEGMENT, "value"),
    (ID.SOURCE, "value"), (ID.CAMPAIGN, "value"), (ID.OWNER, "value"), (ID.TEAM, "value"),
    (ID.DEAL_OWNER, "value"), (ID.DEAL_TEAM, "value"),
)
# The dropdowns whose options come from the data (`fill_options`).
OPTION_CONTROLS = (ID.SEGMENT, ID.SOURCE, ID.CAMPAIGN, ID.OWNER, ID.TEAM, ID.DEAL_OWNER, ID.DEAL_TEAM)


def controls_to_filters(grain, start, end, segments, sources, campaigns, owners, teams,
                        deal_owners=None, deal_teams=None) -> ViewFilters:
    """The filter bar's values as ViewFilters."""
    return ViewFilters.from_query({
        "grain": grain, "start": (start or "")[:10], "end": (end or "")[:10],
        "segment": segments or [], "source": sources or [],
        "campaign": [str(v) for v in campaigns or []], "owner": [str(v) for v in owners or []],
        "team": teams or [], "deal_owner": [str(v) for v in deal_owners or []], "deal_team": deal_teams or [],
    })


def filters_to_controls(filters: ViewFilters) -> list:
    """ViewFilters as the values of the filter bar's controls, in FILTER_CONTROLS order."""
    return [filters.grain, filters.start.isoformat() if filters.start else None,
            filters.end.isoformat() if filters.end else None, list(filters.segments),
            list(filters.sources), list(filters.campaign_ids), list(filters.owner_ids), list(filters.teams),
            list(filters.deal_owner_ids), list(filters.deal_teams)]


def sync_filters(search, *values):
    """URL changed: set the controls from it; a control changed: write the URL. Either way,
    the filter state store gets the result."""
    if ctx.triggered_id in (None, ID.URL):
        return _controls_from_url(search)
    filters = controls_to_filters(*values)
    new_search = filters.merged_into(search)
    return [new_search if new_search != (search or "") else no_update, filters.to_dict(),
            *[no_update] * len(FILTER_CONTROLS)]


def show_notices(state, today: dt.date) -> list:
    """The filter bar's notice: what the view asked for and does not get (nothing when all is given)."""
    return [html.Div(text) for text in ViewFilters.from_dict(state).notices(today)]


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


def register_filter_callbacks(app, options_loader, today_loader) -> None:
    """Wire the filter bar to the URL, fill its options from the data, and say what it cut
    (`today_loader()`: as_of's date in the agreement's time zone)."""
    app.callback(Output(ID.NOTICE, "children"), Input(ID.STATE, "data"))(
        lambda state: show_notices(state, today_loader()))

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
        Output(ID.DEAL_OWNER, "options"), Output(ID.DEAL_TEAM, "options"),
        Input(ID.URL, "pathname"),
    )
    def fill_options(_pathname):
        options = options_loader()
        owners = [{"label": f"{o['name']} ({o['team']})", "value": o["id"]} for o in options["owners"]]
        teams = [{"label": vocabulary.TEAM[t].label, "value": t} for t in TEAMS]
        return (
            [{"label": s, "value": s} for s in options["segments"]],
            [{"label": s.replace("_", " "), "value": s} for s in options["sources"]],
            [{"label": c["name"], "value": c["id"]} for c in options["campaigns"]],
            owners, teams, owners, teams,
        )
