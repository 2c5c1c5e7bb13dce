"""The Lead page: one lead's journey for a viewer (where breach alerts link), without contact details."""
from __future__ import annotations

import pandas as pd

from tests.pages.tree import find, page, texts


def _a_won_lead(settings):
    from dashboard.data import dataset_for
    from queries.db import get_engine
    from queries.drilldown import load_contact

    data = dataset_for(settings)
    won = data.deals[data.deals["is_won"].fillna(False).astype(bool) & data.deals["lead_id"].notna()]
    lead = data.leads.set_index("id").loc[int(won["lead_id"].iloc[0])]
    contact = load_contact(get_engine(settings.database_url), lead["contact_id"])
    return int(won["lead_id"].iloc[0]), lead, contact


def test_ld001_the_lead_page_shows_the_journey_without_contact_details(demo_app, demo_settings):
    lead_id, lead, contact = _a_won_lead(demo_settings)
    with demo_app.server.test_request_context():
        body = page("lead").layout(lead=str(lead_id))
    shown = texts(find(body, f"lead-timeline-{lead_id}"))
    assert f"Lead {lead['external_id']}" in shown
    assert lead["source"] in shown
    assert "Lead created" in shown and "Deal won" in shown  # stages and the deal, oldest first
    assert shown.index("Lead created") < shown.index("Deal won")
    everything = " ".join(texts(body))
    for private in (contact["name"], contact["email"]):
        assert isinstance(private, str) and private and private not in everything
    assert "Contact" not in shown and "Email" not in shown


def test_ld002_the_report_reads_no_contact_for_the_lead_page(demo_app, demo_settings):
    from dashboard.reports.context import ReportContext
    from dashboard.reports.leads import timeline_report
    from queries.db import get_engine
    from queries.loaders import Filters

    lead_id, lead, contact = _a_won_lead(demo_settings)
    with demo_app.server.test_request_context():
        context = ReportContext.for_request(demo_settings, None, Filters())
        engine = get_engine(demo_settings.database_url)
        journey = timeline_report(context, lead_id, engine, with_contact=False)
        full = timeline_report(context, lead_id, engine)
    assert journey.contact is None and full.contact["email"] == contact["email"]
    pd.testing.assert_frame_equal(journey.events, full.events)  # the same figures, from the same report


def test_ld003_an_unknown_or_missing_lead_is_said_so(demo_app):
    with demo_app.server.test_request_context():
        missing = page("lead").layout(lead=str(10**9))
        nothing = page("lead").layout()
        garbage = page("lead").layout(lead="1; DROP TABLE leads")
    assert f"There is no lead with id {10**9} (as of 2026-11-20 12:00)." in texts(missing)
    assert any("Name a lead: /lead?lead=<id>" in text for text in texts(nothing))
    assert any("Name a lead" in text for text in texts(garbage))
