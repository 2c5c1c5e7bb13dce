"""The pack as a PDF report (reportlab): cover, executive summary, one section per part of the
report with its tables and the dashboard's charts. Lays out a MonthReport; computes nothing."""
from __future__ import annotations

import io
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (
    CondPageBreak,
    Image,
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from dashboard.components.labels import STATUS_COLOURS, STATUS_LABELS, TEAM_LABELS
from dashboard.export import tables
from dashboard.export.content import TITLE
from dashboard.export.figures import WIDTH
from dashboard.reports.pack import MonthReport
from dashboard.vocabulary import COMMITMENT_TEAMS

FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"),)
INK, MUTED, RULE, HEAD_BG = colors.HexColor("#24292f"), colors.HexColor("#57606a"), colors.HexColor("#d0d7de"), \
    colors.HexColor("#f3f4f6")
PARTIAL_BG = colors.HexColor("#fff8c5")
PAGE_WIDTH = A4[0]
MARGIN = 16 * mm
FRAME_WIDTH = PAGE_WIDTH - 2 * MARGIN


def _fonts() -> tuple[str, str]:
    """DejaVu Sans (it has →, × and €) where installed, else the PDF's own Helvetica."""
    for folder in FONT_DIRS:
        regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
        if regular.is_file() and bold.is_file():
            if "PackSans" not in pdfmetrics.getRegisteredFontNames():
                pdfmetrics.registerFont(TTFont("PackSans", str(regular)))
                pdfmetrics.registerFont(TTFont("PackSans-Bold", str(bold)))
            return "PackSans", "PackSans-Bold"
    return "Helvetica", "Helvetica-Bold"


def _styles() -> dict[str, ParagraphStyle]:
    regular, bold = _fonts()
    base = ParagraphStyle("body", fontName=regular, fontSize=9.5, leading=13, textColor=INK, alignment=TA_LEFT)
    return {
        "body": base,
        "note": ParagraphStyle("note", parent=base, fontSize=8.5, leading=11.5, textColor=MUTED),
        "bullet": ParagraphStyle("bullet", parent=base, leftIndent=10, bulletIndent=0, spaceAfter=3),
        "h1": ParagraphStyle("h1", parent=base, fontName=bold, fontSize=16, leading=20, spaceAfter=6),
        "h2": ParagraphStyle("h2", parent=base, fontName=bold, fontSize=11.5, leading=15, spaceBefore=8,
                             spaceAfter=4),
        "cover_title": ParagraphStyle("cover_title", parent=base, fontName=bold, fontSize=30, leading=36),
        "cover_month": ParagraphStyle("cover_month", parent=base, fontName=bold, fontSize=22, leading=28,
                                      textColor=colors.HexColor("#0072B2")),
        "cover": ParagraphStyle("cover", parent=base, fontSize=12, leading=17),
        "cell": ParagraphStyle("cell", parent=base, fontSize=8, leading=10),
        "cell_head": ParagraphStyle("cell_head", parent=base, fontName=bold, fontSize=8, leading=10),
        "partial": ParagraphStyle("partial", parent=base, backColor=PARTIAL_BG, borderPadding=6, spaceBefore=6,
                                  spaceAfter=10),
    }


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(str(text)), style)


def _table(table: tables.Table, styles, widths: list[float] | None = None, first_wide: bool = True,
           status_column: str | None = "Status") -> Table:
    """A header row and text rows: numbers right-aligned, the status in its colour, light rules."""
    headers, rows = table
    cell, head = styles["cell"], styles["cell_head"]
    right = ParagraphStyle("right", parent=cell, alignment=2)
    right_head = ParagraphStyle("right_head", parent=head, alignment=2)
    numeric = [i > 0 and bool(rows) and tables.is_number(rows[0][i]) for i in range(len(headers))]
    data = [[_p(h, right_head if numeric[i] else head) for i, h in enumerate(headers)]]
    status_index = headers.index(status_column) if status_column in headers else None
    colour_of = {label: STATUS_COLOURS[status] for status, label in STATUS_LABELS.items()}
    for row in rows:
        cells = []
        for i, value in enumerate(row):
            style = cell if i == 0 or not tables.is_number(value) else right
            if i == status_index and value in colour_of:
                style = ParagraphStyle("status", parent=cell, textColor=colors.HexColor(colour_of[value]),
                                       fontName=head.fontName)
            cells.append(_p(value, style))
        data.append(cells)
    if widths is None:
        n = len(headers)
        first = FRAME_WIDTH * (0.28 if first_wide and n > 3 else 1 / n)
        widths = [first] + [(FRAME_WIDTH - first) / (n - 1)] * (n - 1) if n > 1 else [FRAME_WIDTH]
    result = Table(data, colWidths=widths, repeatRows=1, hAlign="LEFT")
    result.setStyle(TableStyle([
        ("BACKGROUND", (0, 0), (-1, 0), HEAD_BG),
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, INK),
        ("LINEBELOW", (0, 1), (-1, -1), 0.3, RULE),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5), ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
        ("LEFTPADDING", (0, 0), (-1, -1), 3), ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]))
    return result


def _image(png: bytes, height_px: int, width: float = FRAME_WIDTH) -> Image:
    return Image(io.BytesIO(png), width=width, height=width * height_px / WIDTH)


def _chart(report_charts: dict, images: dict[str, bytes], name: str, styles, width: float = FRAME_WIDTH) -> list:
    chart = report_charts.get(name)
    if chart is None or name not in images:
        return []
    return [KeepTogether([_p(chart.title, styles["h2"]), _image(images[name], chart.height, width)])]


def _cover(report: MonthReport, styles) -> list:
    parts = [Spacer(1, 50 * mm), _p(report.company, styles["cover"]), Spacer(1, 4 * mm),
             _p(TITLE, styles["cover_title"]), Spacer(1, 4 * mm), _p(report.label, styles["cover_month"]),
             Spacer(1, 14 * mm)]
    if not report.complete:
        parts.append(_p(f"Partial month. {report.partial_note}", styles["partial"]))
    if not report.has_data:
        parts.append(_p(f"No data for {report.label}.", styles["partial"]))
    parts += [_p(f"Agreement: {report.agreement_line}", styles["cover"]),
              _p(f"Figures as of {report.as_of_text}", styles["cover"]),
              _p(f"Generated at {report.generated_at_text}", styles["cover"]),
              _p(tables.standing_line(report), styles["cover"]),
              Spacer(1, 10 * mm),
              _p("Every figure is computed by the dashboard's engine, the same numbers as its pages and the kpis "
                 "command for this month and as_of. Counts and rates follow the definitions of the agreement.",
                 styles["note"]),
              PageBreak()]
    return parts


def build_pdf(report: MonthReport, charts: list, images: dict[str, bytes]) -> bytes:
    """The PDF report as bytes."""
    styles = _styles()
    by_name = {chart.name: chart for chart in charts}
    story = _cover(report, styles)

    story += [_p("Executive summary", styles["h1"])]
    story += [Paragraph(escape(sentence), styles["bullet"], bulletText="•") for sentence in report.summary]
    story += [_p(f"{report.label}: the main figures", styles["h2"]), _table(tables.key_figures(report), styles,
                                                                            status_column=None)]
    story += [_p("Change: relative for counts, in percentage points (pts) for rates. " + (
        "Earlier months are complete, as they stood at the end of the month reported." if report.complete else
        "Earlier months to the same point of the month, as they stood then."), styles["note"]), PageBreak()]

    story += [_p("SLA scorecard", styles["h1"])]
    for team in COMMITMENT_TEAMS:
        if (report.scorecard["team"] == team).any():
            story += [_p(TEAM_LABELS[team], styles["h2"]), _table(tables.scorecard(report, team), styles)]
    story += [_p("Status: on track at or above the target (for a running month, its projection), at risk within "
                 "90 % of it, behind below that.", styles["note"])]
    trend_names = [c.name for c in charts if c.name.startswith("trend_")]
    if trend_names:
        story += [CondPageBreak(90 * mm), _p("13 months against the targets", styles["h1"])]
        for name in trend_names:
            story += _chart(by_name, images, name, styles)
    story.append(PageBreak())

    story += [_p("Funnel and cohort conversion", styles["h1"])]
    story += _chart(by_name, images, "funnel", styles, width=FRAME_WIDTH * 0.8)
    story += [_table(tables.funnel(report), styles, status_column=None), Spacer(1, 4 * mm)]
    story += _chart(by_name, images, "conversion", styles)
    story += [_p(f"Cohorts of {report.label}", styles["h2"]), _table(tables.conversion(report), styles,
                                                                    status_column=None)]
    story += [_p("Cohort conversion: of the leads that reached the first stage in the month, the share that has "
                 "reached the next one by now; immature while less than the median lag has passed.",
                 styles["note"]), PageBreak()]

    story += [_p("Closed loop: from source and campaign to revenue", styles["h1"]),
              _p(f"The leads created in {report.label} and what became of them by {report.standing_text}, against "
                 "the campaigns' cost in the month.", styles["note"])]
    for by in ("source", "campaign"):
        story += _chart(by_name, images, f"loop_{by}", styles)
        story += [_p(f"Per {by}", styles["h2"]), _table(tables.closed_loop(report, by), styles, status_column=None)]
    story.append(PageBreak())

    story += [_p("Response-time SLA per rep", styles["h1"]), _p(tables.response_line(report), styles["body"])]
    story += _chart(by_name, images, "reps", styles)
    if len(report.reps):
        story += [Spacer(1, 3 * mm), _table(tables.reps(report), styles)]
    story.append(PageBreak())

    story += [_p(f"Forecast for {report.forecast_month:%B %Y}", styles["h1"]),
              _p(tables.forecast_line(report), styles["note"]),
              _table(tables.forecast(report), styles),
              _p("Projected: the figure so far divided by the share of the month's working days gone. "
                 "Weighted pipeline: open deals expected to close in the month, amount × probability.",
                 styles["note"])]
    headers, rows = tables.forecast_pipeline(report)
    if rows:
        story += [_p(f"Open deals expected to close in {report.forecast_month:%B %Y}", styles["h2"]),
                  _table((headers, rows), styles, status_column=None)]
    story += _chart(by_name, images, "pipeline", styles)

    story += [CondPageBreak(60 * mm), _p("Data quality", styles["h1"]), _p(tables.quality_note(report), styles["body"])]
    headers, rows = tables.quality(report)
    if rows:
        widths = [FRAME_WIDTH * w for w in (0.2, 0.38, 0.1, 0.32)]
        story += [Spacer(1, 3 * mm), _table((headers, rows), styles, widths=widths, status_column=None)]

    buffer = io.BytesIO()
    footer = f"{report.company} · {TITLE} · {report.label}" + ("" if report.complete else " (partial)")
    regular = styles["body"].fontName

    def decorate(canvas, document):
        if document.page == 1:
            return
        canvas.saveState()
        canvas.setFont(regular, 7.5)
        canvas.setFillColor(MUTED)
        canvas.drawString(MARGIN, 9 * mm, footer)
        canvas.drawRightString(PAGE_WIDTH - MARGIN, 9 * mm, f"page {document.page}")
        canvas.restoreState()

    document = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN,
                                 bottomMargin=16 * mm, title=f"{TITLE} {report.label}", author=report.company,
                                 subject=f"{report.company}: {TITLE}, {report.label}", creator="Smarketing scoreboard")
    document.build(story, onFirstPage=decorate, onLaterPages=decorate)
    return buffer.getvalue()
