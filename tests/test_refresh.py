"""The incremental refresh gives exactly what a full load gives, after inserts, updates and
deletes, with and without filters, on SQLite, PostgreSQL and MariaDB."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from sqlalchemy import delete, insert, update
from sqlalchemy.orm import Session

from dashboard.metrics.kpis import compute_kpis
from queries.db import init_db
from queries.loaders import Filters, load_dataset
from queries.refresh import OVERLAP, load_marked, newest_writes, refresh
from queries.schema import Activity, Deal, Lead, Owner
from tests.agreements import frozen_agreement
from tests.factories import t

AS_OF = t("2026-11-20 12:00")
SMB = Filters(segments=("SMB",))


def _seed(engine) -> None:
    """Two owners; four November leads (1, 2 SMB; 3, 4 Enterprise), a deal on lead 1 and
    three activities."""
    with Session(engine) as session:
        session.add_all([
            Owner(id=1, external_id="o1", name="Aino", team="sdr"),
            Owner(id=2, external_id="o2", name="Johan", team="sales"),
        ])
        session.flush()
        session.add_all([
            Lead(id=1, external_id="l1", created_at=t("2026-11-02 09:00"), mql_at=t("2026-11-02 10:00"),
                 segment="SMB", source="webinar", owner_id=1),
            Lead(id=2, external_id="l2", created_at=t("2026-11-03 09:00"), segment="SMB", source="ads"),
            Lead(id=3, external_id="l3", created_at=t("2026-11-04 09:00"), mql_at=t("2026-11-04 12:00"),
                 segment="Enterprise", source="ads", owner_id=1),
            Lead(id=4, external_id="l4", created_at=t("2026-11-05 09:00"), segment="Enterprise"),
        ])
        session.flush()
        session.add(Deal(id=1, external_id="d1", lead_id=1, owner_id=2, created_at=t("2026-11-06 09:00"),
                         amount=1000, currency="EUR"))
        session.add_all([
            Activity(id=1, external_id="a1", lead_id=1, owner_id=1, team="sales", type="call",
                     occurred_at=t("2026-11-02 11:00")),
            Activity(id=2, external_id="a2", lead_id=3, owner_id=1, team="sales", type="call",
                     occurred_at=t("2026-11-04 13:00")),
            Activity(id=3, external_id="a3", lead_id=3, team="marketing", type="page_view",
                     occurred_at=t("2026-11-04 08:00")),
        ])
        session.commit()


def _change(engine) -> None:
    """One of each: a stage date set, a lead inserted, a lead deleted, a lead moved to SMB, a
    deal won, an activity deleted and one added."""
    with Session(engine) as session:
        session.get(Lead, 2).mql_at = t("2026-11-10 10:00")
        session.get(Lead, 3).segment = "SMB"
        session.add(Lead(id=5, external_id="l5", created_at=t("2026-11-12 09:00"), segment="SMB"))
        session.delete(session.get(Lead, 4))
        deal = session.get(Deal, 1)
        deal.closed_at, deal.is_won = t("2026-11-13 09:00"), True
        session.delete(session.get(Activity, 1))
        session.add(Activity(id=4, external_id="a4", lead_id=2, owner_id=1, team="sales", type="email",
                             occurred_at=t("2026-11-10 11:00")))
        session.commit()


def _same(refreshed, full) -> None:
    for table in ("leads", "deals", "activities", "owners", "campaigns"):
        pd.testing.assert_frame_equal(getattr(refreshed, table), getattr(full, table), obj=table)


def _november(dataset) -> dict:
    row = compute_kpis(dataset, frozen_agreement(), "month", dt.date(2026, 11, 1), dt.date(2026, 11, 1), AS_OF)[0]
    return {k: row[k] for k in ("leads", "mqls", "deals_won", "revenue_won", "response_pending")}


def test_refresh001_after_inserts_updates_and_deletes(db_url):
    """Leads 1, 2, 3, 5 remain; MQLs are 1, 2 and 3; the deal is won; activities 2, 4."""
    engine = init_db(db_url)
    _seed(engine)
    dataset, mark = load_marked(engine)
    assert _november(dataset) == {"leads": 4, "mqls": 2, "deals_won": 0, "revenue_won": 0.0, "response_pending": 0}
    _change(engine)

    refreshed, new_mark, report = refresh(engine, dataset, mark)
    _same(refreshed, load_dataset(engine))
    assert refreshed.leads["id"].tolist() == [1, 2, 3, 5]
    assert refreshed.activities["id"].tolist() == [2, 4]
    assert sorted(report.reconciled) == ["activities", "leads"]  # the deletions, found by the counts
    assert _november(refreshed) == {"leads": 4, "mqls": 3, "deals_won": 1, "revenue_won": 1000.0,
                                    "response_pending": 0}
    assert new_mark.of("leads") > mark.of("leads")


def test_refresh002_filtered_dataset_follows_a_lead_into_the_filter(db_url):
    """SMB before: leads 1, 2 (deal 1, activity 1). After: lead 3 moved in with its sales
    activity 2, lead 5 is new, activity 1 is gone, activity 4 belongs to lead 2."""
    engine = init_db(db_url)
    _seed(engine)
    dataset, mark = load_marked(engine, SMB)
    assert dataset.leads["id"].tolist() == [1, 2] and dataset.activities["id"].tolist() == [1]
    _change(engine)

    refreshed, _mark, _report = refresh(engine, dataset, mark, SMB)
    _same(refreshed, load_dataset(engine, None, SMB))
    assert refreshed.leads["id"].tolist() == [1, 2, 3, 5]
    assert refreshed.activities["id"].tolist() == [2, 4]
    assert refreshed.deals["id"].tolist() == [1]


def test_refresh003_writes_behind_the_write_times_are_found(db_url):
    """Raw SQL that leaves updated_at alone: an insert and a delete change the count (found
    by ids); an update stamped within OVERLAP before the mark is re-read."""
    engine = init_db(db_url)
    _seed(engine)
    dataset, mark = load_marked(engine)
    stamp = mark.of("leads") - OVERLAP / 2
    with engine.begin() as connection:
        connection.execute(delete(Activity).where(Activity.id == 2))
        connection.execute(insert(Lead.__table__).values(id=6, external_id="l6", created_at=t("2026-11-14 09:00"),
                                                         updated_at=None))
        connection.execute(delete(Lead.__table__).where(Lead.id == 2))
        connection.execute(update(Lead.__table__).where(Lead.id == 1).values(source="partner", updated_at=stamp))

    refreshed, _mark, report = refresh(engine, dataset, mark)
    _same(refreshed, load_dataset(engine))
    assert refreshed.leads["id"].tolist() == [1, 3, 4, 6]
    assert refreshed.leads.set_index("id").at[1, "source"] == "partner"
    assert sorted(report.reconciled) == ["activities", "leads"] and not report.full_reload


def test_refresh004_nothing_changed_reads_nothing_and_keeps_the_frames(db_url):
    engine = init_db(db_url)
    _seed(engine)
    dataset, mark = load_marked(engine)
    refreshed, new_mark, report = refresh(engine, dataset, mark, overlap=dt.timedelta(0))
    assert new_mark == mark and report.changed == {"leads": 0, "deals": 0, "activities": 0}
    assert new_mark == mark and report.reconciled == [] and not report.full_reload
    for table in ("leads", "deals", "activities"):
        assert getattr(refreshed, table) is getattr(dataset, table)


def test_refresh005_an_owner_changing_teams_reloads_a_team_filter(db_url):
    """Team filter 'sales': no lead belongs to Johan, so no deal goes with one (the team selects
    leads by their owner; Johan's own deal counts under a deal team filter); once Aino joins
    sales, leads 1 and 3 do."""
    engine = init_db(db_url)
    _seed(engine)
    sales = Filters(teams=("sales",))
    dataset, mark = load_marked(engine, sales)
    assert dataset.leads.empty and dataset.deals.empty
    assert load_dataset(engine, None, Filters(deal_teams=("sales",))).deals["id"].tolist() == [1]
    with engine.begin() as connection:
        connection.execute(update(Owner.__table__).where(Owner.id == 1).values(team="sales"))
    refreshed, _mark, report = refresh(engine, dataset, mark, sales)
    assert report.full_reload
    _same(refreshed, load_dataset(engine, None, sales))
    assert refreshed.leads["id"].tolist() == [1, 3]


def test_refresh006_dataset_for_refreshes_in_place_of_reloading(tmp_path, monkeypatch):
    """dataset_for reuses the cached frames while nothing changed and refreshes them after a
    write; the result equals a full load."""
    import dashboard.data as data
    from dashboard.cache import Cache
    from dashboard.settings import Settings

    url = f"sqlite:///{tmp_path}/cache.db"
    engine = init_db(url)
    _seed(engine)
    settings = Settings(database_url=url, as_of=AS_OF, cache_seconds=0)
    cache = Cache()
    first = data.dataset_for(settings, cache=cache)
    assert data.dataset_for(settings, cache=cache) is first
    calls = []
    monkeypatch.setattr(data, "refresh", lambda *a: calls.append(a) or refresh(*a))
    _change(engine)
    second = data.dataset_for(settings, cache=cache)
    assert len(calls) == 1
    _same(second, load_dataset(engine))


def test_refresh007_marks_follow_the_database_not_the_clock(db_url):
    engine = init_db(db_url)
    assert newest_writes(engine).written == (("leads", None), ("deals", None), ("activities", None))
    with engine.begin() as connection:
        connection.execute(insert(Lead.__table__).values(id=1, external_id="l1", created_at=t("2026-11-02 09:00"),
                                                         updated_at=t("2030-01-01 00:00")))
    assert newest_writes(engine).of("leads") == t("2030-01-01 00:00").to_pydatetime()


@pytest.mark.parametrize("filters", [
    SMB,
    Filters(sources=("ads",)),
    Filters(segments=("Enterprise",), sources=("ads",)),
    Filters(owner_ids=(1,)),
    Filters(owner_ids=(2,)),
    Filters(teams=("sales",)),
    Filters(teams=("sdr",)),
    Filters(campaign_ids=(7,)),
])
def test_refresh008_filters_cut_in_memory_equal_the_sql_filters(db_url, filters):
    from queries.loaders import filter_dataset

    engine = init_db(db_url)
    _seed(engine)
    _change(engine)
    _same(filter_dataset(load_dataset(engine), filters), load_dataset(engine, None, filters))


def test_refresh009_in_memory_cut_by_hand():
    """SMB after the changes: leads 1, 2, 3, 5; the deal of lead 1; activities 2 and 4 (the
    marketing one is not loaded). Owner 2 (Johan) owns no lead but deal 1."""
    from queries.loaders import filter_dataset
    from tests.factories import dataset

    data = dataset(
        [dict(id=1, created_at="2026-11-02 09:00", segment="SMB", owner_id=1),
         dict(id=2, created_at="2026-11-03 09:00", segment="Enterprise", owner_id=1),
         dict(id=3, created_at="2026-11-04 09:00", segment="SMB")],
        [dict(id=1, lead_id=1, owner_id=2, created_at="2026-11-06 09:00"),
         dict(id=2, lead_id=2, owner_id=1, created_at="2026-11-06 09:00"),
         dict(id=3, lead_id=None, owner_id=2, created_at="2026-11-06 09:00")],
        [dict(id=1, lead_id=1, occurred_at="2026-11-02 10:00"), dict(id=2, lead_id=2, occurred_at="2026-11-03 10:00")],
        owner_rows=[dict(id=1, name="Aino", team="sdr"), dict(id=2, name="Johan", team="sales")],
    )
    smb = filter_dataset(data, SMB)
    assert smb.leads["id"].tolist() == [1, 3] and smb.deals["id"].tolist() == [1]
    assert smb.activities["id"].tolist() == [1]
    sales = filter_dataset(data, Filters(teams=("sales",)))  # leads by their owner's team: none, nor their deals
    assert sales.leads.empty and sales.deals.empty and sales.activities.empty
    aino = filter_dataset(data, Filters(owner_ids=(1,)))  # Aino's leads 1 and 2 keep their deals, whoever owns them
    assert aino.leads["id"].tolist() == [1, 2] and aino.deals["id"].tolist() == [1, 2]
    johan_deals = filter_dataset(data, Filters(deal_teams=("sales",)))  # Johan's deals; every lead stays
    assert johan_deals.leads["id"].tolist() == [1, 2, 3] and johan_deals.deals["id"].tolist() == [1, 3]
    assert johan_deals.activities["id"].tolist() == [1, 2]
    assert filter_dataset(data, Filters(deal_owner_ids=(1,))).deals["id"].tolist() == [2]


def test_refresh010_a_restart_starts_from_the_snapshot(tmp_path, monkeypatch):
    """The first run keeps its records in the cache folder (Arrow IPC, not a pickle); after
    writes while it was down, the next run reads them and only what changed, and gets what a
    full load gets."""
    import dashboard.data as data
    from dashboard.cache import Cache
    from dashboard.settings import Settings
    from queries.db import schema_revision
    from queries.snapshot import decode_dataset

    url = f"sqlite:///{tmp_path}/snap.db"
    engine = init_db(url)
    _seed(engine)
    settings = Settings(database_url=url, as_of=AS_OF, cache_seconds=0, cache_dir=tmp_path / "cache")
    monkeypatch.setattr(data.threading, "Thread", _Immediate)
    first_run = Cache(settings.cache_dir)
    data.dataset_for(settings, cache=first_run)
    kept = first_run.read(data.records_key(url))
    assert decode_dataset(kept, schema_revision(engine)).dataset.leads["id"].tolist() == [1, 2, 3, 4]
    assert decode_dataset(kept, "another revision") is None
    first_run.close()

    _change(engine)
    loads = []
    monkeypatch.setattr(data, "load_marked", lambda *a: loads.append(a) or load_marked(*a))
    restarted = data.dataset_for(settings, cache=Cache(settings.cache_dir))  # the restart: a new process's cache
    assert loads == []  # nothing read in full
    _same(restarted, load_dataset(engine))


def test_refresh011_write_times_going_back_means_a_restored_backup(db_url):
    """A database whose newest write is older than the mark was replaced (or lost its newest
    row): read everything."""
    engine = init_db(db_url)
    _seed(engine)
    dataset, mark = load_marked(engine)
    with engine.begin() as connection:
        connection.execute(update(Lead.__table__).values(updated_at=t("2020-01-01 00:00"), source="restored"))
    refreshed, _mark, report = refresh(engine, dataset, mark)
    assert report.full_reload
    assert refreshed.leads["source"].tolist() == ["restored"] * 4


class _Immediate:
    """A stand-in for threading.Thread that runs its target at start()."""

    def __init__(self, target, args=(), **_kwargs):
        self.target, self.args = target, args

    def start(self):
        self.target(*self.args)
