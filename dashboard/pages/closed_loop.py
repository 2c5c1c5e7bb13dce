"""Closed loop: the leads created in the chosen dates, per source or campaign, and what became
of them (MQLs, SQLs, won deals, revenue), against what the campaigns cost (SPEC 10)."""
from __future__ import annotations

import datetime as dt

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input, Output, callback, dcc, html

from dashboard.application import current_settings
from dashboard.components import formatting
from dashboard.components.filters import ID
from dashboard.components.layout import NO_DATA, empty_state, page_header, render_safely
from dashboard.components.sales_charts import loop_panels_figure
from dashboard.components.sections import graph, kpi_card, section
from dashboard.metrics.closed_loop_view import rows_to_chart
from dashboard.reports.closed_loop import BY_CAMPAIGN, BY_SOURCE, LoopReport, closed_loop_report
from dashboard.reports.context import ReportContext

dash.register_page(__name__, path="/closed-loop", name="Closed loop", title="Closed loop", order=4,
                   role="viewer", shared_figures=True)

BY = "loop-by"
BODY = "loop-body"
COHORT_NOTE = "loop-cohort"
COST_NOTE = "loop-cost-note"
TOTALS = "loop-totals"
TOTAL_CARD = "loop-total-{}"
CHART = "loop-chart"
GRID = "loop-grid"

NOUNS = {BY_CAMPAIGN: "campaign", BY_SOURCE: "source"}
STAMP = "%a %-d %b %Y %H:%M"
WHOLE_COSTS_NOTE = "Costs are whole campaign costs: a segment, owner or team filter narrows the leads, not the spend."
CHART_EACH = 10  # the chart shows the 10 biggest by leads and the 10 by revenue

# What each figure means, one hover away (SPEC 10 unless said otherwise).
DEFINITIONS = {
    "leads": "Leads created in the chosen dates (the cohort).",
    "mqls": "Of the cohort, the leads that have become MQL by as_of (recorded or inferred, SPEC 1).",
    "sqls": "Of the cohort, the leads that have become SQL by as_of.",
    "deals_won": "Won deals of the cohort's leads, closed by as_of (a lead can win several).",
    "revenue_won": "Sum of the amounts of those won deals, in the agreement's currency.",
    "conv_lead_won": "Lead → won: the share of the cohort's leads with a won deal by as_of.",
    "cost": "The campaigns' cost falling in the chosen dates: the sum of a campaign's spend rows (campaign_costs), "
            "each spread evenly over its own days; without such rows its cost spread evenly over its start to end "
            "date, or all on its start date when it has no end. A source's cost is that of the campaigns of its "
            "channel.",
    "cost_per_lead": "Cost ÷ leads.",
    "cost_per_mql": "Cost ÷ MQLs.",
    "cost_per_won_deal": "Cost ÷ won deals.",
    "return_on_cost": "Return: won revenue of the leads that have a campaign ÷ those campaigns' cost "
                      "(1× is break-even); revenue of leads without a campaign is not in it.",
    "revenue_without_campaign": "Won revenue of the cohort's leads that have no campaign: not in the return.",
}
LABELS = {
    "leads": "Leads", "mqls": "MQLs", "sqls": "SQLs", "deals_won": "Won deals", "revenue_won": "Won revenue",
    "conv_lead_won": "Lead → won", "cost": "Cost", "cost_per_lead": "Cost / lead", "cost_per_mql": "Cost / MQL",
    "cost_per_won_deal": "Cost / won deal", "return_on_cost": "Return",
}
# The totals' cards say what the one-number return divides (SPEC 10), the revenue outside it beside it.
CARD_LABELS = {**LABELS, "return_on_cost": "Return: campaign revenue ÷ cost",
               "revenue_without_campaign": "Revenue without a campaign"}
MONEY = ("revenue_won", "cost", "cost_per_lead", "cost_per_mql", "cost_per_won_deal", "revenue_without_campaign")
CARDS = ("leads", "mqls", "sqls", "deals_won", "revenue_won", "cost", "return_on_cost", "revenue_without_campaign")


def layout(by: str | None = None, **_query):
    """The page: the grouping switch (`?by=source` opens per source), the cohort's loop."""
    return html.Div([
        page_header("Closed loop", "From source and campaign to revenue: which leads sales actually wins, "
                                   "and what they cost."),
        dbc.RadioItems(id=BY, value=BY_SOURCE if by == BY_SOURCE else BY_CAMPAIGN, inline=True,
                       options=[{"label": "Per campaign", "value": BY_CAMPAIGN},
                                {"label": "Per source", "value": BY_SOURCE}], className="loop-switch"),
        dcc.Loading(html.Div(id=BODY), type="default", delay_show=300),
    ])


def formatted(metric: str, value, currency: str) -> str:
    """A closed-loop figure as people read it."""
    if metric in MONEY:
        return formatting.money(value, currency)
    if metric == "conv_lead_won":
        return formatting.rate(value)
    if metric == "return_on_cost":
        text = formatting.count(value, 1)
        return text if text == "–" else text + "×"
    return formatting.count(value)


def _plain(value):
    """A cell value for the grid: None for missing, Python numbers otherwise."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return value.item() if hasattr(value, "item") else value


def grid_row(row: pd.Series, currency: str) -> dict:
    """One loop row as rowData: raw numbers (they sort) and their text (it shows)."""
    record = {"key": str(row["key"]) if pd.notna(row["key"]) else "", "label": row["label"],
              "channel": (row["channel"] or "").replace("_", " ") if isinstance(row["channel"], str) else ""}
    for metric in LABELS:
        record[metric] = _plain(row[metric])
        record[f"{metric}_text"] = formatted(metric, row[metric], currency)
    return record


def grid_columns(by: str) -> list[dict]:
    """The grid's columns: the group, then every figure with its definition on hover."""
    group = {"field": "label", "headerName": NOUNS[by].capitalize(), "pinned": "left", "minWidth": 250, "flex": 2,
             "tooltipField": "label"}
    columns = [group]
    if by == BY_CAMPAIGN:
        columns.append({"field": "channel", "headerName": "Channel", "minWidth": 110, "flex": 1})
    for metric, label in LABELS.items():
        columns.append({
            "field": metric, "headerName": label, "headerTooltip": DEFINITIONS[metric], "type": "rightAligned",
            "valueFormatter": {"function": f"params.data.{metric}_text"}, "minWidth": 92, "flex": 1,
            **({"sort": "desc"} if metric == "revenue_won" else {}),
        })
    return columns


def cohort_line(start: dt.date, end: dt.date, as_of: pd.Timestamp, agreement) -> str:
    """The one line that says which leads and as of when."""
    local = as_of.tz_convert(agreement.tz)
    return (f"Leads created between {start:%-d %b %Y} and {end:%-d %b %Y}, what became of them by "
            f"{local:{STAMP}} ({agreement.timezone}).")


def render_loop(report: LoopReport) -> html.Div:
    """Totals, the chart that answers which leads sales wins, and the grid."""
    table, totals, by, currency = report.table, report.totals, report.by, report.agreement.currency
    header = cohort_line(report.start, report.end, report.as_of, report.agreement)
    cost_note = WHOLE_COSTS_NOTE if report.whole_campaign_costs else None
    noun = NOUNS[by]
    cards = dbc.Row([
        dbc.Col(kpi_card(html.Span(CARD_LABELS[metric], title=DEFINITIONS[metric], className="definition"),
                         formatted(metric, totals[metric], currency), component_id=TOTAL_CARD.format(metric)),
                xs=6, md=3, xl=True, className="mb-3")
        for metric in CARDS
    ], className="g-3", id=TOTALS)
    notes = [html.Div(header, className="loop-cohort", id=COHORT_NOTE)]
    if cost_note:
        notes.append(html.Div(cost_note, className="section-note", id=COST_NOTE))
    if table.empty:
        return html.Div([*notes, html.P("No leads were created in these dates.", className="text-muted")])

    charted = rows_to_chart(table, CHART_EACH)
    left_out = len(table) - len(charted)
    chart = section(
        f"Which {noun}s bring leads that sales actually wins",
        graph(CHART, loop_panels_figure(charted, totals["conv_lead_won"], currency)),
        note=(f"One row per {noun}, most won revenue first. A long first bar with short ones after it is volume "
              "that does not convert; a short first bar with long ones after it is a small source of revenue. "
              "Return is the won revenue of leads with a campaign ÷ cost in these dates (red: under break-even; “no cost”: none recorded)."
              + (f" {left_out} smaller {noun}s are only in the table below." if left_out > 0 else "")),
    )
    rows = [grid_row(row, currency) for _, row in table.iterrows()]
    total_row = grid_row(pd.Series({"key": None, "label": "All of these dates", "channel": None, **totals}), currency)
    grid = dag.AgGrid(
        id=GRID, rowData=rows, columnDefs=grid_columns(by),
        defaultColDef={"sortable": True, "filter": True, "resizable": True, "wrapHeaderText": True,
                       "autoHeaderHeight": True},
        dashGridOptions={"pinnedBottomRowData": [total_row], "animateRows": False, "suppressCellFocus": True,
                         "enableBrowserTooltips": True, "domLayout": "autoHeight" if len(rows) <= 20 else "normal"},
        style={"height": None if len(rows) <= 20 else "640px"},
        className="ag-theme-alpine loop-grid",
    )
    grid_box = section(f"Per {noun}: leads → MQLs → SQLs → won, and what it cost", grid,
                       note="Sort by any column. The bottom row adds up the rows; its cost ratios count only "
                            "the rows with a cost, and its return divides the revenue of the leads that have a "
                            "campaign by the campaigns' cost.")
    return html.Div([*notes, cards, chart, grid_box])


@callback(Output(BODY, "children"), Input(ID.STATE, "data"), Input(BY, "value"))
@render_safely
def update_loop(state, by=BY_CAMPAIGN):
    """The closed loop of the leads created in the dates and filters of the URL."""
    report = closed_loop_report(ReportContext.for_request(current_settings(), state), by)
    return empty_state(*NO_DATA) if report.is_empty else render_loop(report)
