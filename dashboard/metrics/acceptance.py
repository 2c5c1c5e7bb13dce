"""MQL acceptance by sales and the reasons for rejection (SPEC 6)."""
from __future__ import annotations

import pandas as pd

from dashboard.metrics.calendar import period_of
from dashboard.metrics.stages import AT

NO_REASON = "(no reason given)"


def decisions(stages: pd.DataFrame) -> pd.DataFrame:
    """Each MQL with its decision: accepted (SAL reached), rejected (disqualified without
    SAL) or undecided; rejections keep their reason, a missing one marked as a violation."""
    mqls = stages[stages[AT["mql"]].notna()]
    accepted = mqls[AT["sal"]].notna()
    rejected = ~accepted & mqls["disqualified_at"].notna()
    reason = mqls["disqualified_reason"].where(rejected)
    no_reason = rejected & (reason.isna() | (reason.fillna("").str.strip() == ""))
    return pd.DataFrame({
        "lead_id": mqls["id"],
        "external_id": mqls["external_id"],
        "mql_at": mqls[AT["mql"]],
        "owner_id": mqls["owner_id"],
        "source": mqls["source"],
        "campaign_id": mqls["campaign_id"],
        "segment": mqls["segment"],
        "decision": pd.Series("undecided", index=mqls.index).mask(accepted, "accepted").mask(rejected, "rejected"),
        "reason": reason.mask(no_reason, NO_REASON),
        "rejected_without_reason": no_reason,
    }, index=mqls.index)


def acceptance_by_period(decided: pd.DataFrame, periods: pd.DatetimeIndex, tz, grain: str) -> pd.DataFrame:
    """Per period of the MQL date: accepted, rejected, undecided, rejections without a reason
    and acceptance_rate = accepted / (accepted + rejected)."""
    period = period_of(decided["mql_at"], tz, grain)
    counts = pd.crosstab(period, decided["decision"]).reindex(
        index=periods, columns=["accepted", "rejected", "undecided"], fill_value=0
    )
    no_reason = decided["rejected_without_reason"].groupby(period).sum().reindex(periods, fill_value=0)
    decided_count = counts["accepted"] + counts["rejected"]
    return pd.DataFrame({
        "accepted": counts["accepted"].astype(int),
        "rejected": counts["rejected"].astype(int),
        "undecided": counts["undecided"].astype(int),
        "rejected_without_reason": no_reason.astype(int),
        "acceptance_rate": (counts["accepted"] / decided_count.where(decided_count > 0)).astype(float),
    }, index=periods)


def rejection_reasons(decided: pd.DataFrame) -> pd.DataFrame:
    """Rejections grouped by reason, most frequent first; the no-reason group is flagged."""
    rejected = decided[decided["decision"] == "rejected"]
    counts = rejected["reason"].value_counts().rename_axis("reason").rename("rejections").reset_index()
    counts["share"] = counts["rejections"] / counts["rejections"].sum() if len(counts) else []
    counts["violation"] = counts["reason"] == NO_REASON
    return counts
