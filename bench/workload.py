"""One benchmark process for one database: run as `python -m bench.workload URL OUT.json`.

It plays a dashboard server on that database and writes what it measured:

- `first_load_s`: every record read from the database (`dataset_for`, nothing cached);
- `pages`: the server time of each page's callbacks after each filter change, called as
  the plain functions Dash calls (the request context of a real app around them);
- `kpis_year_by_week_s`, `export_month_s` (the monthly pack's report and XLSX workbook);
- `refresh_s`: `dataset_for` after 1 % of leads, deals and activities were written, 0.1 %
  new leads inserted and the previous run's new leads deleted; `refresh_equal` says whether
  the refreshed records equal a full load; `unchanged_check_s`: the same call when nothing
  changed (what a wall screen pays every `cache_seconds`);
- `in_database_s`: counts and conversions for a year by week aggregated inside the database
  (`queries.aggregates`) against `in_memory_s`, the same figures from the in-memory engine;
- `peak_rss_mb`: the process's peak resident memory, read last.

A process measures one database so that its peak memory is its own.
"""
from __future__ import annotations

import datetime as dt
import json
import resource
import statistics
import sys
import time

import numpy as np
import pandas as pd

from bench.generate import NOW

AS_OF = NOW
TODAY = AS_OF.tz_convert("Europe/Helsinki").date()

# Each page's callbacks: (module, function, extra arguments after the filter state).
PAGES = {
    "scoreboard": [("scoreboard", "update_scoreboard", ())],
    "funnel": [("funnel", "update_summary", ()), ("funnel", "update_conversion", ("cohort",)),
               ("funnel", "update_details", ())],
    "marketing": [("marketing", "update_marketing", ())],
    "sales": [("sales", "update_response", ()), ("sales", "update_periods", ())],
    "closed-loop": [("closed_loop", "update_loop", ("campaign",))],
    "leads": [("leads", "update_leads", (None,))],
    "data-quality": [("quality", "update_quality", ())],
}


def filter_states(options: dict) -> list[dict]:
    """A sequence of filter changes a person makes: grain, range, segment, source, owner, team."""
    sources, segments = options["sources"], options["segments"]
    owners = [o["id"] for o in options["owners"] if o["team"] == "sdr"]
    quarter_start = (pd.Timestamp(TODAY) - pd.DateOffset(months=3)).date().isoformat()
    return [
        {"grain": "week"},
        {"grain": "month"},
        {"grain": "week", "segments": segments[:1]},
        {"grain": "week", "sources": sources[:2]},
        {"grain": "day", "start": quarter_start, "end": TODAY.isoformat()},
        {"grain": "week", "owner_ids": owners[:1]},
        {"grain": "month", "teams": ["sdr"], "segments": segments[-1:]},
        {"grain": "quarter"},
    ]


def _timed(function, *args, **kwargs):
    started = time.perf_counter()
    result = function(*args, **kwargs)
    return time.perf_counter() - started, result


def _percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q)) if values else float("nan")


def measure_pages(app, settings, repeats: int) -> dict:
    """Per page: every callback's time after each filter change, with p50 and p95 of the page
    (its callbacks summed: Dash answers them as one page update)."""
    from dashboard.data import filter_options

    pages = {name: [] for name in PAGES}
    modules = {name: sys.modules[f"pages.{name}"] for name in {m for cbs in PAGES.values() for m, _f, _a in cbs}}
    states = filter_states(filter_options(settings))
    with app.server.test_request_context():
        for _ in range(repeats):
            for state in states:
                for page, callbacks in PAGES.items():
                    total = 0.0
                    for module, function, extra in callbacks:
                        seconds, _body = _timed(getattr(modules[module], function), state, *extra)
                        total += seconds
                    pages[page].append(total)
    return {page: {"p50_ms": 1000 * _percentile(t, 50), "p95_ms": 1000 * _percentile(t, 95),
                   "max_ms": 1000 * max(t), "samples": len(t)} for page, t in pages.items()}


def change_one_percent(engine, run: int) -> dict:
    """Write 1 % of leads, deals and activities (a stage date set again, stamped now), insert
    0.1 % new leads and delete the ones the previous run inserted."""
    from sqlalchemy import delete, func, insert, select, update

    from queries.schema import Activity, Deal, Lead, utcnow

    now = utcnow()
    with engine.begin() as connection:
        n_leads = connection.execute(select(func.count(Lead.id))).scalar_one()
        max_id = connection.execute(select(func.max(Lead.id))).scalar_one()
        removed = connection.execute(delete(Lead.__table__).where(Lead.external_id.like("bench-extra-%"))).rowcount
        for model in (Lead, Deal, Activity):
            connection.execute(update(model.__table__).where(model.id % 100 == run % 100).values(updated_at=now))
        extra = max(1, n_leads // 1000)
        created = AS_OF.to_pydatetime() - dt.timedelta(hours=3)
        connection.execute(insert(Lead.__table__), [
            {"id": max_id + 1 + i, "external_id": f"bench-extra-{run}-{i}", "created_at": created,
             "source": "webinar", "segment": "SMB", "updated_at": now}
            for i in range(extra)
        ])
    return {"updated_share": 0.01, "inserted": extra, "deleted": removed}


def measure(url: str, repeats: int = 2, run: int = 1) -> dict:
    from dashboard.application import create_app
    from dashboard.cache import Cache
    from dashboard.data import dataset_for
    from dashboard.export.pack import build_pack
    from dashboard.metrics.kpis import compute_kpis, kpi_table, periods_for
    from dashboard.reports.context import ReportContext
    from dashboard.settings import Settings
    from queries.aggregates import funnel_in_database
    from queries.db import get_engine
    from queries.loaders import load_dataset, load_unresolved_references

    settings = Settings(database_url=url, as_of=AS_OF, cache_seconds=0)
    engine = get_engine(settings.database_url)
    agreement = settings.agreement()
    results: dict = {"url": engine.url.render_as_string(hide_password=True)}
    cache = Cache()  # this process's records, as a server without a cache folder keeps them

    results["first_load_s"], dataset = _timed(dataset_for, settings, cache=cache)
    results["rows"] = {t: len(getattr(dataset, t)) for t in ("leads", "deals", "activities")}
    app = create_app(settings)
    results["pages"] = measure_pages(app, settings, repeats)

    start = (pd.Timestamp(TODAY) - pd.DateOffset(years=1)).date()
    kpis = [_timed(compute_kpis, dataset, agreement, "week", start, TODAY, AS_OF)[0] for _ in range(repeats + 1)]
    results["kpis_year_by_week_s"] = statistics.median(kpis)
    month = (pd.Timestamp(TODAY).to_period("M") - 1).start_time
    unresolved = load_unresolved_references(engine)
    exports = [_timed(lambda: build_pack(ReportContext(dataset, agreement, AS_OF), month, unresolved, ("xlsx",)))[0]
               for _ in range(repeats)]
    results["export_month_s"] = statistics.median(exports)

    periods = periods_for("week", start, TODAY)
    results["in_memory_s"] = statistics.median(
        _timed(kpi_table, dataset, agreement, "week", periods, AS_OF)[0] for _ in range(repeats + 1))
    results["in_database_s"] = statistics.median(
        _timed(funnel_in_database, engine, "week", periods, agreement.tz, AS_OF, Filters_empty(),
               agreement.currency, agreement.exchange_rates)[0] for _ in range(repeats))

    results["unchanged_check_s"] = _timed(dataset_for, settings, cache=cache)[0]
    results["change"] = change_one_percent(engine, run)
    results["refresh_s"], refreshed = _timed(dataset_for, settings, cache=cache)
    # the server's peak: read before the check below loads everything a second time
    results["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    full = load_dataset(engine)
    results["refresh_equal"] = all(getattr(refreshed, t).equals(getattr(full, t)) for t in ("leads", "deals", "activities"))
    return results


def Filters_empty():  # noqa: N802 (kept next to its one use)
    from queries.loaders import Filters

    return Filters()


def main(argv: list[str]) -> None:
    url, out = argv[0], argv[1]
    repeats = int(argv[2]) if len(argv) > 2 else 2
    run = int(argv[3]) if len(argv) > 3 else 1
    with open(out, "w") as file:
        json.dump(measure(url, repeats, run), file, indent=2, default=float)


if __name__ == "__main__":
    main(sys.argv[1:])
