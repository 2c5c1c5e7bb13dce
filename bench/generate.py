"""Synthetic CRM data at scale for the benchmark: N leads over two years with deals and
activities in proportion, generated with vectorised numpy and bulk-inserted.

`generate(n_leads, seed)` returns the tables as DataFrames (UTC timestamps as
datetime64[us]); `sqlite_database(n, seed)` and `postgresql_database(n, seed, server_url)`
write them once and return the URL, reusing a database made earlier for the same size and
seed (SQLite files live under `bench/.data/`, PostgreSQL databases are named
`bench_<size>_s<seed>`). A database counts as made only when its `bench_made` table exists,
written last, so an interrupted run starts over.

Per lead, roughly: 35 % become MQLs, 70 % of those are accepted (SAL), half of those SQLs,
80 % of SQLs get a deal (about 10 % of leads), a third of closed deals are won; 1.4 sales
and 2.6 marketing activities. Every stage date after the data's "now" is cut, as a CRM
export taken at that instant would show it.
"""
from __future__ import annotations

import datetime as dt
import io
import sqlite3
import time
from pathlib import Path

import numpy as np
import pandas as pd

DATA_DIR = Path(__file__).resolve().parent / ".data"
# The data's "now": every figure of the benchmark is as of this instant.
NOW = pd.Timestamp("2026-11-20 10:00", tz="UTC")
HISTORY = pd.Timedelta(days=730)
HOUR = 3600.0
DAY = 86400.0

SOURCES = ("organic_search", "paid_search", "linkedin_ads", "webinar", "referral", "events", "direct", "partner")
SOURCE_SHARES = (0.24, 0.2, 0.14, 0.12, 0.08, 0.08, 0.09, 0.05)
SEGMENTS = ("SMB", "Mid-market", "Enterprise")
SEGMENT_SHARES = (0.55, 0.3, 0.15)
DQ_REASONS = ("Not in ICP", "No budget", "Student or job seeker", "Competitor", "Duplicate", "")
RECYCLE_REASONS = ("Timing", "No response")
LOST_REASONS = ("Chose competitor", "No decision", "Price", "Timing")
SALES_TYPES = ("call", "email", "meeting")
MARKETING_TYPES = ("page_view", "download", "webinar", "email_click")
N_CAMPAIGNS = 40
# owners: 3 marketing, 6 SDRs, 6 account executives
OWNERS = ([("marketing", f"Marketer {i}") for i in range(1, 4)] + [("sdr", f"SDR {i}") for i in range(1, 7)]
          + [("sales", f"Account executive {i}") for i in range(1, 7)])
SDR_IDS = np.arange(4, 10)
AE_IDS = np.arange(10, 16)


def size_label(n: int) -> str:
    """100000 -> 100k, 1000000 -> 1M."""
    if n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    if n % 1000 == 0:
        return f"{n // 1000}k"
    return str(n)


def parse_size(text: str) -> int:
    """'100k', '1M', '5M' or a plain number of leads."""
    text = text.strip()
    factor = {"k": 1_000, "K": 1_000, "m": 1_000_000, "M": 1_000_000}.get(text[-1:], 1)
    return int(float(text[:-1] if factor > 1 else text) * factor)


def _offsets(rng, start: np.ndarray, median_hours: float, sigma: float) -> np.ndarray:
    return start + rng.lognormal(np.log(median_hours * HOUR), sigma, len(start))


def _pick(rng, options, shares, size) -> np.ndarray:
    return np.asarray(options, dtype=object)[rng.choice(len(options), size=size, p=np.asarray(shares) / sum(shares))]


def _optional(ids: np.ndarray) -> pd.Series:
    """Ids with 0 as missing, as a nullable integer column."""
    return pd.Series(ids, dtype="Int64").where(ids > 0)


def _stamp(seconds: np.ndarray) -> np.ndarray:
    """Seconds after NOW - HISTORY (NaN = none) as datetime64[us]; anything after NOW is cut."""
    base = (NOW - HISTORY).tz_localize(None).to_datetime64().astype("datetime64[us]")
    micros = np.round(seconds * 1e6)
    known = ~np.isnan(micros) & (seconds <= HISTORY.total_seconds())
    values = np.full(len(seconds), np.datetime64("NaT"), dtype="datetime64[us]")
    values[known] = base + micros[known].astype("int64").astype("timedelta64[us]")
    return values


def generate(n_leads: int, seed: int = 7) -> dict[str, pd.DataFrame]:
    """Every table of the data model for `n_leads` leads, as frames ready to insert."""
    rng = np.random.default_rng(seed)
    span = HISTORY.total_seconds()
    n = n_leads
    # more leads lately: a linear ramp of the density, then sorted so ids follow time
    created = np.sort(span * np.sqrt(rng.random(n) * 0.75 + 0.25) * 2 - span)
    created = np.clip(created, 0, span - 60)
    ids = np.arange(1, n + 1)

    is_mql = rng.random(n) < 0.35
    mql = np.where(is_mql, _offsets(rng, created, 20, 1.2), np.nan)
    assigned = np.where(is_mql & (rng.random(n) < 0.85), _offsets(rng, mql, 0.3, 1.0), np.nan)
    touched = is_mql & (rng.random(n) < 0.9)
    first_touch = np.where(touched, _offsets(rng, np.where(np.isnan(assigned), mql, assigned), 2.5, 1.1), np.nan)
    sal_draw = rng.random(n)
    is_sal = is_mql & (sal_draw < 0.7)
    sal = np.where(is_sal, _offsets(rng, mql, 40, 0.8), np.nan)
    rejected = is_mql & ~is_sal & (sal_draw < 0.9)
    is_sql = is_sal & (rng.random(n) < 0.5)
    sql = np.where(is_sql, _offsets(rng, sal, 120, 0.7), np.nan)
    is_opp = is_sql & (rng.random(n) < 0.8)
    opportunity = np.where(is_opp, _offsets(rng, sql, 72, 0.6), np.nan)
    lost_later = is_sal & ~is_sql & (rng.random(n) < 0.3)
    disqualified = np.where(rejected, _offsets(rng, mql, 30, 0.8),
                            np.where(lost_later, _offsets(rng, sal, 300, 0.6), np.nan))
    dq_reason = np.where(np.isnan(disqualified), None, _pick(rng, DQ_REASONS, (5, 3, 2, 1, 1, 1), n))
    dq_reason = np.where(dq_reason == "", None, dq_reason)
    recycle = ~is_mql & (rng.random(n) < 0.05)
    recycled = np.where(recycle, _offsets(rng, created, 24 * 60, 0.5), np.nan)
    # a quarter of opportunity dates were never written down: the deal tells (SPEC 1)
    opportunity_recorded = np.where(rng.random(n) < 0.75, opportunity, np.nan)
    # a few stage dates are skipped: inferred from the next one
    sal_recorded = np.where(rng.random(n) < 0.97, sal, np.nan)

    campaign = np.where(rng.random(n) < 0.4, rng.integers(1, N_CAMPAIGNS + 1, n), 0)
    owner = np.where(is_mql, SDR_IDS[rng.integers(0, len(SDR_IDS), n)], 0)
    leads = pd.DataFrame({
        "id": ids,
        "external_id": "bench-lead-" + pd.Series(ids).astype(str),
        "contact_id": ids,
        "created_at": _stamp(created),
        "source": _pick(rng, SOURCES, SOURCE_SHARES, n),
        "campaign_id": _optional(campaign),
        "segment": _pick(rng, SEGMENTS, SEGMENT_SHARES, n),
        "owner_id": _optional(owner),
        "mql_at": _stamp(mql),
        "assigned_at": _stamp(assigned),
        "sal_at": _stamp(sal_recorded),
        "sql_at": _stamp(sql),
        "opportunity_at": _stamp(opportunity_recorded),
        "disqualified_at": _stamp(disqualified),
        "disqualified_reason": dq_reason,
        "recycled_at": _stamp(recycled),
        "recycled_reason": np.where(np.isnan(recycled), None, _pick(rng, RECYCLE_REASONS, (2, 1), n)),
        "first_touch_at": _stamp(np.where(rng.random(n) < 0.8, first_touch, np.nan)),
    })
    leads = leads[leads["created_at"].notna()].reset_index(drop=True)

    # deals: one per opportunity; created at the opportunity date
    deal_lead = np.flatnonzero(is_opp & (opportunity <= span))
    m = len(deal_lead)
    deal_created = opportunity[deal_lead]
    closes = rng.random(m) < 0.8
    closed = np.where(closes, _offsets(rng, deal_created, 24 * 45, 0.6), np.nan)
    closed = np.where(closed <= span, closed, np.nan)
    won = rng.random(m) < 0.33
    is_closed = ~np.isnan(closed)
    amount = np.round(rng.lognormal(np.log(12000), 0.8, m), 2)
    deal_ids = np.arange(1, m + 1)
    deals = pd.DataFrame({
        "id": deal_ids,
        "external_id": "bench-deal-" + pd.Series(deal_ids).astype(str),
        "lead_id": deal_lead + 1,
        "contact_id": deal_lead + 1,
        "owner_id": AE_IDS[rng.integers(0, len(AE_IDS), m)],
        "name": "Deal " + pd.Series(deal_ids).astype(str),
        "pipeline": "New business",
        "stage": np.where(is_closed, np.where(won, "closed_won", "closed_lost"),
                          _pick(rng, ("discovery", "proposal", "negotiation"), (3, 2, 1), m)),
        "amount": amount,
        "currency": "EUR",
        "created_at": _stamp(deal_created),
        "expected_close_on": _stamp(deal_created + 60 * DAY).astype("datetime64[D]"),
        "closed_at": _stamp(closed),
        "is_won": pd.Series(won, dtype="boolean").where(is_closed),
        "lost_reason": np.where(is_closed & ~won, _pick(rng, LOST_REASONS, (3, 2, 2, 1), m), None),
        "probability": pd.array(np.where(is_closed, won.astype(float), np.round(rng.random(m) * 0.8, 2))),
    })

    # activities: sales touches on MQLs (the first at first_touch), marketing engagements on leads
    mqls = np.flatnonzero(is_mql)
    per_mql = rng.poisson(4.0, len(mqls))
    sales_lead = np.repeat(mqls, per_mql)
    start = np.where(np.isnan(first_touch), mql, first_touch)[sales_lead]
    sales_at = start + rng.exponential(5 * DAY, len(sales_lead)) * (rng.random(len(sales_lead)) > 0.2)
    marketing_lead = rng.integers(0, n, int(2.6 * n))
    marketing_at = created[marketing_lead] + rng.normal(0, 10 * DAY, len(marketing_lead))
    lead_of = np.concatenate([sales_lead, marketing_lead])
    occurred = np.concatenate([sales_at, np.clip(marketing_at, 0, None)])
    keep = occurred <= span
    lead_of, occurred = lead_of[keep], occurred[keep]
    is_sales = np.arange(len(keep))[keep] < len(sales_lead)
    order = np.argsort(occurred, kind="stable")
    lead_of, occurred, is_sales = lead_of[order], occurred[order], is_sales[order]
    k = len(lead_of)
    activity_ids = np.arange(1, k + 1)
    sales_owner = owner[lead_of]
    activities = pd.DataFrame({
        "id": activity_ids,
        "external_id": "bench-activity-" + pd.Series(activity_ids).astype(str),
        "lead_id": lead_of + 1,
        "contact_id": lead_of + 1,
        "owner_id": _optional(np.where(is_sales, sales_owner, 0)),
        "team": np.where(is_sales, "sales", "marketing"),
        "type": np.where(is_sales, _pick(rng, SALES_TYPES, (3, 5, 1), k), _pick(rng, MARKETING_TYPES, (6, 2, 1, 3), k)),
        "detail": None,
        "occurred_at": _stamp(occurred),
    })

    contacts = pd.DataFrame({
        "id": ids,
        "external_id": "bench-contact-" + pd.Series(ids).astype(str),
        "email": "person" + pd.Series(ids).astype(str) + "@example.com",
        "name": "Person " + pd.Series(ids).astype(str),
        "company": "Company " + pd.Series(rng.integers(1, max(2, n // 4), n)).astype(str),
        "country": _pick(rng, ("FI", "SE", "NO", "DK", "EE"), (3, 3, 2, 2, 1), n),
        "segment": leads["segment"].reindex(range(n)).to_numpy(),
        "created_at": _stamp(created),
        "owner_id": None,
        "updated_at": _stamp(created),
    })
    first_day = (NOW - HISTORY).date()
    campaign_ids = np.arange(1, N_CAMPAIGNS + 1)
    campaigns = pd.DataFrame({
        "id": campaign_ids,
        "external_id": "bench-campaign-" + pd.Series(campaign_ids).astype(str),
        "name": "Campaign " + pd.Series(campaign_ids).astype(str),
        "channel": _pick(rng, ("events", "paid_social", "webinar", "email"), (1, 1, 1, 1), N_CAMPAIGNS),
        "started_on": [first_day + dt.timedelta(days=int(d)) for d in rng.integers(0, 700, N_CAMPAIGNS)],
        "ended_on": None,
        "cost": np.round(rng.uniform(1000, 20000, N_CAMPAIGNS) * n / 100_000, 2),
        "currency": "EUR",
    })
    owners = pd.DataFrame({
        "id": np.arange(1, len(OWNERS) + 1),
        "external_id": [f"bench-owner-{i}" for i in range(1, len(OWNERS) + 1)],
        "name": [name for _team, name in OWNERS],
        "email": [f"owner{i}@example.com" for i in range(1, len(OWNERS) + 1)],
        "team": [team for team, _name in OWNERS],
        "active": True,
    })
    written = NOW.tz_localize(None).to_datetime64().astype("datetime64[us]")
    for frame in (leads, deals, activities):
        frame["updated_at"] = written
    return {"owners": owners, "campaigns": campaigns, "contacts": contacts, "leads": leads,
            "deals": deals, "activities": activities}


TABLE_ORDER = ("owners", "campaigns", "contacts", "leads", "deals", "activities")


def _text_timestamps(column: pd.Series) -> pd.Series:
    """datetime64[us] as SQLAlchemy's SQLite text ('YYYY-MM-DD HH:MM:SS.ffffff'), None for NaT."""
    values = np.datetime_as_string(column.to_numpy().astype("datetime64[us]"), unit="us").astype("U26")
    chars = values.view(np.uint32).reshape(len(values), 26)
    chars[:, 10] = ord(" ")
    out = pd.Series(values, index=column.index, dtype=object)
    out[column.isna().to_numpy()] = None
    return out


def _rows_for_sqlite(frame: pd.DataFrame) -> list[tuple]:
    columns = {}
    for name in frame.columns:
        column = frame[name]
        if name == "expected_close_on":
            text = pd.Series(column.to_numpy().astype("datetime64[D]").astype(str), index=column.index, dtype=object)
            columns[name] = text.where(column.notna(), None)
        elif pd.api.types.is_datetime64_any_dtype(column):
            columns[name] = _text_timestamps(column)
        else:
            columns[name] = column.astype(object).where(column.notna(), None)
    return list(zip(*(columns[name].tolist() for name in frame.columns)))


def _fresh_schema(url: str) -> None:
    from queries.db import init_db

    init_db(url)


def sqlite_database(n_leads: int, seed: int = 7, tables: dict | None = None, log=print) -> str:
    """The URL of a SQLite file with the benchmark data for this size and seed (made once)."""
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    path = DATA_DIR / f"bench-{size_label(n_leads)}-s{seed}.db"
    url = f"sqlite:///{path}"
    if path.exists():
        with sqlite3.connect(path) as connection:
            if connection.execute("SELECT 1 FROM sqlite_master WHERE name = 'bench_made'").fetchone():
                return url
        path.unlink()
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    tables = tables or generate(n_leads, seed)
    started = time.perf_counter()
    _fresh_schema(url)
    from queries.db import get_engine

    get_engine(url).dispose()
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA synchronous = OFF")
    for table in TABLE_ORDER:
        frame = tables[table]
        placeholders = ", ".join("?" for _ in frame.columns)
        statement = f"INSERT INTO {table} ({', '.join(frame.columns)}) VALUES ({placeholders})"
        for start in range(0, len(frame), 500_000):
            connection.executemany(statement, _rows_for_sqlite(frame.iloc[start:start + 500_000]))
            connection.commit()
    connection.execute("CREATE TABLE bench_made (n_leads INTEGER, seed INTEGER)")
    connection.execute("INSERT INTO bench_made VALUES (?, ?)", (n_leads, seed))
    connection.commit()
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.execute("ANALYZE")
    connection.close()
    log(f"  sqlite {size_label(n_leads)}: written in {time.perf_counter() - started:.1f} s")
    return url


def _csv_for_copy(frame: pd.DataFrame) -> str:
    out = frame.copy()
    for name in out.columns:
        if name == "expected_close_on":
            out[name] = out[name].dt.strftime("%Y-%m-%d")
        elif pd.api.types.is_datetime64_any_dtype(out[name]):
            out[name] = _text_timestamps(out[name])
    buffer = io.StringIO()
    out.to_csv(buffer, index=False, header=False, na_rep="")
    return buffer.getvalue()


def postgresql_database(n_leads: int, seed: int, server_url: str, tables: dict | None = None, log=print) -> str:
    """The URL of a PostgreSQL database with the benchmark data for this size and seed (made
    once, through COPY)."""
    from sqlalchemy import create_engine, text

    from queries.db import get_engine

    name = f"bench_{size_label(n_leads).lower()}_s{seed}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    url = admin.url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        exists = connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar()
    if exists:
        engine = create_engine(url)
        with engine.connect() as connection:
            made = connection.execute(text("SELECT to_regclass('bench_made')")).scalar()
        engine.dispose()
        if made:
            admin.dispose()
            return url
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE {name} WITH (FORCE)"))
    with admin.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    tables = tables or generate(n_leads, seed)
    started = time.perf_counter()
    _fresh_schema(url)
    engine = get_engine(url)
    raw = engine.raw_connection()
    try:
        cursor = raw.driver_connection.cursor()
        for table in TABLE_ORDER:
            frame = tables[table]
            for start in range(0, len(frame), 500_000):
                payload = _csv_for_copy(frame.iloc[start:start + 500_000])
                with cursor.copy(f"COPY {table} ({', '.join(frame.columns)}) FROM STDIN WITH (FORMAT csv)") as copy:
                    copy.write(payload)
        for table in TABLE_ORDER:
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        cursor.execute("CREATE TABLE bench_made (n_leads INTEGER, seed INTEGER)")
        cursor.execute("INSERT INTO bench_made VALUES (%s, %s)", (n_leads, seed))
        raw.driver_connection.commit()
        raw.driver_connection.autocommit = True
        for table in TABLE_ORDER:
            cursor.execute(f"VACUUM ANALYZE {table}")
    finally:
        raw.close()
    engine.dispose()
    log(f"  postgresql {size_label(n_leads)}: written in {time.perf_counter() - started:.1f} s")
    return url
