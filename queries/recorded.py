"""Which rates a source can measure at all ("What bad or odd data gets" in SPEC): a rate
whose deciding field the source never records is null with the reason `not recorded`, never
a perfect score. Pure pandas over the frames of a Dataset (no Dash, no metric module), so a
Dataset can carry the answer of the unfiltered records into a filtered cut.

Decided over every record loaded (the unfiltered records, not a filtered slice or one
period), so the answer belongs to the source, not to a quiet week:
- `acceptance_rate`: no lead has an explicit disqualified_at (rejections are never
  recorded: every decision would be an acceptance), or none has an explicit sal_at, a later
  stage date or a deal (acceptances are never recorded);
- `response_sla_attainment`: no lead has a first_touch_at and there is no sales activity;
- `win_rate`: no deal has ever been closed as lost;
- `conv_A_B` (kpis' lead->mql, mql->sql, sql->won and the funnel page's steps): the source
  records no lead that reached A and stopped before B (an export of customers only, where
  every lead comes from its won deal: Olist's orders).
"""
from __future__ import annotations

import pandas as pd

CONVERSIONS = (("lead", "mql"), ("mql", "sql"), ("sql", "won"))  # dashboard.metrics.funnel's, in order
# The funnel page's steps, each stage with the next (dashboard.metrics.funnel.stage_pairs).
STEPS = (("lead", "mql"), ("mql", "sal"), ("sal", "sql"), ("sql", "opportunity"), ("opportunity", "won"))
RATES = (*(f"conv_{a}_{b}" for a, b in CONVERSIONS), "response_sla_attainment", "acceptance_rate", "win_rate")


def reached(leads: pd.DataFrame, deals: pd.DataFrame) -> dict[str, pd.Series]:
    """Per stage, which leads reached it at any time (SPEC 1's inference, without dates)."""
    linked = deals[deals["lead_id"].notna()]
    won_ids = linked.loc[linked["is_won"].fillna(False).astype(bool), "lead_id"]
    stage = {"won": leads["id"].isin(won_ids)}
    stage["opportunity"] = leads["opportunity_at"].notna() | leads["id"].isin(linked["lead_id"]) | stage["won"]
    stage["sql"] = leads["sql_at"].notna() | stage["opportunity"]
    stage["sal"] = leads["sal_at"].notna() | stage["sql"]
    stage["mql"] = leads["mql_at"].notna() | stage["sal"]
    stage["lead"] = pd.Series(True, index=leads.index)
    return stage


def unrecorded_rates(leads: pd.DataFrame, deals: pd.DataFrame, activities: pd.DataFrame) -> frozenset[str]:
    """The kpis rates these records' source does not record (see the module's rules); none
    without leads (the pages then show what to load instead)."""
    if leads.empty:
        return frozenset()
    stage = reached(leads, deals)
    found = set()
    for a, b in dict.fromkeys((*CONVERSIONS, *STEPS)):
        if stage[a].any() and not (stage[a] & ~stage[b]).any():
            found.add(f"conv_{a}_{b}")
    accepted = bool((leads["sal_at"].notna() | leads["sql_at"].notna() | leads["opportunity_at"].notna()).any()
                    or deals["lead_id"].notna().any())
    if not leads["disqualified_at"].notna().any() or not accepted:
        found.add("acceptance_rate")
    sales_activity = (activities["team"] == "sales") & activities["lead_id"].notna()
    if not leads["first_touch_at"].notna().any() and not sales_activity.any():
        found.add("response_sla_attainment")
    if not (deals["is_won"].notna() & ~deals["is_won"].fillna(True).astype(bool)).any():
        found.add("win_rate")
    return frozenset(found)
