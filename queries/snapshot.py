"""A dataset and its load mark as bytes that cannot run code when read: Arrow IPC streams of
the six frames after a small JSON header. The shared cache keeps them, so a worker starts from
what a sibling loaded and a restart from what the last run loaded, then reads only what
changed since (`queries.refresh`). Bytes of another format, schema revision or pandas version
are ignored.
"""
from __future__ import annotations

import datetime as dt
import io
import json
from typing import NamedTuple

import pandas as pd
import pyarrow as pa

from queries.loaders import Dataset
from queries.refresh import LoadMark

FORMAT = 4  # 1 was a pickle; 2 had no campaign_costs, 3 no recorded changes
FRAMES = ("leads", "deals", "activities", "owners", "campaigns", "campaign_costs", "changes")
_MAGIC = b"SMKD"


class Snapshot(NamedTuple):
    dataset: Dataset
    mark: LoadMark
    version: str | None  # the data version the records were read at


def _stamp(revision: str | None) -> list:
    return [FORMAT, revision, pd.__version__, pa.__version__]


def _frame_bytes(frame: pd.DataFrame) -> bytes:
    table = pa.Table.from_pandas(frame, preserve_index=True)
    sink = io.BytesIO()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue()


def encode_dataset(dataset: Dataset, mark: LoadMark, revision: str | None, version: str | None = None) -> bytes:
    """The dataset, its mark and the data version it was read at as one byte string."""
    parts = [_frame_bytes(getattr(dataset, name)) for name in FRAMES]
    header = {
        "stamp": _stamp(revision),
        "loaded_at": dataset.loaded_at.isoformat(),
        "mark": [[table, None if stamp is None else stamp.isoformat()] for table, stamp in mark.written],
        "sizes": [len(part) for part in parts],
        "version": version,
    }
    head = json.dumps(header).encode("utf-8")
    return b"".join([_MAGIC, len(head).to_bytes(4, "big"), head, *parts])


def decode_dataset(data: bytes, revision: str | None, version: str | None = None) -> Snapshot | None:
    """The snapshot in `data`, or None when it is of another kind or damaged. Given the data
    version the caller knows, bytes read at that very version need no schema check (the key
    they are kept under already carries the code's version)."""
    try:
        if data[:4] != _MAGIC:
            return None
        size = int.from_bytes(data[4:8], "big")
        header = json.loads(data[8:8 + size])
        current = version is not None and header.get("version") == version
        if not current and header["stamp"] != _stamp(revision):
            return None
        offset, frames = 8 + size, {}
        for name, length in zip(FRAMES, header["sizes"]):
            with pa.ipc.open_stream(pa.py_buffer(data[offset:offset + length])) as reader:
                frames[name] = reader.read_all().to_pandas()
            offset += length
        mark = LoadMark(tuple((table, None if stamp is None else dt.datetime.fromisoformat(stamp))
                              for table, stamp in header["mark"]))
        dataset = Dataset(**frames, loaded_at=dt.datetime.fromisoformat(header["loaded_at"]))
        return Snapshot(dataset, mark, header.get("version"))
    except (ValueError, KeyError, TypeError, pa.ArrowException):
        return None
