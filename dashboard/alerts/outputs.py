"""The digest's charts and the pack's files, from the monthly pack's own builders (dashboard/export/):
every call into them is here, so that the alerts follow wherever the pack goes."""
from __future__ import annotations

import pandas as pd

from dashboard.reports.context import ReportContext

DIGEST_CHARTS = 4  # the first commitments' trend charts go into the digest


def digest_charts(context: ReportContext, unresolved: pd.DataFrame) -> dict[str, tuple[str, bytes]]:
    """The key charts of the month so far, as PNG: name -> (title, image); the pack's trend
    charts of the first commitments, drawn as the pack draws them."""
    from dashboard.export.figures import render_charts, report_charts
    from dashboard.metrics.calendar import period_start
    from dashboard.reports.pack import pack_report

    month = period_start(context.today.date(), "month")
    report = pack_report(context, month, unresolved)
    charts = [chart for chart in report_charts(report) if chart.name.startswith("trend_")][:DIGEST_CHARTS]
    images = render_charts(charts)
    return {chart.name: (chart.title, images[chart.name]) for chart in charts if chart.name in images}


def pack_files(context: ReportContext, month: pd.Timestamp, unresolved: pd.DataFrame,
               formats: tuple[str, ...]) -> tuple[str, list[tuple[str, str, bytes]], list[str]]:
    """A month's pack: its label, the files (filename, media type, content) and its summary sentences."""
    from dashboard.export.content import pack_filename
    from dashboard.export.pack import MEDIA_TYPES, build_pack

    report, files = build_pack(context, month, unresolved, formats)
    attachments = [(pack_filename(report.month, fmt), MEDIA_TYPES[fmt], content) for fmt, content in files.items()]
    return report.label, attachments, list(report.summary)
