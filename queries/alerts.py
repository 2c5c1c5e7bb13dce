"""The alerts' records in the database: deliveries claimed under a unique key in the transaction
that sends them, the pauses people set, and what the Admin page and /healthz read of them."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine, delete, func, insert, inspect, select, update
from sqlalchemy.exc import IntegrityError, OperationalError

from queries.schema import AlertBase, AlertDelivery, AlertPause, utcnow

SENT, FAILED, PAUSED = "sent", "failed", "paused"
SENDING = "sending"  # only ever seen inside the claiming transaction


@dataclass(frozen=True)
class Claim:
    """One event for one destination, as it will be recorded."""

    delivery_key: str
    rule_id: str
    kind: str
    event_key: str
    destination: str
    subject: str
    state: str | None = None


@dataclass(frozen=True)
class Outcome:
    """What a send came to: sent, or failed with the (secret-free) reason, after `attempts` tries."""

    status: str
    attempts: int
    error: str | None = None


def ensure_tables(engine: Engine) -> None:
    """The alert tables, where the migrations have not made them (a database of views)."""
    present = set(inspect(engine).get_table_names())
    if not set(AlertBase.metadata.tables) <= present:
        AlertBase.metadata.create_all(engine, checkfirst=True)


def recorded(engine: Engine, keys: list[str]) -> dict[str, str]:
    """The status recorded under each of these delivery keys (absent: never claimed)."""
    found: dict[str, str] = {}
    table = AlertDelivery.__table__
    with engine.connect() as connection:
        for start in range(0, len(keys), 500):
            chunk = keys[start:start + 500]
            rows = connection.execute(select(table.c.delivery_key, table.c.status)
                                      .where(table.c.delivery_key.in_(chunk)))
            found.update({key: status for key, status in rows})
    return found


def deliver_once(engine: Engine, claims: list[Claim], send: Callable[[], Outcome] | None,
                 now: dt.datetime | None = None) -> Outcome | None:
    """Claim every delivery of one message, send it, record the outcome, all in one transaction:
    a concurrent run claiming any of the same keys waits and then finds them taken, so nothing
    is sent twice. Returns None (nothing sent) when another run holds or has recorded any of
    them; `send` None records the claims as paused without sending."""
    table = AlertDelivery.__table__
    now = now or utcnow()
    before = recorded(engine, [claim.delivery_key for claim in claims])
    if any(status != FAILED for status in before.values()):
        return None
    try:
        with engine.begin() as connection:
            for claim in claims:
                if claim.delivery_key in before:  # failed before: try again, once more claimed
                    taken = connection.execute(
                        update(table).where(table.c.delivery_key == claim.delivery_key, table.c.status == FAILED)
                        .values(status=SENDING)).rowcount
                    if taken != 1:
                        raise _Taken()
                else:
                    connection.execute(insert(table).values(
                        delivery_key=claim.delivery_key, rule_id=claim.rule_id, kind=claim.kind,
                        event_key=claim.event_key, destination=claim.destination, state=claim.state,
                        subject=claim.subject[:300], status=SENDING, attempts=0, grouped=len(claims),
                        created_at=now))
            outcome = send() if send is not None else Outcome(PAUSED, 0)
            for claim in claims:
                connection.execute(update(table).where(table.c.delivery_key == claim.delivery_key).values(
                    status=outcome.status, attempts=table.c.attempts + outcome.attempts, error=outcome.error,
                    grouped=len(claims), sent_at=now if outcome.status == SENT else None))
    except (IntegrityError, OperationalError, _Taken):  # another run has them, or holds the lock
        return None
    return outcome


class _Taken(Exception):
    """A failed delivery another run re-claimed first."""


def last_state(engine: Engine, rule_id: str, event_prefix: str) -> tuple[str | None, int]:
    """The state the latest event of a rule starting with `event_prefix` announced, and how
    many such events there were (a pace rule's history for one commitment and period)."""
    table = AlertDelivery.__table__
    with engine.connect() as connection:
        rows = connection.execute(
            select(table.c.event_key, table.c.state, func.max(table.c.id).label("latest"))
            .where(table.c.rule_id == rule_id, table.c.event_key.startswith(event_prefix, autoescape=True))
            .group_by(table.c.event_key, table.c.state).order_by(func.max(table.c.id).desc())).all()
    return (rows[0].state if rows else None), len(rows)


def recent_deliveries(engine: Engine, limit: int = 50) -> pd.DataFrame:
    """The newest deliveries first: when, rule, destination, subject, status, attempts, error."""
    table = AlertDelivery.__table__
    statement = (select(table.c.created_at, table.c.sent_at, table.c.rule_id, table.c.kind, table.c.destination,
                        table.c.subject, table.c.status, table.c.attempts, table.c.grouped, table.c.error)
                 .order_by(table.c.id.desc()).limit(limit))
    with engine.connect() as connection:
        return pd.DataFrame(connection.execute(statement).mappings().all(),
                            columns=[c.name for c in statement.selected_columns])


def failure_summary(engine: Engine) -> dict:
    """How many deliveries stand failed now, the latest failure's time and reason, the latest send."""
    table = AlertDelivery.__table__
    with engine.connect() as connection:
        failed = connection.execute(select(func.count()).where(table.c.status == FAILED)).scalar_one()
        latest = connection.execute(select(table.c.created_at, table.c.destination, table.c.error)
                                    .where(table.c.status == FAILED).order_by(table.c.id.desc()).limit(1)).first()
        sent = connection.execute(select(func.max(table.c.sent_at))).scalar()
    return {
        "failed": int(failed),
        "last_failure_at": latest.created_at.isoformat() if latest else None,
        "last_failure": f"{latest.destination}: {latest.error}" if latest else None,
        "last_sent_at": sent.isoformat() if sent else None,
    }


def paused_addresses(engine: Engine, now: dt.datetime) -> set[str]:
    """The addresses whose alerts are paused at `now` (lower case)."""
    table = AlertPause.__table__
    with engine.connect() as connection:
        rows = connection.execute(select(table.c.address).where(
            (table.c.until.is_(None)) | (table.c.until > now))).scalars()
        return {address.lower() for address in rows}


def pauses(engine: Engine) -> pd.DataFrame:
    """Every pause: address, who set it, when, until when (null: until resumed)."""
    table = AlertPause.__table__
    statement = select(table.c.address, table.c.paused_by, table.c.paused_at, table.c.until).order_by(table.c.address)
    with engine.connect() as connection:
        return pd.DataFrame(connection.execute(statement).mappings().all(),
                            columns=["address", "paused_by", "paused_at", "until"])


def pause(engine: Engine, address: str, paused_by: str | None, until: dt.datetime | None = None) -> None:
    """Pause every alert to an address (replacing an earlier pause of it)."""
    table = AlertPause.__table__
    with engine.begin() as connection:
        connection.execute(delete(table).where(table.c.address == address.lower()))
        connection.execute(insert(table).values(address=address.lower(), paused_by=paused_by, paused_at=utcnow(),
                                                until=until))


def resume(engine: Engine, address: str) -> None:
    """Alerts to this address flow again from the next event on."""
    table = AlertPause.__table__
    with engine.begin() as connection:
        connection.execute(delete(table).where(table.c.address == address.lower()))
