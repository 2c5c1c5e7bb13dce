"""The closed-loop page's figures: what became of the leads created in a date range, per
source or campaign, with the campaigns' cost and return (SPEC 10), and the totals.

Pure functions: frames in, frames out, inputs untouched. `stages` is the frame of
`stages.effective_stages` over the dataset as known at `as_of`.
"""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from dashboard.metrics.calendar import local_midnight
from dashboard.metrics.closed_loop import closed_loop
from dashboard.metrics.stages import AT

COUNTS = ("leads", "mqls", "sqls", "won_leads", "deals_won")
# The groups closed_loop gives leads without a source or campaign.
NO_SOURCE, NO_CAMPAIGN = "(none)", "(no campaign)"
LOOP_COLUMNS = ("key", "label", "channel", *COUNTS, "revenue_won", "revenue_with_campaign", "conv_lead_won", "cost",
                "cost_per_lead", "cost_per_mql", "cost_per_won_deal", "return_on_cost")


def campaigns_in_view(campaigns: pd.DataFrame, cohort_campaign_ids, campaign_ids=(), sources=()) -> pd.DataFrame:
    """The campaigns a filtered view speaks of: those of the cohort's leads, those the campaign
    filter names, and those whose channel the source filter names (a campaign with spend and
    no lead of the filtered slice is not the slice's cost)."""
    keep = (campaigns["id"].isin(pd.Series(list(cohort_campaign_ids), dtype=float).dropna())
            | campaigns["id"].isin(list(campaign_ids)) | campaigns["channel"].isin(list(sources)))
    return campaigns[keep]


def loop_table(stages: pd.DataFrame, deals: pd.DataFrame, campaigns: pd.DataFrame, by: str, start: dt.date,
               end: dt.date, tz, currency: str, exchange_rates: dict[str, float],
               costs: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per source or campaign, the leads created in the local dates start..end (inclusive) and
    what became of them: MQLs, SQLs, won leads, won deals and revenue (and the part of it of
    leads with a campaign), lead->won conversion, the campaigns' cost in the dates (by their
    `costs` rows, else their cost spread over their dates), cost per lead, per MQL and per won
    deal, and return (SPEC 10). `key` is the source or campaign id, `label` its readable name."""
    after = pd.Timestamp(end) + pd.Timedelta(days=1)
    table = closed_loop(stages, deals, campaigns, by, local_midnight(start, tz), local_midnight(after, tz),
                        pd.Timestamp(start), after, currency, exchange_rates, costs)
    key = "campaign_id" if by == "campaign" else "source"
    table = table.rename(columns={key: "key"})
    if by == "campaign":
        channels = campaigns.set_index("id")["channel"].dropna()
        table["label"] = table.pop("name")
        table["channel"] = pd.Series([channels.get(i) if pd.notna(i) else None for i in table["key"]],
                                     index=table.index, dtype=object)  # a name or None, never NaN
    else:
        table["label"] = [key if key == NO_SOURCE else str(key).replace("_", " ") for key in table["key"]]
        table["channel"] = None
    if table.empty:
        return pd.DataFrame(columns=list(LOOP_COLUMNS))
    return table[list(LOOP_COLUMNS)]


def loop_totals(table: pd.DataFrame) -> pd.Series:
    """The loop table's sums with the ratios recomputed from them, not averaged: conversion
    over all leads, the cost ratios over the rows that have a cost, and return = the revenue
    of the leads that have a campaign / the campaigns' cost (SPEC 10); the revenue of leads
    without a campaign is not a return on spend and is given beside it
    (`revenue_without_campaign`)."""
    totals = {column: int(table[column].sum()) for column in COUNTS}
    revenue = float(table["revenue_won"].sum())
    with_campaign = float(table["revenue_with_campaign"].sum())
    priced = table[table["cost"].fillna(0) > 0]
    cost = float(priced["cost"].sum()) if len(priced) else np.nan

    def per(column: str) -> float:
        amount = priced[column].sum()
        return cost / amount if amount else np.nan

    totals.update({
        "revenue_won": revenue,
        "revenue_with_campaign": with_campaign,
        "revenue_without_campaign": revenue - with_campaign,
        "conv_lead_won": totals["won_leads"] / totals["leads"] if totals["leads"] else np.nan,
        "cost": cost,
        "cost_per_lead": per("leads"),
        "cost_per_mql": per("mqls"),
        "cost_per_won_deal": per("deals_won"),
        "return_on_cost": with_campaign / cost if len(priced) else np.nan,
    })
    return pd.Series(totals)


def cohort_leads(stages: pd.DataFrame, start: dt.date, end: dt.date, tz) -> pd.DataFrame:
    """The leads created in the local dates start..end (inclusive): the closed loop's cohort (SPEC 10)."""
    created = stages[AT["lead"]]
    after = pd.Timestamp(end) + pd.Timedelta(days=1)
    return stages[(created >= local_midnight(start, tz)) & (created < local_midnight(after, tz))]


def rows_to_chart(table: pd.DataFrame, each: int = 10) -> pd.DataFrame:
    """The rows worth a bar: the `each` with the most leads and the `each` with the most won
    revenue (so neither the big poor converters nor the small earners drop out), most revenue
    first, then most leads."""
    by_leads = table["leads"].rank(method="first", ascending=False) <= each
    by_revenue = table["revenue_won"].rank(method="first", ascending=False) <= each
    chosen = table[by_leads | by_revenue]
    return chosen.sort_values(["revenue_won", "leads"], ascending=False, kind="stable").reset_index(drop=True)
