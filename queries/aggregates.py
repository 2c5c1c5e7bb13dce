"""The funnel counts, cohort conversions, acceptance and closed deals of `kpis`, computed
inside the database: only one row per period comes back (SPEC 1, 2, 3, 6, 7).

This is the path for data that does not fit one machine's memory (a warehouse behind its
SQLAlchemy dialect); the dashboard's pages use the in-memory engine, and the tests hold both
to the same figures. Everything is SQLAlchemy Core that SQLite, PostgreSQL and MariaDB all
run:

- effective stage dates (SPEC 1) are built one stage per nested select, from won back to
  lead, each the recorded date or else the earliest later one (`_earliest`: a CASE, since
  LEAST ignores NULLs on PostgreSQL but not on MariaDB or SQLite);
- periods are cut in the agreement's time zone by a CASE over the UTC instants at which the
  periods begin, computed here in Python (no database needs time zone tables);
- medians (the cohort maturity lag) are the middle rows of an ORDER BY ... LIMIT/OFFSET;
- the effective stages are written once into a temporary table that the dozen aggregations
  read (left to the planner, PostgreSQL evaluated the nested selects once per aggregation).
"""
from __future__ import annotations

import uuid

import numpy as np
import pandas as pd
from sqlalchemy import (
    Column,
    Engine,
    Integer,
    MetaData,
    Table,
    and_,
    case,
    false,
    func,
    insert,
    literal,
    or_,
    select,
    true,
)

from queries.epoch import epoch_micros
from queries.loaders import Filters, deals_query, leads_query, load_unrecorded
from queries.schema import UTCDateTime

STAGE_COLUMNS = {"lead": "created_at", "mql": "mql_at", "sal": "sal_at", "sql": "sql_at",
                 "opportunity": "opportunity_at"}
STAGES = ("lead", "mql", "sal", "sql", "opportunity", "won")  # dashboard.vocabulary.STAGES (tests check they agree)
FLOW_FIELDS = {"lead": "leads", "mql": "mqls", "sal": "sals", "sql": "sqls", "opportunity": "opportunities"}
CONVERSIONS = (("lead", "mql"), ("mql", "sql"), ("sql", "won"))
DAY = pd.Timedelta(days=1)


def _earliest(a, b):
    """The earlier of two instants, ignoring a missing one."""
    return case((a.is_(None), b), (b.is_(None), a), (a < b, a), else_=b)


def _instant(value) -> literal:
    return literal(pd.Timestamp(value).to_pydatetime(), UTCDateTime())


def _known(column, as_of):
    """A stage date as known at as_of: a later one has not happened yet."""
    return case((column <= _instant(as_of), column), else_=None)


def effective_stages_query(as_of: pd.Timestamp, filters: Filters = Filters()):
    """One row per lead created by as_of: id, disqualified_at and at_<stage> for every stage,
    as `stages.effective_stages(as_known_at(...))` computes them."""
    leads = leads_query(as_of, filters).subquery("leads_known")
    deals = deals_query(as_of, filters).subquery("deals_known")
    linked = deals.c.lead_id.is_not(None)
    first_deal = (select(deals.c.lead_id, func.min(deals.c.created_at).label("first_deal_at"))
                  .where(linked).group_by(deals.c.lead_id).subquery("first_deal"))
    won = and_(linked, deals.c.is_won == true(), deals.c.closed_at.is_not(None), deals.c.closed_at <= _instant(as_of))
    first_won = (select(deals.c.lead_id, func.min(deals.c.closed_at).label("won_at"))
                 .where(won).group_by(deals.c.lead_id).subquery("first_won"))
    recorded = (
        select(
            leads.c.id,
            _known(leads.c.disqualified_at, as_of).label("disqualified_at"),
            *(_known(leads.c[column], as_of).label(f"rec_{stage}") for stage, column in STAGE_COLUMNS.items()
              if stage != "opportunity"),
            func.coalesce(_known(leads.c.opportunity_at, as_of), first_deal.c.first_deal_at).label("rec_opportunity"),
            first_won.c.won_at.label("rec_won"),
        )
        .select_from(leads.outerjoin(first_deal, first_deal.c.lead_id == leads.c.id)
                     .outerjoin(first_won, first_won.c.lead_id == leads.c.id))
        .subquery("recorded")
    )
    # From won back to lead: at_<stage> = recorded, else the earliest later recorded date.
    current = recorded
    carried = ["id", "disqualified_at"] + [f"rec_{s}" for s in STAGES]
    current = select(*(current.c[c] for c in carried), current.c.rec_won.label("at_won"),
                     current.c.rec_won.label("later")).subquery("s_won")
    done = ["at_won"]
    for stage in ("opportunity", "sql", "sal", "mql", "lead"):
        rec = current.c[f"rec_{stage}"]
        current = select(
            *(current.c[c] for c in carried + done),
            func.coalesce(rec, current.c.later).label(f"at_{stage}"),
            _earliest(rec, current.c.later).label("later"),
        ).subquery(f"s_{stage}")
        done.append(f"at_{stage}")
    return select(current.c.id, current.c.disqualified_at, *(current.c[f"at_{s}"] for s in STAGES)).subquery("stages")


def _bounds(periods: pd.DatetimeIndex, grain: str, tz) -> list[pd.Timestamp]:
    """The UTC instants at which each period begins, then the one at which the last ends."""
    ends = {"day": pd.DateOffset(days=1), "week": pd.DateOffset(weeks=1), "month": pd.DateOffset(months=1),
            "quarter": pd.DateOffset(months=3)}
    name = getattr(tz, "key", None) or str(tz)
    starts = list(periods) + [periods[-1] + ends[grain]]
    return [pd.Timestamp(day).tz_localize(name, nonexistent="shift_forward", ambiguous=False).tz_convert("UTC")
            for day in starts]


def _period_of(column, bounds: list[pd.Timestamp]):
    """The index of the period an instant falls in (NULL outside them all)."""
    whens = [(column < _instant(bounds[0]), None)]
    whens += [(column < _instant(end), literal(i)) for i, end in enumerate(bounds[1:])]
    return case(*whens, else_=None)


def _in_range(column, bounds):
    return and_(column >= _instant(bounds[0]), column < _instant(bounds[-1]))


def _counts_by_period(connection, stages, column, bounds, *extra) -> pd.DataFrame:
    period = _period_of(stages.c[column], bounds).label("period")
    statement = (select(period, func.count().label("n"), *extra)
                 .where(_in_range(stages.c[column], bounds)).group_by(period))
    return pd.DataFrame(connection.execute(statement).all(), columns=["period", "n", *(e.name for e in extra)])


def _by_period(frame: pd.DataFrame, column: str, n_periods: int) -> np.ndarray:
    values = np.zeros(n_periods, dtype=np.int64)
    if len(frame):
        values[frame["period"].astype(int).to_numpy()] = frame[column].astype(np.int64).to_numpy()
    return values


def median_lag_days(connection, stages, from_stage: str, to_stage: str) -> float | None:
    """The median days from one stage to the next over every lead that reached both (SPEC 3)."""
    lag = (epoch_micros(stages.c[f"at_{to_stage}"]) - epoch_micros(stages.c[f"at_{from_stage}"])).label("lag")
    both = and_(stages.c[f"at_{to_stage}"].is_not(None), stages.c[f"at_{from_stage}"].is_not(None))
    n = connection.execute(select(func.count()).select_from(stages).where(both)).scalar_one()
    if not n:
        return None
    middle = connection.execute(
        select(lag).where(both).order_by(lag).limit(2 - n % 2).offset((n - 1) // 2)
    ).scalars().all()
    days = [pd.Timedelta(int(micros), "us") / DAY for micros in middle]
    return float(pd.Series(days).median())


def funnel_in_database(
    engine: Engine, grain: str, periods: pd.DatetimeIndex, tz, as_of: pd.Timestamp,
    filters: Filters = Filters(), currency: str = "EUR", exchange_rates: dict[str, float] | None = None,
) -> pd.DataFrame:
    """Per period: leads..opportunities, cohort conversions (rate, cohort, immature),
    acceptance, deals won and lost, revenue and win rate, all aggregated in the database."""
    as_of = pd.Timestamp(as_of)
    bounds = _bounds(periods, grain, tz)
    n = len(periods)
    table = pd.DataFrame(index=periods)
    with engine.connect() as connection:
        stages = _materialised(connection, effective_stages_query(as_of, filters))
        for stage, field in FLOW_FIELDS.items():
            table[field] = _by_period(_counts_by_period(connection, stages, f"at_{stage}", bounds), "n", n)

        ends = pd.DatetimeIndex(bounds[1:])
        since_end = (as_of - ends) / DAY
        for from_stage, to_stage in CONVERSIONS:
            reached = func.sum(case((stages.c[f"at_{to_stage}"].is_not(None), 1), else_=0)).label("reached")
            counts = _counts_by_period(connection, stages, f"at_{from_stage}", bounds, reached)
            cohort, converted = _by_period(counts, "n", n), _by_period(counts, "reached", n)
            name = f"conv_{from_stage}_{to_stage}"
            table[name] = np.where(cohort > 0, converted / np.where(cohort > 0, cohort, 1), np.nan)
            table[f"{name}_cohort"] = cohort
            lag = median_lag_days(connection, stages, from_stage, to_stage)
            table[f"{name}_immature"] = since_end < lag if lag is not None else np.zeros(n, dtype=bool)

        accepted = stages.c.at_sal.is_not(None)
        rejected = and_(stages.c.at_sal.is_(None), stages.c.disqualified_at.is_not(None))
        decisions = _counts_by_period(
            connection, stages, "at_mql", bounds,
            func.sum(case((accepted, 1), else_=0)).label("accepted"),
            func.sum(case((rejected, 1), else_=0)).label("rejected"),
        )
        accepted_n, rejected_n = _by_period(decisions, "accepted", n), _by_period(decisions, "rejected", n)
        decided = accepted_n + rejected_n
        table["acceptance_rate"] = np.where(decided > 0, accepted_n / np.where(decided > 0, decided, 1), np.nan)

        table = table.join(_closed_deals(connection, as_of, filters, bounds, periods, currency,
                                         exchange_rates or {}))
        stages.drop(connection)
        connection.commit()
    for rate in load_unrecorded(engine, as_of):  # what the source never records is null, as in memory
        if rate in table.columns:
            table[rate] = np.nan
    table.index.name = "period_start"
    return table


def _materialised(connection, stages) -> Table:
    """The effective stages written once into a temporary table of this connection: every
    aggregation below reads it instead of working the stages out again."""
    name = f"tmp_stages_{uuid.uuid4().hex[:12]}"
    columns = [Column("id", Integer), Column("disqualified_at", UTCDateTime())]
    columns += [Column(f"at_{stage}", UTCDateTime()) for stage in STAGES]
    table = Table(name, MetaData(), *columns, prefixes=["TEMPORARY"])
    table.create(connection)
    connection.execute(insert(table).from_select([c.name for c in columns], select(*(stages.c[c.name] for c in columns))))
    return table


def _closed_deals(connection, as_of, filters, bounds, periods, currency, exchange_rates) -> pd.DataFrame:
    deals = deals_query(as_of, filters).subquery("deals_closed")
    closed = and_(deals.c.closed_at.is_not(None), deals.c.closed_at <= _instant(as_of), deals.c.is_won.is_not(None))
    rate = case(
        (or_(deals.c.currency.is_(None), deals.c.currency == currency), literal(1.0)),
        *((deals.c.currency == code, literal(float(value))) for code, value in exchange_rates.items()),
        else_=None,
    )
    is_won = deals.c.is_won == true()
    period = _period_of(deals.c.closed_at, bounds).label("period")
    statement = (
        select(
            period,
            func.sum(case((is_won, 1), else_=0)).label("won"),
            func.sum(case((deals.c.is_won == false(), 1), else_=0)).label("lost"),
            func.sum(case((is_won, deals.c.amount * rate), else_=None)).label("revenue"),
        )
        .where(closed, _in_range(deals.c.closed_at, bounds))
        .group_by(period)
    )
    rows = pd.DataFrame(connection.execute(statement).all(), columns=["period", "won", "lost", "revenue"])
    n = len(periods)
    won, lost = _by_period(rows, "won", n), _by_period(rows, "lost", n)
    revenue = np.zeros(n)
    if len(rows):
        revenue[rows["period"].astype(int).to_numpy()] = pd.to_numeric(rows["revenue"]).fillna(0.0).to_numpy()
    decided = won + lost
    return pd.DataFrame({
        "deals_won": won, "deals_lost": lost, "revenue_won": np.round(revenue.astype(float), 2),
        "win_rate": np.where(decided > 0, won / np.where(decided > 0, decided, 1), np.nan),
    }, index=periods)
