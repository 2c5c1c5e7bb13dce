"""The team's language on screen: names, one-line definitions, colours and status marks."""
from __future__ import annotations

METRIC_LABELS = {
    "leads": "Leads", "mqls": "MQLs", "sals": "SALs (accepted)", "sqls": "SQLs",
    "opportunities": "Opportunities", "deals_won": "Deals won", "deals_lost": "Deals lost",
    "revenue_won": "Won revenue", "conv_lead_mql": "Lead → MQL", "conv_mql_sql": "MQL → SQL",
    "conv_sql_won": "SQL → won", "response_sla_attainment": "First touch in time",
    "response_pending": "Pending response", "open_breaches": "Open breaches",
    "acceptance_rate": "MQL acceptance", "win_rate": "Win rate",
}

# One hover away on every page; the numbers refer to SPEC's metric definitions.
METRIC_DEFINITIONS = {
    "leads": "Leads created in the period.",
    "mqls": "Leads whose MQL date (recorded, or inferred from a later stage) falls in the period.",
    "sals": "Leads whose SAL date (accepted by sales) falls in the period.",
    "sqls": "Leads whose SQL date falls in the period.",
    "opportunities": "Leads that became an opportunity (or got their first deal) in the period.",
    "deals_won": "Deals closed as won in the period.",
    "deals_lost": "Deals closed as lost in the period.",
    "revenue_won": "Sum of the amounts of the deals won in the period, in the agreement's currency.",
    "conv_lead_mql": "Cohort: of the leads created in the period, the share that became MQL by now.",
    "conv_mql_sql": "Cohort: of the MQLs of the period, the share that became SQL by now.",
    "conv_sql_won": "Cohort: of the SQLs of the period, the share that has a won deal by now.",
    "response_sla_attainment": "Of the period's MQLs whose outcome is known, the share first touched "
                               "within the response window (in working hours). MQLs still inside "
                               "their window are pending and not counted.",
    "response_pending": "MQLs of the period still inside their response window, untouched.",
    "open_breaches": "MQLs untouched past their response window right now.",
    "acceptance_rate": "Of the period's MQLs that sales decided on, the share accepted (SAL) "
                       "rather than rejected.",
    "win_rate": "Deals won / (won + lost) among deals closed in the period.",
}

TEAM_LABELS = {"marketing": "Marketing", "sales": "Sales"}
# Okabe-Ito colours: told apart by colour-blind viewers too.
TEAM_COLOURS = {"marketing": "#0072B2", "sales": "#CC79A7"}
TARGET_COLOUR = "#444444"

STATUS_LABELS = {"ahead": "On track", "at_risk": "At risk", "behind": "Behind", None: "No data yet"}
STATUS_ICONS = {"ahead": "✔", "at_risk": "▲", "behind": "✖", None: "…"}
STATUS_COLOURS = {"ahead": "#1a7f37", "at_risk": "#9a6700", "behind": "#c62828", None: "#6e7781"}
