"""The records behind the numbers: the leads grid, one lead's timeline, and the records that
break a data-quality rule.

Pure functions: frames in, frames out, inputs untouched. `stages` is the frame of
`stages.effective_stages` over the dataset as known at `as_of` (SPEC 1 and "as_of").
"""
from __future__ import annotations

import pandas as pd

from dashboard.metrics.funnel import current_stage
from dashboard.metrics.quality import EXAMPLES, Finding, quality_report
from dashboard.metrics.stages import AT, STAGES
from dashboard.sla import Agreement
from queries.loaders import Dataset

# The stages the grid shows a date column for, besides created (the lead stage).
DATE_STAGES = ("mql", "sal", "sql", "opportunity")
GRID_COLUMNS = (
    "id", "external_id", "created", "source", "campaign", "segment", "owner", "stage",
    *DATE_STAGES, "disqualified_reason", "company",
)
TIMELINE_COLUMNS = ("at", "team", "kind", "event", "detail", "who", "amount", "currency")
# The references rules of the quality report and the table whose records they miss.
REFERENCE_RULES = {"unknown_owner": "owners", "unknown_campaign": "campaigns",
                   "unknown_contact": "contacts", "unknown_lead": "leads"}
# Stage changes in the timeline: the team that owns each step of the funnel.
_STAGE_EVENTS = (
    ("lead", "Lead created", "marketing"),
    ("mql", "Became an MQL", "marketing"),
    ("sal", "Accepted by sales (SAL)", "sales"),
    ("sql", "Qualified by sales (SQL)", "sales"),
    ("opportunity", "Became an opportunity", "sales"),
)
_KIND_ORDER = {"stage": 0, "engagement": 1, "touch": 1, "deal": 2}


def in_date_range(stages: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp, stage: str | None = None) -> pd.Series:
    """Which leads fall in the UTC instants [start, end): with a stage, those whose effective
    stage date is in it (SPEC 2's flow counts); without one, those created or reaching any
    stage (MQL, SAL, SQL, opportunity, won; effective dates, SPEC 1) in it."""
    columns = [AT[stage]] if stage else [AT[s] for s in STAGES]
    inside = pd.Series(False, index=stages.index)
    for column in columns:
        inside |= (stages[column] >= start) & (stages[column] < end)
    return inside


def select_leads(stages: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp, stage: str | None = None,
                 lead_ids=None, any_date: bool = False) -> pd.DataFrame:
    """The leads behind a number: of those in `lead_ids` (all when None), the ones that fall in
    [start, end) by `in_date_range`; with `any_date`, whatever their dates."""
    chosen = stages["id"].isin(list(lead_ids)) if lead_ids is not None else pd.Series(True, index=stages.index)
    if not any_date:
        chosen &= in_date_range(stages, start, end, stage)
    return stages[chosen]


def leads_table(stages: pd.DataFrame, owners: pd.DataFrame, campaigns: pd.DataFrame,
                companies: pd.DataFrame, tz) -> pd.DataFrame:
    """One grid row per lead: external id, created, source, campaign, segment, owner, current
    stage, effective MQL/SAL/SQL/opportunity dates (local time), disqualified reason, company;
    newest first."""
    owner_names = owners.set_index("id")["name"] if len(owners) else pd.Series(dtype=object)
    campaign_names = campaigns.set_index("id")["name"] if len(campaigns) else pd.Series(dtype=object)
    company_names = companies.set_index("id")["company"] if len(companies) else pd.Series(dtype=object)
    table = pd.DataFrame({
        "id": stages["id"].astype(int),
        "external_id": stages["external_id"],
        "created": stages[AT["lead"]].dt.tz_convert(tz),
        "source": stages["source"],
        "campaign": stages["campaign_id"].map(campaign_names),
        "segment": stages["segment"],
        "owner": stages["owner_id"].map(owner_names),
        "stage": current_stage(stages),
        **{stage: stages[AT[stage]].dt.tz_convert(tz) for stage in DATE_STAGES},
        "disqualified_reason": stages["disqualified_reason"],
        "company": stages["contact_id"].map(company_names),
    }, columns=list(GRID_COLUMNS))
    return table.sort_values(["created", "id"], ascending=False, ignore_index=True)


def _text(value) -> str | None:
    """A record's text, or None where it is missing or blank."""
    return value if isinstance(value, str) and value.strip() else None


def _humanise(kind) -> str:
    text = str(kind).replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def lead_timeline(stages: pd.DataFrame, deals: pd.DataFrame, activities: pd.DataFrame,
                  owners: pd.DataFrame, lead_id: int, tz) -> pd.DataFrame:
    """Everything that happened to one lead, oldest first: its stage changes (effective dates,
    inferred ones said so, SPEC 1), exits, marketing engagements and sales touches with their
    detail, and its deals opening and closing (with amount and currency); `team` is marketing
    or sales, `at` local time.

    Events at the same instant keep the funnel's order: stage, then activity, then deal.
    """
    lead = stages[stages["id"] == lead_id]
    if lead.empty:
        return pd.DataFrame(columns=list(TIMELINE_COLUMNS))
    lead = lead.iloc[0]
    names = owners.set_index("id")["name"].to_dict() if len(owners) else {}
    events: list[dict] = []

    def add(at, team, kind, event, detail=None, who=None, amount=None, currency=None):
        if at is not None and not pd.isna(at):
            events.append({"at": at, "team": team, "kind": kind, "event": event, "detail": detail,
                           "who": who, "amount": amount, "currency": currency})

    for stage, event, team in _STAGE_EVENTS:
        detail = None
        if bool(lead.get(f"inferred_{stage}", False)):
            detail = ("no date recorded: its first deal's" if stage == "opportunity"
                      else "no date recorded: inferred from a later stage")
        add(lead[AT[stage]], team, "stage", event, detail)
    owner = names.get(lead["owner_id"])
    add(lead["assigned_at"], "sales", "stage", "Routed to its owner", None, owner)
    add(lead["disqualified_at"], "sales", "stage", "Disqualified", _text(lead["disqualified_reason"]), owner)
    add(lead["recycled_at"], "marketing", "stage", "Recycled to marketing", _text(lead["recycled_reason"]))

    own = activities[activities["lead_id"] == lead_id]
    for activity in own.itertuples(index=False):
        marketing = activity.team == "marketing"
        add(activity.occurred_at, "marketing" if marketing else "sales", "engagement" if marketing else "touch",
            _humanise(activity.type), _text(getattr(activity, "detail", None)), names.get(activity.owner_id))
    sales_times = set(own.loc[own["team"] == "sales", "occurred_at"])
    if pd.notna(lead["first_touch_at"]) and lead["first_touch_at"] not in sales_times:
        add(lead["first_touch_at"], "sales", "touch", "First touch", "recorded on the lead", owner)

    for deal in deals[deals["lead_id"] == lead_id].itertuples(index=False):
        who = names.get(deal.owner_id)
        label = _text(deal.name) or str(deal.external_id)
        money = {"amount": deal.amount if pd.notna(deal.amount) else None, "currency": _text(deal.currency)}
        add(deal.created_at, "sales", "deal", "Deal opened", label, who, **money)
        if pd.notna(deal.closed_at) and pd.notna(deal.is_won):
            won = bool(deal.is_won)
            reason = None if won else _text(deal.lost_reason)
            add(deal.closed_at, "sales", "deal", "Deal won" if won else "Deal lost",
                f"{label}: {reason}" if reason else label, who, **money)

    timeline = pd.DataFrame(events, columns=list(TIMELINE_COLUMNS))
    for column in ("detail", "who", "currency"):  # text or None (pandas 3 would hold None as NaN)
        timeline[column] = pd.Series([event[column] for event in events], dtype=object)
    if timeline.empty:
        return timeline
    timeline["at"] = pd.to_datetime(timeline["at"], utc=True).dt.tz_convert(tz)
    order = timeline["kind"].map(_KIND_ORDER)
    return (timeline.assign(_order=order).sort_values(["at", "_order"], kind="stable")
            .drop(columns="_order").reset_index(drop=True))


def quality_findings(dataset: Dataset, unresolved: pd.DataFrame, agreement: Agreement,
                     stages: pd.DataFrame | None = None) -> list[Finding]:
    """The data-quality report over every record of a dataset, as the `check` command makes it;
    `stages`: the dataset's effective stages, when worked out already."""
    return quality_report(dataset.leads, dataset.deals, dataset.owners, unresolved,
                          agreement.currency, agreement.exchange_rates, stages, changes=dataset.changes)


def rule_records(finding: Finding, unresolved: pd.DataFrame) -> pd.DataFrame:
    """The records that break one rule as (table, id) rows: leads or deals for their rules, the
    referencing records (contacts, leads, deals, activities) for the references rules."""
    if finding.table == "references":
        target = REFERENCE_RULES.get(finding.rule)
        refs = unresolved[unresolved["target_table"] == target] if len(unresolved) else unresolved
        return pd.DataFrame({"table": refs["table_name"].astype(object) if len(refs) else [],
                             "id": refs["record_id"].astype(int) if len(refs) else []}).reset_index(drop=True)
    return pd.DataFrame({"table": finding.table, "id": list(finding.record_ids)}, columns=["table", "id"])


def rule_lead_ids(records: pd.DataFrame, deals: pd.DataFrame) -> list[int]:
    """The leads to show for a rule's records: the leads themselves and the leads of the deals
    (deals without a lead have none), in id order."""
    lead_ids = set(records.loc[records["table"] == "leads", "id"])
    deal_ids = set(records.loc[records["table"] == "deals", "id"])
    linked = deals.loc[deals["id"].isin(deal_ids) & deals["lead_id"].notna(), "lead_id"]
    return sorted(int(i) for i in lead_ids | set(linked))


def example_links(finding: Finding, deals: pd.DataFrame, unresolved: pd.DataFrame) -> list[tuple[str, int | None]]:
    """Each example of a finding (its external id or reference) with the lead that shows it on
    the leads page, None where the record has no lead (a deal without one, a contact...)."""
    deal_leads = deals.set_index("id")["lead_id"] if len(deals) else pd.Series(dtype=float)

    def lead_of(table, record_id):
        if table == "leads":
            return int(record_id)
        if table == "deals":
            lead = deal_leads.get(record_id)
            lead = lead.iloc[0] if isinstance(lead, pd.Series) else lead
            return int(lead) if lead is not None and pd.notna(lead) else None
        return None

    if finding.table == "references":
        records = rule_records(finding, unresolved).head(EXAMPLES)
        tables = list(records["table"])
    else:
        tables = [finding.table] * len(finding.example_ids)
    return [(text, lead_of(table, record_id))
            for text, table, record_id in zip(finding.examples, tables, finding.example_ids)]


def quality_summary(findings: list[Finding], unresolved: pd.DataFrame) -> dict[str, int]:
    """How many rules there are, how many have findings, the findings in all, and the distinct
    records behind them (a record breaking two rules counts once)."""
    records = [rule_records(f, unresolved) for f in findings if f.count]
    distinct = pd.concat(records).drop_duplicates() if records else pd.DataFrame(columns=["table", "id"])
    return {"rules": len(findings), "rules_with_findings": sum(1 for f in findings if f.count),
            "findings": sum(f.count for f in findings), "records": int(len(distinct))}
