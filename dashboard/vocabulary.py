"""The team's vocabulary, defined once: the funnel's stages, the figures (counts and rates) with
their labels and definitions, the teams, the roles, the grains and the statuses.

Every other module takes its names from here: the agreement's validation (which metrics a
commitment may name), the kpis fields, the labels on the pages and the wall, the filters, the
importer's allowed teams and the access roles. Adding a figure means one `Metric` entry here,
one metric function and one report; tests/test_vocabulary.py fails when an entry lacks its
label or its definition.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Stage:
    name: str  # the id used in code and the agreement (`mql`)
    label: str  # the stage on a chart axis ("MQL")
    plural: str  # a count of leads at it ("MQLs")
    long_name: str  # the agreement page's heading ("MQL (marketing-qualified lead)")
    column: str | None  # the lead column of its recorded date; won comes from deals
    team: str  # the team whose work moves a lead into it


STAGES_OF_FUNNEL = (
    Stage("lead", "Lead", "Leads", "Lead", "created_at", "marketing"),
    Stage("mql", "MQL", "MQLs", "MQL (marketing-qualified lead)", "mql_at", "marketing"),
    Stage("sal", "SAL", "SALs", "SAL (sales-accepted lead)", "sal_at", "sales"),
    Stage("sql", "SQL", "SQLs", "SQL (sales-qualified lead)", "sql_at", "sales"),
    Stage("opportunity", "Opportunity", "Opportunities", "Opportunity", "opportunity_at", "sales"),
    Stage("won", "Won", "Won", "Won", None, "sales"),
)
STAGES = tuple(stage.name for stage in STAGES_OF_FUNNEL)  # in funnel order (SPEC "Metric definitions")
STAGE = {stage.name: stage for stage in STAGES_OF_FUNNEL}
AGREEMENT_STAGES = STAGES[:-1]  # the stages the agreement defines in words


@dataclass(frozen=True)
class Metric:
    name: str  # the kpis field
    kind: str  # "count" (sums over periods; money is a count in the currency) or "rate" (0..1)
    label: str
    definition: str  # one hover away on every page; SPEC numbers its rules
    spec: str  # the SPEC definition it follows
    commitment: bool = True  # a commitment of the agreement may name it
    money: bool = False


METRICS = (
    Metric("leads", "count", "Leads", "Leads created in the period.", "2"),
    Metric("mqls", "count", "MQLs",
           "Leads whose MQL date (recorded, or inferred from a later stage) falls in the period.", "2"),
    Metric("sals", "count", "SALs (accepted)", "Leads whose SAL date (accepted by sales) falls in the period.", "2"),
    Metric("sqls", "count", "SQLs", "Leads whose SQL date falls in the period.", "2"),
    Metric("opportunities", "count", "Opportunities",
           "Leads that became an opportunity (or got their first deal) in the period.", "2"),
    Metric("deals_won", "count", "Deals won", "Deals closed as won in the period.", "2"),
    Metric("deals_lost", "count", "Deals lost", "Deals closed as lost in the period.", "2"),
    Metric("revenue_won", "count", "Won revenue",
           "Sum of the amounts of the deals won in the period, in the agreement's currency.", "2", money=True),
    Metric("conv_lead_mql", "rate", "Lead → MQL",
           "Cohort: of the leads created in the period, the share that became MQL by now.", "3"),
    Metric("conv_mql_sql", "rate", "MQL → SQL",
           "Cohort: of the MQLs of the period, the share that became SQL by now.", "3"),
    Metric("conv_sql_won", "rate", "SQL → won",
           "Cohort: of the SQLs of the period, the share that has a won deal by now.", "3"),
    Metric("response_sla_attainment", "rate", "First touch in time",
           "Of the period's MQLs whose outcome is known, the share that got a first response (a touch, or a "
           "sales decision: accepted, rejected or sent back) within the response window (in working hours). "
           "MQLs still inside their window are pending and not counted.", "5"),
    Metric("response_pending", "count", "Pending response",
           "MQLs of the period still inside their response window, with no response yet.", "5", commitment=False),
    Metric("open_breaches", "count", "Open breaches", "MQLs with no response (no touch, no decision) past their response window right now; "
           "a late response is a missed one, not an open breach.", "5",
           commitment=False),
    Metric("acceptance_rate", "rate", "MQL acceptance",
           "Of the period's MQLs that sales decided on, the share accepted (SAL) rather than rejected.", "6"),
    Metric("win_rate", "rate", "Win rate", "Deals won / (won + lost) among deals closed in the period.", "7"),
)
METRIC = {metric.name: metric for metric in METRICS}
COUNT_METRICS = tuple(m.name for m in METRICS if m.kind == "count" and m.commitment)
RATE_METRICS = tuple(m.name for m in METRICS if m.kind == "rate")
MONEY_METRICS = tuple(m.name for m in METRICS if m.money)
# The fields of a `kpis` row in the order SPEC lists them.
KPI_FIELDS = ("period_start", *COUNT_METRICS, "conv_lead_mql", "conv_mql_sql", "conv_sql_won",
              "response_sla_attainment", "response_pending", "open_breaches", "acceptance_rate", "win_rate")


@dataclass(frozen=True)
class Team:
    name: str
    label: str
    colour: str | None = None  # Okabe-Ito colours: told apart by colour-blind viewers too
    possessive: str | None = None
    commits: bool = False  # a team that holds commitments of the agreement


TEAMS_OF_COMPANY = (
    Team("marketing", "Marketing", "#0072B2", "Marketing's", commits=True),
    Team("sdr", "SDR"),
    Team("sales", "Sales", "#CC79A7", "Sales'", commits=True),
    Team("cs", "CS"),
)
TEAMS = tuple(team.name for team in TEAMS_OF_COMPANY)  # an owner's team
TEAM = {team.name: team for team in TEAMS_OF_COMPANY}
COMMITMENT_TEAMS = tuple(team.name for team in TEAMS_OF_COMPANY if team.commits)
ACTIVITY_TEAMS = ("sales", "marketing")  # who made a touch (SPEC data model)


@dataclass(frozen=True)
class Role:
    name: str
    rank: int  # each role sees what the ones below it see (README "Access")


ROLES_OF_ACCESS = (Role("wall", 0), Role("viewer", 1), Role("manager", 2), Role("admin", 3))
ROLE_RANK = {role.name: role.rank for role in ROLES_OF_ACCESS}
USER_ROLES = tuple(role.name for role in ROLES_OF_ACCESS if role.name != "wall")  # a wall link is not a user

GRAINS = ("day", "week", "month", "quarter")

# A commitment's status (SPEC 9): ahead, at_risk or behind while its period runs; met or
# missed once it is over (the final result); None before it, or with no figure or no target.
STATUSES = ("ahead", "at_risk", "behind", "met", "missed")
FINAL_STATUSES = ("met", "missed")
STATUS_LABELS = {"ahead": "On track", "at_risk": "At risk", "behind": "Behind", "met": "Met", "missed": "Missed",
                 None: "No data yet"}
STATUS_ICONS = {"ahead": "✔", "at_risk": "▲", "behind": "✖", "met": "✔", "missed": "✖", None: "…"}
STATUS_COLOURS = {"ahead": "#1a7f37", "at_risk": "#9a6700", "behind": "#c62828", "met": "#1a7f37",
                  "missed": "#c62828", None: "#6e7781"}
