"""The same records in SQLite, PostgreSQL and MariaDB give identical `kpis` output."""
from __future__ import annotations

import datetime as dt

import pytest

from dashboard.demo import generate_demo
from dashboard.metrics.kpis import compute_kpis
from queries.db import init_db
from queries.loaders import Filters, load_dataset
from tests.agreements import frozen_agreement
from tests.demo_fixture import AS_OF

TODAY = dt.date(2026, 11, 20)


@pytest.fixture(scope="module")
def sqlite_reference(tmp_path_factory):
    """The kpis of a small demo set on SQLite, the reference the servers must match."""
    engine = init_db(f"sqlite:///{tmp_path_factory.mktemp('ref')}/ref.db")
    generate_demo(engine, seed=11, today=TODAY, n_leads=400)
    return _figures(engine)


def _figures(engine) -> dict:
    agreement = frozen_agreement()
    figures = {}
    for grain, start in (("day", dt.date(2026, 11, 9)), ("week", dt.date(2026, 9, 1)),
                         ("month", dt.date(2026, 1, 1)), ("quarter", dt.date(2025, 1, 1))):
        figures[grain] = compute_kpis(load_dataset(engine, AS_OF), agreement, grain, start, TODAY, AS_OF)
    figures["segment"] = compute_kpis(load_dataset(engine, AS_OF, Filters(segments=("SMB",))), agreement, "month",
                                      dt.date(2026, 6, 1), TODAY, AS_OF)
    return figures


def test_kpis_identical_on_every_database(db_url, sqlite_reference):
    engine = init_db(db_url)
    generate_demo(engine, seed=11, today=TODAY, n_leads=400)
    figures = _figures(engine)
    assert figures["month"][-1]["leads"] > 0  # the comparison is about real figures
    for grain, rows in sqlite_reference.items():
        assert figures[grain] == rows, grain
