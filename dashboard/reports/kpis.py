"""What the headless `kpis` command prints: one record per period with SPEC's fields and every
commitment scored on it, from the same kpi table the pages read (SPEC "The headless interface")."""
from __future__ import annotations

import datetime as dt

from dashboard.metrics.calendar import period_range
from dashboard.metrics.kpis import kpi_records
from dashboard.reports.context import ReportContext


def kpis_report(context: ReportContext, grain: str | None = None, start: dt.date | None = None,
                end: dt.date | None = None) -> list[dict]:
    """The records of the periods of `grain` from the one holding `start` to the one holding
    `end` (the context's grain and date range by default), as known at the context's as_of."""
    grain = grain or context.grain
    start = context.start if start is None else start
    end = context.end if end is None else end
    table = context.kpis(grain, period_range(start, end, grain))
    return kpi_records(table, context.scored(table, grain))
