"""The closed loop: from source and campaign to revenue, with cost and return (SPEC 10).

The cohort is the leads created in [start, end); what became of them is read as of the
dataset's `as_of`. A campaign's cost in a range is the sum of its `campaign_costs` rows, each
spread evenly over its own days (period_start..period_end); a campaign without such rows has
its `cost` spread evenly over started_on..ended_on, or wholly on started_on when it has no
end. Nothing here depends on as_of, so a closed month's cost never changes unless its data
does. A source's cost is that of the campaigns whose channel is the source. A return shown as
one number divides the revenue of the leads that have a campaign by the cost of those
campaigns (`revenue_with_campaign` / `cost`).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from dashboard.metrics.deals import in_currency
from dashboard.metrics.stages import AT

DAY = pd.Timedelta(days=1)
NO_CHANNEL = "(none)"  # the source group of leads without a source, and of campaigns without a channel


def _share_in(first: pd.Series, last: pd.Series, start: pd.Timestamp, end: pd.Timestamp) -> pd.Series:
    """The share of the days first..last (both included) that fall in [start, end)."""
    days = ((last - first) / DAY + 1).clip(lower=1)
    overlap_start = first.where(first > start, start)
    overlap_end = (last + DAY).where(last + DAY < end, end)
    overlap = ((overlap_end - overlap_start) / DAY).clip(lower=0)
    return overlap / days


def campaign_cost_in_range(campaigns: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp, currency: str,
                           exchange_rates: dict[str, float], costs: pd.DataFrame | None = None) -> pd.Series:
    """Each campaign's cost falling in the local dates [start, end), by campaign id.

    With `costs` rows (campaign_costs: campaign_id, period_start, period_end, amount,
    currency) for a campaign, the sum of each row's amount times the share of its own days in
    the range (a row without a currency is in its campaign's). Otherwise the campaign's
    `cost` spread evenly over started_on..ended_on, or all of it on started_on when it has no
    end; a campaign with no dates at all counts in full."""
    first = campaigns["started_on"]
    last = campaigns["ended_on"].fillna(first)
    share = _share_in(first, last, start, end).where(first.notna(), 1.0)
    cost = in_currency(campaigns.rename(columns={"cost": "amount"}), currency, exchange_rates)
    spread = pd.Series((cost * share).values, index=campaigns["id"].values, dtype=float)
    if costs is None or costs.empty:
        return spread
    rows = costs[costs["campaign_id"].isin(campaigns["id"])]
    if rows.empty:
        return spread
    own_currency = rows["campaign_id"].map(campaigns.set_index("id")["currency"])
    rows = rows.assign(currency=rows["currency"].fillna(own_currency))
    row_start, row_end = pd.to_datetime(rows["period_start"]), pd.to_datetime(rows["period_end"])
    row_end = row_end.where(row_end >= row_start, row_start)
    in_range = in_currency(rows, currency, exchange_rates) * _share_in(row_start, row_end, start, end)
    by_rows = in_range.groupby(rows["campaign_id"]).sum()
    spread.loc[by_rows.index] = by_rows.to_numpy()
    return spread


def closed_loop(
    stages: pd.DataFrame, deals: pd.DataFrame, campaigns: pd.DataFrame, by: str,
    start_utc: pd.Timestamp, end_utc: pd.Timestamp, start_date: pd.Timestamp, end_date: pd.Timestamp,
    currency: str, exchange_rates: dict[str, float], costs: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Per `by` ("source" or "campaign"): leads created in the range, how many became MQL and
    SQL and won, the won deals and revenue of those leads (`revenue_with_campaign`: of the
    leads that have a campaign), lead->won conversion, cost (of `campaigns`, by `costs` rows
    where a campaign has them), cost per lead, per MQL and per won deal, and return
    (revenue of the leads with a campaign / cost). A campaign, or a channel, with cost in the
    range and no lead of the cohort has a row of its own, so the rows' costs add up to the
    campaigns' whichever way the loop is cut."""
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
    with_campaign = won["lead_id"].map(cohort.set_index("id")["campaign_id"]).notna()
    table["revenue_with_campaign"] = (won_amount[with_campaign].groupby(deal_group[with_campaign], dropna=False)
                                      .sum().reindex(table.index).fillna(0.0))

    cost_of = campaign_cost_in_range(campaigns, start_date, end_date, currency, exchange_rates, costs)
    if by == "campaign":
        names = campaigns.set_index("id")["name"]
        all_ids = table.index.union(pd.Index(cost_of[cost_of > 0].index))
        table = table.reindex(all_ids).fillna(0)
        table["cost"] = cost_of.reindex(all_ids).astype(float)
        table.insert(0, "name", [names.get(i, "(no campaign)") if pd.notna(i) else "(no campaign)" for i in all_ids])
    else:
        channels = campaigns.set_index("id")["channel"].reindex(cost_of.index).fillna(NO_CHANNEL).values
        by_channel = cost_of.groupby(channels).sum()
        table = table.reindex(table.index.union(pd.Index(by_channel[by_channel > 0].index))).fillna(0)
        table["cost"] = by_channel.reindex(table.index).astype(float)
    for column in ("leads", "mqls", "sqls", "won_leads", "deals_won"):
        table[column] = table[column].astype(int)
    table["conv_lead_won"] = table["won_leads"] / table["leads"].where(table["leads"] > 0)
    cost = table["cost"].where(table["cost"] > 0)
    table["cost_per_lead"] = cost / table["leads"].where(table["leads"] > 0)
    table["cost_per_mql"] = cost / table["mqls"].where(table["mqls"] > 0)
    table["cost_per_won_deal"] = cost / table["deals_won"].where(table["deals_won"] > 0)
    table["return_on_cost"] = table["revenue_with_campaign"] / cost
    table.index.name = key
    return table.reset_index().sort_values("revenue_won", ascending=False, ignore_index=True).replace({np.inf: np.nan})
