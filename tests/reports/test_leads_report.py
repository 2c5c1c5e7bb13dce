"""The leads report and the timeline report on a hand-made dataset, without Dash. The records
the shared dataset does not hold (contacts, activity detail, unresolved references) sit in a
temporary SQLite database of their own.

In Helsinki time, as of Fri 20 Nov 2026 12:00, the dates 2-20 Nov; a 4-working-hour response
window, 08:00-16:00 on weekdays:
  lead 1  created Mon 2 Nov 09:00 (webinar, campaign "Autumn webinar", contact 20 at Acme Oy),
          webinar attended 09:30, MQL 10:00, called 11:00, SAL Tue 3 Nov 10:00
  lead 2  created Tue 10 Nov 09:00, MQL then, never touched: an open breach
  lead 3  created Thu 19 Nov 09:00, MQL Fri 20 Nov 10:00, untouched for 2 working hours: pending
  lead 4  created Tue 20 Oct 09:00, MQL then, never touched: a breach, but not of these dates
  lead 5  created Mon 9 Nov 09:00, SQL Thu 12 Nov 10:00 (MQL and SAL inferred), touched 11:00;
          deal 1 (-500, open) is its
  deal 2  linked to no lead; activity 7 names a lead nobody loaded
"""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import insert

from dashboard.components.lead_query import LeadQuery
from dashboard.reports.leads import leads_report, timeline_report
from queries.db import get_engine, init_db
from queries.schema import Activity, Contact, UnresolvedReference
from tests.factories import dataset, t
from tests.reports.helpers import context

AS_OF = t("2026-11-20 12:00")
RANGE = dict(start=dt.date(2026, 11, 2), end=dt.date(2026, 11, 20))


def records():
    return dataset(
        [
            dict(id=1, created_at="2026-11-02 09:00", mql_at="2026-11-02 10:00", sal_at="2026-11-03 10:00",
                 source="webinar", campaign_id=3, segment="SMB", owner_id=8, contact_id=20),
            dict(id=2, created_at="2026-11-10 09:00", mql_at="2026-11-10 09:00", owner_id=8),
            dict(id=3, created_at="2026-11-19 09:00", mql_at="2026-11-20 10:00"),
            dict(id=4, created_at="2026-10-20 09:00", mql_at="2026-10-20 09:00"),
            dict(id=5, created_at="2026-11-09 09:00", sql_at="2026-11-12 10:00", first_touch_at="2026-11-12 11:00",
                 segment="Enterprise"),
        ],
        [dict(id=1, lead_id=5, created_at="2026-11-13 10:00", amount=-500.0, name="Pilot"),
         dict(id=2, lead_id=None, created_at="2026-11-13 10:00", amount=100.0, name="Stray")],
        [dict(id=1, lead_id=1, owner_id=8, occurred_at="2026-11-02 11:00")],
        [dict(id=8, name="Rep Eight", team="sdr")],
        [dict(id=3, name="Autumn webinar", channel="webinar", cost=100)],
    )


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    """The side records: lead 1's contact and both teams' activities with detail, one reference."""
    url = f"sqlite:///{tmp_path_factory.mktemp('leads')}/leads.db"
    with init_db(url).begin() as connection:
        connection.execute(insert(Contact), [{"id": 20, "external_id": "P20", "name": "Contact Twenty",
                                              "company": "Acme Oy", "country": "Finland"}])
        connection.execute(insert(Activity), [
            {"id": 1, "external_id": "A1", "lead_id": 1, "owner_id": 8, "team": "sales", "type": "call",
             "detail": "Intro call", "occurred_at": t("2026-11-02 11:00")},
            {"id": 2, "external_id": "A2", "lead_id": 1, "owner_id": None, "team": "marketing",
             "type": "webinar_attended", "detail": "Autumn webinar", "occurred_at": t("2026-11-02 09:30")},
        ])
        connection.execute(insert(UnresolvedReference), [{"table_name": "activities", "record_id": 7,
                                                          "field": "lead_id", "target_table": "leads",
                                                          "target_external_id": "L404"}])
    yield get_engine(url)
    get_engine(url).dispose()


def ids(report):
    return report.table["id"].tolist()


def test_rd001_the_leads_of_the_dates_newest_first_with_their_company(engine):
    """Created or reaching a stage 2-20 Nov: 3, 2, 5 and 1 by creation, newest first; 4 did
    nothing in these dates. Lead 1's row has its campaign, owner and company."""
    report = leads_report(context(records(), AS_OF, **RANGE), LeadQuery(), engine)
    assert ids(report) == [3, 2, 5, 1]
    first = report.table.set_index("id").loc[1]
    assert (first["campaign"], first["owner"], first["company"], first["stage"]) == (
        "Autumn webinar", "Rep Eight", "Acme Oy", "sal")


def test_rd002_a_stage_and_the_open_breaches(engine):
    """SALs of the dates: 5 (inferred from its SQL) and 1. Open breaches: lead 2 alone; lead 3
    is still inside its window, lead 4's breach is of October."""
    stage = leads_report(context(records(), AS_OF, **RANGE), LeadQuery(stage="sal"), engine)
    assert ids(stage) == [5, 1]
    breaches = leads_report(context(records(), AS_OF, **RANGE), LeadQuery(breach=True), engine)
    assert ids(breaches) == [2] and breaches.window == 4


def test_rd003_one_lead_whatever_the_dates(engine):
    assert ids(leads_report(context(records(), AS_OF, **RANGE), LeadQuery(lead=4), engine)) == [4]


def test_rd004_the_records_breaking_a_rule(engine):
    """negative_amount: deal 1 of lead 5, still open; deal_without_lead: deal 2 and no lead to
    show; unknown_lead: activity 7 only; a rule the report does not have is said so."""
    every = context(records(), AS_OF, **RANGE)

    def rule(name):
        return leads_report(every, LeadQuery(rule=name), engine, everything=every)

    negative = rule("negative_amount")
    assert ids(negative) == [5]
    assert negative.rule_deals[["external_id", "name", "lead", "amount", "outcome"]].values.tolist() == [
        ["D1", "Pilot", "L5", -500.0, "open"]]
    stray = rule("deal_without_lead")
    assert ids(stray) == [] and stray.rule_deals["external_id"].tolist() == ["D2"]
    assert stray.rule_deals["lead"].isna().all()
    unknown_lead = rule("unknown_lead")
    assert ids(unknown_lead) == [] and unknown_lead.rule_deals is None
    assert unknown_lead.rule_records.values.tolist() == [["activities", 7]]
    assert rule("no_such_rule").unknown_rule
    with pytest.raises(ValueError, match="every record"):
        leads_report(every, LeadQuery(rule="negative_amount"), engine)


def test_rd005_a_timeline_with_both_teams_in_time_order(engine):
    """Lead 1: created 09:00, webinar 09:30 (marketing), MQL 10:00, call 11:00 (sales), SAL
    3 Nov 10:00; its contact, owner, campaign and stage for the card."""
    report = timeline_report(context(records(), AS_OF, **RANGE), 1, engine)
    assert report.events["event"].tolist() == ["Lead created", "Webinar attended", "Became an MQL", "Call",
                                               "Accepted by sales (SAL)"]
    assert report.events["team"].tolist() == ["marketing", "marketing", "marketing", "sales", "sales"]
    assert (report.stage, report.owner, report.campaign, report.contact["company"]) == (
        "sal", "Rep Eight", "Autumn webinar", "Acme Oy")


def test_rd006_a_timeline_as_known_earlier(engine):
    """As of Mon 2 Nov 10:30 lead 1 is an MQL whose call lies ahead, and lead 3 does not exist."""
    earlier = context(records(), t("2026-11-02 10:30"), dt.date(2026, 11, 2), dt.date(2026, 11, 2))
    report = timeline_report(earlier, 1, engine)
    assert report.events["event"].tolist() == ["Lead created", "Webinar attended", "Became an MQL"]
    assert report.stage == "mql"
    missing = timeline_report(earlier, 3, engine)
    assert missing.lead is None and not missing.is_empty


def test_rd007_no_records(engine):
    empty = context(dataset(), AS_OF, **RANGE)
    assert leads_report(empty, LeadQuery(), engine).is_empty
    assert timeline_report(empty, 1, engine).is_empty
