"""The benchmark's data generator: consistent tables, nothing after its instant, and the
SQLite writer stores what the loaders read back."""
from __future__ import annotations

import pandas as pd

import bench.generate as generate
from queries.db import get_engine
from queries.loaders import load_dataset


def test_bench001_tables_are_consistent_and_end_at_now():
    tables = generate.generate(500, seed=3)
    leads, deals, activities = tables["leads"], tables["deals"], tables["activities"]
    assert len(leads) == 500 and leads["id"].is_unique and leads["id"].is_monotonic_increasing
    assert deals["lead_id"].isin(leads["id"]).all() and activities["lead_id"].isin(leads["id"]).all()
    now = generate.NOW.tz_localize(None)
    for frame, columns in ((leads, [c for c in leads if c.endswith("_at") and c != "updated_at"]),
                           (deals, ["created_at", "closed_at"]), (activities, ["occurred_at"])):
        for column in columns:
            assert (frame[column].dropna() <= now).all(), column
    closed = deals["closed_at"].notna()
    assert (deals.loc[closed, "is_won"].notna()).all() and deals.loc[~closed, "is_won"].isna().all()


def test_bench002_sqlite_round_trip(tmp_path, monkeypatch):
    monkeypatch.setattr(generate, "DATA_DIR", tmp_path)
    tables = generate.generate(300, seed=4)
    url = generate.sqlite_database(300, 4, tables, log=lambda _m: None)
    assert generate.sqlite_database(300, 4, log=lambda _m: None) == url  # made once, then reused
    data = load_dataset(get_engine(url))
    assert len(data.leads) == 300 and len(data.deals) == len(tables["deals"])
    assert len(data.activities) == int((tables["activities"]["team"] == "sales").sum())
    stored = data.leads.set_index("id")["mql_at"].dt.tz_localize(None)
    expected = tables["leads"].set_index("id")["mql_at"].astype("datetime64[ns]")
    pd.testing.assert_series_equal(stored, expected, check_names=False)
    get_engine(url).dispose()


def test_bench003_sizes_read_and_print_alike():
    assert [generate.parse_size(s) for s in ("100k", "1M", "5M", "2500")] == [100_000, 1_000_000, 5_000_000, 2500]
    assert [generate.size_label(n) for n in (100_000, 1_000_000, 2500)] == ["100k", "1M", "2500"]
