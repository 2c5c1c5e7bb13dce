"""Small JSON files the dashboard keeps beside its data (users, wall links): read whole,
written whole through a temporary file and a rename, readable by the owner only.

A crash mid-write leaves the old file, never half a file; `read_json` raises `StoreError`
naming the file when it is not JSON of the expected shape.
"""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from queries.file_modes import private_folder


class StoreError(ValueError):
    """The file cannot be used; says which and why."""


def read_json(path: Path, default):
    """The file's content, or `default` when there is no file."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return default
    except OSError as error:
        raise StoreError(f"{path}: cannot be read ({error.strerror})") from error
    try:
        content = json.loads(text)
    except json.JSONDecodeError as error:
        raise StoreError(f"{path}: not JSON (line {error.lineno}: {error.msg})") from error
    if not isinstance(content, type(default)):
        raise StoreError(f"{path}: expected a JSON {type(default).__name__}")
    return content


def write_json(path: Path, content) -> None:
    """Replace the file with `content` in one step, mode 0600."""
    path = Path(path)
    private_folder(path.parent)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            json.dump(content, file, indent=2, sort_keys=True)
            file.write("\n")
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def modified(path: Path) -> int | None:
    """The file's modification time in ns (None when absent): the key of a reader's cache."""
    try:
        return Path(path).stat().st_mtime_ns
    except OSError:
        return None
