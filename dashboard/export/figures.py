"""The pack's charts: the pages' own figure builders fed with the report's frames, and their
rendering to PNG by kaleido in the system's Chromium (nothing is downloaded at run time)."""
from __future__ import annotations

import asyncio
import os
import shutil
from dataclasses import dataclass

import plotly.graph_objects as go

from dashboard.components import formatting
from dashboard.components.charts import bars_against_target
from dashboard.components.funnel_charts import cohort_subtitles, conversion_figure, funnel_figure
from dashboard.components.labels import METRIC_LABELS
from dashboard.components.sales_charts import bucket_label, loop_panels_figure, pipeline_figure, rep_attainment_figure
from dashboard.export.content import ExportError
from dashboard.metrics.closed_loop_view import rows_to_chart
from dashboard.metrics.funnel_views import PAIRS
from dashboard.reports.pack import MonthReport

BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
WIDTH = 960  # CSS pixels; rendered at SCALE for print
SCALE = 2
LOOP_ROWS = 10


@dataclass(frozen=True)
class Chart:
    """One chart of the pack: its title, the figure and the height it is drawn at."""

    name: str
    title: str
    figure: go.Figure
    height: int


def _height(figure: go.Figure, fallback: int = 360) -> int:
    return int(figure.layout.height or fallback)


def report_charts(report: MonthReport) -> list[Chart]:
    """Every chart the pack shows, in the order of the report; none for a month without data."""
    if not report.has_data:
        return []
    charts = []
    for commitment_id, rows in report.trend_targets.groupby("id", sort=False):
        metric, team = rows["metric"].iloc[0], rows["team"].iloc[0]
        is_rate = not bool(rows["is_count"].iloc[0])
        figure = bars_against_target(rows, "period_start", "actual", "target", "", team, METRIC_LABELS[metric],
                                     percent=is_rate)
        figure.update_layout(height=300, margin={"l": 64, "r": 16, "t": 36, "b": 36},
                             legend={"x": 0, "xanchor": "left", "y": 1.0, "yanchor": "bottom"})
        if metric == "revenue_won":
            figure.update_yaxes(tickformat="~s", tickprefix=formatting.CURRENCY_SIGNS.get(report.currency, ""))
        figure.update_xaxes(tickformat="%b %Y", dtick="M2")
        charts.append(Chart(f"trend_{commitment_id}", f"{METRIC_LABELS[metric]} per month against the target",
                            figure, 300))
    if report.funnel["leads"].iloc[0]:
        figure = funnel_figure(report.funnel)
        charts.append(Chart("funnel", f"Leads created in {report.month:%B %Y}: how far they have got",
                            figure, _height(figure)))
    figure = conversion_figure(report.conversions, cohort_subtitles(report.lags, PAIRS), report.conversion_targets,
                               False)
    figure.update_xaxes(tickformat="%b %y", nticks=4)
    charts.append(Chart("conversion", "Cohort conversion per month (hatched: immature cohorts)", figure, _height(figure)))
    for by, table, totals in (("campaign", report.loop_campaign, report.loop_campaign_totals),
                              ("source", report.loop_source, report.loop_source_totals)):
        if len(table):
            rows = rows_to_chart(table, LOOP_ROWS)
            figure = loop_panels_figure(rows, totals["conv_lead_won"], report.currency)
            charts.append(Chart(f"loop_{by}", f"Closed loop per {by}: leads, share won, revenue and return",
                                figure, _height(figure)))
    if len(report.reps):
        figure = rep_attainment_figure(report.reps, report.response_target)
        charts.append(Chart("reps", "First touch in time per rep", figure, _height(figure)))
    if len(report.pipeline_month):
        labels = {bucket: bucket_label(bucket) for bucket in report.pipeline_month["bucket"]}
        figure = pipeline_figure(report.pipeline_month, report.pipeline_order, labels,
                                 formatting.CURRENCY_SIGNS.get(report.currency, report.currency))
        charts.append(Chart("pipeline", "Open pipeline by expected close month, weighted amount as diamonds",
                            figure, _height(figure)))
    return charts


def browser_path() -> str:
    """The Chromium to draw with: BROWSER_PATH (kaleido's own setting), else the first on PATH."""
    configured = os.environ.get("BROWSER_PATH")
    if configured:
        if not os.path.isfile(configured):
            raise ExportError(f"BROWSER_PATH={configured!r} is not a file: point it at a Chromium or Chrome binary")
        return configured
    for name in BROWSER_NAMES:
        found = shutil.which(name)
        if found:
            return found
    raise ExportError("the PDF and PPTX charts are drawn by Chromium, and none was found: install it "
                      "(apt-get install chromium) or set BROWSER_PATH to a Chromium or Chrome binary")


async def _render(charts: list[Chart], path: str) -> dict[str, bytes]:
    import kaleido

    images = {}
    # mathjax=False: nothing is fetched from the network; plotly.js comes with plotly.py.
    async with kaleido.Kaleido(path=path, mathjax=False, n=1, timeout=120) as renderer:
        for chart in charts:
            images[chart.name] = await renderer.calc_fig(
                chart.figure, opts={"format": "png", "width": WIDTH, "height": chart.height, "scale": SCALE})
    return images


def render_charts(charts: list[Chart]) -> dict[str, bytes]:
    """Each chart as PNG bytes by name, drawn in one Chromium session."""
    if not charts:
        return {}
    path = browser_path()
    return asyncio.run(_render(charts, path))

