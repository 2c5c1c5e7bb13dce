"""Shared fixtures: `db_url`, a fresh empty database on SQLite, PostgreSQL and MariaDB; and the
test process's environment, cleared of the developer's settings, on the frozen agreement."""
from __future__ import annotations

import os
import sys
import tempfile
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from queries.db import get_engine
from tests.agreements import AGREEMENT_PATH, SHIPPED_AGREEMENT_PATH, SHIPPED_GUARD

pytest_plugins = ["tests.demo_fixture", "tests.hostile_fixture"]  # their fixtures, for every test

BROWSER_TESTS = Path(__file__).resolve().parent / "browser"

# Every variable the settings, the command line, wsgi.py and gunicorn.conf.py read. A test
# that needs one sets it itself (monkeypatch.setenv, or the env of the process it starts).
CLEARED = ("AS_OF", "CACHE_SECONDS", "FIGURES_SECONDS", "WALL_PATH", "SECRET_KEY", "SESSION_HOURS",
           "SECURE_COOKIES", "PROXY_USER_HEADER", "TRUSTED_PROXIES", "HOST", "PORT", "WEB_CONCURRENCY",
           "THREADS", "SEED_DEMO", "SESSIONS_PATH")  # the session store lives beside each test's users file


def pytest_configure():
    """Nothing from the developer's environment or this checkout's data/ reaches a test: each
    test process gets its own (absent) users, wall links, session key, database and cache
    folder, the frozen agreement as SLA_PATH, and none of the other settings."""
    private = tempfile.mkdtemp(prefix="smarketing-tests-")
    for name in CLEARED:
        os.environ.pop(name, None)
    os.environ.update({
        "SLA_PATH": str(AGREEMENT_PATH),
        "DATABASE_URL": f"sqlite:///{private}/smarketing.db",
        "CACHE_DIR": os.path.join(private, "cache"),
        "USERS_PATH": os.path.join(private, "users.json"),
        "WALL_TOKENS_PATH": os.path.join(private, "wall-tokens.json"),
        "SECRET_KEY_PATH": os.path.join(private, "secret.key"),
    })
    sys.addaudithook(SHIPPED_GUARD.audit)


def pytest_collection_modifyitems(items):
    """Every test under tests/browser/ drives Chromium: marked `browser`, so that
    `pytest -m "not browser and not serving"` (make test-fast) leaves them out."""
    for item in items:
        if BROWSER_TESTS in item.path.parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(autouse=True)
def _no_test_reads_the_shipped_agreement():
    """Fails the test (at teardown) that opened data/sla.yaml, even if the error was caught."""
    yield
    if SHIPPED_GUARD.refused:
        refused, SHIPPED_GUARD.refused[:] = list(SHIPPED_GUARD.refused), []
        pytest.fail(f"opened the shipped agreement: {refused}")


@pytest.fixture
def shipped_agreement_path():
    """data/sla.yaml itself, for the one test that checks the file the teams edit."""
    with SHIPPED_GUARD.allowed():
        yield SHIPPED_AGREEMENT_PATH

# The servers the database matrix uses; each needs a database named `test` to connect to.
SERVER_URLS = {
    "postgresql": os.environ.get(
        "TEST_POSTGRESQL_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    ),
    "mariadb": os.environ.get("TEST_MARIADB_URL", "mysql+pymysql://root@127.0.0.1:3306/test"),
}


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def db_url(request, tmp_path):
    """A new empty database per test on each engine, dropped after; skips a server that is down."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/test.db"
        yield url
        get_engine(url).dispose()
        return

    server_url = SERVER_URLS[request.param]
    name = f"imp_{uuid.uuid4().hex}"
    admin = create_engine(
        server_url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3}
    )
    try:
        with admin.connect() as connection:
            connection.execute(text(f"CREATE DATABASE {name}"))
    except Exception as error:  # any failure to reach the server means: not available here
        admin.dispose()
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        pytest.skip(f"{request.param} not reachable at {admin.url.render_as_string()}: {reason}")

    url = admin.url.set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        get_engine(url).dispose()
        force = " WITH (FORCE)" if request.param == "postgresql" else ""
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {name}{force}"))
        admin.dispose()
