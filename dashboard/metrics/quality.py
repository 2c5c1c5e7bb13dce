"""The data-quality report (SPEC "What bad or odd data gets"): a count and examples per rule.

Nothing is dropped because of a rule here: the report only says which records break it.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from dashboard.metrics.acceptance import decisions
from dashboard.metrics.stages import STAGES, effective_stages

EXAMPLES = 10
LATE_RECORDING = pd.Timedelta(days=1)  # a record entered later than this counts as recorded late


@dataclass(frozen=True)
class Finding:
    """One rule of the report with the records that break it."""

    rule: str
    table: str
    description: str
    count: int
    examples: tuple[str, ...]  # external ids
    example_ids: tuple[int, ...] = ()  # database ids, for links to the records
    record_ids: tuple[int, ...] = ()  # database ids of every record that breaks the rule

    def as_dict(self) -> dict:
        return {"rule": self.rule, "table": self.table, "description": self.description,
                "count": self.count, "examples": list(self.examples)}


def _finding(rule: str, table: str, description: str, rows: pd.DataFrame) -> Finding:
    head = rows.head(EXAMPLES)
    return Finding(rule, table, description, int(len(rows)),
                   tuple(str(x) for x in head["external_id"]), tuple(int(x) for x in head["id"]),
                   tuple(int(x) for x in rows["id"]))


def quality_report(
    leads: pd.DataFrame, deals: pd.DataFrame, owners: pd.DataFrame, unresolved: pd.DataFrame,
    currency: str, exchange_rates: dict[str, float], stages: pd.DataFrame | None = None,
    changes: pd.DataFrame | None = None,
) -> list[Finding]:
    """Every rule with its count (zero included, so a clean bill is visible). `stages` are the
    effective stages of these leads and deals when the caller has them already (SPEC 1); the
    rules read their dates and flags, and a disqualified reason only where there is a date."""
    stages = effective_stages(leads, deals) if stages is None else stages
    findings: list[Finding] = []

    for table, frame in (("leads", leads), ("deals", deals)):
        duplicated = frame[frame["external_id"].duplicated(keep=False)]
        findings.append(_finding(f"duplicate_external_id_{table}", table,
                                 f"{table} sharing one external id", duplicated))

    labels = {"owners": "owner", "campaigns": "campaign", "contacts": "contact", "leads": "lead"}
    for target, label in labels.items():
        refs = unresolved[unresolved["target_table"] == target] if len(unresolved) else unresolved
        rows = pd.DataFrame({
            "external_id": [f"{r.table_name}/{r.record_id}: {r.field}={r.target_external_id}" for r in refs.itertuples()],
            "id": refs["record_id"] if len(refs) else [],
        })
        findings.append(_finding(f"unknown_{label}", "references",
                                 f"references to a {label} that is not loaded (kept, reported)", rows))

    inactive = set(owners.loc[owners["active"] == False, "id"]) if len(owners) else set()  # noqa: E712
    findings.append(_finding("inactive_owner", "leads", "leads owned by an inactive owner",
                             leads[leads["owner_id"].isin(inactive)]))

    for stage in STAGES[1:]:
        findings.append(_finding(f"out_of_order_{stage}", "leads",
                                 f"{stage} date earlier than the previous stage's (kept as is)",
                                 stages[stages[f"out_of_order_{stage}"]]))
    for stage in ("mql", "sal", "sql", "opportunity"):
        findings.append(_finding(f"inferred_{stage}", "leads",
                                 f"{stage} date missing, inferred from a later stage or a deal",
                                 stages[stages[f"inferred_{stage}"]]))

    decided = decisions(stages)
    no_reason = stages.loc[decided.index[decided["rejected_without_reason"]]]
    findings.append(_finding("rejected_without_reason", "leads",
                             "MQLs rejected by sales without a reason (an SLA violation)", no_reason))

    findings.append(_finding("negative_amount", "deals", "deals with a negative amount",
                             deals[deals["amount"] < 0]))
    findings.append(_finding("deal_without_lead", "deals", "deals linked to no lead",
                             deals[deals["lead_id"].isna()]))
    findings.append(_finding("deal_without_amount", "deals", "won deals with no amount",
                             deals[deals["is_won"].fillna(False).astype(bool) & deals["amount"].isna()]))
    findings.append(_finding("outcome_without_close_date", "deals",
                             "deals won or lost with no close date (not counted as closed)",
                             deals[deals["is_won"].notna() & deals["closed_at"].isna()]))
    findings.append(_finding("closed_without_outcome", "deals",
                             "deals with a close date but neither won nor lost",
                             deals[deals["is_won"].isna() & deals["closed_at"].notna()]))
    known = set(exchange_rates) | {currency}
    findings.append(_finding("unknown_currency", "deals",
                             f"deals in a currency with no rate to {currency} (left out of revenue)",
                             deals[deals["currency"].notna() & ~deals["currency"].isin(known)]))
    findings.append(_finding("deal_closed_before_created", "deals", "deals closed before they were created",
                             deals[deals["closed_at"] < deals["created_at"]]))
    lead_created = deals["lead_id"].map(leads.set_index("id")["created_at"]) if len(leads) else deals["closed_at"]
    findings.append(_finding("deal_closed_before_lead", "deals",
                             "deals closed before their lead was created (counted as they are)",
                             deals[deals["closed_at"] < lead_created]))
    findings.append(_finding("lead_without_source", "leads",
                             "leads with no source at all (not the same as a source named 'unknown')",
                             leads[leads["source"].isna() | (leads["source"].astype(str).str.strip() == "")]))

    # Recorded time (SPEC): what boards before the recording did not show, and now restate.
    if "recorded_at" in leads:
        late = leads["recorded_at"] - leads["created_at"] > LATE_RECORDING
        findings.append(_finding("recorded_late", "leads",
                                 "leads recorded more than a day after they were created (boards before "
                                 "did not show them; restated figures do)", leads[late]))
    for table, frame in (("leads", leads), ("deals", deals)):
        changed_ids = (set() if changes is None or changes.empty
                       else set(changes.loc[changes["table_name"] == table, "record_id"]))
        findings.append(_finding(f"changed_later_{table}", table,
                                 f"{table} whose stage, decision, owner or amount a later import changed "
                                 "(boards before showed the old value)", frame[frame["id"].isin(changed_ids)]))
    return findings
