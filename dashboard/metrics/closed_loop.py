"""The closed loop: from source and campaign to revenue, with cost and return (SPEC 10).

The cohort is the leads created in [start, end); what became of them is read as of the
dataset's `as_of`. A campaign's cost is spread evenly over its days (started_on..ended_on)
and the part inside the range is counted; a source's cost is that of the campaigns whose
channel is the source.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from dashboard.metrics.deals import in_currency
from dashboard.metrics.stages import AT

DAY = pd.Timedelta(days=1)


def campaign_cost_in_range(campaigns: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp, currency: str,
                           exchange_rates: dict[str, float], through: pd.Timestamp | None = None) -> pd.Series:
    """Each campaign's cost falling in the local dates [start, end), by campaign id, spread
    evenly over the days it runs. A campaign with no end date runs through `through` (as_of's
    local date; one that starts later, or with no `through`, runs its first day only); a
    campaign with no dates counts in full."""
    first = campaigns["started_on"]
    open_end = first if through is None else first.where(first > through, through)
    last = campaigns["ended_on"].fillna(open_end)
    days = ((last - first) / DAY + 1).clip(lower=1)
    overlap_start = first.where(first > start, start)
    overlap_end = (last + DAY).where(last + DAY < end, end)
    overlap = ((overlap_end - overlap_start) / DAY).clip(lower=0)
    share = (overlap / days).where(first.notna(), 1.0)
    cost = in_currency(campaigns.rename(columns={"cost": "amount"}), currency, exchange_rates)
    return pd.Series((cost * share).values, index=campaigns["id"].values)


def closed_loop(
    stages: pd.DataFrame, deals: pd.DataFrame, campaigns: pd.DataFrame, by: str,
    start_utc: pd.Timestamp, end_utc: pd.Timestamp, start_date: pd.Timestamp, end_date: pd.Timestamp,
    currency: str, exchange_rates: dict[str, float], through: pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Per `by` ("source" or "campaign"): leads created in the range, how many became MQL and
    SQL and won, the won deals and revenue of those leads, lead->won conversion, cost, cost per
    lead, per MQL and per won deal, and return (revenue / cost)."""
    key = "campaign_id" if by == "campaign" else "source"
    cohort = stages[(stages[AT["lead"]] >= start_utc) & (stages[AT["lead"]] < end_utc)]
    won = deals[deals["is_won"].fillna(False).astype(bool) & deals["closed_at"].notna()]
    won = won[won["lead_id"].isin(cohort["id"])]
    won_amount = in_currency(won, currency, exchange_rates)
    lead_key = cohort.set_index("id")[key]
    deal_key = won["lead_id"].map(lead_key)

    group = cohort[key].fillna("(none)") if by == "source" else cohort[key]
    table = pd.DataFrame({
        "leads": cohort.groupby(group, dropna=False).size(),
        "mqls": cohort[AT["mql"]].notna().groupby(group, dropna=False).sum(),
        "sqls": cohort[AT["sql"]].notna().groupby(group, dropna=False).sum(),
        "won_leads": cohort[AT["won"]].notna().groupby(group, dropna=False).sum(),
    })
    deal_group = deal_key.fillna("(none)") if by == "source" else deal_key
    table["deals_won"] = won.groupby(deal_group, dropna=False).size().reindex(table.index).fillna(0).astype(int)
    table["revenue_won"] = won_amount.groupby(deal_group, dropna=False).sum().reindex(table.index).fillna(0.0)

    costs = campaign_cost_in_range(campaigns, start_date, end_date, currency, exchange_rates, through)
    if by == "campaign":
        names = campaigns.set_index("id")["name"]
        all_ids = table.index.union(pd.Index(costs[costs > 0].index))
        table = table.reindex(all_ids).fillna(0)
        table["cost"] = costs.reindex(all_ids).astype(float)
        table.insert(0, "name", [names.get(i, "(no campaign)") if pd.notna(i) else "(no campaign)" for i in all_ids])
    else:
        by_channel = costs.groupby(campaigns.set_index("id")["channel"].reindex(costs.index).values).sum()
        table["cost"] = by_channel.reindex(table.index).astype(float)
    for column in ("leads", "mqls", "sqls", "won_leads", "deals_won"):
        table[column] = table[column].astype(int)
    table["conv_lead_won"] = table["won_leads"] / table["leads"].where(table["leads"] > 0)
    cost = table["cost"].where(table["cost"] > 0)
    table["cost_per_lead"] = cost / table["leads"].where(table["leads"] > 0)
    table["cost_per_mql"] = cost / table["mqls"].where(table["mqls"] > 0)
    table["cost_per_won_deal"] = cost / table["deals_won"].where(table["deals_won"] > 0)
    table["return_on_cost"] = table["revenue_won"] / cost
    table.index.name = key
    return table.reset_index().sort_values("revenue_won", ascending=False, ignore_index=True).replace({np.inf: np.nan})
