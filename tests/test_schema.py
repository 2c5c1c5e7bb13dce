"""The schema on every database: migrations, case-sensitive external ids, exact timestamps."""
from __future__ import annotations

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from queries.db import init_db, schema_is_current
from queries.schema import Base, Lead, Owner
from tests.factories import t


def test_init_db_creates_every_table_and_is_idempotent(db_url):
    engine = init_db(db_url)
    init_db(db_url)
    assert schema_is_current(engine)
    tables = set(inspect(engine).get_table_names())
    assert set(Base.metadata.tables) | {"alembic_version"} <= tables
    indexed = {tuple(ix["column_names"]) for ix in inspect(engine).get_indexes("leads")}
    for column in ("created_at", "mql_at", "sal_at", "sql_at", "owner_id", "campaign_id", "contact_id"):
        assert (column,) in indexed, column


def test_external_ids_are_case_sensitive_and_timestamps_keep_microseconds(db_url):
    """'ab' and 'AB' are two records on every database; a timestamp comes back to the
    microsecond and in UTC."""
    engine = init_db(db_url)
    stamp = t("2026-11-20 15:30:12.345678")
    with Session(engine) as session:
        session.add_all([Owner(external_id="ab", name="A"), Owner(external_id="AB", name="B")])
        session.add(Lead(external_id="l", created_at=stamp))
        session.commit()
    with engine.connect() as connection:
        assert sorted(connection.scalars(select(Owner.external_id))) == ["AB", "ab"]
        assert connection.scalar(select(Lead.created_at)) == stamp.to_pydatetime()
