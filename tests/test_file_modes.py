"""Everything the service writes is its own: folders 0700, files 0600, whatever the umask says."""
from __future__ import annotations

import os
import stat

import pytest


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def open_umask():
    """A umask that would leave files world-readable and folders group-writable (as 0002 does)."""
    previous = os.umask(0o002)
    yield
    os.umask(previous)


def test_fm001_a_new_sqlite_database_and_its_wal_are_private(tmp_path, open_umask):
    from sqlalchemy import text

    from queries.db import get_engine, init_db

    path = tmp_path / "data" / "new.db"
    url = f"sqlite:///{path}"
    engine = init_db(url)
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO owners (external_id, name, active) VALUES ('o-1', 'Aino', 1)"))
    assert mode(path.parent) == 0o700
    assert mode(path) == 0o600
    assert mode(f"{path}-wal") == 0o600 and mode(f"{path}-shm") == 0o600
    get_engine(url).dispose()


def test_fm002_the_session_store_secret_key_and_users_file_are_private(tmp_path, open_umask):
    from dashboard.access import secret_key
    from dashboard.users import add_user

    add_user(tmp_path / "state" / "users.json", "ada", "correct horse battery", "admin")
    secret_key(tmp_path / "keys" / "secret.key")
    assert mode(tmp_path / "state") == 0o700 and mode(tmp_path / "keys") == 0o700
    assert mode(tmp_path / "state" / "users.json") == 0o600
    assert mode(tmp_path / "state" / "sessions.db") == 0o600
    assert mode(tmp_path / "keys" / "secret.key") == 0o600


def test_fm003_the_serving_process_writes_private_files(tmp_path, open_umask):
    """Caches, snapshots and anything a library writes for the server: the server's umask is 0077."""
    from queries.file_modes import serve_privately

    serve_privately()
    (tmp_path / "cache" / "figures").mkdir(parents=True)
    (tmp_path / "cache" / "figures" / "one.bin").write_bytes(b"x")
    assert mode(tmp_path / "cache") == 0o700 and mode(tmp_path / "cache" / "figures") == 0o700
    assert mode(tmp_path / "cache" / "figures" / "one.bin") == 0o600
