"""Shared fixtures: `db_url`, a fresh empty database on SQLite, PostgreSQL and MariaDB."""
from __future__ import annotations

import os
import uuid

import pytest
from sqlalchemy import create_engine, text

from queries.db import get_engine


def pytest_configure(config):
    """Tests never read or write this checkout's users, wall links or session key: each test
    process gets its own (absent) files, so a developer's own users don't lock the tests out."""
    import tempfile

    private = tempfile.mkdtemp(prefix="smarketing-access-")
    os.environ.pop("SESSIONS_PATH", None)  # the session store lives beside each test's own users file
    for name, file in (("USERS_PATH", "users.json"), ("WALL_TOKENS_PATH", "wall-tokens.json"),
                       ("SECRET_KEY_PATH", "secret.key")):
        os.environ[name] = os.path.join(private, file)

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
