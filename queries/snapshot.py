"""A dataset saved on local disk with its load mark, so that a restarted dashboard starts from
it and reads only what changed since (`queries.refresh`) instead of every record again.

One file per database URL, `<dir>/dataset-<hash of the URL>.pickle`, written whole (a
temporary file, then renamed). A file from another format, schema revision or pandas version
is ignored. The directory must be the dashboard's own: the file is a pickle, and loading a
pickle runs what it says.
"""
from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from pathlib import Path

import pandas as pd

from queries.loaders import Dataset
from queries.refresh import LoadMark

FORMAT = 1


def snapshot_path(directory: Path, database_url: str) -> Path:
    """Where the snapshot of this database lives."""
    digest = hashlib.sha256(database_url.encode()).hexdigest()[:16]
    return Path(directory) / f"dataset-{digest}.pickle"


def _stamp(revision: str | None) -> tuple:
    return (FORMAT, revision, pd.__version__)


def save_snapshot(path: Path, dataset: Dataset, mark: LoadMark, revision: str | None) -> None:
    """Write the dataset and its mark (after a full load or a refresh)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            pickle.dump((_stamp(revision), mark, dataset), file, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def load_snapshot(path: Path, revision: str | None) -> tuple[Dataset, LoadMark] | None:
    """The saved dataset and mark, or None when there is none or it is of another kind."""
    try:
        with open(path, "rb") as file:
            stamp, mark, dataset = pickle.load(file)
    except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError, ValueError, TypeError):
        return None
    if stamp != _stamp(revision) or not isinstance(dataset, Dataset) or not isinstance(mark, LoadMark):
        return None
    return dataset, mark
