"""A month's leadership pack from start to files: the report (`reports.pack.pack_report`), its
charts drawn once, each format laid out in memory, then written whole (temporary file, then
rename) or not at all."""
from __future__ import annotations

import os
import uuid
from pathlib import Path

import pandas as pd

from dashboard.export.content import ExportError, pack_filename
from dashboard.reports.context import ReportContext
from dashboard.reports.pack import MonthReport, pack_report

FORMATS = ("pdf", "pptx", "xlsx")
MEDIA_TYPES = {
    "pdf": "application/pdf",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def parse_formats(text: str | None) -> tuple[str, ...]:
    """'pdf,xlsx' as ('pdf', 'xlsx'); every format when empty; an unknown one is refused."""
    if not text or not text.strip():
        return FORMATS
    asked = [part.strip().lower() for part in text.split(",") if part.strip()]
    unknown = [part for part in asked if part not in FORMATS]
    if unknown:
        raise ExportError(f"unknown format {', '.join(map(repr, unknown))}: choose from {', '.join(FORMATS)}")
    return tuple(dict.fromkeys(asked))


def render(report: MonthReport, formats: tuple[str, ...], template: Path | None = None) -> dict[str, bytes]:
    """Each asked format as bytes; the charts are drawn once and only when a format shows them;
    the slides on `template`'s layouts when one is given."""
    from dashboard.export import pdf, pptx, xlsx
    from dashboard.export.figures import render_charts, report_charts

    charts, images = [], {}
    if {"pdf", "pptx"} & set(formats):
        charts = report_charts(report)
        images = render_charts(charts)
    builders = {"pdf": lambda: pdf.build_pdf(report, charts, images),
                "pptx": lambda: pptx.build_pptx(report, charts, images, template),
                "xlsx": lambda: xlsx.build_xlsx(report)}
    return {fmt: builders[fmt]() for fmt in formats}


def build_pack(context: ReportContext, month: pd.Timestamp, unresolved: pd.DataFrame,
               formats: tuple[str, ...] = FORMATS, template: Path | None = None) -> tuple[MonthReport, dict[str, bytes]]:
    """The report for a month and its files by format, all in memory; a bad slide template is
    refused before anything is worked out."""
    if template is not None and "pptx" in formats:
        from dashboard.export.pptx import check_template

        check_template(template)
    report = pack_report(context, month, unresolved)
    return report, render(report, formats, template)


def write_files(files: dict[str, bytes], month: pd.Timestamp, out_dir: Path) -> list[Path]:
    """Write each file to out_dir as leadership-review-YYYY-MM.EXT: first every one to a temporary
    file beside it, then each renamed into place, so a failure leaves no half-written pack."""
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ExportError(f"cannot create the output folder {out_dir}: {error.strerror}") from None
    staged: list[tuple[str, Path]] = []
    try:
        for fmt, content in files.items():
            temporary = out_dir / f".{pack_filename(month, fmt)}.{uuid.uuid4().hex}.part"
            staged.append((fmt, temporary))
            with open(temporary, "xb") as stream:  # a new file, with the umask's permissions
                stream.write(content)
        written = []
        for fmt, temporary in staged:
            target = out_dir / pack_filename(month, fmt)
            os.replace(temporary, target)
            written.append(target)
        return written
    except OSError as error:
        raise ExportError(f"cannot write the pack into {out_dir}: {error.strerror or error}") from None
    finally:
        for _, temporary in staged:
            temporary.unlink(missing_ok=True)

