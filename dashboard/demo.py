"""Deterministic demo data: two years of a Nordic B2B funnel, written in one transaction.

`generate_demo(engine)` fills an empty, migrated database with owners, campaigns, contacts,
leads, deals and activities that tell the stories the dashboard exists for: a giveaway that
brings volume but no revenue, a small partner event that brings a lot, one SDR who breaches
the response window, a few rows the data-quality report must catch. Every number comes from
one seeded numpy Generator drawn in a fixed order, so a seed and a `today` always give the
same rows. Times are drawn as Helsinki wall-clock seconds since the first day's midnight,
followed through the whole funnel, then cut at the cutoff ("now") and stored as UTC.
"""
from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

import holidays as public_holidays
import numpy as np
import pandas as pd
from sqlalchemy import Engine, insert, select, text

from queries.schema import EVENT_TIME, MODELS, WRITE_STAMPED, RecordChange

TIMEZONE_NAME = "Europe/Helsinki"  # pandas localises by name many times faster than by ZoneInfo
TIMEZONE = ZoneInfo(TIMEZONE_NAME)
HISTORY_DAYS = 730
HORIZON_DAYS = 1100  # the working calendar runs past today: later events are drawn, then cut
DAY = 86_400
HOUR = 3_600
WORKDAY_START = 8 * HOUR
WORKDAY = 8 * HOUR  # Mon-Fri 08:00-16:00, the agreement's working hours
TABLES = ("owners", "campaigns", "contacts", "leads", "deals", "activities")
CHUNK_ROWS = 5_000
LEAD_DRAWS = 10  # uniforms per lead for the choices made after the cut
MISSING = np.nan

OWNERS = (  # name, team, active
    ("Aino Virtanen", "marketing", True),
    ("Oskar Lindberg", "marketing", True),
    ("Freja Madsen", "marketing", True),
    ("Eero Koskinen", "sdr", True),
    ("Linnea Holm", "sdr", True),
    ("Sindre Haugen", "sdr", True),
    ("Kadri Tamm", "sdr", True),
    ("Ville Saarinen", "sdr", True),
    ("Jesper Poulsen", "sdr", False),
    ("Helmi Nieminen", "sales", True),
    ("Johan Forsberg", "sales", True),
    ("Ida Solberg", "sales", True),
    ("Mikkel Thomsen", "sales", True),
    ("Riikka Salo", "sales", True),
    ("Tanel Kask", "sales", True),
    ("Maarja Lepik", "cs", True),
    ("Pekka Aaltonen", "cs", True),
)
# Per active SDR: median and spread (lognormal sigma) of the first touch in working hours,
# share of MQLs never touched, share of MQLs routed to them. Ville habitually breaches.
SDR_HABITS = {
    "Eero Koskinen": (0.6, 0.7, 0.01, 0.22),
    "Linnea Holm": (0.9, 0.7, 0.01, 0.21),
    "Sindre Haugen": (1.0, 0.75, 0.015, 0.21),
    "Kadri Tamm": (1.2, 0.75, 0.02, 0.19),
    "Ville Saarinen": (4.8, 0.85, 0.09, 0.17),
}
ENTERPRISE_AES = ("Helmi Nieminen", "Johan Forsberg")
MARKETING_OWNER_OF_SOURCE = {
    "paid_search": "Aino Virtanen", "paid_social": "Aino Virtanen", "organic_search": "Aino Virtanen",
    "events": "Oskar Lindberg", "webinar": "Oskar Lindberg", "partner": "Oskar Lindberg",
    "content": "Freja Madsen", "email": "Freja Madsen", "referral": "Freja Madsen",
    "direct": "Freja Madsen",
}


@dataclass(frozen=True)
class CampaignPlan:
    """One campaign of the demo, placed relative to `today`."""

    name: str  # may hold {year} and {month}, filled from its start date
    channel: str
    starts_days_ago: int
    runs_days: int | None  # None: still running
    boost: float  # leads it adds on an active day, relative to the organic flow (1.0)
    cost: int  # EUR at 20,000 leads; scaled with n_leads
    profile: str | None = None  # giveaway, roundtable or enterprise: its own lead quality


MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
               "October", "November", "December")
CAMPAIGN_PLANS = (
    CampaignPlan("Search ads: brand", "paid_search", 730, None, 0.22, 52_000),
    CampaignPlan("Search ads: generic terms", "paid_search", 610, 380, 0.18, 38_500),
    CampaignPlan("Search ads: competitor terms", "paid_search", 200, None, 0.08, 14_800),
    CampaignPlan("LinkedIn: enterprise ABM {year}", "paid_social", 560, 120, 0.20, 27_000, "enterprise"),
    CampaignPlan("LinkedIn: lead gen forms", "paid_social", 340, 300, 0.15, 31_500),
    CampaignPlan("Social giveaway: win a smartwatch", "paid_social", 235, 42, 1.2, 24_000, "giveaway"),
    CampaignPlan("Trade fair Oslo {year}", "events", 600, 3, 2.5, 14_000),
    CampaignPlan("Nordic SaaS Days {year}", "events", 420, 3, 2.5, 18_000),
    CampaignPlan("Customer day Helsinki {year}", "events", 250, 2, 2.0, 9_500),
    CampaignPlan("Nordic SaaS Days {year}", "events", 55, 3, 2.5, 21_000),
    CampaignPlan("Webinar: one scoreboard for sales and marketing", "webinar", 480, 14, 0.5, 3_200),
    CampaignPlan("Webinar: forecasting without spreadsheets", "webinar", 300, 14, 0.5, 2_900),
    CampaignPlan("Webinar: year-end pipeline review", "webinar", 75, 14, 0.5, 3_400),
    CampaignPlan("Ebook: Nordic B2B benchmark {year}", "content", 690, 240, 0.16, 8_500),
    CampaignPlan("Guide: pipeline hygiene", "content", 400, 260, 0.14, 6_000),
    CampaignPlan("Newsletter nurture", "email", 730, None, 0.10, 4_800),
    CampaignPlan("Reactivation emails, {month} {year}", "email", 150, 21, 0.5, 1_200),
    CampaignPlan("Reseller program Baltics", "partner", 520, None, 0.06, 12_000),
    CampaignPlan("Partner roundtable: CFO breakfast Stockholm", "partner", 100, 2, 0.8, 4_500, "roundtable"),
)

ORGANIC_SOURCES = ("organic_search", "direct", "referral")
ORGANIC_SHARES = (0.5, 0.27, 0.23)
# Lead quality per source: p(MQL), p(accepted | decided), p(SQL | accepted),
# p(opportunity | SQL), p(won | deal), deal amount multiplier.
SOURCE_QUALITY = {
    "organic_search": (0.50, 0.82, 0.35, 0.70, 0.31, 1.0),
    "direct": (0.54, 0.85, 0.37, 0.72, 0.32, 1.0),
    "referral": (0.60, 0.88, 0.42, 0.75, 0.37, 1.1),
    "paid_search": (0.48, 0.80, 0.33, 0.70, 0.29, 0.95),
    "paid_social": (0.38, 0.72, 0.28, 0.66, 0.24, 0.9),
    "events": (0.46, 0.80, 0.35, 0.70, 0.31, 1.15),
    "webinar": (0.54, 0.82, 0.35, 0.70, 0.31, 1.0),
    "content": (0.43, 0.78, 0.31, 0.68, 0.28, 0.95),
    "email": (0.48, 0.80, 0.33, 0.70, 0.31, 1.0),
    "partner": (0.60, 0.88, 0.42, 0.75, 0.37, 1.2),
}
PROFILE_QUALITY = {
    "giveaway": (0.22, 0.30, 0.12, 0.50, 0.04, 0.6),
    "roundtable": (0.92, 0.97, 0.75, 0.92, 0.6, 1.3),
}
SEGMENTS = ("SMB", "Mid-market", "Enterprise")
SEGMENT_SHARES = {
    None: (0.55, 0.32, 0.13),
    "enterprise": (0.10, 0.40, 0.50),
    "roundtable": (0.05, 0.35, 0.60),
    "giveaway": (0.80, 0.17, 0.03),
}
SEGMENT_ACCEPTANCE = np.array([0.96, 1.03, 1.05])
SEGMENT_WIN = np.array([1.05, 1.0, 0.85])
SEGMENT_DEAL_MEDIAN = np.array([3_700.0, 7_500.0, 18_500.0])
SEGMENT_PRODUCT = ("Scoreboard Team", "Scoreboard Business", "Scoreboard Enterprise")

REJECTION_REASONS = (
    "Not in ICP", "No budget", "Student or job seeker", "Competitor", "Duplicate", "Wrong country",
)
REJECTION_WEIGHTS = (0.32, 0.18, 0.14, 0.06, 0.16, 0.14)
REJECTIONS_WITHOUT_REASON = 0.05
LATER_DISQUALIFICATION_REASONS = ("No budget", "Not in ICP", "Competitor", "No decision maker")
RECYCLE_REASONS = (
    "Not now, revisit next quarter", "Timing", "Budget next fiscal year", "Champion left the company",
)
LOST_REASONS = ("Price", "Chose competitor", "No decision", "Timing", "Missing feature")
LOST_WEIGHTS = (0.26, 0.24, 0.26, 0.15, 0.09)
DEAL_STAGES_OPEN = ("discovery", "demo", "proposal", "negotiation")
STAGE_PROBABILITY = {"discovery": 0.1, "demo": 0.25, "proposal": 0.5, "negotiation": 0.75}

COUNTRIES = ("FI", "SE", "NO", "DK", "EE")
COUNTRY_SHARES = (0.42, 0.25, 0.14, 0.11, 0.08)
LEGAL_FORMS = {"FI": "Oy", "SE": "AB", "NO": "AS", "DK": "ApS", "EE": "OÜ"}
FIRST_NAMES = {
    "FI": ("Aino", "Eero", "Helmi", "Ilmari", "Juho", "Kaisa", "Lauri", "Minna", "Niko", "Oona",
           "Pekka", "Riikka", "Sanna", "Tuomas", "Veera", "Aleksi", "Elina", "Janne", "Laura", "Mikko"),
    "SE": ("Anna", "Erik", "Linnea", "Oskar", "Maja", "Gustav", "Elsa", "Johan", "Ingrid", "Karl",
           "Sofia", "Nils", "Astrid", "Lars", "Frida", "Henrik", "Klara", "Magnus", "Ebba", "Viktor"),
    "NO": ("Nora", "Jakob", "Emma", "Sindre", "Ida", "Thea", "Sigrid", "Ola", "Kari", "Håkon",
           "Marte", "Eirik", "Silje", "Torstein", "Ragnhild", "Anders", "Hanne", "Vegard", "Solveig", "Even"),
    "DK": ("Freja", "Mads", "Rasmus", "Sofie", "Mikkel", "Clara", "Frederik", "Kasper", "Mette", "Søren",
           "Line", "Jesper", "Signe", "Morten", "Karen", "Troels", "Asger", "Nanna", "Bo", "Lærke"),
    "EE": ("Kadri", "Mart", "Liis", "Tanel", "Kersti", "Triin", "Jaan", "Maarja", "Priit", "Kristiina",
           "Margus", "Helen", "Andres", "Pille", "Siim", "Kaja", "Eveli", "Urmas", "Kertu", "Rein"),
}
LAST_NAMES = {
    "FI": ("Virtanen", "Korhonen", "Mäkinen", "Nieminen", "Hämäläinen", "Laine", "Heikkinen", "Koskinen",
           "Järvinen", "Lehtonen", "Saarinen", "Salminen", "Heinonen", "Niemi", "Kinnunen", "Salo",
           "Turunen", "Rantanen", "Aaltonen", "Karjalainen"),
    "SE": ("Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Olsson", "Persson",
           "Svensson", "Gustafsson", "Lindberg", "Lindström", "Bergström", "Holm", "Sandberg", "Forsberg",
           "Sjöberg", "Wallin", "Engström", "Lund"),
    "NO": ("Hansen", "Johansen", "Olsen", "Larsen", "Andersen", "Pedersen", "Nilsen", "Kristiansen",
           "Jensen", "Haugen", "Berg", "Dahl", "Lie", "Solberg", "Bakken", "Strand", "Moen", "Halvorsen",
           "Eide", "Haug"),
    "DK": ("Nielsen", "Jensen", "Hansen", "Pedersen", "Andersen", "Christensen", "Larsen", "Sørensen",
           "Rasmussen", "Jørgensen", "Petersen", "Madsen", "Kristensen", "Olsen", "Thomsen", "Poulsen",
           "Johansen", "Møller", "Mortensen", "Knudsen"),
    "EE": ("Tamm", "Saar", "Sepp", "Mägi", "Kask", "Kukk", "Rebane", "Pärn", "Koppel", "Lepik", "Luik",
           "Ots", "Raud", "Vaher", "Org", "Kuusk", "Lill", "Teder", "Kivi", "Põld"),
}
COMPANY_STEMS = (
    "Kuurasalo", "Routavirta", "Lumohaka", "Tuiskula", "Nordvikra", "Fjellmark", "Sjövika", "Havbølge",
    "Kidelinna", "Revonkari", "Vinterdal", "Norrsjö", "Skogvik", "Tindholm", "Myrberg", "Kivikaarna",
    "Saarnela", "Aallokko", "Pohjanlumi", "Hallamaa", "Isbrygga", "Ljungvik", "Granlid", "Bjørkely",
    "Stormfjell", "Havnholm", "Lysmark", "Solkær", "Vesterlund", "Østervang", "Kaldrup", "Mårvik",
    "Rannaküla", "Tuulemaa", "Metsaoja", "Järveots", "Kivisilla", "Laanekõrve", "Udusoo", "Põhjarand",
)
COMPANY_TRADES = (
    "Logistics", "Analytics", "Foods", "Robotics", "Health", "Energy", "Software", "Components", "Retail",
    "Consulting", "Marine", "Textiles", "Bioworks", "Metals", "Media", "Finance", "Packaging",
    "Construction", "Labs", "Systems",
)

# Lead flow by day: weekday (Mon..Sun), month and the Nordic holiday pattern.
WEEKDAY_FLOW = np.array([1.0, 1.05, 1.0, 0.95, 0.8, 0.12, 0.08])
MONTH_FLOW = np.array([1.0, 1.05, 1.05, 1.0, 1.0, 0.85, 0.35, 0.9, 1.08, 1.08, 1.08, 0.8])
LATE_DECEMBER_FLOW = 0.4
HOLIDAY_FLOW = 0.15
GROWTH = (0.95, 1.05)  # flow at the first and at the last day
WEEKDAY_HOURS = np.array([0.2, 0.1, 0.1, 0.1, 0.1, 0.2, 0.5, 1.5, 4, 6, 7, 6.5, 5, 6, 6.5, 5.5, 4, 2.5,
                          1.5, 1.2, 1, 0.8, 0.5, 0.3])
WEEKEND_HOURS = np.array([0.3, 0.2, 0.1, 0.1, 0.1, 0.2, 0.4, 0.8, 1.5, 2.5, 3, 3, 3, 3, 3, 3, 2.5, 2.5,
                          2.5, 2.5, 2.5, 2, 1.2, 0.6])
ENGAGEMENT_TYPES = ("page_view", "email_click", "download", "webinar")
ENGAGEMENT_WEIGHTS = (0.5, 0.25, 0.15, 0.1)
ENGAGEMENT_DETAILS = {
    "page_view": ("/pricing", "/product/scoreboard", "/customers", "/blog/sla-between-sales-and-marketing",
                  "/integrations"),
    "email_click": ("Newsletter: monthly tips", "Invitation: customer day", "Product update"),
    "download": ("Ebook: Nordic B2B benchmark", "Guide: pipeline hygiene", "Template: SLA agreement"),
    "webinar": ("Webinar attended", "Webinar recording viewed"),
}
CONVERSION_ENGAGEMENT = {"webinar": "webinar", "content": "download", "email": "email_click"}
DEAL_ACTIVITY_DETAILS = ("Demo", "Proposal sent", "Pricing discussion", "Security review", "Negotiation call",
                         "Contract sent", "Stakeholder meeting")


def generate_demo(
    engine: Engine, seed: int = 7, today: dt.date | None = None, n_leads: int = 20_000
) -> dict[str, int]:
    """Write the demo data set into an empty, migrated database; return rows written per table."""
    if n_leads < 1:
        raise ValueError(f"n_leads must be at least 1, got {n_leads}")
    with engine.connect() as connection:
        _refuse_unless_empty(connection)  # before the work of generating, and again below
    today = today or dt.date.today()
    records = demo_records(seed, today, n_leads, demo_cutoff(today))
    with engine.begin() as connection:
        _refuse_unless_empty(connection)
        for table in (*TABLES, "record_changes"):
            model_table = RecordChange.__table__ if table == "record_changes" else MODELS[table].__table__
            rows = records[table]
            for start in range(0, len(rows), CHUNK_ROWS):
                connection.execute(insert(model_table), rows[start:start + CHUNK_ROWS])
        if connection.dialect.name == "postgresql":
            for table in (*TABLES, "record_changes")[: len(TABLES) + bool(records["record_changes"])]:
                # explicit ids leave the serial sequences behind
                connection.execute(text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
                ))
    return {table: len(records[table]) for table in (*TABLES, "record_changes")}


def database_is_empty(engine: Engine) -> bool:
    """True when no table of the data model holds a row (checked before writing demo data)."""
    with engine.connect() as connection:
        return not _tables_holding_rows(connection)


def demo_cutoff(today: dt.date) -> dt.datetime:
    """The instant the demo data ends: now when `today` is the real today, else noon of `today`
    in Helsinki, so that a fixed `today` gives the same rows on every run."""
    if today == dt.date.today():
        return dt.datetime.now(dt.timezone.utc)
    return dt.datetime.combine(today, dt.time(12), TIMEZONE).astimezone(dt.timezone.utc)


def demo_records(seed: int, today: dt.date, n_leads: int, cutoff: dt.datetime) -> dict[str, list[dict]]:
    """Every demo row, per table, as dicts ready for `insert()`; nothing after `cutoff`."""
    rng = np.random.default_rng(seed)
    clock = _clock(today, cutoff)
    owners = _owners()
    campaigns = _campaigns(today, clock.first_day, n_leads)
    companies = _companies(rng, max(60, n_leads // 3))
    leads = _leads(rng, clock, campaigns, companies, n_leads)
    journeys = _funnel(rng, clock, leads, owners)
    journeys, deals = _deals(rng, clock, journeys)
    activities = _activities(rng, clock, journeys, deals, owners)
    # Drawn per lead before the cut, so that an earlier cutoff only hides the later part of
    # the same world: every choice after the cut reads these by lead.
    lead_draws = rng.random((len(journeys), LEAD_DRAWS))
    journeys, deals, activities = _cut_at(clock.cutoff, journeys, deals, activities)
    lead_draws = lead_draws[: len(journeys)]
    journeys, deals = _quirks(lead_draws, clock.cutoff, journeys, deals, owners)
    journeys = _reentries(lead_draws, journeys)
    contacts = _contacts(lead_draws, journeys, companies, owners)
    records = {
        "owners": _owner_rows(owners),
        "campaigns": _campaign_rows(campaigns),
        "contacts": _contact_rows(clock, contacts),
        "leads": _lead_rows(clock, journeys, campaigns),
        "deals": _deal_rows(clock, deals, journeys, companies),
        "activities": _activity_rows(clock, activities, journeys),
    }
    records["record_changes"] = _recorded(np.random.default_rng([seed, 2]), records, cutoff)
    for table in WRITE_STAMPED:  # written at the demo's "now", so a seed and a today give the same rows
        for row in records[table]:
            row["updated_at"] = cutoff
    return records


# How a live installation records (SPEC "Recorded time"): a CRM sync a few minutes to an hour
# after the fact; some records entered days late; a few decisions and closes backdated.
SYNC_MINUTES = (5, 90)
LATE_SHARE = {"leads": 0.03, "deals": 0.04, "activities": 0.05}
LATE_DAYS = (2, 10)
BACKDATED_SHARE = {"leads": 0.02, "deals": 0.03}  # of those with a disqualification / a close
BACKDATED_DAYS = (3, 12)

BACKDATED_FIELDS = {"leads": ("disqualified_at", "disqualified_reason"), "deals": ("closed_at", "is_won", "lost_reason")}


def _recorded(rng: np.random.Generator, records: dict[str, list[dict]], cutoff: dt.datetime) -> list[dict]:
    """Set `recorded_at` of every lead, deal and activity as a live installation would, and
    return the changes that backdated corrections made (nothing recorded after `cutoff`)."""
    from queries.history import encode_value

    for table, event_time in EVENT_TIME.items():
        rows = records[table]
        minutes = rng.uniform(*SYNC_MINUTES, len(rows))
        late = rng.random(len(rows)) < LATE_SHARE[table]
        days = rng.uniform(*LATE_DAYS, len(rows))
        for row, delay, is_late, late_days in zip(rows, minutes, late, days):
            lag = dt.timedelta(days=float(late_days)) if is_late else dt.timedelta(minutes=float(delay))
            row["recorded_at"] = max(min(row[event_time] + lag, cutoff), row[event_time])
    changes = []
    for table, fields in BACKDATED_FIELDS.items():
        decided = [row for row in records[table] if row[fields[0]] is not None]
        picks = rng.random(len(decided)) < BACKDATED_SHARE[table]
        days = rng.uniform(*BACKDATED_DAYS, len(decided))
        for row, picked, late_days in zip(decided, picks, days):
            recorded = row[fields[0]] + dt.timedelta(days=float(late_days))
            if not picked or recorded > cutoff or recorded <= row["recorded_at"]:
                continue
            for field in fields:
                if row[field] is not None:
                    changes.append({"table_name": table, "record_id": row["id"], "field": field, "old_value": None,
                                    "new_value": encode_value(row[field]), "recorded_at": recorded})
    changes.sort(key=lambda change: change["recorded_at"])
    return [{"id": number, **change} for number, change in enumerate(changes, start=1)]


def _refuse_unless_empty(connection) -> None:
    """Raise ValueError naming the tables that hold rows; demo data never mixes with real data."""
    holding = _tables_holding_rows(connection)
    if holding:
        raise ValueError(
            f"refusing to write demo data: the database already holds {', '.join(holding)}; "
            "demo data goes only into a new, empty database so that it never mixes with real data"
        )


def _tables_holding_rows(connection) -> list[str]:
    """The tables of the data model that hold at least one row."""
    model_tables = {table: MODELS[table].__table__ for table in TABLES}
    return [
        table for table, model_table in model_tables.items()
        if connection.execute(select(model_table.c.id).limit(1)).first() is not None
    ]


# --- time: Helsinki wall-clock seconds since the first day's midnight, and working time ---


@dataclass(frozen=True)
class _Clock:
    """The demo's calendar: wall-clock seconds since `first_day` 00:00 Helsinki <-> working seconds."""

    first_day: dt.date
    today: dt.date
    cutoff: float  # wall-clock seconds; nothing later is kept
    working: np.ndarray  # per calendar day: a working day?
    worked_before: np.ndarray  # per calendar day: working days before it
    working_days: np.ndarray  # calendar day index of each working day

    @property
    def n_days(self) -> int:
        """Calendar days from the first day to today, both included."""
        return (self.today - self.first_day).days + 1

    def to_work(self, seconds: np.ndarray) -> np.ndarray:
        """Working seconds elapsed at each wall-clock time (a time outside hours counts from the next start)."""
        seconds = np.asarray(seconds, dtype=float)
        work = np.full(seconds.shape, MISSING)
        known = ~np.isnan(seconds)
        day = np.clip((seconds[known] // DAY).astype(np.int64), 0, len(self.working) - 1)
        within = np.clip(seconds[known] - day * DAY - WORKDAY_START, 0, WORKDAY)
        work[known] = self.worked_before[day] * WORKDAY + np.where(self.working[day], within, 0)
        return work

    def from_work(self, work: np.ndarray) -> np.ndarray:
        """The wall-clock time at which each amount of working seconds has elapsed."""
        work = np.asarray(work, dtype=float)
        seconds = np.full(work.shape, MISSING)
        known = ~np.isnan(work)
        index = np.clip((work[known] // WORKDAY).astype(np.int64), 0, len(self.working_days) - 1)
        within = np.clip(work[known] - index * WORKDAY, 0, WORKDAY)
        seconds[known] = np.round(self.working_days[index] * DAY + WORKDAY_START + within)
        return seconds

    def add_work(self, seconds: np.ndarray, work: np.ndarray) -> np.ndarray:
        """Each time plus an amount of working seconds, as wall-clock time."""
        return self.from_work(self.to_work(seconds) + work)


def _clock(today: dt.date, cutoff: dt.datetime) -> _Clock:
    """The calendar from 730 days before `today` to well past it, with the cutoff in wall-clock seconds."""
    first_day = today - dt.timedelta(days=HISTORY_DAYS)
    days = pd.date_range(first_day, periods=HISTORY_DAYS + 1 + HORIZON_DAYS, freq="D")
    holidays = {day for year in range(first_day.year, days[-1].year + 1) for day in _finnish_holidays(year)}
    working = (days.day_of_week < 5) & ~np.isin(days.date, list(holidays))
    worked_before = np.concatenate([[0], np.cumsum(working)[:-1]])
    local_cutoff = cutoff.astimezone(TIMEZONE).replace(tzinfo=None)
    cutoff_seconds = np.floor((local_cutoff - dt.datetime.combine(first_day, dt.time())).total_seconds())
    return _Clock(first_day, today, float(cutoff_seconds), working, worked_before, np.flatnonzero(working))


def _finnish_holidays(year: int) -> list[dt.date]:
    """Finnish public holidays of a year, with the de-facto days off (Christmas and Midsummer Eve)."""
    return sorted(public_holidays.country_holidays("FI", years=year))


def _lognormal(median, sigma: float, normals: np.ndarray) -> np.ndarray:
    """Lognormal values around `median` from standard normal draws."""
    return np.asarray(median, dtype=float) * np.exp(sigma * normals)


def _pick(rng: np.random.Generator, options, weights, size: int) -> np.ndarray:
    """`size` options drawn by weight, as an object array."""
    weights = np.asarray(weights, dtype=float)
    return np.asarray(options, dtype=object)[rng.choice(len(options), size=size, p=weights / weights.sum())]


# --- the cast: owners, campaigns, companies ---


def _owners() -> pd.DataFrame:
    """The team: ids in the order of OWNERS."""
    return pd.DataFrame(
        {
            "id": np.arange(1, len(OWNERS) + 1),
            "name": [name for name, _, _ in OWNERS],
            "team": [team for _, team, _ in OWNERS],
            "active": [active for _, _, active in OWNERS],
        }
    )


def _owner_id(owners: pd.DataFrame, name: str) -> int:
    """The id of the owner with this name."""
    return int(owners.loc[owners["name"] == name, "id"].iloc[0])


def _campaigns(today: dt.date, first_day: dt.date, n_leads: int) -> pd.DataFrame:
    """The campaign plans placed on the calendar, with cost scaled to the number of leads."""
    rows = []
    for plan in CAMPAIGN_PLANS:
        started_on = max(first_day, today - dt.timedelta(days=plan.starts_days_ago))
        if plan.runs_days is not None and plan.runs_days <= 14:  # short campaigns open on a Tuesday
            started_on += dt.timedelta(days=(1 - started_on.weekday()) % 7)
        ended_on = None if plan.runs_days is None else started_on + dt.timedelta(days=plan.runs_days - 1)
        if ended_on is not None and ended_on >= today:
            ended_on = None
        rows.append({
            "name": plan.name.format(year=started_on.year, month=MONTH_NAMES[started_on.month - 1]),
            "channel": plan.channel,
            "started_on": started_on,
            "ended_on": ended_on,
            "cost": max(100, round(plan.cost * n_leads / 20_000, -1)),
            "boost": plan.boost,
            "profile": plan.profile,
        })
    campaigns = pd.DataFrame(rows)
    campaigns.insert(0, "id", np.arange(1, len(campaigns) + 1))
    return campaigns


def _companies(rng: np.random.Generator, n_companies: int) -> pd.DataFrame:
    """Invented Nordic companies with country, segment and an example.com domain."""
    countries = _pick(rng, COUNTRIES, COUNTRY_SHARES, n_companies)
    stems = rng.integers(0, len(COMPANY_STEMS), n_companies)
    trades = rng.integers(0, len(COMPANY_TRADES), n_companies)
    segments = rng.choice(len(SEGMENTS), size=n_companies, p=SEGMENT_SHARES[None])
    names = [
        f"{COMPANY_STEMS[s]} {COMPANY_TRADES[t]} {LEGAL_FORMS[c]}" for s, t, c in zip(stems, trades, countries)
    ]
    domains = [
        f"{_ascii(COMPANY_STEMS[s])}{COMPANY_TRADES[t].lower()}.{c.lower()}.example.com"
        for s, t, c in zip(stems, trades, countries)
    ]
    return pd.DataFrame({"name": names, "domain": domains, "country": countries, "segment": segments})


def _ascii(name: str) -> str:
    """A name folded to lower-case ASCII for e-mail addresses (Jørgensen -> jorgensen)."""
    folded = name.lower().replace("ø", "o").replace("æ", "ae")
    return unicodedata.normalize("NFKD", folded).encode("ascii", "ignore").decode()


# --- leads: when they arrive, from where, how good they are ---


def _daily_lead_flow(clock: _Clock) -> np.ndarray:
    """Relative organic lead flow per day: weekdays, Nordic seasons, holidays and mild growth."""
    days = pd.date_range(clock.first_day, periods=clock.n_days, freq="D")
    flow = WEEKDAY_FLOW[days.day_of_week] * MONTH_FLOW[days.month - 1]
    flow = flow * np.where((days.month == 12) & (days.day >= 20), LATE_DECEMBER_FLOW, 1.0)
    flow = flow * np.where((days.day_of_week < 5) & ~clock.working[: clock.n_days], HOLIDAY_FLOW, 1.0)
    return flow * np.linspace(*GROWTH, clock.n_days)


def _campaign_boosts(clock: _Clock, campaigns: pd.DataFrame) -> np.ndarray:
    """Per day and campaign, the leads it adds relative to the organic flow."""
    days = np.arange(clock.n_days)
    boosts = np.zeros((clock.n_days, len(campaigns)))
    for column, campaign in enumerate(campaigns.itertuples()):
        start = (campaign.started_on - clock.first_day).days
        end = clock.n_days - 1 if campaign.ended_on is None else (campaign.ended_on - clock.first_day).days
        boosts[:, column] = np.where((days >= start) & (days <= end), campaign.boost, 0.0)
    return boosts


def _leads(
    rng: np.random.Generator, clock: _Clock, campaigns: pd.DataFrame, companies: pd.DataFrame, n_leads: int
) -> pd.DataFrame:
    """Leads in order of arrival with source, campaign, segment, company and quality."""
    boosts = _campaign_boosts(clock, campaigns)
    flow = _daily_lead_flow(clock) * (1.0 + boosts.sum(axis=1))
    per_day = rng.multinomial(n_leads, flow / flow.sum())
    day = np.repeat(np.arange(clock.n_days), per_day)
    weekend = (clock.first_day.weekday() + day) % 7 >= 5
    weekday_hour = rng.choice(24, size=n_leads, p=WEEKDAY_HOURS / WEEKDAY_HOURS.sum())
    weekend_hour = rng.choice(24, size=n_leads, p=WEEKEND_HOURS / WEEKEND_HOURS.sum())
    second = rng.integers(0, HOUR, n_leads)
    created = day * DAY + np.where(weekend, weekend_hour, weekday_hour) * HOUR + second

    slots = np.column_stack([np.ones(clock.n_days), boosts])[day]  # organic flow, then each campaign
    cumulative = np.cumsum(slots, axis=1)
    slot = (cumulative < rng.random(n_leads)[:, None] * cumulative[:, -1:]).sum(axis=1)
    campaign = slot - 1  # -1: no campaign
    organic_source = _pick(rng, ORGANIC_SOURCES, ORGANIC_SHARES, n_leads)
    channels = campaigns["channel"].to_numpy(dtype=object)
    profiles = campaigns["profile"].to_numpy(dtype=object)
    source = np.where(campaign >= 0, channels[campaign], organic_source)
    profile = np.where(campaign >= 0, profiles[campaign], None)

    segment_draw = rng.random(n_leads)
    segment = np.zeros(n_leads, dtype=np.int64)
    for key, shares in SEGMENT_SHARES.items():
        rows = profile == key if key is not None else pd.isna(profile)  # no profile: None or NaN
        segment[rows] = np.searchsorted(np.cumsum(shares) / sum(shares), segment_draw[rows], side="right")
    company_draw = rng.random(n_leads)
    company = np.zeros(n_leads, dtype=np.int64)
    for index in range(len(SEGMENTS)):
        pool = np.flatnonzero(companies["segment"].to_numpy() == index)
        rows = segment == index
        company[rows] = pool[(company_draw[rows] * len(pool)).astype(np.int64)]

    leads = pd.DataFrame({
        "created": created.astype(float), "campaign": campaign, "source": source, "profile": profile,
        "segment": segment, "company": company,
    })
    leads = leads.sort_values("created", kind="stable").reset_index(drop=True)
    return pd.concat([leads, _quality(leads)], axis=1)


def _quality(leads: pd.DataFrame) -> pd.DataFrame:
    """Per lead its chances through the funnel, from its source, campaign and segment."""
    quality = np.array([
        PROFILE_QUALITY[profile] if profile in PROFILE_QUALITY else SOURCE_QUALITY[source]
        for source, profile in zip(leads["source"], leads["profile"])
    ]).reshape(-1, 6)
    segment = leads["segment"].to_numpy()
    return pd.DataFrame({
        "p_mql": quality[:, 0],
        "p_accept": np.minimum(quality[:, 1] * SEGMENT_ACCEPTANCE[segment], 0.99),
        "p_sql": quality[:, 2],
        "p_opportunity": quality[:, 3],
        "p_win": np.minimum(quality[:, 4] * SEGMENT_WIN[segment], 0.95),
        "amount_factor": quality[:, 5],
    })


# --- the funnel, followed to its end; cut at the cutoff later ---


def _funnel(rng: np.random.Generator, clock: _Clock, leads: pd.DataFrame, owners: pd.DataFrame) -> pd.DataFrame:
    """Each lead's journey: MQL, routing, first touch, sales' decision, SQL, opportunity, exits."""
    n = len(leads)
    u = rng.random((n, 16))
    z = rng.standard_normal((n, 8))
    created = leads["created"].to_numpy()

    is_mql = u[:, 0] < leads["p_mql"].to_numpy()
    instant = u[:, 1] < 0.35  # a demo request is an MQL at once; others score up over hours or days
    mql_lag = np.where(instant, 60 + u[:, 2] * 840, np.minimum(_lognormal(20 * HOUR, 1.1, z[:, 0]), 30 * DAY))
    mql = np.where(is_mql, np.round(created + mql_lag), MISSING)

    minutes, hours = _lognormal(4 * 60, 0.8, z[:, 1]), _lognormal(2.5 * HOUR, 0.7, z[:, 1])
    routing_delay = np.where(u[:, 3] < 0.82, minutes, hours)
    assigned = np.where(is_mql & (u[:, 3] < 0.95), np.round(mql + routing_delay), MISSING)
    habits = np.array(list(SDR_HABITS.values()))
    sdr_ids = np.array([_owner_id(owners, name) for name in SDR_HABITS])
    sdr = rng.choice(len(SDR_HABITS), size=n, p=habits[:, 3] / habits[:, 3].sum())
    owner = np.where(is_mql, sdr_ids[sdr], 0)

    touched = is_mql & (u[:, 4] >= habits[sdr, 2])
    response = np.minimum(_lognormal(habits[sdr, 0], habits[sdr, 1], z[:, 2]), 120) * HOUR
    touch = np.where(touched, clock.add_work(np.fmax(mql, assigned), response), MISSING)
    early = touched & (u[:, 5] < 0.02) & (mql - created > 2 * HOUR)  # called before the score tipped
    touch = np.where(early, np.round(created + (mql - created) * (0.2 + 0.6 * u[:, 6])), touch)
    touch_logged = touched & (u[:, 7] >= 0.08)  # the rest show only as activities

    decided = np.where(touched, u[:, 8] < 0.97, is_mql & (u[:, 8] < 0.4))
    decision = clock.add_work(np.fmax(touch, mql), np.minimum(_lognormal(6 * HOUR, 1.0, z[:, 3]), 20 * WORKDAY))
    accepted = decided & touched & (u[:, 9] < leads["p_accept"].to_numpy())
    rejected = decided & ~accepted
    sal = np.where(accepted, decision, MISSING)
    disqualified = np.where(rejected, decision, MISSING)
    disqualified_reason = _pick(rng, REJECTION_REASONS, REJECTION_WEIGHTS, n)
    disqualified_reason[u[:, 10] < REJECTIONS_WITHOUT_REASON] = None

    is_sql = accepted & (u[:, 11] < leads["p_sql"].to_numpy())
    sql = np.where(is_sql, clock.add_work(sal, _lognormal(24 * HOUR, 0.8, z[:, 4])), MISSING)
    is_opportunity = is_sql & (u[:, 12] < leads["p_opportunity"].to_numpy())
    opportunity = np.where(is_opportunity, clock.add_work(sql, _lognormal(20 * HOUR, 0.8, z[:, 5])), MISSING)

    # Exits of accepted leads that went no further: recycled for later, or disqualified after all.
    stalled_sal = accepted & ~is_sql
    stalled_sql = is_sql & ~is_opportunity
    exit_lag = _lognormal(70 * HOUR, 0.7, z[:, 6])
    recycle = (stalled_sal & (u[:, 13] < 0.08)) | (stalled_sql & (u[:, 13] < 0.30))
    drop_out = ((stalled_sal & (u[:, 13] >= 0.08) & (u[:, 13] < 0.38))
                | (stalled_sql & (u[:, 13] >= 0.30) & (u[:, 13] < 0.55)))
    last_stage = np.where(is_sql, sql, sal)
    recycled = np.where(recycle, clock.add_work(last_stage, exit_lag), MISSING)
    recycled_reason = np.where(recycle, _pick(rng, RECYCLE_REASONS, (0.4, 0.3, 0.2, 0.1), n), None)
    disqualified = np.where(drop_out, clock.add_work(last_stage, exit_lag), disqualified)
    later_reason = _pick(rng, LATER_DISQUALIFICATION_REASONS, (0.4, 0.25, 0.15, 0.2), n)
    disqualified_reason = np.where(drop_out, later_reason, np.where(rejected, disqualified_reason, None))

    ae_names = [name for name, team, _ in OWNERS if team == "sales"]
    ae_ids = np.array([_owner_id(owners, name) for name in ae_names])
    enterprise_ae = np.isin(ae_names, ENTERPRISE_AES)
    ae_weights = np.where(enterprise_ae[None, :], [[0.05], [0.15], [0.8]], [[0.95], [0.85], [0.2]])
    ae_weights = ae_weights / ae_weights.sum(axis=1, keepdims=True)
    segment = leads["segment"].to_numpy()
    ae_slot = (np.cumsum(ae_weights[segment], axis=1) < u[:, 14:15]).sum(axis=1)
    account_executive = np.where(is_sql, ae_ids[np.minimum(ae_slot, len(ae_ids) - 1)], 0)

    return leads.assign(
        mql=mql, assigned=assigned, owner=owner, touch=touch, touch_logged=touch_logged, sal=sal,
        sql=sql, opportunity=opportunity, disqualified=disqualified,
        disqualified_reason=disqualified_reason, recycled=recycled, recycled_reason=recycled_reason,
        account_executive=account_executive, won_at=MISSING,
    )


def _deals(
    rng: np.random.Generator, clock: _Clock, journeys: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One deal per opportunity followed to its close, a few expansion deals; lost deals recycle some leads."""
    lead = np.flatnonzero(journeys["opportunity"].notna().to_numpy())
    n = len(lead)
    u = rng.random((n, 9))
    z = rng.standard_normal((n, 4))
    segment = journeys["segment"].to_numpy()[lead]
    created = clock.add_work(journeys["opportunity"].to_numpy()[lead], 300 + u[:, 0] * 5_400)
    is_won = u[:, 1] < journeys["p_win"].to_numpy()[lead]
    close_lag = np.where(is_won, _lognormal(30 * WORKDAY, 0.55, z[:, 0]), _lognormal(38 * WORKDAY, 0.8, z[:, 0]))
    closed = clock.add_work(created, np.minimum(close_lag, 220 * WORKDAY))
    median = SEGMENT_DEAL_MEDIAN[segment] * journeys["amount_factor"].to_numpy()[lead]
    amount = np.maximum(np.round(_lognormal(median, 0.55, z[:, 1]) / 50) * 50, 500.0)
    deals = pd.DataFrame({
        "lead": lead, "owner": journeys["account_executive"].to_numpy()[lead], "created": created,
        "closed": closed, "is_won": is_won, "amount": amount, "kind": "new",
        "lost_reason": np.where(is_won, None, _pick(rng, LOST_REASONS, LOST_WEIGHTS, n)),
        "expected_shift": np.round(z[:, 2] * 12), "stage_draw": u[:, 2], "probability_draw": u[:, 3],
        "quirk_draw": u[:, 8],
    })

    # A few won customers buy more: a second deal on the same lead.
    expand = is_won & (u[:, 4] < 0.05)
    expansion_created = clock.add_work(closed[expand], _lognormal(40 * WORKDAY, 0.5, z[expand, 3]))
    expansion_won = u[expand, 5] < 0.55
    expansions = pd.DataFrame({
        "lead": lead[expand], "owner": deals["owner"].to_numpy()[expand], "created": expansion_created,
        "closed": clock.add_work(expansion_created, 25 * WORKDAY * (0.5 + u[expand, 6])),
        "is_won": expansion_won, "amount": np.maximum(np.round(amount[expand] * 0.35 / 50) * 50, 500.0),
        "kind": "expansion",
        "lost_reason": np.where(expansion_won, None, _pick(rng, LOST_REASONS, LOST_WEIGHTS, int(expand.sum()))),
        "expected_shift": np.round(z[expand, 2] * 8), "stage_draw": u[expand, 7],
        "probability_draw": u[expand, 3], "quirk_draw": u[expand, 8],
    })
    deals = pd.concat([deals, expansions], ignore_index=True).sort_values(["created", "lead"], kind="stable")
    deals = deals.reset_index(drop=True)

    # Some lost deals send their lead back to nurture.
    recycled = journeys["recycled"].to_numpy().copy()
    recycled_reason = journeys["recycled_reason"].to_numpy().copy()
    won_at = np.full(len(journeys), MISSING)
    lost_new = deals[(deals["kind"] == "new") & ~deals["is_won"]]
    back = lost_new[rng.random(len(lost_new)) < 0.15]
    recycled[back["lead"].to_numpy()] = clock.add_work(back["closed"].to_numpy(), WORKDAY)
    recycled_reason[back["lead"].to_numpy()] = "Lost deal, revisit in six months"
    first_wins = deals[deals["is_won"]].groupby("lead")["closed"].min()
    won_at[first_wins.index.to_numpy()] = first_wins.to_numpy()
    return journeys.assign(recycled=recycled, recycled_reason=recycled_reason, won_at=won_at), deals


# --- activities: the touches behind the dates ---


def _activities(
    rng: np.random.Generator, clock: _Clock, journeys: pd.DataFrame, deals: pd.DataFrame, owners: pd.DataFrame
) -> pd.DataFrame:
    """Sales touches (first touch, follow-ups, discovery, deal work) and marketing engagements."""
    n = len(journeys)
    lead_index = np.arange(n)
    touch = journeys["touch"].to_numpy()
    touched = ~np.isnan(touch)
    parts = []

    first = lead_index[touched]
    first_type = _pick(rng, ("call", "email", "meeting"), (0.55, 0.4, 0.05), len(first))
    first_detail = np.select([first_type == "call", first_type == "email"], ["Intro call", "Intro email"],
                             "Intro meeting")
    parts.append(_activity_part(first, touch[first], journeys["owner"].to_numpy()[first], "sales",
                                first_type, first_detail, 0))

    # The SDR follows up until sales decides, qualifies or lets the lead go.
    worked_until = np.fmin(np.fmin(journeys["sql"].to_numpy(), journeys["disqualified"].to_numpy()),
                           journeys["recycled"].to_numpy())
    worked_until = np.where(np.isnan(worked_until), clock.add_work(touch, 10 * WORKDAY), worked_until)
    follow_ups = np.where(touched, rng.poisson(np.where(journeys["sal"].notna(), 1.4, 0.5)), 0)
    lead = np.repeat(lead_index, follow_ups)
    when = _between_in_work(rng, clock, touch[lead], np.fmax(worked_until[lead], touch[lead]))
    follow_type = _pick(rng, ("call", "email"), (0.5, 0.5), len(lead))
    parts.append(_activity_part(lead, when, journeys["owner"].to_numpy()[lead], "sales", follow_type,
                                np.where(follow_type == "call", "Follow-up call", "Follow-up email"), 1))

    # The account executive's discovery call makes the SQL.
    qualified = lead_index[journeys["sql"].notna().to_numpy()]
    parts.append(_activity_part(qualified, journeys["sql"].to_numpy()[qualified],
                                journeys["account_executive"].to_numpy()[qualified], "sales",
                                np.full(len(qualified), "meeting", dtype=object),
                                np.full(len(qualified), "Discovery call", dtype=object), 2))

    deal_touches = rng.poisson(2.5, len(deals))
    deal_row = np.repeat(np.arange(len(deals)), deal_touches)
    when = _between_in_work(
        rng, clock, deals["created"].to_numpy()[deal_row], deals["closed"].to_numpy()[deal_row]
    )
    deal_type = _pick(rng, ("meeting", "call", "email"), (0.4, 0.3, 0.3), len(deal_row))
    deal_detail = _pick(rng, DEAL_ACTIVITY_DETAILS, np.ones(len(DEAL_ACTIVITY_DETAILS)), len(deal_row))
    parts.append(_activity_part(deals["lead"].to_numpy()[deal_row], when, deals["owner"].to_numpy()[deal_row],
                                "sales", deal_type, deal_detail, 3))

    # Marketing: the conversion that created the lead, and engagements before and around the MQL.
    created = journeys["created"].to_numpy()
    source = journeys["source"].to_numpy()
    marketer_ids = {name: _owner_id(owners, name) for name in set(MARKETING_OWNER_OF_SOURCE.values())}
    marketer = np.array([marketer_ids[MARKETING_OWNER_OF_SOURCE[s]] for s in source])
    conversion_type = np.array([CONVERSION_ENGAGEMENT.get(s, "page_view") for s in source], dtype=object)
    conversion_detail = np.where(conversion_type == "page_view",
                                 np.where(rng.random(n) < 0.4, "Demo request form", "Contact form"),
                                 "Registered")
    parts.append(_activity_part(lead_index, created, marketer, "marketing", conversion_type, conversion_detail, 4))

    is_mql = journeys["mql"].notna().to_numpy()
    engagements = rng.poisson(np.where(is_mql, 2.2, 1.2))
    lead = np.repeat(lead_index, engagements)
    start = np.maximum(created[lead] - 21 * DAY, 0)
    end = np.where(is_mql[lead], journeys["mql"].to_numpy()[lead] + 2 * DAY, created[lead] + 10 * DAY)
    when = np.round(start + rng.random(len(lead)) * (end - start))
    engagement_type = _pick(rng, ENGAGEMENT_TYPES, ENGAGEMENT_WEIGHTS, len(lead))
    detail_draw = rng.random(len(lead))
    engagement_detail = np.array([
        ENGAGEMENT_DETAILS[kind][int(d * len(ENGAGEMENT_DETAILS[kind]))]
        for kind, d in zip(engagement_type, detail_draw)
    ], dtype=object)
    parts.append(_activity_part(lead, when, marketer[lead], "marketing", engagement_type, engagement_detail, 5))

    activities = pd.concat(parts, ignore_index=True)
    order = np.lexsort((activities["kind"].to_numpy(), activities["lead"].to_numpy(),
                        activities["occurred"].to_numpy()))
    return activities.iloc[order].reset_index(drop=True)


def _activity_part(lead, occurred, owner, team, kind_type, detail, kind) -> pd.DataFrame:
    """One kind of activity as a frame; `kind` orders activities that share a lead and a second."""
    return pd.DataFrame({
        "lead": np.asarray(lead, dtype=np.int64), "occurred": np.asarray(occurred, dtype=float),
        "owner": np.asarray(owner, dtype=np.int64), "team": team, "type": np.asarray(kind_type, dtype=object),
        "detail": np.asarray(detail, dtype=object), "kind": kind,
    })


def _between_in_work(rng: np.random.Generator, clock: _Clock, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """A random working-hours moment between each start and end."""
    start_work, end_work = clock.to_work(start), clock.to_work(end)
    return clock.from_work(start_work + rng.random(len(start)) * np.maximum(end_work - start_work, 0))


# --- what is known at the cutoff, the odd rows, re-entries ---


def _cut_at(
    cutoff: float, journeys: pd.DataFrame, deals: pd.DataFrame, activities: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Forget everything after the cutoff: later leads, stages and touches have not happened, later
    closes are still open. Leads are in order of arrival, so the leads kept keep their positions."""
    journeys = journeys[journeys["created"].to_numpy() <= cutoff]
    activities = activities[(activities["occurred"].to_numpy() <= cutoff)
                            & (activities["lead"].to_numpy() < len(journeys))].reset_index(drop=True)
    stage_columns = ("mql", "assigned", "touch", "sal", "sql", "opportunity", "disqualified", "recycled", "won_at")
    cut = {column: np.where(journeys[column].to_numpy() > cutoff, MISSING, journeys[column].to_numpy())
           for column in stage_columns}
    # An MQL has its SDR once routed; one still waiting for routing at the cutoff has none yet.
    routing = journeys["assigned"].notna().to_numpy() & np.isnan(cut["assigned"])
    journeys = journeys.assign(
        **cut,
        owner=np.where(np.isnan(cut["mql"]) | routing, 0, journeys["owner"].to_numpy()),
        touch_logged=journeys["touch_logged"].to_numpy() & ~np.isnan(cut["touch"]),
        disqualified_reason=np.where(
            np.isnan(cut["disqualified"]), None, journeys["disqualified_reason"].to_numpy()
        ),
        recycled_reason=np.where(np.isnan(cut["recycled"]), None, journeys["recycled_reason"].to_numpy()),
    )
    deals = deals[deals["created"].to_numpy() <= cutoff]
    still_open = deals["closed"].to_numpy() > cutoff
    duration = np.maximum(deals["closed"].to_numpy() - deals["created"].to_numpy(), 1.0)
    progress = (cutoff - deals["created"].to_numpy()) / duration
    progress = np.clip(progress + (deals["stage_draw"].to_numpy() - 0.5) * 0.3, 0, 0.999)
    open_stage = np.asarray(DEAL_STAGES_OPEN, dtype=object)[(progress * len(DEAL_STAGES_OPEN)).astype(int)]
    deals = deals.assign(
        stage=np.where(still_open, open_stage, np.where(deals["is_won"], "closed_won", "closed_lost")),
        closed=np.where(still_open, MISSING, deals["closed"].to_numpy()),
        is_won=np.where(still_open, None, deals["is_won"].to_numpy().astype(object)),
        lost_reason=np.where(still_open, None, deals["lost_reason"].to_numpy()),
        lead_id_known=True,
    )
    return journeys, deals.reset_index(drop=True), activities


def _quirks(
    lead_draws: np.ndarray, cutoff: float, journeys: pd.DataFrame, deals: pd.DataFrame, owners: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Skipped stages the dashboard must infer, and a few rows the data-quality report must catch."""
    journeys = journeys.copy()
    deals = deals.copy()

    # sql_at without sal_at: the SDR forgot to mark the acceptance.
    skipped = journeys["sql"].notna() & journeys["sal"].notna() & (lead_draws[:, 0] < 0.03)
    journeys.loc[skipped, "sal"] = MISSING

    # Won customers entered straight as deals: no stage dates at all.
    won_leads = np.flatnonzero(journeys["won_at"].notna())
    bare = _fewest_draws(won_leads, lead_draws[:, 1], max(1, round(0.02 * len(won_leads))))
    journeys.loc[bare, ["mql", "assigned", "touch", "sal", "sql", "opportunity"]] = MISSING
    journeys.loc[bare, "touch_logged"] = False

    # Out of order: accepted before it was an MQL.
    candidates = np.flatnonzero(journeys["sal"].notna() & (journeys["mql"] - journeys["created"] > 2 * DAY))
    early_sal = _fewest_draws(candidates, lead_draws[:, 2], 3)
    hours_early = np.round(3 * HOUR + 18 * HOUR * lead_draws[early_sal, 3])
    journeys.loc[early_sal, "sal"] = journeys.loc[early_sal, "mql"] - hours_early

    # Open MQLs left with a rep who has left the company.
    undecided = np.flatnonzero(journeys["mql"].notna() & journeys["sal"].isna() & journeys["disqualified"].isna()
                               & journeys["sql"].isna())
    inactive = int(owners.loc[~owners["active"], "id"].iloc[0])
    journeys.loc[_fewest_draws(undecided, lead_draws[:, 4], 4), "owner"] = inactive

    # Negative amounts typed into lost deals.
    is_won = deals["is_won"].to_numpy()
    lost = np.flatnonzero([won is False for won in is_won])
    negative = _fewest_draws(lost, deals["quirk_draw"].to_numpy(), 2)
    deals.loc[negative, "amount"] = -deals.loc[negative, "amount"]

    # Expansion deals an account executive booked on the customer but not on any lead.
    won_before = np.flatnonzero(np.array([won is True for won in is_won], dtype=bool)
                                & (deals["closed"].to_numpy() <= cutoff - 40 * DAY))
    parents = deals.iloc[np.sort(_fewest_draws(won_before, deals["quirk_draw"].to_numpy(), 3))]
    weeks_later = 2 + (parents["stage_draw"].to_numpy() * 3).astype(int)
    unlinked = parents.assign(
        created=parents["closed"] + weeks_later * 7 * DAY, closed=MISSING,
        is_won=None, lost_reason=None, stage="proposal", kind="expansion", lead_id_known=False,
        amount=np.round(parents["amount"] * 0.3 / 50) * 50, probability_draw=0.9,
    )
    deals = pd.concat([deals, unlinked], ignore_index=True).sort_values("created", kind="stable")
    return journeys, deals.reset_index(drop=True)


def _fewest_draws(candidates: np.ndarray, draws: np.ndarray, count: int) -> np.ndarray:
    """The `count` candidates whose draws are smallest: a random pick that an extra candidate rarely upsets."""
    return candidates[np.argsort(draws[candidates], kind="stable")[:count]]


def _reentries(lead_draws: np.ndarray, journeys: pd.DataFrame) -> pd.DataFrame:
    """Give some leads the contact of an earlier, recycled lead of the same segment (a re-entry)."""
    n = len(journeys)
    created = journeys["created"].to_numpy()
    recycled = journeys["recycled"].to_numpy()
    segment = journeys["segment"].to_numpy()
    wants_reentry = lead_draws[:, 5] < 0.04
    draw = lead_draws[:, 6]
    earlier = np.full(n, -1, dtype=np.int64)
    for index in range(len(SEGMENTS)):
        pool = np.flatnonzero((segment == index) & ~np.isnan(recycled))
        pool = pool[np.argsort(recycled[pool], kind="stable")]
        rows = np.flatnonzero(wants_reentry & (segment == index))
        eligible = np.searchsorted(recycled[pool], created[rows] - 30 * DAY, side="right")
        has = eligible > 0
        earlier[rows[has]] = pool[(draw[rows[has]] * eligible[has]).astype(np.int64)]
    # Each recycled lead comes back at most once: the first lead to claim it keeps it.
    claimed = np.flatnonzero(earlier >= 0)
    _, first_claim = np.unique(earlier[claimed], return_index=True)
    keep = np.zeros(n, dtype=bool)
    keep[claimed[first_claim]] = True
    earlier = np.where(keep, earlier, -1)
    root = np.where(earlier >= 0, earlier, np.arange(n))
    for _ in range(64):  # a re-entry of a re-entry belongs to the first lead's contact
        deeper = root[root]
        if np.array_equal(deeper, root):
            break
        root = deeper
    return journeys.assign(root=root, company=journeys["company"].to_numpy()[root])


def _contacts(
    lead_draws: np.ndarray, journeys: pd.DataFrame, companies: pd.DataFrame, owners: pd.DataFrame
) -> pd.DataFrame:
    """One contact per first lead, with name, e-mail, company, owner and the latest date of its leads."""
    roots = np.unique(journeys["root"].to_numpy())
    company = journeys["company"].to_numpy()[roots]
    country = companies["country"].to_numpy()[company]
    first_draw, last_draw = lead_draws[roots, 7], lead_draws[roots, 8]
    first_names = [FIRST_NAMES[c][int(d * len(FIRST_NAMES[c]))] for c, d in zip(country, first_draw)]
    last_names = [LAST_NAMES[c][int(d * len(LAST_NAMES[c]))] for c, d in zip(country, last_draw)]
    local_parts = pd.Series([f"{_ascii(first)}.{_ascii(last)}" for first, last in zip(first_names, last_names)])
    domains = pd.Series(companies["domain"].to_numpy()[company])
    repeat = local_parts.groupby([local_parts, domains]).cumcount().to_numpy()
    emails = [f"{p}{r + 1 if r else ''}@{d}" for p, r, d in zip(local_parts, repeat, domains)]

    contact_of_lead = np.searchsorted(roots, journeys["root"].to_numpy())
    won_contacts = np.unique(contact_of_lead[journeys["won_at"].notna().to_numpy()])
    cs_ids = owners.loc[owners["team"] == "cs", "id"].to_numpy()
    owner = journeys["owner"].to_numpy()[roots].copy()
    owner[won_contacts] = cs_ids[(lead_draws[roots[won_contacts], 9] * len(cs_ids)).astype(np.int64)]
    dated = journeys.assign(touch=_logged_first_touch(journeys))
    latest = _latest(dated).groupby(contact_of_lead).max().to_numpy()
    return pd.DataFrame({
        "id": np.arange(1, len(roots) + 1), "email": emails,
        "name": [f"{first} {last}" for first, last in zip(first_names, last_names)],
        "company": companies["name"].to_numpy()[company], "country": country,
        "segment": np.asarray(SEGMENTS, dtype=object)[journeys["segment"].to_numpy()[roots]],
        "created": journeys["created"].to_numpy()[roots], "owner": owner, "updated": latest,
    })


def _latest(journeys: pd.DataFrame) -> pd.Series:
    """Per lead the latest of its dates: its updated_at."""
    columns = ["created", "mql", "assigned", "touch", "sal", "sql", "opportunity", "disqualified", "recycled"]
    return journeys[columns].max(axis=1)


# --- rows for insert() ---


def _utc(clock: _Clock, seconds: np.ndarray) -> list[dt.datetime | None]:
    """Wall-clock seconds as aware UTC datetimes (None where missing); the ambiguous autumn hour
    is read as summer time, which keeps every row at or before the cutoff."""
    seconds = np.asarray(seconds, dtype=float)
    known = ~np.isnan(seconds)
    origin = np.datetime64(clock.first_day, "s")
    local = pd.DatetimeIndex(origin + seconds[known].astype(np.int64).astype("timedelta64[s]"))
    utc = local.tz_localize(TIMEZONE_NAME, ambiguous=np.ones(len(local), dtype=bool), nonexistent="shift_forward")
    values = np.full(len(seconds), None, dtype=object)
    values[known] = utc.tz_convert(dt.timezone.utc).to_pydatetime()
    return values.tolist()


def _optional_ids(ids: np.ndarray) -> list[int | None]:
    """Ids as ints, 0 as None."""
    return [int(i) if i else None for i in np.asarray(ids).tolist()]


def _money(amounts) -> list[Decimal | None]:
    """Amounts as Decimals with cents, NaN and None as None."""
    return [None if a is None or a != a else Decimal(f"{a:.2f}") for a in amounts]


def _texts(values: pd.Series) -> list[str | None]:
    """Text as str, missing as None (pandas' string dtype holds it as NaN, which no driver
    should write into a text column)."""
    return values.astype(object).where(values.notna(), None).tolist()


def _rows(columns: dict[str, list]) -> list[dict]:
    """Columns of equal length as a list of row dicts for `insert()`."""
    names = list(columns)
    return [dict(zip(names, values)) for values in zip(*columns.values())]


def _contact_ids(journeys: pd.DataFrame) -> np.ndarray:
    """Per lead the id of its contact: contacts are numbered in the order of their first lead."""
    return np.searchsorted(np.unique(journeys["root"].to_numpy()), journeys["root"].to_numpy()) + 1


def _logged_first_touch(journeys: pd.DataFrame) -> np.ndarray:
    """first_touch_at as written: empty where the touch shows only as an activity."""
    return np.where(journeys["touch_logged"].to_numpy(), journeys["touch"].to_numpy(), MISSING)


def _owner_rows(owners: pd.DataFrame) -> list[dict]:
    """The rows of `owners`."""
    return _rows({
        "id": owners["id"].tolist(),
        "external_id": [f"demo-owner-{i:02d}" for i in owners["id"]],
        "name": owners["name"].tolist(),
        "email": [f"{_ascii(name).replace(' ', '.')}@example.com" for name in owners["name"]],
        "team": owners["team"].tolist(),
        "active": [bool(a) for a in owners["active"]],
    })


def _campaign_rows(campaigns: pd.DataFrame) -> list[dict]:
    """The rows of `campaigns`."""
    return _rows({
        "id": campaigns["id"].tolist(),
        "external_id": [f"demo-campaign-{i:02d}" for i in campaigns["id"]],
        "name": campaigns["name"].tolist(),
        "channel": campaigns["channel"].tolist(),
        "started_on": campaigns["started_on"].tolist(),
        "ended_on": campaigns["ended_on"].tolist(),
        "cost": _money(campaigns["cost"].astype(float).tolist()),
        "currency": ["EUR"] * len(campaigns),
    })


def _contact_rows(clock: _Clock, contacts: pd.DataFrame) -> list[dict]:
    """The rows of `contacts`."""
    return _rows({
        "id": contacts["id"].tolist(),
        "external_id": [f"demo-contact-{i:06d}" for i in contacts["id"]],
        "email": contacts["email"].tolist(),
        "name": contacts["name"].tolist(),
        "company": contacts["company"].tolist(),
        "country": contacts["country"].tolist(),
        "segment": contacts["segment"].tolist(),
        "created_at": _utc(clock, contacts["created"].to_numpy()),
        "owner_id": _optional_ids(contacts["owner"].to_numpy()),
        "updated_at": _utc(clock, contacts["updated"].to_numpy()),
    })


def _lead_rows(clock: _Clock, journeys: pd.DataFrame, campaigns: pd.DataFrame) -> list[dict]:
    """The rows of `leads`."""
    ids = np.arange(1, len(journeys) + 1)
    contact_id = _contact_ids(journeys)
    campaign = journeys["campaign"].to_numpy()
    first_touch = _logged_first_touch(journeys)
    return _rows({
        "id": ids.tolist(),
        "external_id": [f"demo-lead-{i:06d}" for i in ids],
        "contact_id": contact_id.tolist(),
        "created_at": _utc(clock, journeys["created"].to_numpy()),
        "source": journeys["source"].tolist(),
        "campaign_id": _optional_ids(np.where(campaign >= 0, campaigns["id"].to_numpy()[campaign], 0)),
        "segment": np.asarray(SEGMENTS, dtype=object)[journeys["segment"].to_numpy()].tolist(),
        "owner_id": _optional_ids(journeys["owner"].to_numpy()),
        "mql_at": _utc(clock, journeys["mql"].to_numpy()),
        "assigned_at": _utc(clock, journeys["assigned"].to_numpy()),
        "sal_at": _utc(clock, journeys["sal"].to_numpy()),
        "sql_at": _utc(clock, journeys["sql"].to_numpy()),
        "opportunity_at": _utc(clock, journeys["opportunity"].to_numpy()),
        "disqualified_at": _utc(clock, journeys["disqualified"].to_numpy()),
        "disqualified_reason": _texts(journeys["disqualified_reason"]),
        "recycled_at": _utc(clock, journeys["recycled"].to_numpy()),
        "recycled_reason": _texts(journeys["recycled_reason"]),
        "first_touch_at": _utc(clock, first_touch),
    })


def _deal_rows(clock: _Clock, deals: pd.DataFrame, journeys: pd.DataFrame, companies: pd.DataFrame) -> list[dict]:
    """The rows of `deals`."""
    ids = np.arange(1, len(deals) + 1)
    lead = deals["lead"].to_numpy()
    contact_id = _contact_ids(journeys)
    company = companies["name"].to_numpy()[journeys["company"].to_numpy()[lead]]
    product = np.asarray(SEGMENT_PRODUCT, dtype=object)[journeys["segment"].to_numpy()[lead]]
    expansion = deals["kind"].to_numpy() == "expansion"
    names = [f"{c} - {'expansion' if e else p}" for c, p, e in zip(company, product, expansion)]

    created = deals["created"].to_numpy()
    closed = deals["closed"].to_numpy()
    still_open = np.isnan(closed)
    created_day = (created // DAY).astype(np.int64)
    # Open deals plan to close some weeks after they opened; most overdue plans were moved ahead.
    planned_open = np.floor((created + (deals["stage_draw"].to_numpy() + 0.6) * 40 * DAY) / DAY)
    planned_day = np.where(still_open, planned_open, closed // DAY) + deals["expected_shift"].to_numpy()
    today_day = clock.n_days - 1
    draw = deals["probability_draw"].to_numpy()
    overdue = still_open & (planned_day < today_day) & (draw < 0.7)
    planned_day = np.where(overdue, today_day + 3 + (draw * 50).astype(int), planned_day)
    planned_day = np.where(still_open, planned_day, np.minimum(planned_day, today_day))
    planned_day = np.maximum(planned_day, created_day + 7).astype(np.int64)
    expected_close_on = [clock.first_day + dt.timedelta(days=int(d)) for d in planned_day]

    stage = deals["stage"].to_numpy()
    default = np.array([STAGE_PROBABILITY.get(s, 0.0) for s in stage])
    is_won = deals["is_won"].to_numpy()
    with_probability = deals["probability_draw"].to_numpy() < 0.6
    probability = [
        (1.0 if won else 0.0) if won is not None
        else (round(min(max(p + (d - 0.3) * 0.2, 0.05), 0.95), 2) if has else None)
        for won, p, d, has in zip(is_won, default, deals["probability_draw"].to_numpy(), with_probability)
    ]
    return _rows({
        "id": ids.tolist(),
        "external_id": [f"demo-deal-{i:06d}" for i in ids],
        "lead_id": [int(index) + 1 if known else None for index, known in zip(lead, deals["lead_id_known"])],
        "contact_id": contact_id[lead].tolist(),
        "owner_id": _optional_ids(deals["owner"].to_numpy()),
        "name": names,
        "pipeline": ["New business"] * len(deals),
        "stage": stage.tolist(),
        "amount": _money(deals["amount"].tolist()),
        "currency": ["EUR"] * len(deals),
        "created_at": _utc(clock, created),
        "expected_close_on": expected_close_on,
        "closed_at": _utc(clock, closed),
        "is_won": [None if w is None else bool(w) for w in is_won],
        "lost_reason": _texts(deals["lost_reason"]),
        "probability": [None if p is None else Decimal(f"{p:.2f}") for p in probability],
    })


def _activity_rows(clock: _Clock, activities: pd.DataFrame, journeys: pd.DataFrame) -> list[dict]:
    """The rows of `activities`."""
    ids = np.arange(1, len(activities) + 1)
    lead = activities["lead"].to_numpy()
    contact_id = _contact_ids(journeys)
    return _rows({
        "id": ids.tolist(),
        "external_id": [f"demo-activity-{i:07d}" for i in ids],
        "lead_id": (lead + 1).tolist(),
        "contact_id": contact_id[lead].tolist(),
        "owner_id": _optional_ids(activities["owner"].to_numpy()),
        "team": activities["team"].tolist(),
        "type": activities["type"].tolist(),
        "detail": activities["detail"].tolist(),
        "occurred_at": _utc(clock, activities["occurred"].to_numpy()),
    })
