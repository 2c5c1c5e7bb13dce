"""Data quality: the `check` command's report as a page; every rule with its count and
examples, each example a link to the record on the leads page, clean rules shown clean.

Over every record in the database, whatever the filter bar says, as `check` does.
"""
from __future__ import annotations

from urllib.parse import urlencode

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, callback, dcc, html

from dashboard.application import current_settings
from dashboard.components import formatting
from dashboard.components.filters import ID
from dashboard.components.layout import NO_DATA, empty_state, page_header, render_safely
from dashboard.metrics.quality import Finding
from dashboard.reports.context import ReportContext
from dashboard.reports.quality import QualityReport, data_quality_report
from queries.db import get_engine
from queries.loaders import Filters, load_unresolved_references

dash.register_page(__name__, path="/data-quality", name="Data quality", title="Data quality", order=7,
                   role="viewer", shared_figures=True)

BODY = "quality-body"
SUMMARY = "quality-summary"
TABLE = "quality-table"


def layout(**_query):
    """The page; its body is the report `update_quality` renders."""
    return html.Div([
        page_header("Data quality", "Records that break the rules: counted and listed, never silently dropped. "
                                    "Over all records, whatever the filters say (the same report as "
                                    "`python app.py check`)."),
        dcc.Loading(html.Div(id=BODY), type="default", delay_show=300),
    ])


def lead_href(lead_id: int) -> str:
    """The leads page opened on one lead."""
    return "/leads?" + urlencode({"lead": lead_id})


def rule_href(rule: str) -> str:
    """The leads page narrowed to the records that break a rule."""
    return "/leads?" + urlencode({"rule": rule})


def _examples(finding: Finding, links: list[tuple[str, int | None]]) -> list:
    """The examples as links to their lead (plain text where there is none), then 'all N'."""
    parts = [dcc.Link(text, href=lead_href(lead_id)) if lead_id is not None
             else html.Span(text, className="example-text") for text, lead_id in links]
    if finding.count > len(links) or any(lead_id is None for _, lead_id in links):
        parts.append(dcc.Link(f"all {formatting.count(finding.count)} →", href=rule_href(finding.rule),
                              className="fw-semibold"))
    return parts


def _row(finding: Finding, links) -> html.Tr:
    """One rule's line: a green clean line, or its count, examples and links."""
    if not finding.count:
        return html.Tr([html.Td(finding.rule, className="rule"), html.Td(finding.table),
                        html.Td(finding.description), html.Td("0", className="count"), html.Td("✔ clean")],
                       className="clean", id=f"quality-{finding.rule}")
    return html.Tr([
        html.Td(dcc.Link(finding.rule, href=rule_href(finding.rule)), className="rule"),
        html.Td(finding.table), html.Td(finding.description),
        html.Td(formatting.count(finding.count), className="count"),
        html.Td(_examples(finding, links), className="examples"),
    ], id=f"quality-{finding.rule}")


def render_report(report: QualityReport) -> html.Div:
    """The summary line over the table: rules with findings first, then the clean ones."""
    findings, summary, links = report.findings, report.summary, report.links
    if summary["rules_with_findings"]:
        line = html.Div(
            f"{summary['rules_with_findings']} of {summary['rules']} rules have findings: "
            f"{formatting.count(summary['findings'])} findings on {formatting.count(summary['records'])} records.",
            className="quality-summary", id=SUMMARY)
    else:
        line = html.Div(f"✔ All {summary['rules']} rules are clean.", className="quality-summary clean", id=SUMMARY)
    ordered = [f for f in findings if f.count] + [f for f in findings if not f.count]
    header = html.Thead(html.Tr([html.Th(h) for h in ("Rule", "Table", "What it means", "Count", "Examples")]))
    table = dbc.Table([header, html.Tbody([_row(f, links.get(f.rule, [])) for f in ordered])],
                      size="sm", hover=True, className="quality-table mb-0", id=TABLE)
    return html.Div([line, table], className="section")


@callback(Output(BODY, "children"), Input(ID.STATE, "data"))
@render_safely
def update_quality(state):
    """Run the data-quality report over every record and render it."""
    settings = current_settings()
    context = ReportContext.for_request(settings, state, data_filters=Filters())  # every record, whatever the filters
    report = data_quality_report(context, load_unresolved_references(get_engine(settings.database_url)))
    return empty_state(*NO_DATA) if report.is_empty else render_report(report)
