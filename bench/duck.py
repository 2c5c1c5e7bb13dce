"""The same figures by the dashboard's metric engine (pandas) and by DuckDB, from the same
in-memory inputs, each timed (median of `runs`) and checked equal.

Run as `python -m bench.duck URL OUT.json`. Both engines start from the records as the
dashboard holds them (loaded once, effective stage dates worked out once, SPEC 1), for a year
by week as of the benchmark's instant:

- `stage_counts_by_source`: leads, MQLs, SALs, SQLs and opportunities per week and source;
- `cohort_lead_mql`: the weekly lead cohorts and how many became MQLs (SPEC 3);
- `response_sla`: response SLA attainment per week in working hours: first touches from the
  activities, the working-hour clock from the agreement's calendar (SPEC 5).

DuckDB's own SQLite reader cannot be fetched here (no network but the package registries),
so the loading itself is not compared; DuckDB gets the frames copied into its own tables
first, outside the timing.
"""
from __future__ import annotations

import json
import statistics
import sys
import time

import duckdb
import numpy as np
import pandas as pd

from bench.workload import AS_OF, TODAY


def _median_time(function, runs: int):
    times, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def compare(url: str, runs: int = 5) -> dict:
    from dashboard.metrics import funnel, response
    from dashboard.metrics.calendar import WorkCalendar, local_midnight, period_end, period_of
    from dashboard.metrics.kpis import periods_for
    from dashboard.metrics.stages import AT, as_known_at, effective_stages
    from dashboard.settings import Settings
    from queries.db import get_engine
    from queries.loaders import load_dataset

    settings = Settings(database_url=url, as_of=AS_OF)
    agreement = settings.agreement()
    tz, tz_name = agreement.tz, agreement.timezone
    dataset = load_dataset(get_engine(settings.database_url))
    known = as_known_at(dataset, AS_OF)
    stages = effective_stages(known.leads, known.deals)
    activities = known.activities
    periods = periods_for("week", (pd.Timestamp(TODAY) - pd.DateOffset(years=1)).date(), TODAY)
    since, until = local_midnight(periods.min(), tz), local_midnight(period_end(periods.max(), "week"), tz)
    calendar = WorkCalendar.from_agreement(agreement)
    window = agreement.response_window_hours

    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'; SET threads = 2")
    columns = ["id", "source", "first_touch_at", *(AT[s] for s in ("lead", "mql", "sal", "sql", "opportunity"))]
    stage_frame = stages[columns]  # noqa: F841 (DuckDB reads the frames by their names in the SQL)
    sales = activities.loc[activities["team"] == "sales", ["lead_id", "occurred_at"]]  # noqa: F841
    connection.execute("CREATE TABLE stages AS SELECT * FROM stage_frame")
    connection.execute("CREATE TABLE activities AS SELECT * FROM sales")
    first_day = (pd.Timestamp(stages[AT["lead"]].min().tz_convert(tz_name).date()) - pd.DateOffset(months=1)).to_period("M").start_time
    last_day = (pd.Timestamp(AS_OF.tz_convert(tz_name).date()) + pd.DateOffset(months=2)).to_period("M").start_time
    days = calendar._build_day_table(first_day, last_day).reset_index(names="day")
    days["day"] = days["day"].dt.date
    connection.execute("CREATE TABLE days AS SELECT * FROM days")
    bounds = {"since": since.to_pydatetime(), "until": until.to_pydatetime()}

    results = {}

    # stage counts by week and source
    def pandas_counts():
        frames = []
        for stage, field in funnel.FLOW_FIELDS.items():
            at = stages[AT[stage]]
            inside = (at >= since) & (at < until)
            frame = pd.DataFrame({"period": period_of(at[inside], tz, "week"), "source": stages.loc[inside, "source"]})
            frames.append(frame.groupby(["period", "source"]).size().rename(field))
        return pd.concat(frames, axis=1).fillna(0).astype(int).sort_index()

    unions = " UNION ALL ".join(
        f"SELECT source, '{field}' AS field, {AT[stage]} AS stamp FROM stages"
        f" WHERE {AT[stage]} >= $since AND {AT[stage]} < $until"
        for stage, field in funnel.FLOW_FIELDS.items())
    counts_sql = (f"SELECT date_trunc('week', timezone('{tz_name}', stamp)) AS period, source, field, count(*) AS n"
                  f" FROM ({unions}) GROUP BY ALL")

    def duck_counts():
        frame = connection.execute(counts_sql, bounds).df()
        frame["period"] = pd.to_datetime(frame["period"])
        table = frame.pivot_table(index=["period", "source"], columns="field", values="n", aggfunc="sum", fill_value=0)
        return table[list(funnel.FLOW_FIELDS.values())].astype(int).sort_index()

    results["stage_counts_by_source"] = _pair(pandas_counts, duck_counts, runs)

    # cohort lead -> MQL by week
    def pandas_cohort():
        cohort = funnel.cohort_conversion(stages, periods, tz, "week", "lead", "mql", AS_OF, lag=None)
        return cohort[["cohort", "reached"]].astype(int)

    cohort_sql = (f"SELECT date_trunc('week', timezone('{tz_name}', at_lead)) AS period, count(*) AS cohort,"
                  f" count(at_mql) AS reached FROM stages WHERE at_lead >= $since AND at_lead < $until GROUP BY ALL")

    def duck_cohort():
        frame = connection.execute(cohort_sql, bounds).df()
        frame["period"] = pd.to_datetime(frame["period"])
        return frame.set_index("period").reindex(periods, fill_value=0)[["cohort", "reached"]].astype(int)

    results["cohort_lead_mql"] = _pair(pandas_cohort, duck_cohort, runs)

    # response SLA attainment by week, working hours
    as_of_clock = float(calendar._working_clock(pd.Series([AS_OF]), calendar._day_table(first_day, last_day)).iloc[0]
                        - calendar._working_clock(pd.Series([days_origin(first_day, tz_name)]),
                                                  calendar._day_table(first_day, last_day)).iloc[0])

    def pandas_response():
        responses = response.response_times(stages, activities, calendar, window, AS_OF, since=since, until=until)
        table = response.attainment_by_period(responses, periods, tz, "week")
        return table[["response_met", "response_missed"]].astype(int)

    clock = ("{d}.before + least(greatest(epoch({t} - {d}.opens) / 3600.0, 0), {d}.hours)")
    response_sql = f"""
        WITH m AS (SELECT id, at_mql, first_touch_at FROM stages WHERE at_mql >= $since AND at_mql < $until),
        fa AS (SELECT a.lead_id, min(a.occurred_at) AS t FROM activities a JOIN m ON a.lead_id = m.id
               WHERE a.occurred_at >= m.at_mql GROUP BY a.lead_id),
        t AS (SELECT m.at_mql, coalesce(m.first_touch_at, fa.t) AS touch FROM m LEFT JOIN fa ON fa.lead_id = m.id),
        c AS (SELECT t.at_mql, t.touch, {clock.format(d='dm', t='t.at_mql')} AS clock_mql,
                     {clock.format(d='dt', t='t.touch')} AS clock_touch
              FROM t JOIN days dm ON dm.day = CAST(timezone('{tz_name}', t.at_mql) AS DATE)
              LEFT JOIN days dt ON dt.day = CAST(timezone('{tz_name}', t.touch) AS DATE))
        SELECT date_trunc('week', timezone('{tz_name}', at_mql)) AS period,
               sum(CASE WHEN touch IS NOT NULL AND greatest(clock_touch - clock_mql, 0) <= {window} THEN 1 ELSE 0 END) AS met,
               sum(CASE WHEN touch IS NOT NULL AND greatest(clock_touch - clock_mql, 0) > {window} THEN 1
                        WHEN touch IS NULL AND $as_of_clock - clock_mql > {window} THEN 1 ELSE 0 END) AS missed
        FROM c GROUP BY ALL"""

    def duck_response():
        frame = connection.execute(response_sql, {**bounds, "as_of_clock": as_of_clock}).df()
        frame["period"] = pd.to_datetime(frame["period"])
        table = frame.set_index("period").reindex(periods, fill_value=0)
        return table.rename(columns={"met": "response_met", "missed": "response_missed"})[
            ["response_met", "response_missed"]].astype(int)

    results["response_sla"] = _pair(pandas_response, duck_response, runs)
    connection.close()
    return results


def days_origin(first_day: pd.Timestamp, tz_name: str) -> pd.Timestamp:
    """The UTC instant of the day table's first local midnight (its working clock's zero)."""
    return pd.Timestamp(first_day).tz_localize(tz_name).tz_convert("UTC")


def _pair(pandas_function, duck_function, runs: int) -> dict:
    pandas_s, expected = _median_time(pandas_function, runs)
    duck_s, found = _median_time(duck_function, runs)
    expected.index.names = found.index.names
    equal = expected.shape == found.shape and bool(np.array_equal(expected.to_numpy(), found.to_numpy()))
    return {"pandas_s": pandas_s, "duckdb_s": duck_s, "ratio": pandas_s / duck_s if duck_s else float("nan"),
            "equal": equal}


def main(argv: list[str]) -> None:
    url, out = argv[0], argv[1]
    runs = int(argv[2]) if len(argv) > 2 else 5
    with open(out, "w") as file:
        json.dump(compare(url, runs), file, indent=2, default=float)


if __name__ == "__main__":
    main(sys.argv[1:])
