"""Leads: the lead records behind the numbers, in a grid to sort, filter and download, and the
timeline of one lead (its stages, marketing engagements, sales touches and deals).

Which leads the grid holds:
- the filter bar's segment, source, campaign, owner and team filters, as on every page;
- the date range: leads created or reaching any stage (MQL, SAL, SQL, opportunity, won;
  effective dates, SPEC 1) in it;
- `?stage=mql` (lead, mql, sal, sql, opportunity, won): instead, leads whose effective date of
  that stage falls in the range, the records behind a flow count (SPEC 2);
- `?breach=1`: the open response breaches at as_of (SPEC 5) among the MQLs of the range;
- `?lead=<id>`: that one lead, whatever the filters and dates say, with its timeline open;
- `?rule=<name>`: the leads (and deals) that break a data-quality rule, all dates.
Every figure is as known at as_of.
"""
from __future__ import annotations

import datetime as dt

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
import pandas as pd
from dash import ALL, MATCH, Input, Output, callback, dcc, html, no_update

from dashboard.application import current_settings
from dashboard.components import formatting
from dashboard.components.filters import ID
from dashboard.components.layout import NO_DATA, empty_state, page_header, render_safely
from dashboard.components.lead_query import LeadQuery
from dashboard.components.timeline import fact, legend, timeline_event
from dashboard.metrics.drilldown import DATE_STAGES
from dashboard.reports.context import ReportContext
from dashboard.reports.leads import LeadsReport, TimelineReport, leads_report, timeline_report
from dashboard.vocabulary import STAGES_OF_FUNNEL
from queries.db import get_engine
from queries.loaders import Filters

dash.register_page(__name__, path="/leads", name="Leads", title="Leads", order=5,
                   role="manager", shared_figures=False)

QUERY = "leads-query"  # dcc.Store with the narrowing query arguments
BODY = "leads-body"
SUMMARY = "leads-summary"
# The grid and its button come and go with the body, so they carry pattern-matching ids: a
# callback listening to ALL of them is valid while there are none (empty database, errors).
GRID_TYPE = "leads-grid"
GRID = {"type": GRID_TYPE, "index": 0}
DOWNLOAD_TYPE = "leads-download"
DOWNLOAD = {"type": DOWNLOAD_TYPE, "index": 0}
RULE_RECORDS = "leads-rule-records"
TIMELINE = "leads-timeline"  # holds the timeline panel of the lead clicked or named in the URL
TIMELINE_PANEL = "leads-timeline-panel"

STAGE_LABELS = {stage.name: stage.label for stage in STAGES_OF_FUNNEL}
STAGE_PLURALS = {"lead": "Leads created", "mql": "MQLs", "sal": "SALs", "sql": "SQLs",
                 "opportunity": "Opportunities", "won": "Won leads"}
STAMP = "%Y-%m-%d %H:%M"
# Local times as text: AG Grid 33+ would take "2026-11-20 09:00" for a date and give it a date
# filter (a US mm/dd/yyyy picker, clipped in the floating filter).
_DATE_COLUMN = {"minWidth": 150, "flex": 1, "cellDataType": "text"}
COLUMN_DEFS = [
    {"field": "external_id", "headerName": "Lead", "pinned": "left", "minWidth": 170, "flex": 1},
    {"field": "created", "headerName": "Created", "sort": "desc", **_DATE_COLUMN},
    {"field": "source", "headerName": "Source", "minWidth": 150, "flex": 1},
    {"field": "campaign", "headerName": "Campaign", "minWidth": 220, "flex": 1.5},
    {"field": "segment", "headerName": "Segment", "minWidth": 120, "flex": 1},
    {"field": "owner", "headerName": "Owner", "minWidth": 140, "flex": 1},
    {"field": "stage", "headerName": "Stage now", "minWidth": 120, "flex": 1},
    *({"field": stage, "headerName": STAGE_LABELS[stage], **_DATE_COLUMN} for stage in DATE_STAGES),
    {"field": "disqualified_reason", "headerName": "Disqualified because", "minWidth": 170, "flex": 1},
    {"field": "company", "headerName": "Company", "minWidth": 200, "flex": 1.3},
]
CSV_EXPORT = {
    "fileName": "leads.csv",
    # Cells starting with =, +, - or @ get a leading ' so a spreadsheet shows them as text.
    "processCellCallback": {"function": "csvSafeCell(params)"},
}


def layout(**query):
    """The page: the grid and the timeline, narrowed by the query arguments."""
    return html.Div([
        page_header("Leads", "The lead records behind the numbers. Sort and filter the columns; "
                             "click a lead to see its timeline."),
        dcc.Store(id=QUERY, data=LeadQuery.from_query(query).to_dict()),
        html.Div(id=TIMELINE),
        dcc.Loading(html.Div(id=BODY), type="default", delay_show=300),
    ])


def _stamps(values: pd.Series) -> pd.Series:
    """Local times as 'YYYY-MM-DD HH:MM' text (sorts and filters as text), '' where missing."""
    return values.dt.strftime(STAMP).fillna("")


def grid_rows(table: pd.DataFrame) -> list[dict]:
    """The leads table as AG Grid rowData: times as text, blanks for missing values."""
    rows = table.copy()
    for column in ("created", *DATE_STAGES):
        rows[column] = _stamps(rows[column])
    rows["id"] = rows["id"].astype(str)
    rows["stage"] = rows["stage"].map(STAGE_LABELS)
    return rows.astype(object).where(rows.notna(), None).to_dict("records")


def _day(day: dt.date) -> str:
    """1 Nov 2026."""
    return f"{day:%-d %b %Y}"


def _describe(narrowing: LeadQuery, start: dt.date, end: dt.date, window: float | None) -> str:
    """What the grid holds, in words."""
    dates = f"{_day(start)} to {_day(end)}"
    if narrowing.lead is not None:
        return f"One lead (id {narrowing.lead}), whatever the filters and dates."
    if narrowing.rule:
        return f"Leads breaking the data-quality rule “{narrowing.rule}”, all dates."
    if narrowing.breach:
        if window is None:
            return "The agreement has no response window, so no breaches: showing the MQLs of " + dates + "."
        return (f"Open response breaches: MQLs of {dates} still without a response (no touch, no decision) more than {window:g} working hours "
                "after they became MQLs.")
    if narrowing.stage:
        stage = narrowing.stage
        return f"{STAGE_PLURALS[stage]} of {dates} (effective {STAGE_LABELS[stage]} date in the range)."
    return f"Leads created or reaching any stage from {dates} (effective stage dates)."


def _records_table(frame: pd.DataFrame, title: str) -> html.Div:
    """A small table of the records behind a rule that are not leads (inert text cells)."""
    header = html.Thead(html.Tr([html.Th(column) for column in frame.columns]))
    body = html.Tbody([html.Tr([html.Td("" if pd.isna(value) else str(value)) for value in row])
                       for row in frame.itertuples(index=False)])
    return html.Div([html.H3(title), dbc.Table([header, body], size="sm", striped=True, className="records")],
                    className="section", id=RULE_RECORDS)


def _rule_deals(deals: pd.DataFrame, tz, currency: str) -> pd.DataFrame:
    """The deals breaking a rule, for people: external id, name, lead, amount, dates, outcome."""
    return pd.DataFrame({
        "Deal": deals["external_id"], "Name": deals["name"], "Lead": deals["lead"].fillna("(none)"),
        "Amount": [formatting.money(amount, code if isinstance(code, str) else currency)
                   for amount, code in zip(deals["amount"], deals["currency"])],
        "Created": _stamps(deals["created_at"].dt.tz_convert(tz)),
        "Closed": _stamps(deals["closed_at"].dt.tz_convert(tz)), "Outcome": deals["outcome"],
    })


def _rule_tables(report: LeadsReport) -> list:
    """Tables of the records breaking the rule that are not leads: its deals, then the rest."""
    rule, agreement, extra = report.narrowing.rule, report.agreement, []
    if report.rule_deals is not None:
        extra.append(_records_table(_rule_deals(report.rule_deals, agreement.tz, agreement.currency),
                                    f"Deals breaking “{rule}”"))
    others = report.rule_records
    if others is not None and len(others):
        extra.append(_records_table(others.rename(columns={"table": "Table", "id": "Record id"}),
                                    f"Other records breaking “{rule}”"))
    return extra


def render_leads(report: LeadsReport) -> html.Div:
    """The grid with its download button and what it holds, and the rule's other records."""
    narrowing, table = report.narrowing, report.table
    if report.unknown_rule:
        return html.Div(f"There is no data-quality rule named “{narrowing.rule}”.", className="empty-state")
    extra = _rule_tables(report)
    all_leads = (dcc.Link("Show all leads", href="/leads" + report.filters.to_search())
                 if not narrowing.is_empty else None)
    summary = html.Div([
        html.Span(f"{formatting.count(len(table))} lead{'' if len(table) == 1 else 's'}. ", className="fw-bold"),
        html.Span(_describe(narrowing, report.start, report.end, report.window) + " "), all_leads,
    ], id=SUMMARY, className="mb-2 pt-1")
    grid = dag.AgGrid(
        id=GRID, rowData=grid_rows(table), columnDefs=COLUMN_DEFS,
        defaultColDef={"sortable": True, "filter": True, "floatingFilter": True, "resizable": True},
        getRowId="params.data.id", csvExportParams=CSV_EXPORT,
        dashGridOptions={"pagination": True, "paginationPageSize": 50, "animateRows": False,
                         "suppressCellFocus": True, "rowStyle": {"cursor": "pointer"},
                         "rowSelection": {"mode": "singleRow", "checkboxes": False, "enableClickSelection": True}},
        style={"height": "calc(100vh - 290px)", "minHeight": "420px"}, className="ag-theme-alpine leads-grid",
    )
    download = dbc.Button("Download CSV", id=DOWNLOAD, color="secondary", size="sm", outline=True,
                          className="text-nowrap")
    toolbar = html.Div([download, summary], className="d-flex align-items-start gap-3")
    if table.empty and extra:  # a rule broken only by deals or other records: their table is the news
        return html.Div([html.Div(summary, className="section"), *extra])
    return html.Div([html.Div([toolbar, grid], className="section"), *extra])


@callback(Output(BODY, "children"), Input(ID.STATE, "data"), Input(QUERY, "data"))
@render_safely
def update_leads(state, query):
    """Fill the grid with the leads the filters and query arguments select."""
    settings = current_settings()
    narrowing = LeadQuery.from_dict(query)
    context = ReportContext.for_request(settings, state, Filters() if narrowing.lead is not None else None)
    everything = ReportContext.for_request(settings, state, Filters()) if narrowing.rule else None
    report = leads_report(context, narrowing, get_engine(settings.database_url), everything)
    return empty_state(*NO_DATA) if report.is_empty else render_leads(report)


@callback(Output({"type": GRID_TYPE, "index": MATCH}, "exportDataAsCsv"),
          Input({"type": DOWNLOAD_TYPE, "index": MATCH}, "n_clicks"), prevent_initial_call=True)
def download_csv(n_clicks):
    """Ask the grid to export its rows (as filtered and sorted) as leads.csv."""
    return bool(n_clicks)


def render_timeline(report: TimelineReport) -> html.Div:
    """The lead's card (contact, source, owner, stage) over its events in time order."""
    lead, contact = report.lead, report.contact or {}
    facts = html.Div([
        fact("Contact", contact.get("name")), fact("Email", contact.get("email")),
        fact("Company", contact.get("company")), fact("Country", contact.get("country")),
        fact("Segment", lead["segment"]), fact("Source", lead["source"]), fact("Campaign", report.campaign),
        fact("Owner", report.owner), fact("Stage now", STAGE_LABELS[report.stage]),
    ], className="facts")
    events = [timeline_event(row) for row in report.events.itertuples(index=False)]
    return html.Div([
        facts, legend(),
        html.Div(events or "Nothing recorded for this lead yet.", className="timeline-events"),
    ], id=f"timeline-{int(lead['id'])}", className="timeline")


@callback(Output(TIMELINE, "children"), Input(QUERY, "data"))
@render_safely
def show_linked_timeline(query):
    """Open the timeline panel of the lead the URL names (`?lead=<id>`), if any."""
    return timeline_panel(LeadQuery.from_dict(query).lead)


@callback(Output(TIMELINE, "children", allow_duplicate=True),
          Input({"type": GRID_TYPE, "index": ALL}, "cellClicked"), prevent_initial_call=True)
@render_safely
def show_clicked_timeline(clicks):
    """Open the timeline panel of the lead clicked in the grid."""
    clicked = next((click for click in clicks or [] if click), None)
    if not clicked or not str(clicked.get("rowId", "")).isdigit():
        return no_update
    return timeline_panel(int(clicked["rowId"]))


def timeline_panel(lead_id: int | None):
    """The side panel with one lead's timeline as known at as_of (None without a lead)."""
    if lead_id is None:
        return None
    settings = current_settings()
    context = ReportContext.for_request(settings, None, Filters())  # the lead, whatever the filters say
    report = timeline_report(context, lead_id, get_engine(settings.database_url))
    if report.is_empty:
        return None  # the body says what to load
    if report.lead is None:
        return dbc.Alert(f"There is no lead with id {lead_id} "
                         f"(as of {report.as_of.tz_convert(report.agreement.tz):%Y-%m-%d %H:%M}).", color="warning")
    return dbc.Offcanvas(render_timeline(report), id=TIMELINE_PANEL,
                         title=f"Timeline of lead {report.lead['external_id']}", is_open=True, placement="end",
                         backdrop=False, scrollable=True, className="timeline-panel")
