"""The pack as slides (python-pptx): one slide per section of the report, the charts as images and
the key numbers as real, editable text and tables. Lays out a MonthReport; computes nothing."""
from __future__ import annotations

import io

from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.enum.text import PP_ALIGN
from pptx.util import Emu, Inches, Pt

from dashboard.components import formatting
from dashboard.components.labels import STATUS_COLOURS, TEAM_LABELS
from dashboard.export import tables
from dashboard.export.content import TITLE, figure_text, money
from dashboard.export.figures import WIDTH
from dashboard.reports.pack import MonthReport

SLIDE_WIDTH, SLIDE_HEIGHT = Inches(13.333), Inches(7.5)
MARGIN = Inches(0.5)
BODY_TOP = Inches(1.25)
INK, MUTED, ACCENT = RGBColor(0x24, 0x29, 0x2F), RGBColor(0x57, 0x60, 0x6A), RGBColor(0x00, 0x72, 0xB2)


def _rgb(hex_colour: str) -> RGBColor:
    return RGBColor.from_string(hex_colour.lstrip("#").upper())


def _text(slide, text: str, left, top, width, height, size: int = 14, bold: bool = False, colour=INK,
          name: str | None = None):
    """A text box with one paragraph per line of `text`."""
    box = slide.shapes.add_textbox(left, top, width, height)
    if name:
        box.name = name
    frame = box.text_frame
    frame.word_wrap = True
    for index, line in enumerate(str(text).split("\n")):
        paragraph = frame.paragraphs[0] if index == 0 else frame.add_paragraph()
        run = paragraph.add_run()
        run.text = line
        run.font.size, run.font.bold, run.font.color.rgb = Pt(size), bold, colour
    return box


def _slide(deck, title: str, report: MonthReport):
    """A blank slide with its title and the month in the corner."""
    slide = deck.slides.add_slide(deck.slide_layouts[6])
    _text(slide, title, MARGIN, Inches(0.35), Inches(10.5), Inches(0.7), size=26, bold=True)
    _text(slide, report.label + ("" if report.complete else " (partial)"), Inches(10.6), Inches(0.45), Inches(2.3),
          Inches(0.5), size=12, colour=MUTED)
    return slide


def _table(slide, table: tables.Table, left, top, width, size: int = 11, row_height=Inches(0.3), name=None):
    """An editable table: header row bold, numbers right-aligned."""
    headers, rows = table
    shape = slide.shapes.add_table(len(rows) + 1, len(headers), left, top, width, row_height * (len(rows) + 1))
    if name:
        shape.name = name
    grid = shape.table
    for column, header in enumerate(headers):
        _cell(grid.cell(0, column), header, size, bold=True)
    for row_number, row in enumerate(rows, start=1):
        for column, value in enumerate(row):
            _cell(grid.cell(row_number, column), value, size, right=column > 0 and tables.is_number(value))
    first = int(width * (0.3 if len(headers) > 3 else 1 / len(headers)))
    grid.columns[0].width = first
    for column in range(1, len(headers)):
        grid.columns[column].width = int((width - first) / (len(headers) - 1))
    return shape


def _cell(cell, text: str, size: int, bold: bool = False, right: bool = False) -> None:
    cell.text = str(text)
    for paragraph in cell.text_frame.paragraphs:
        paragraph.alignment = PP_ALIGN.RIGHT if right else PP_ALIGN.LEFT
        for run in paragraph.runs:
            run.font.size, run.font.bold = Pt(size), bold
    cell.margin_top = cell.margin_bottom = Emu(36000)


def _picture(slide, png: bytes, height_px: int, left, top, max_width, max_height):
    """A chart image as large as fits the box, its proportions kept."""
    ratio = height_px / WIDTH
    width = max_width
    if width * ratio > max_height:
        width = int(max_height / ratio)
    return slide.shapes.add_picture(io.BytesIO(png), left, top, width=width)


def _no_data(slide, report: MonthReport) -> None:
    _text(slide, f"No data for {report.label}.", MARGIN, BODY_TOP, Inches(12), Inches(0.6), size=18, colour=MUTED)


def build_pptx(report: MonthReport, charts: list, images: dict[str, bytes]) -> bytes:
    """The slides as bytes."""
    deck = Presentation()
    deck.slide_width, deck.slide_height = SLIDE_WIDTH, SLIDE_HEIGHT
    by_name = {chart.name: chart for chart in charts}
    full_width = SLIDE_WIDTH - 2 * MARGIN

    def picture(slide, name, left, top, width, height):
        if name in images:
            _picture(slide, images[name], by_name[name].height, left, top, width, height)

    cover = deck.slides.add_slide(deck.slide_layouts[6])
    _text(cover, report.company, MARGIN, Inches(1.6), full_width, Inches(0.5), size=18, colour=MUTED)
    _text(cover, TITLE, MARGIN, Inches(2.2), full_width, Inches(1), size=40, bold=True)
    _text(cover, report.label, MARGIN, Inches(3.2), full_width, Inches(0.8), size=32, bold=True, colour=ACCENT,
          name="month")
    lines = [f"Agreement: {report.agreement_line}", f"Figures as of {report.as_of_text}",
             f"Generated at {report.generated_at_text}"]
    if not report.complete:
        lines.insert(0, f"Partial month. {report.partial_note}")
    if not report.has_data:
        lines.insert(0, f"No data for {report.label}.")
    _text(cover, "\n".join(lines), MARGIN, Inches(4.4), full_width, Inches(2), size=14)

    slide = _slide(deck, "Executive summary", report)
    size = 16 if len(report.summary) <= 8 else 13
    _text(slide, "\n".join(f"• {s}" for s in report.summary), MARGIN, BODY_TOP, full_width, Inches(5.8), size=size,
          name="summary")

    slide = _slide(deck, "SLA scorecard", report)
    boxes = report.scorecard
    box_width = int(full_width / max(len(boxes), 1))
    for index, row in enumerate(boxes.itertuples()):
        left = MARGIN + index * box_width
        _text(slide, f"{TEAM_LABELS[row.team]} · {row.label}", left, BODY_TOP, box_width, Inches(0.4), size=11,
              colour=MUTED)
        _text(slide, figure_text(row.metric, row.actual, report.currency), left, BODY_TOP + Inches(0.35), box_width,
              Inches(0.6), size=26, bold=True, name=f"kpi_{row.id}")
        status = tables.status_text(row.status)
        _text(slide, f"target {figure_text(row.metric, row.target, report.currency)} · {status}", left,
              BODY_TOP + Inches(0.95), box_width, Inches(0.4), size=11,
              colour=_rgb(STATUS_COLOURS.get(row.status, STATUS_COLOURS[None])))
    _table(slide, tables.scorecard(report), MARGIN, BODY_TOP + Inches(1.6), full_width, size=11, name="scorecard")

    slide = _slide(deck, f"{report.label} against the months before", report)
    _table(slide, tables.key_figures(report), MARGIN, BODY_TOP, full_width, size=12, name="key_figures")

    slide = _slide(deck, "13 months against the targets", report)
    trend_names = [c.name for c in charts if c.name.startswith("trend_")]
    if not trend_names:
        _no_data(slide, report)
    cell_width, cell_height = int(full_width / 2), int((SLIDE_HEIGHT - BODY_TOP - Inches(0.3)) / 3)
    for index, name in enumerate(trend_names[:6]):
        left, top = MARGIN + (index % 2) * cell_width, BODY_TOP + (index // 2) * cell_height
        _text(slide, by_name[name].title, left, top - Inches(0.05), cell_width, Inches(0.3), size=11, bold=True)
        picture(slide, name, left, top + Inches(0.25), cell_width - Inches(0.1), cell_height - Inches(0.3))

    slide = _slide(deck, "Funnel and cohort conversion", report)
    if "funnel" in images:
        picture(slide, "funnel", MARGIN, BODY_TOP, Inches(5.2), Inches(2.4))
    _table(slide, tables.funnel(report), Inches(6.0), BODY_TOP, Inches(6.8), size=11, name="funnel")
    picture(slide, "conversion", MARGIN, BODY_TOP + Inches(2.6), full_width, Inches(3.5))

    for by in ("source", "campaign"):
        slide = _slide(deck, f"Closed loop per {by}", report)
        totals = report.loop_source_totals if by == "source" else report.loop_campaign_totals
        if f"loop_{by}" not in images:
            _no_data(slide, report)
            continue
        _text(slide, f"Leads created in {report.label}: {formatting.count(totals['leads'])} · won revenue "
                     f"{figure_text('revenue_won', totals['revenue_won'], report.currency)} · cost "
                     f"{money(totals['cost'], report.currency)} · return (campaign revenue ÷ cost) "
                     f"{formatting.count(totals['return_on_cost'], 1)}{'' if totals['return_on_cost'] != totals['return_on_cost'] else '×'}"
                     f" · revenue without a campaign {money(totals['revenue_without_campaign'], report.currency)}",
              MARGIN, BODY_TOP, full_width, Inches(0.4),
              size=14, name=f"loop_{by}_totals")
        picture(slide, f"loop_{by}", MARGIN, BODY_TOP + Inches(0.5), full_width, Inches(5.5))

    slide = _slide(deck, "Response-time SLA per rep", report)
    _text(slide, tables.response_line(report), MARGIN, BODY_TOP, full_width, Inches(0.7), size=14, name="response")
    picture(slide, "reps", MARGIN, BODY_TOP + Inches(0.8), full_width, Inches(5.2))

    slide = _slide(deck, f"Forecast for {report.forecast_month:%B %Y}", report)
    _table(slide, tables.forecast(report), MARGIN, BODY_TOP, full_width, size=12, name="forecast")
    picture(slide, "pipeline", MARGIN, BODY_TOP + Inches(1.9), full_width, Inches(4.1))

    slide = _slide(deck, "Data quality", report)
    _text(slide, tables.quality_note(report), MARGIN, BODY_TOP, full_width, Inches(0.8), size=14, name="quality")
    headers, rows = tables.quality(report)
    if rows:
        _table(slide, (headers, rows[:10]), MARGIN, BODY_TOP + Inches(1.0), full_width, size=10, name="quality_table")

    buffer = io.BytesIO()
    deck.core_properties.title = f"{TITLE} {report.label}"
    deck.core_properties.author = report.company
    deck.save(buffer)
    return buffer.getvalue()
