"""Folders and files the service writes are its own: folders 0700, files 0600, whatever the umask.

The database file (and so SQLite's -wal and -shm, which take its mode), the caches, the snapshots,
the session store, the secret key and the users file all hold what only the dashboard should read:
pipeline figures, pickles that run code when loaded, password hashes.
"""
from __future__ import annotations

import os
from pathlib import Path

FOLDER_MODE = 0o700
FILE_MODE = 0o600


def private_folder(path: Path | str) -> Path:
    """Create `path` and any missing parent, each 0700 (folders that already exist are left as they are)."""
    path = Path(path)
    missing = []
    probe = path
    while not probe.exists():
        missing.append(probe)
        if probe.parent == probe:
            break
        probe = probe.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=FOLDER_MODE)
        except FileExistsError:
            continue  # made by another process meanwhile
        os.chmod(folder, FOLDER_MODE)  # mkdir's mode is filtered by the umask
    return path


def private_file(path: Path | str) -> Path:
    """Create `path` empty with mode 0600 when it does not exist (its folder as `private_folder`)."""
    path = Path(path)
    private_folder(path.parent)
    try:
        descriptor = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, FILE_MODE)
    except FileExistsError:
        return path
    os.close(descriptor)
    os.chmod(path, FILE_MODE)
    return path


def serve_privately() -> int:
    """Give this process (a server, and the workers it forks) the umask 0077, so that whatever it
    or a library writes (database, WAL, caches, locks, snapshots) is 0600 and its folders 0700.
    Returns the umask it replaced."""
    return os.umask(0o077)
