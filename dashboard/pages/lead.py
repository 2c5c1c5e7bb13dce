"""Lead: one lead's journey, for everyone who works it: where it came from (source, campaign,
segment), whose it is, its stage now, and its timeline (stages, marketing engagements, sales
touches, deals), as known at as_of. No contact details (no name, e-mail, company or country):
those stay on the manager's Leads page. This is where a breach alert's link goes, since the rep
who gets it is usually a viewer. `?lead=<id>` names the lead (the dashboard's id, as the alerts
and the Leads page give it)."""
from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import html

from dashboard.application import current_settings
from dashboard.components.layout import NO_DATA, empty_state, page_header
from dashboard.components.timeline import fact, legend, timeline_event
from dashboard.reports.context import ReportContext
from dashboard.reports.leads import timeline_report
from dashboard.vocabulary import STAGES_OF_FUNNEL
from queries.db import get_engine
from queries.loaders import Filters

# One lead's journey without contact details: every signed-in viewer; computed per request.
dash.register_page(__name__, path="/lead", name="Lead", title="Lead", nav=False, order=91,
                   role="viewer", shared_figures=False)

BODY = "lead-body"
STAGE_LABELS = {stage.name: stage.label for stage in STAGES_OF_FUNNEL}


def lead_id_of(query: dict) -> int | None:
    """The lead the query names (`?lead=123`), or None when it names none or nothing valid."""
    text = str(query.get("lead") or "").strip()
    return int(text) if text.isdigit() and len(text) <= 18 else None


def layout(**query):
    header = page_header("Lead", "One lead's journey: its stages, the marketing engagements and sales touches, "
                                 "and its deals, as known now.")
    lead_id = lead_id_of(query)
    if lead_id is None:
        return html.Div([header, html.Div(dbc.Alert(
            "Name a lead: /lead?lead=<id> (the links in the alerts and on the Leads page do).", color="warning"),
            id=BODY)])
    return html.Div([header, html.Div(render_lead(lead_id), id=BODY)])


def render_lead(lead_id: int):
    """The lead's card and timeline from the timeline report (no contact details read)."""
    settings = current_settings()
    context = ReportContext.for_request(settings, None, Filters())  # the lead, whatever the filters say
    report = timeline_report(context, lead_id, get_engine(settings.database_url), with_contact=False)
    if report.is_empty:
        return empty_state(*NO_DATA)
    if report.lead is None:
        return dbc.Alert(f"There is no lead with id {lead_id} "
                         f"(as of {report.as_of.tz_convert(report.agreement.tz):%Y-%m-%d %H:%M}).", color="warning")
    lead = report.lead
    facts = html.Div([
        fact("Lead", lead["external_id"]), fact("Source", lead["source"]), fact("Campaign", report.campaign),
        fact("Segment", lead["segment"]), fact("Owner", report.owner), fact("Stage now", STAGE_LABELS[report.stage]),
    ], className="facts")
    events = [timeline_event(row) for row in report.events.itertuples(index=False)]
    return html.Div([
        html.H2(f"Lead {lead['external_id']}", className="h5"),
        facts, legend(),
        html.Div(events or "Nothing recorded for this lead yet.", className="timeline-events"),
    ], id=f"lead-timeline-{int(lead['id'])}", className="timeline")
