"""Sales: the open response breaches to act on now, response time against the window, who is
behind on first touch, routing delay apart from rep delay, acceptance decisions, SQLs and win
rate against their targets, and the open pipeline."""
from __future__ import annotations

import datetime as dt
import re

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input, Output, callback, dcc, html

from dashboard.application import current_settings
from dashboard.components import formatting
from dashboard.components.charts import bars_against_target, empty_figure
from dashboard.components.filters import ID, ViewFilters
from dashboard.components.labels import METRIC_DEFINITIONS
from dashboard.components.layout import NO_DATA, empty_state, metric_label, page_header, render_safely
from dashboard.components.sales_charts import (
    bucket_label,
    decisions_figure,
    delay_split_figure,
    pipeline_figure,
    rep_attainment_figure,
    response_histogram_figure,
)
from dashboard.components.sections import graph, range_stamp, section, table
from dashboard.reports.context import ReportContext
from dashboard.reports.sales import periods_report, response_report

dash.register_page(__name__, path="/sales", name="Sales", title="Sales", order=3,
                   role="viewer", shared_figures=True)

RESPONSE_BODY = "sales-response-body"
PERIOD_BODY = "sales-period-body"
STAMP = "sales-as-of"
BREACHES = "sales-breaches"
BREACH_COUNT = "sales-breach-count"
BREACH_GRID = "sales-breach-grid"
BREACH_LINK = "sales-breach-link"
RESPONSE_SUMMARY = "sales-response-summary"
HISTOGRAM = "sales-response-histogram"
REP_GRAPH = "sales-rep-attainment"
DELAY_GRAPH = "sales-delay-split"
DECISIONS_GRAPH = "sales-decisions"
SQL_GRAPH = "sales-sqls"
WIN_RATE_GRAPH = "sales-win-rate"
PIPELINE_GRAPH = "sales-pipeline"
PIPELINE_TOTAL = "sales-pipeline-total"
PIPELINE_TABLE = "sales-pipeline-stages"

LOCAL_STAMP = "%Y-%m-%d %H:%M"
MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!<>|~])")
BREACH_GRID_ROWS_SHOWN = 10


def definitions(agreement) -> dict[str, str]:
    """The page's own terms, one hover away (SPEC numbers in brackets)."""
    hours = _hours_word(agreement)
    return {
        "response_time": f"Response time (SPEC 5): first response − MQL time, in {hours}. The first response is "
                         "the earliest of the first touch (first_touch_at, else the first sales activity at or "
                         "after the MQL) and a sales decision (accepted, rejected or sent back); a response "
                         "before the MQL counts as 0.",
        "routing_delay": f"Routing delay (SPEC 5): MQL time to assigned_at (routed to its owner), in {hours}; "
                         "only where assigned_at is recorded.",
        "rep_delay": f"Rep delay (SPEC 5): assigned_at to the first response, in {hours}: the part the rep controls.",
        "open_breaches": "Open breach (SPEC 5): " + METRIC_DEFINITIONS["open_breaches"],
        "decisions": "SPEC 6: each MQL of the period is accepted (reached SAL), rejected (disqualified without "
                     "SAL) or not decided yet. " + METRIC_DEFINITIONS["acceptance_rate"],
        "pipeline": "Open pipeline (SPEC 11): deals without an outcome at as_of, by expected close month; "
                    "weighted = amount × the deal's probability, else its stage's default in the agreement.",
    }


def _hours_word(agreement) -> str:
    """How the agreement measures response time: working hours (with their span) or clock hours."""
    hours = agreement.working_hours
    if hours is None:
        return "clock hours (the agreement sets no working hours)"
    return f"working hours ({hours.start:%H:%M}–{hours.end:%H:%M} on working days)"


def _term(text: str, definition: str) -> html.Span:
    """A term with its definition one hover away."""
    return html.Span(text, title=definition, className="definition")


def layout(**_query):
    """The page: the response part (breaches first) and the per-period part, filled by callbacks."""
    return html.Div([
        page_header("Sales", "How fast and how well sales works the MQLs marketing hands over, "
                             "and what it turns them into."),
        dcc.Loading(html.Div(id=RESPONSE_BODY), type="default", delay_show=300),
        dcc.Loading(html.Div(id=PERIOD_BODY), type="default", delay_show=300),
    ])


def _markdown_text(text: str) -> str:
    """Text shown literally inside a markdown cell (an id with _ or * stays as it is)."""
    return MARKDOWN_SPECIAL.sub(r"\\\1", text)


def breach_rows(breaches: pd.DataFrame, tz) -> list[dict]:
    """The open breaches as AG Grid rowData: a link to the lead, numbers with their text."""
    rows = []
    for row in breaches.itertuples(index=False):
        name = row.external_id if isinstance(row.external_id, str) and row.external_id else f"#{row.lead_id}"
        rows.append({
            "lead": f"[{_markdown_text(name)}](/leads?lead={row.lead_id})",
            "lead_id": str(int(row.lead_id)),  # the row id: AG Grid wants text
            "owner": row.owner,
            "age_hours": round(float(row.age_hours), 2),
            "age_text": formatting.hours(row.age_hours),
            # a missing source or segment is NaN in pandas' string dtype, not None
            "source": (row.source if isinstance(row.source, str) and row.source else "(no source)").replace("_", " "),
            "segment": row.segment if isinstance(row.segment, str) and row.segment else "(no segment)",
            "mql_at": row.mql_at.tz_convert(tz).strftime(LOCAL_STAMP),
        })
    return rows


def breach_columns(agreement) -> list[dict]:
    """The breaches grid's columns, numbers shown as formatting made them, definitions on hover."""
    hours = _hours_word(agreement)
    formatted = lambda field: {"function": f"params.data.{field}"}  # noqa: E731 - the text made by formatting
    return [
        {"field": "lead", "headerName": "Lead", "cellRenderer": "markdown", "minWidth": 170, "flex": 1.2,
         "headerTooltip": "The lead's id in the CRM: opens its record and timeline on the leads page."},
        {"field": "owner", "headerName": "Owner", "minWidth": 150, "flex": 1,
         "headerTooltip": "The sales rep the lead is assigned to."},
        {"field": "age_hours", "headerName": "Waiting for", "sort": "desc", "type": "rightAligned",
         "valueFormatter": formatted("age_text"), "minWidth": 130, "flex": 1,
         "headerTooltip": f"Time since the lead became MQL, in {hours}, as of now."},
        {"field": "source", "headerName": "Source", "minWidth": 120, "flex": 1},
        {"field": "segment", "headerName": "Segment", "minWidth": 110, "flex": 1},
        {"field": "mql_at", "headerName": "Became MQL", "minWidth": 150, "flex": 1, "cellDataType": "text",
         "headerTooltip": f"The MQL time (recorded, or inferred from a later stage; SPEC 1), {agreement.timezone}."},
    ]


def _breach_link(filters: ViewFilters) -> str:
    """The leads page holding the same breaches, with the same filters and dates."""
    search = filters.to_search()
    return "/leads" + (search + "&breach=1" if search else "?breach=1")


def render_breaches(breaches: pd.DataFrame, agreement, window: float, filters: ViewFilters, start: dt.date,
                    end: dt.date, as_of: pd.Timestamp) -> html.Div:
    """The open breaches: the count in the heading, then the sortable grid, oldest first."""
    count = len(breaches)
    terms = definitions(agreement)
    local = as_of.tz_convert(agreement.tz)
    heading = html.Div([
        html.Span(formatting.count(count), className="breach-count", id=BREACH_COUNT),
        html.Span([_term("open breach" if count == 1 else "open breaches", terms["open_breaches"]),
                   f": MQL{'' if count == 1 else 's'} with no response (no touch, no decision) past the {window:g}-hour response window"],
                  className="breach-title"),
    ], className="breach-heading")
    what = (f"MQLs of {start:%-d %b %Y} – {end:%-d %b %Y} still without a response (no touch, no decision) more than {window:g} "
            f"{'working ' if agreement.working_hours else ''}hours after they became MQLs, as of "
            f"{local:%a %-d %b %H:%M}." + (" Longest waiting first; click a lead to open it." if count else ""))
    if not count:
        body = html.P("Every MQL of these dates has been touched or decided on, or is still inside its window.",
                      className="mb-0 fw-semibold")
        return html.Div([heading, html.Div(what, className="section-note"), body],
                        className="section breach-section clear", id=BREACHES)
    rows = breach_rows(breaches, agreement.tz)
    grid = dag.AgGrid(
        id=BREACH_GRID, rowData=rows, columnDefs=breach_columns(agreement),
        defaultColDef={"sortable": True, "filter": True, "resizable": True},
        getRowId="params.data.lead_id",
        dashGridOptions={"animateRows": False, "suppressCellFocus": True, "enableBrowserTooltips": True,
                         **({"domLayout": "autoHeight"} if count <= BREACH_GRID_ROWS_SHOWN else {})},
        style={"height": None if count <= BREACH_GRID_ROWS_SHOWN else "470px"},
        className="ag-theme-alpine breach-grid",
    )
    link = dcc.Link("Open them in the leads grid →", href=_breach_link(filters), id=BREACH_LINK)
    body = [html.Div([html.Span(what + " "), link], className="section-note"), grid]
    return html.Div([heading, *body], className="section breach-section", id=BREACHES)


def render_response(summary: dict, distribution: pd.DataFrame, reps: pd.DataFrame, agreement, window: float,
                    target: float | None, not_recorded=frozenset()) -> dbc.Row:
    """Response time against the window, first touch in time per rep, routing apart from rep delay."""
    terms = definitions(agreement)
    attainment = formatting.figure_or_reason("response_sla_attainment", summary["attainment"], agreement.currency,
                                             not_recorded)
    target_text = f" (target {target:.0%})" if target is not None else ""
    line = html.Div([
        metric_label("response_sla_attainment"), ": ", html.B(attainment), target_text,
        f" of {formatting.count(summary['met'] + summary['missed'])} MQLs with a known outcome · median response ",
        html.B(formatting.hours(summary["median_response_hours"])),
        f" · {formatting.count(summary['pending'])} pending",
    ] if summary["mqls"] else "No MQLs in these dates.", className="sales-summary", id=RESPONSE_SUMMARY)
    untouched = summary["mqls"] - summary["responded"]
    histogram = (response_histogram_figure(distribution, window) if summary["responded"]
                 else empty_figure("No MQL of these dates has had a response yet"))
    histogram_box = section(
        [_term("Response time", terms["response_time"]), " against the window"],
        line, graph(HISTOGRAM, histogram),
        html.Div(f"MQLs of these dates with a response (a touch or a decision); {formatting.count(untouched)} "
                 "still without one (breaches and pending) are not in the bars. The slowest land in the last bar.", className="section-note"),
    )
    rep_box = section(
        [metric_label("response_sla_attainment"), " per rep"],
        graph(REP_GRAPH, rep_attainment_figure(reps, target) if len(reps) else empty_figure("No MQLs in these dates")),
        note="Furthest behind the target first (most in-time touches short of it). Red: behind, amber: at risk "
             "(within 90 % of the target).",
    )
    delay_box = section(
        [_term("Routing delay", terms["routing_delay"]), " apart from ", _term("rep delay", terms["rep_delay"])],
        graph(DELAY_GRAPH, delay_split_figure(reps, window) if len(reps) else empty_figure("No MQLs in these dates")),
        note="Medians per rep, so a rep is not blamed for time the lead spent unrouted. Where assigned_at is not "
             "recorded, the split is unknown and the lead is left out.",
    )
    return dbc.Row([
        dbc.Col(histogram_box, xl=4, lg=6),
        dbc.Col(rep_box, xl=4, lg=6),
        dbc.Col(delay_box, xl=4, lg=12),
    ], className="g-3")


@callback(Output(RESPONSE_BODY, "children"), Input(ID.STATE, "data"))
@render_safely
def update_response(state):
    """The open breaches and the response figures for the filters in the URL."""
    report = response_report(ReportContext.for_request(current_settings(), state))
    if report.is_empty:
        return empty_state(*NO_DATA)
    agreement = report.agreement
    stamp = html.Div(range_stamp(report.start, report.end, report.filters.grain, report.as_of, agreement),
                     className="text-muted mb-2", id=STAMP)
    if report.window is None:
        return html.Div([stamp, dbc.Alert("The agreement sets no response window, so there is no first-touch SLA "
                                          "to measure and no breach.", color="secondary")])
    return html.Div([
        stamp,
        render_breaches(report.breaches, agreement, report.window, report.filters, report.start, report.end,
                        report.as_of),
        render_response(report.summary, report.distribution, report.reps, agreement, report.window, report.target,
                        report.not_recorded),
    ])


def render_periods(decisions: pd.DataFrame, sqls: pd.DataFrame, wins: pd.DataFrame, by_month: pd.DataFrame,
                   by_stage: pd.DataFrame, order: list[str], agreement, grain: str,
                   not_recorded=frozenset()) -> html.Div:
    """Acceptance decisions, SQLs and win rate per period, and the open pipeline."""
    terms = definitions(agreement)
    currency = agreement.currency
    has_sql_target = sqls["target"].notna().any()
    sql_figure = bars_against_target(sqls, "period_start", "sqls", "target" if has_sql_target else None, "",
                                     "sales", "SQLs")
    has_win_target = wins["target"].notna().any()
    win_figure = bars_against_target(wins, "period_start", "win_rate", "target" if has_win_target else None, "",
                                     "sales", "Win rate", percent=True)
    if "win_rate" in not_recorded:
        win_figure = empty_figure("Win rate not recorded: the source records no lost deal")
    elif wins["win_rate"].isna().all():
        win_figure = empty_figure("No deal closed in these dates")
    for figure in (sql_figure, win_figure):
        figure.update_layout(margin={"l": 56, "r": 16, "t": 40, "b": 40},
                             legend={"x": 0, "xanchor": "left", "y": 1.0, "yanchor": "bottom"})
    win_note = ("Deals closed in the period; a period with no closed deal has no bar." +
                ("" if has_win_target else " The agreement sets no win-rate target."))
    decided = decisions["accepted"].sum() + decisions["rejected"].sum()
    periods_row = dbc.Row([
        dbc.Col(section([_term("Acceptance decisions", terms["decisions"]), f" per {grain}"],
                        graph(DECISIONS_GRAPH, decisions_figure(decisions) if decided or decisions["undecided"].sum()
                              else empty_figure("No MQLs in these dates")),
                        note="By the period the MQL came in; the line is the acceptance rate (right axis) against "
                             "marketing's lead-quality target."
                             + (" Acceptance rate: not recorded (the source records no rejection or no acceptance), "
                                "so there is no line." if "acceptance_rate" in not_recorded else "")), xl=4, lg=6),
        dbc.Col(section([metric_label("sqls"), f" per {grain} against the target"], graph(SQL_GRAPH, sql_figure),
                        note=None if has_sql_target else "The agreement sets no SQL target."), xl=4, lg=6),
        dbc.Col(section([metric_label("win_rate"), f" per {grain}"], graph(WIN_RATE_GRAPH, win_figure), note=win_note),
                xl=4, lg=12),
    ], className="g-3")

    total_amount, total_weighted = by_stage["amount"].sum(), by_stage["weighted"].sum()
    total = html.Div([html.B(formatting.money(total_amount, currency)), " open in ",
                      html.B(formatting.count(by_stage["deals"].sum())), " deals · ",
                      html.B(formatting.money(total_weighted, currency)), " weighted"],
                     className="sales-summary", id=PIPELINE_TOTAL)
    stage_rows = [[r.stage, formatting.count(r.deals), formatting.money(r.amount, currency),
                   formatting.money(r.weighted, currency)] for r in by_stage.itertuples()]
    labels = {bucket: bucket_label(bucket) for bucket in by_month["bucket"]}
    sign = formatting.CURRENCY_SIGNS.get(currency, currency)
    chart = (graph(PIPELINE_GRAPH, pipeline_figure(by_month, order, labels, sign)) if len(by_month)
             else graph(PIPELINE_GRAPH, empty_figure("No open deals")))
    pipeline_box = section(
        [_term("Open pipeline", terms["pipeline"]), " by expected close month and stage"],
        total,
        dbc.Row([
            dbc.Col(chart, xl=9, lg=8),
            dbc.Col([html.Div("By stage", className="kpi-label mb-1"),
                     table(["Stage", "Deals", "Amount", "Weighted"], stage_rows, component_id=PIPELINE_TABLE)],
                    xl=3, lg=4),
        ]),
        note="Open now, whatever the dates chosen. Overdue: the expected close month has passed and the deal is "
             "still open.",
    )
    return html.Div([periods_row, pipeline_box])


@callback(Output(PERIOD_BODY, "children"), Input(ID.STATE, "data"))
@render_safely
def update_periods(state):
    """Acceptance, SQLs and win rate per period and the open pipeline for the filters in the URL."""
    report = periods_report(ReportContext.for_request(current_settings(), state))
    if report.is_empty:
        return None  # the response body says what to load
    return render_periods(report.decisions, report.sqls, report.wins, report.pipeline_by_month,
                          report.pipeline_by_stage, report.stage_order, report.agreement, report.grain,
                          report.not_recorded)
