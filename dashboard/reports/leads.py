"""The Leads page's records: the leads behind a number (narrowed by the filters, the dates and
the page's query arguments), the records that break a data-quality rule, and one lead's
timeline, all as known at as_of.

Besides the shared records these read what the `Dataset` does not hold from the database
(`engine`): the contacts' companies, one lead's activities with their detail, its contact,
and the references no loaded record has.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine

from dashboard.components.lead_query import LeadQuery
from dashboard.metrics.drilldown import lead_timeline, leads_table, rule_lead_ids, rule_records, select_leads
from dashboard.metrics.funnel import current_stage
from dashboard.reports.context import ReportContext
from dashboard.reports.filters import ViewFilters
from dashboard.reports.quality import findings_of
from dashboard.sla import Agreement
from queries.drilldown import load_companies, load_contact, load_lead_activities
from queries.loaders import Dataset, load_unresolved_references

RULE_DEAL_COLUMNS = ("external_id", "name", "lead", "amount", "currency", "created_at", "closed_at", "outcome")


@dataclass(frozen=True)
class LeadsReport:
    narrowing: LeadQuery
    filters: ViewFilters
    agreement: Agreement
    start: dt.date
    end: dt.date
    window: float | None  # the response window in hours; None: the agreement sets none
    is_empty: bool
    unknown_rule: bool = False  # `?rule=` names no rule of the data-quality report
    table: pd.DataFrame | None = None  # one row per lead (drilldown.GRID_COLUMNS), newest first
    rule_deals: pd.DataFrame | None = None  # the deals breaking the rule (RULE_DEAL_COLUMNS); None: none do
    rule_records: pd.DataFrame | None = None  # the rule's other records that are neither leads nor deals: table, id


def leads_report(context: ReportContext, narrowing: LeadQuery, engine: Engine,
                 everything: ReportContext | None = None) -> LeadsReport:
    """The leads the context's records, dates and the narrowing select. With `?rule=` the
    rule's findings are over every record whatever the filters: `everything` is a context on
    them, and required then."""
    agreement = context.agreement
    window = agreement.response_window_hours
    base = dict(narrowing=narrowing, filters=context.filters, agreement=agreement, start=context.start,
                end=context.end, window=window, is_empty=context.is_empty)
    if context.is_empty:
        return LeadsReport(**base)
    stages, (since, until) = context.stages, context.window()
    rule = {}
    if narrowing.lead is not None:
        chosen = select_leads(stages, since, until, lead_ids=[narrowing.lead], any_date=True)
    elif narrowing.rule:
        if everything is None:
            raise ValueError("a data-quality rule's records are over every record: give `everything`")
        unresolved = load_unresolved_references(engine)
        finding = next((f for f in findings_of(everything, unresolved) if f.rule == narrowing.rule), None)
        if finding is None:
            return LeadsReport(**base, unknown_rule=True)
        records = rule_records(finding, unresolved)
        rule = dict(rule_deals=_rule_deals(records, everything.dataset),
                    rule_records=records[~records["table"].isin(["leads", "deals"])])
        chosen = select_leads(stages, since, until, lead_ids=rule_lead_ids(records, everything.dataset.deals),
                              any_date=True)
    elif narrowing.breach and window is not None:
        responses = context.responses()
        chosen = select_leads(stages, since, until, "mql", responses.loc[responses["open_breach"], "lead_id"])
    else:
        chosen = select_leads(stages, since, until, "mql" if narrowing.breach else narrowing.stage)
    companies = load_companies(engine, chosen["contact_id"])
    known = context.known
    table = leads_table(chosen, known.owners, known.campaigns, companies, agreement.tz)
    return LeadsReport(**base, table=table, **rule)


def _rule_deals(records: pd.DataFrame, dataset: Dataset) -> pd.DataFrame | None:
    """The deals among a rule's records with their lead's external id and outcome (won, lost,
    open); None when the rule names no deal."""
    deal_ids = set(records.loc[records["table"] == "deals", "id"])
    if not deal_ids:
        return None
    deals, leads = dataset.deals, dataset.leads
    rows = deals[deals["id"].isin(deal_ids)]
    lead_names = leads.set_index("id")["external_id"] if len(leads) else pd.Series(dtype=object)
    return pd.DataFrame({
        "external_id": rows["external_id"], "name": rows["name"], "lead": rows["lead_id"].map(lead_names),
        "amount": rows["amount"], "currency": rows["currency"], "created_at": rows["created_at"],
        "closed_at": rows["closed_at"], "outcome": rows["is_won"].map({True: "won", False: "lost"}).fillna("open"),
    }, columns=list(RULE_DEAL_COLUMNS))


@dataclass(frozen=True)
class TimelineReport:
    lead_id: int
    agreement: Agreement
    as_of: pd.Timestamp
    is_empty: bool  # no records at all
    lead: pd.Series | None = None  # the lead with its effective stage dates; None: no such lead at as_of
    stage: str | None = None  # its stage now
    contact: dict | None = None
    owner: str | None = None
    campaign: str | None = None
    events: pd.DataFrame | None = None  # drilldown.lead_timeline, oldest first


def timeline_report(context: ReportContext, lead_id: int, engine: Engine,
                    with_contact: bool = True) -> TimelineReport:
    """One lead's card and everything that happened to it by as_of (a context on every record:
    the lead shows whatever the filters say). `with_contact=False` leaves the contact's details
    (name, e-mail, company, country) unread: the Lead page, open to viewers, shows the journey only."""
    base = dict(lead_id=lead_id, agreement=context.agreement, as_of=context.as_of, is_empty=context.is_empty)
    if context.is_empty:
        return TimelineReport(**base)
    stages = context.stages[context.stages["id"] == lead_id]
    if stages.empty:
        return TimelineReport(**base)
    known = context.known
    activities = load_lead_activities(engine, lead_id, context.as_of)
    lead = stages.iloc[0]
    owners = known.owners.set_index("id")["name"] if len(known.owners) else pd.Series(dtype=object)
    campaigns = known.campaigns.set_index("id")["name"] if len(known.campaigns) else pd.Series(dtype=object)
    return TimelineReport(
        **base, lead=lead, stage=current_stage(stages).iloc[0],
        contact=load_contact(engine, lead["contact_id"]) if with_contact else None,
        owner=owners.get(lead["owner_id"]), campaign=campaigns.get(lead["campaign_id"]),
        events=lead_timeline(stages, known.deals, activities, known.owners, lead_id, context.agreement.tz),
    )
