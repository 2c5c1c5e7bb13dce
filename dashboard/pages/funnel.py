"""Funnel: how many leads reach each stage per period, how many convert (as cohorts, or as
period ratios behind a switch), how fast they move, and where they leave or get stuck."""
from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input, Output, callback, dcc, html

from dashboard.application import current_settings
from dashboard.components import formatting
from dashboard.components.charts import empty_figure
from dashboard.components.filters import ID
from dashboard.components.funnel_charts import (
    STAGE_NAMES,
    STAGE_PLURALS,
    cohort_subtitles,
    conversion_figure,
    disqualified_figure,
    funnel_figure,
    pair_title,
    recycled_figure,
    velocity_figure,
)
from dashboard.components.labels import METRIC_DEFINITIONS
from dashboard.components.layout import NO_DATA, empty_state, page_header, render_safely
from dashboard.components.sections import graph, kpi_card, period_label, range_stamp, section, table
from dashboard.metrics.funnel_views import PAIRS, STAGE_FIELDS
from dashboard.reports.context import ReportContext
from dashboard.reports.funnel import (
    COHORT,
    PERIOD_RATIO,
    ConversionReport,
    DetailsReport,
    SummaryReport,
    conversion_report,
    details_report,
    summary_report,
)

dash.register_page(__name__, path="/funnel", name="Funnel", title="Funnel", order=1,
                   role="viewer", shared_figures=True)

SUMMARY = "funnel-summary"
CONVERSION = "funnel-conversion"
CONVERSION_VIEW = "funnel-conversion-view"
DETAILS = "funnel-details"
STAGE_CARD = "funnel-card-{}"
FUNNEL_GRAPH = "funnel-range-graph"
COUNTS_TABLE = "funnel-counts-table"
CONVERSION_GRAPH = "funnel-conversion-graph"
VELOCITY_GRAPH = "funnel-velocity-graph"
VELOCITY_TABLE = "funnel-velocity-table"
DISQUALIFIED_GRAPH = "funnel-disqualified-graph"
RECYCLED_GRAPH = "funnel-recycled-graph"
EXIT_TOTALS = "funnel-exit-totals"
STUCK_TABLE = "funnel-stuck-table"
STUCK_LEADS = "funnel-stuck-leads"
STUCK_TOTAL = "funnel-stuck-total"

VIEW_OPTIONS = [
    {"label": "Cohort conversion: of the leads that reached the first stage in the period, "
              "the share that has reached the next stage by now", "value": COHORT},
    {"label": "Period ratio: the next stage's count in the period ÷ the first stage's count "
              "in the same period (not the same leads)", "value": PERIOD_RATIO},
]
STUCK_LIST_LENGTH = 25
WON_DEFINITION = ("Leads whose first won deal closed in the period (a lead counts once however many "
                  "deals it won; the sales figures count deals).")


def layout(**_query):
    """The page's frame when it opens; the callbacks below fill it for the filters in the URL."""
    return html.Div([
        page_header("Funnel", "From lead to won: how many reach each stage, how many convert, how fast, "
                              "and where leads leave or get stuck."),
        dcc.Loading(html.Div(id=SUMMARY), type="default", delay_show=300),
        section("Conversion between stages",
                dbc.RadioItems(id=CONVERSION_VIEW, options=VIEW_OPTIONS, value=COHORT, className="mb-2 view-switch"),
                dcc.Loading(html.Div(id=CONVERSION), type="default", delay_show=300),
                component_id="funnel-conversion-section"),
        dcc.Loading(html.Div(id=DETAILS), type="default", delay_show=300),
    ])


def stage_label(stage: str, agreement) -> html.Span:
    """A stage's count name with the agreement's definition and how it is counted on hover."""
    field = STAGE_FIELDS[stage]
    counted = METRIC_DEFINITIONS.get(field, WON_DEFINITION)
    written = agreement.definitions.get(stage)
    title = f"{STAGE_NAMES[stage]}: {written}\nCounted: {counted}" if written else counted
    return html.Span(STAGE_PLURALS[stage], title=title, className="definition")


def clipped_label(start, index: int, periods: int, report: SummaryReport) -> str:
    """A period's label, with the part of it inside the range when the range cuts it."""
    label = period_label(start, report.filters.grain, report.today)
    if index == 0 and report.first_clipped:
        label += f", from {report.first_clipped:%-d %b}"
    if index == periods - 1 and report.last_clipped:
        label += f", to {report.last_clipped:%-d %b}"
    return label


def render_summary(report: SummaryReport) -> html.Div:
    """Stage totals of the date range, the range's funnel and the counts per period."""
    totals, range_stages, counts, filters, agreement = (report.totals, report.range_funnel, report.counts,
                                                        report.filters, report.agreement)
    stamp = range_stamp(report.start, report.end, filters.grain, report.as_of, agreement)
    search = filters.to_search()
    cards = [dbc.Col(kpi_card(stage_label(stage, agreement), formatting.count(totals[stage]),
                              dcc.Link("the leads →", href=f"/leads{search}{'&' if search else '?'}stage={stage}"),
                              component_id=STAGE_CARD.format(stage)), xs=6, md=4, xl=2, className="mb-3")
             for stage in STAGE_FIELDS]
    rows = [[clipped_label(start, index, len(counts), report), *[formatting.count(v) for v in row]]
            for index, (start, row) in enumerate(counts.iterrows())]
    rows.append(["Total of these dates", *[formatting.count(v) for v in counts.sum()]])
    clipped = report.first_clipped or report.last_clipped
    counts_note = ("Leads whose (effective) stage date falls in the period and in these dates; a lead that skipped "
                   "a stage counts in it at the later stage's date."
                   + (f" The {'first and last' if report.first_clipped and report.last_clipped else 'first' if report.first_clipped else 'last'} "
                      f"{filters.grain} runs past these dates and counts only its days inside them, so the total "
                      "is the figure of the tiles above." if clipped else " The total is the figure of the tiles above."))
    headers = ["Period", *[stage_label(stage, agreement) for stage in STAGE_FIELDS]]
    funnel_chart = (graph(FUNNEL_GRAPH, funnel_figure(range_stages)) if range_stages["leads"].iloc[0]
                    else html.P("No leads were created in these dates.", className="text-muted"))
    return html.Div([
        html.Div(stamp, className="text-muted mb-2", id="funnel-as-of"),
        dbc.Row(cards, className="g-3"),
        dbc.Row([
            dbc.Col(section("Leads created in these dates: how far they have got",
                            funnel_chart, note="A cohort: each lead created in these dates counted once, at every "
                                               "stage it has reached by now, whenever it got there; so its MQLs "
                                               "are not the tiles' MQLs of these dates (leads whose MQL date falls "
                                               "in them, whenever created). In brackets the share of the stage "
                                               "before."),
                    lg=5),
            dbc.Col(section(f"Stage counts per {filters.grain}",
                            html.Div(table(headers, rows, component_id=COUNTS_TABLE,
                                           row_classes=[None] * (len(rows) - 1) + ["total"]), className="scroll-table"),
                            note=counts_note), lg=7),
        ], className="g-3"),
    ])


@callback(Output(SUMMARY, "children"), Input(ID.STATE, "data"))
@render_safely
def update_summary(state):
    """Stage totals, the range's funnel and the per-period counts for the filters in the URL."""
    report = summary_report(ReportContext.for_request(current_settings(), state))
    return empty_state(*NO_DATA) if report.is_empty else render_summary(report)


def render_conversion(report: ConversionReport) -> html.Div:
    """The conversion panels with what the view means written under them."""
    view = report.kind
    if view == COHORT:
        subtitles = cohort_subtitles(report.lags, PAIRS)
        note = ("Bars: of the leads that reached the first stage in the period, the share that has reached the next "
                "one by now. Hatched, lighter bars are immature cohorts: less than the median lag (over all "
                "history) has passed since the period ended, so their share will still grow. Blue is marketing's "
                "step, pink the steps sales owns.")
    else:
        subtitles = {(a, b): f"{STAGE_PLURALS[b]} ÷ {STAGE_PLURALS[a]} in the period" for a, b in PAIRS}
        note = ("Period ratio, not a conversion: the two counts are different leads (those reaching each stage in "
                "the period), so it can exceed 100 % and tells nothing about any one cohort. Blue is marketing's "
                "step, pink the steps sales owns.")
    if report.not_recorded:
        subtitles = {pair: text + (" · not recorded" if pair in report.not_recorded else "")
                     for pair, text in subtitles.items()}
        steps = ", ".join(f"{STAGE_PLURALS[a]} → {STAGE_PLURALS[b]}" for a, b in report.not_recorded)
        note += (f" Not recorded: {steps}. The source records no lead that reached the first stage and stopped "
                 "before the next, so the share would read 100 % whatever happened; it is left out.")
    figure = conversion_figure(report.conversions, subtitles, report.targets if view == COHORT else {},
                               view == PERIOD_RATIO)
    return html.Div([graph(CONVERSION_GRAPH, figure), html.Div(note, className="section-note", id="funnel-conversion-note")])


@callback(Output(CONVERSION, "children"), Input(ID.STATE, "data"), Input(CONVERSION_VIEW, "value"))
@render_safely
def update_conversion(state, kind):
    """The conversion of every stage pair per period: cohorts by default, period ratios on request."""
    report = conversion_report(ReportContext.for_request(current_settings(), state), kind)
    if report.is_empty:
        return html.P(NO_DATA[0] + ".", className="text-muted")
    return render_conversion(report)


def render_details(report: DetailsReport) -> html.Div:
    """Velocity, exits and stuck leads."""
    velocity, range_speed, disqualified, recycled = (report.velocity, report.range_velocity, report.disqualified,
                                                     report.recycled)
    stuck_summary, stuck_leads, owner_names, grain = (report.stuck_summary, report.stuck_leads, report.owner_names,
                                                      report.grain)
    speed_rows = [[pair_title(r.from_stage, r.to_stage),
                   formatting.count(r.median_days, 1) + (" days" if pd.notna(r.median_days) else ""),
                   formatting.count(r.leads)] for r in range_speed.itertuples()]
    velocity_chart = graph(VELOCITY_GRAPH, velocity_figure(velocity)) if velocity.notna().any().any() \
        else graph(VELOCITY_GRAPH, empty_figure("No lead moved a stage in these dates"))
    velocity_box = section(
        [html.Span("Velocity", title="The median days from one stage to the next over the leads that "
                                     "reached the later stage in the period.", className="definition"),
         f": median days between stages, per {grain}"],
        dbc.Row([
            dbc.Col(velocity_chart, xxl=8),
            dbc.Col([html.Div("In these dates", className="kpi-label mb-1"),
                     table(["Step", "Median", "Leads"], speed_rows, component_id=VELOCITY_TABLE)], xxl=4),
        ]),
        note="Per period of arrival at the later stage; days are calendar days.",
    )

    disqualified_total = int(disqualified["total"].sum()) if len(disqualified) else 0
    recycled_total = int(recycled.sum())
    exits_box = section(
        "Where leads leave the funnel",
        html.Div([html.Span(formatting.count(disqualified_total), className="exit-count"), " disqualified · ",
                  html.Span(formatting.count(recycled_total), className="exit-count"), " recycled in these dates"],
                 id=EXIT_TOTALS, className="mb-2"),
        dbc.Row([
            dbc.Col([html.Div("Disqualified, by reason and the furthest stage reached", className="kpi-label"),
                     graph(DISQUALIFIED_GRAPH, disqualified_figure(disqualified)) if len(disqualified)
                     else html.P("No lead was disqualified in these dates.", className="text-muted")], lg=7),
            dbc.Col([html.Div("Recycled (back to nurture), by reason", className="kpi-label"),
                     graph(RECYCLED_GRAPH, recycled_figure(recycled)) if len(recycled)
                     else html.P("No lead was recycled in these dates.", className="text-muted")], lg=5),
        ]),
    )

    stuck_rows = [[STAGE_NAMES[r.stage], f"{r.after_days} days", formatting.count(r.leads),
                   formatting.count(r.median_days_in_stage, 1)] for r in stuck_summary.itertuples()]
    listed = stuck_leads.head(STUCK_LIST_LENGTH)
    def text(value, missing: str) -> str:  # missing text is NaN in pandas' string dtype, not None
        return value if isinstance(value, str) and value else missing

    lead_rows = [[dcc.Link(text(r.external_id, f"#{r.lead_id}"), href=f"/leads?lead={r.lead_id}"), STAGE_NAMES[r.stage],
                  formatting.count(r.days_in_stage, 1),
                  owner_names.get(r.owner_id, "(unassigned)") if pd.notna(r.owner_id) else "(unassigned)",
                  text(r.source, "(no source)").replace("_", " ")]
                 for r in listed.itertuples()]
    stuck_box = section(
        "Stuck right now",
        html.Div([html.Span(formatting.count(len(stuck_leads)), className="exit-count"),
                  " open leads have sat in their stage longer than the agreement allows."],
                 id=STUCK_TOTAL, className="mb-2"),
        dbc.Row([
            dbc.Col(table(["Stage", "Stuck after", "Leads stuck", "Median days in stage"], stuck_rows,
                          component_id=STUCK_TABLE), lg=5),
            dbc.Col([html.Div(f"The {len(listed)} longest stuck" if len(listed) else "", className="kpi-label"),
                     html.Div(table(["Lead", "Stage", "Days in stage", "Owner", "Source"], lead_rows,
                                    component_id=STUCK_LEADS, numeric={2}), className="scroll-table")], lg=7),
        ]),
        note="Open leads (not disqualified, recycled or won) whose time in their current stage is over the "
             "stuck_after_days of the agreement; not limited to the dates chosen.",
    )
    return html.Div([velocity_box, exits_box, stuck_box])


@callback(Output(DETAILS, "children"), Input(ID.STATE, "data"))
@render_safely
def update_details(state):
    """Velocity, exits and stuck leads for the filters in the URL."""
    report = details_report(ReportContext.for_request(current_settings(), state))
    return None if report.is_empty else render_details(report)
