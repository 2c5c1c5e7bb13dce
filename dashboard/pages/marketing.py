"""Marketing: leads and MQLs against the MQL target, this month's cumulative pace, where the
leads come from (source, campaign, segment) and whether sales accepts them."""
from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input, Output, callback, dcc, html

from dashboard.application import current_settings
from dashboard.components import formatting
from dashboard.components.filters import ID
from dashboard.components.labels import STATUS_ICONS
from dashboard.components.layout import NO_DATA, empty_state, metric_label, page_header, render_safely, status_badge
from dashboard.components.marketing_charts import acceptance_figure, pacing_figure, rejections_figure, volume_figure
from dashboard.components.sections import graph, kpi_card, range_stamp, section, table
from dashboard.metrics.pacing import status_of
from dashboard.reports.context import ReportContext
from dashboard.reports.marketing import MarketingReport, marketing_report

dash.register_page(__name__, path="/marketing", name="Marketing", title="Marketing", order=2,
                   role="viewer", shared_figures=True)

BODY = "marketing-body"
CARD = "marketing-card-{}"
VOLUME_GRAPH = "marketing-volume-graph"
PACING_GRAPH = "marketing-pacing-graph"
ACCEPTANCE_GRAPH = "marketing-acceptance-graph"
REJECTIONS_GRAPH = "marketing-rejections-graph"
VIOLATIONS = "marketing-violations"
BREAKDOWN_TABLE = "marketing-breakdown-{}"
FILTER_NOTE = "marketing-filter-note"

VIOLATION_LABEL = "No reason given: SLA violation"
BREAKDOWN_TITLES = {"source": "By source", "campaign": "By campaign", "segment": "By segment"}
FILTERED_NOTE = ("Filtered view: the figures are those of the chosen leads, scored against this slice's "
                 "targets where the agreement sets them (never the company's).")


def layout(**_query):
    """The page's frame when it opens; the callbacks below fill it for the filters in the URL."""
    return html.Div([
        page_header("Marketing", "Leads and MQLs against the agreement: volume, this month's pace, where they come "
                                 "from, and whether sales accepts them."),
        dcc.Loading(html.Div(id=BODY), type="default", delay_show=300),
    ])


def _status_text(rate, target) -> html.Span:
    """A rate coloured and marked by its status against a target (plain without one)."""
    if target is None or rate is None or pd.isna(rate):
        return html.Span(formatting.rate(rate))
    status = status_of(float(rate), target)
    return html.Span(f"{formatting.rate(rate)} {STATUS_ICONS[status]}", className=f"status-text {status}")


def _breakdown_table(by: str, groups: pd.DataFrame, acceptance_target: float | None) -> html.Div:
    """Leads, MQLs and acceptance per group; rejections without a reason stand out."""
    most = max(int(groups["mqls"].max()), 1) if len(groups) else 1
    rows, classes = [], []
    for row in groups.itertuples():
        bar = html.Span(className="share-bar", style={"width": f"{40 * row.mqls / most:.0f}px"})
        name = row.group.replace("_", " ") if by == "source" else row.group
        rows.append([name, formatting.count(row.leads), [bar, formatting.count(row.mqls)],
                     _status_text(row.acceptance_rate, acceptance_target),
                     html.Span(formatting.count(row.rejected_without_reason),
                               className="violation-text" if row.rejected_without_reason else None)])
        classes.append(None)
    headers = [BREAKDOWN_TITLES[by][3:].capitalize(), metric_label("leads"), metric_label("mqls"),
               metric_label("acceptance_rate", "Acceptance"),
               html.Span("No reason", title="MQLs rejected by sales with no reason given: each one breaks "
                                            "the SLA.", className="definition")]
    return html.Div(table(headers, rows, component_id=BREAKDOWN_TABLE.format(by), row_classes=classes),
                    className="scroll-table")


def render_marketing(report: MarketingReport) -> html.Div:
    """The marketing page's body from its report."""
    sums, pacing, pace, today = report.sums, report.pacing, report.pace, report.today
    mql_target, acceptance_target = report.mql_target, report.acceptance_target
    reasons, breakdowns, grain = report.reasons, report.breakdowns, report.filters.grain
    stamp = range_stamp(report.start, report.end, grain, report.as_of, report.agreement)
    filter_note = FILTERED_NOTE if report.is_filtered else None
    month_name = f"{today:%B %Y}"
    mql_detail = (f"target {formatting.count(mql_target)} for these dates"
                  + (f" · {sums['mqls'] / mql_target:.0%} of it" if mql_target else "")
                  if mql_target is not None else report.no_target_words("MQL"))
    acceptance_detail = ([f"target {formatting.rate(acceptance_target, 0)} ",
                          status_badge(status_of(sums["acceptance_rate"], acceptance_target))]
                         if acceptance_target is not None else report.no_target_words("acceptance"))
    violations = sums["rejected_without_reason"]
    pace_card = (kpi_card(html.Span(f"MQLs this month ({month_name})", title="Month to date against the month's "
                                    "MQL target; projected = MQLs so far ÷ share of working days gone.",
                                    className="definition"),
                          f"{formatting.count(pace['actual'])} of {formatting.count(pace['target'])}",
                          [f"projected {formatting.count(pace['projected'])} · needed "
                           f"{formatting.count(pace['required_per_day'], 1)} / work day ", status_badge(pace["status"])],
                          component_id=CARD.format("pace"))
                 if pace is not None else
                 kpi_card(f"MQLs this month ({month_name})", formatting.count(pacing["cumulative_mqls"].max()),
                          report.no_target_words("MQL"), component_id=CARD.format("pace")))
    cards = dbc.Row([
        dbc.Col(kpi_card(metric_label("leads"), formatting.count(sums["leads"]), "created in these dates",
                         component_id=CARD.format("leads")), xs=6, lg=2, className="mb-3"),
        dbc.Col(kpi_card(metric_label("mqls"), formatting.count(sums["mqls"]), mql_detail,
                         component_id=CARD.format("mqls")), xs=6, lg=2, className="mb-3"),
        dbc.Col(kpi_card(metric_label("acceptance_rate"),
                         formatting.figure_or_reason("acceptance_rate", sums["acceptance_rate"],
                                                     report.agreement.currency, report.not_recorded),
                         acceptance_detail,
                         component_id=CARD.format("acceptance")), xs=6, lg=2, className="mb-3"),
        dbc.Col(kpi_card(html.Span("Rejected without a reason", title="MQLs of these dates that sales rejected "
                                   "without giving a reason: each one is an SLA violation.", className="definition"),
                         html.Span(formatting.count(violations), className="violation-text" if violations else None),
                         "each one breaks the SLA" if violations else "none: every rejection has a reason",
                         component_id=CARD.format("violations")), xs=6, lg=2, className="mb-3"),
        dbc.Col(pace_card, xs=12, lg=4, className="mb-3"),
    ], className="g-3")

    volume_box = section([metric_label("mqls"), " and ", metric_label("leads"), f" per {grain} against the MQL target"],
                         graph(VOLUME_GRAPH, volume_figure(report.volume, report.current_period)),
                         note="Dashed: the MQL target of each period, spread over working days. "
                              "The short bar on the running period is the target expected by now.")
    pacing_box = section(f"{month_name}: cumulative MQLs" + (" against the target" if pace else ""),
                         graph(PACING_GRAPH, pacing_figure(pacing, today, pace)),
                         note="The target ramps up on working days only; weekends and holidays stay flat." if pace
                         else "The agreement sets no MQL target to pace against.")
    acceptance_box = section([metric_label("acceptance_rate"), f" per {grain} against its target"],
                             graph(ACCEPTANCE_GRAPH, acceptance_figure(report.acceptance_by_period)),
                             note="Of the MQLs of each period that sales has decided on, the share accepted. "
                                  "Periods with no decision yet have no bar.")
    rejected = int(reasons["rejections"].sum()) if len(reasons) else 0
    reasons_box = section(
        "Why sales rejected MQLs",
        html.Div([f"{formatting.count(rejected)} rejections of the MQLs of these dates. ",
                  html.Span(f"{formatting.count(violations)} without a reason: SLA violations.", className="violation-text")
                  if violations else "Every rejection has a reason."], id=VIOLATIONS, className="mb-2"),
        graph(REJECTIONS_GRAPH, rejections_figure(reasons, VIOLATION_LABEL)) if len(reasons)
        else html.P("Sales rejected no MQL of these dates.", className="text-muted"),
    )
    breakdown_boxes = [dbc.Col(section(BREAKDOWN_TITLES[by], _breakdown_table(by, frame, acceptance_target)), xl=4)
                       for by, frame in breakdowns.items()]
    return html.Div([
        html.Div(stamp, className="text-muted mb-2", id="marketing-as-of"),
        html.Div(filter_note, className="alert alert-info py-2", id=FILTER_NOTE) if filter_note else None,
        cards,
        dbc.Row([dbc.Col(volume_box, xl=7), dbc.Col(pacing_box, xl=5)], className="g-3"),
        dbc.Row([dbc.Col(acceptance_box, xl=7), dbc.Col(reasons_box, xl=5)], className="g-3"),
        html.Div(section("Where the leads come from",
                         dbc.Row(breakdown_boxes, className="g-3"),
                         note="Leads created and MQLs reached in these dates per group; acceptance of those MQLs, "
                              "marked against the acceptance target (✔ on target, ▲ within 90 %, ✖ below).")),
    ])


@callback(Output(BODY, "children"), Input(ID.STATE, "data"))
@render_safely
def update_marketing(state):
    """Recompute the marketing page for the filters in the URL."""
    report = marketing_report(ReportContext.for_request(current_settings(), state))
    return empty_state(*NO_DATA) if report.is_empty else render_marketing(report)
