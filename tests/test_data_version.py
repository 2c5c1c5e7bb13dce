"""The data version: cheap to ask, and it changes with every write whoever makes it."""
from __future__ import annotations

import sqlite3

from sqlalchemy import func, select

from dashboard.importing.importer import import_csv
from queries.db import get_engine, init_db
from queries.loaders import data_version
from queries.schema import Activity, Campaign, CampaignCost, Deal, Lead, Owner


def _asked_table_by_table(engine) -> tuple:
    """The fingerprint worked out without any shortcut."""
    parts = []
    with engine.connect() as connection:
        for model, stamp in ((Lead, Lead.updated_at), (Deal, Deal.updated_at), (Activity, Activity.updated_at),
                             (Owner, None), (Campaign, None)):
            columns = [func.count(), func.max(model.id)] + ([func.max(stamp)] if stamp is not None else [])
            parts.append(tuple(connection.execute(select(*columns).select_from(model)).one()))
        parts.append(tuple(str(value) for value in connection.execute(select(
            func.count(CampaignCost.id), func.max(CampaignCost.id), func.sum(CampaignCost.amount),
            func.max(CampaignCost.period_end))).one()))
    return tuple(parts)


def test_the_version_follows_every_commit_and_stays_put_without_one(db_url, tmp_path):
    engine = init_db(db_url)
    empty = data_version(engine)
    assert empty == _asked_table_by_table(engine) == ((0, None, None),) * 3 + ((0, None),) * 2 + (("0",) + ("None",) * 3,)
    assert data_version(engine) == empty  # nothing committed: the same (from the watch on SQLite)

    leads = tmp_path / "leads.csv"
    leads.write_text("id,created_at\nL1,2026-11-02 09:00\nL2,2026-11-03 09:00\n", encoding="utf-8")
    import_csv(engine, "leads", leads)
    after = data_version(engine)
    assert after == _asked_table_by_table(engine) and after[0][:2] == (2, 2)

    if engine.dialect.name == "sqlite":  # a write by another process's connection, past SQLAlchemy
        raw = sqlite3.connect(engine.url.database)
        raw.execute("DELETE FROM leads WHERE external_id = 'L2'")
        raw.commit()
        raw.close()
        assert data_version(engine)[0][:2] == (1, 1)
    assert data_version(get_engine(db_url)) == _asked_table_by_table(engine)
