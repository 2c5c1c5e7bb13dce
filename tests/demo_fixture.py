"""A small demo database shared by the page and browser tests of one test process.

The clock is frozen: demo data up to noon of TODAY and every figure as of AS_OF, so what a
page shows can be compared with `kpis` for the same as_of.
"""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

TODAY = dt.date(2026, 11, 20)
AS_OF = pd.Timestamp("2026-11-20 12:00", tz="Europe/Helsinki").tz_convert("UTC")
DEMO_LEADS = 1500


@pytest.fixture(scope="session")
def demo_settings(tmp_path_factory):
    """Settings of a dashboard on a freshly generated demo database, frozen at AS_OF."""
    from dashboard.demo import generate_demo
    from dashboard.settings import Settings
    from queries.db import init_db

    path = tmp_path_factory.mktemp("demo") / "demo.db"
    engine = init_db(f"sqlite:///{path}")
    generate_demo(engine, seed=7, today=TODAY, n_leads=DEMO_LEADS)
    return Settings(database_url=f"sqlite:///{path}", as_of=AS_OF)


@pytest.fixture(scope="session")
def empty_settings(tmp_path_factory):
    """Settings of a dashboard on a database with the schema and no records."""
    from dashboard.settings import Settings
    from queries.db import init_db

    path = tmp_path_factory.mktemp("empty") / "empty.db"
    init_db(f"sqlite:///{path}")
    return Settings(database_url=f"sqlite:///{path}", as_of=AS_OF)


@pytest.fixture
def demo_app(demo_settings):
    """A dashboard app on the demo database (callbacks can be called inside its request context)."""
    from dashboard.application import create_app

    return create_app(demo_settings)
