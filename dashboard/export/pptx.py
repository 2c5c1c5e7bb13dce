"""The pack as slides (python-pptx): one slide per section of the report, each on a layout with a
title placeholder (so the outline, re-theming and accessibility titles work), the charts as
images, the key numbers as real, editable text and tables, and speaker notes that say the
slide's numbers in sentences. Text is sized from its box (see `fit_size`), so a figure never
runs over the line below it. A corporate template (`template=`) lends its layouts by name.
Lays out a MonthReport; computes nothing."""
from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.enum.text import MSO_AUTO_SIZE, PP_ALIGN
from pptx.util import Emu, Inches, Pt

from dashboard.components import formatting
from dashboard.components.funnel_charts import STAGE_PLURALS
from dashboard.components.labels import METRIC_LABELS, STATUS_COLOURS, TEAM_LABELS
from dashboard.export import tables
from dashboard.export.content import TITLE, ExportError, figure_text, money
from dashboard.export.figures import WIDTH
from dashboard.reports.pack import MonthReport, commitment_sentence, team_sentence
from dashboard.vocabulary import COMMITMENT_TEAMS

SLIDE_WIDTH, SLIDE_HEIGHT = Inches(13.333), Inches(7.5)
MARGIN = Inches(0.5)
BODY_TOP = Inches(1.25)
INK, MUTED = RGBColor(0x24, 0x29, 0x2F), RGBColor(0x57, 0x60, 0x6A)
# The layouts the pack uses, by the names of python-pptx's default template (and of most
# corporate templates, which keep PowerPoint's names).
COVER_LAYOUT, CONTENT_LAYOUT, TITLE_LAYOUT = "Title Slide", "Title and Content", "Title Only"
LAYOUTS = (COVER_LAYOUT, CONTENT_LAYOUT, TITLE_LAYOUT)
# Text measures for sizing: an average character of the body font is about 0.55 em wide (0.6 em
# bold; digits of Calibri are 0.51 em), a line is 1.2 em high; a text frame's insets are 0.1 in
# left and right and 0.05 in top and bottom (python-pptx's and PowerPoint's defaults).
CHAR_EM, BOLD_CHAR_EM, LINE_EM = 0.55, 0.6, 1.2
INSET_X, INSET_Y = Inches(0.1), Inches(0.05)


def _rgb(hex_colour: str) -> RGBColor:
    return RGBColor.from_string(hex_colour.lstrip("#").upper())


def lines_needed(text: str, size_pt: float, width_emu: int, bold: bool = False) -> int:
    """How many lines `text` takes at size_pt in a box width_emu wide, wrapped at spaces."""
    usable = (width_emu - 2 * INSET_X) / 12700  # in points
    per_line = max(int(usable / (size_pt * (BOLD_CHAR_EM if bold else CHAR_EM))), 1)
    count = 0
    for paragraph in str(text).split("\n"):
        line, lines = 0, 1
        for word in paragraph.split(" "):
            length = len(word)
            if line and line + 1 + length > per_line:
                lines, line = lines + 1, length
            else:
                line += length + (1 if line else 0)
            while line > per_line:  # a word longer than a line breaks inside it
                lines, line = lines + 1, line - per_line
        count += lines
    return count


def fits(text: str, size_pt: float, width_emu: int, height_emu: int, bold: bool = False) -> bool:
    """Does `text` at size_pt fit the box (its lines' height within the box's)?"""
    usable_height = (height_emu - 2 * INSET_Y) / 12700
    return lines_needed(text, size_pt, width_emu, bold) * size_pt * LINE_EM <= usable_height


def fit_size(text: str, width_emu: int, height_emu: int, largest: float, smallest: float = 8,
             bold: bool = False) -> float:
    """The largest size from `largest` down (in half points) at which the text fits its box; the
    smallest when nothing fits (the box is then made taller by the caller's layout)."""
    size = float(largest)
    while size > smallest and not fits(text, size, width_emu, height_emu, bold):
        size -= 0.5
    return size


def _fill(frame, text: str, size: float, bold: bool = False, colour=INK, align=None) -> None:
    """A text frame holding one paragraph per line of `text`, at one size, wrapped, never auto-sized."""
    frame.word_wrap = True
    frame.auto_size = MSO_AUTO_SIZE.NONE
    frame.clear()
    for index, line in enumerate(str(text).split("\n")):
        paragraph = frame.paragraphs[0] if index == 0 else frame.add_paragraph()
        if align is not None:
            paragraph.alignment = align
        run = paragraph.add_run()
        run.text = line
        run.font.size, run.font.bold = Pt(size), bold
        if colour is not None:
            run.font.color.rgb = colour


def _text(slide, text: str, left, top, width, height, size: float = 14, bold: bool = False, colour=INK,
          name: str | None = None, smallest: float = 8):
    """A text box with one paragraph per line of `text`, its size brought down until it fits."""
    box = slide.shapes.add_textbox(left, top, width, height)
    if name:
        box.name = name
    _fill(box.text_frame, text, fit_size(text, width, height, size, smallest, bold), bold, colour)
    return box


class Deck:
    """The presentation being written: its layouts by name, its size, and the body's top."""

    def __init__(self, template: Path | None):
        if template is None:
            self.deck = Presentation()
            self.deck.slide_width, self.deck.slide_height = SLIDE_WIDTH, SLIDE_HEIGHT
        else:
            self.deck = _open_template(template)
        self.themed = template is not None
        self.layouts = {layout.name: layout for layout in self.deck.slide_layouts}
        self.width, self.height = self.deck.slide_width, self.deck.slide_height
        self.full_width = self.width - 2 * MARGIN

    def slide(self, layout: str, title: str, notes: str):
        """A slide on a layout, its title in the title placeholder and its notes."""
        slide = self.deck.slides.add_slide(self.layouts[layout])
        heading = slide.shapes.title
        if not self.themed:  # the default template's 4:3 placeholders, placed on the 16:9 slide
            heading.left, heading.top = MARGIN, Inches(0.3)
            heading.width, heading.height = self.width - 2 * MARGIN - Inches(2.5), Inches(0.8)
        size = fit_size(title, heading.width, heading.height, 28, 16, bold=True)
        _fill(heading.text_frame, title, size, bold=True, colour=None if self.themed else INK,
              align=None if self.themed else PP_ALIGN.LEFT)
        slide.notes_slide.notes_text_frame.text = notes
        return slide

    def body_top(self, slide) -> int:
        """Below the title placeholder (a template's may be lower than ours)."""
        heading = slide.shapes.title
        return max(BODY_TOP, heading.top + heading.height + Inches(0.1))


def _open_template(path: Path):
    """A corporate template: it must open and hold every layout the pack uses, by name."""
    path = Path(path)
    if not path.is_file():
        raise ExportError(f"the template {path} does not exist")
    try:
        deck = Presentation(str(path))
    except Exception as error:  # python-pptx raises several kinds for a file that is not a deck
        raise ExportError(f"the template {path} is not a PowerPoint file ({type(error).__name__})") from None
    names = [layout.name for layout in deck.slide_layouts]
    missing = [name for name in LAYOUTS if name not in names]
    if missing:
        raise ExportError(f"the template {path} has no layout named {', '.join(map(repr, missing))} "
                          f"(the pack needs {', '.join(map(repr, LAYOUTS))}; it has {', '.join(map(repr, names))})")
    for name in LAYOUTS:
        if not any(p.placeholder_format.idx == 0 for p in deck.slide_layouts.get_by_name(name).placeholders):
            raise ExportError(f"the template {path}'s layout {name!r} has no title placeholder")
    for index in range(len(deck.slides) - 1, -1, -1):  # a template's own example slides are not the pack's
        slide_id = deck.slides._sldIdLst[index]
        deck.part.drop_rel(slide_id.rId)
        deck.slides._sldIdLst.remove(slide_id)
    return deck


def check_template(path: Path | None) -> None:
    """Refuse a bad template before anything is computed or written."""
    if path is not None:
        _open_template(path)


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


def _no_data(slide, report: MonthReport, top, width) -> None:
    _text(slide, f"No data for {report.label}.", MARGIN, top, width, Inches(0.6), size=18, colour=MUTED)


# -- the speaker notes: each slide's numbers in sentences -------------------------------------

def _cover_notes(report: MonthReport) -> str:
    parts = [f"The monthly leadership review of {report.company} for {report.label}."]
    if not report.complete:
        parts.append(report.partial_note)
    if not report.has_data:
        parts.append(f"There is no data for {report.label}.")
    parts += [tables.standing_line(report), f"Figures as of {report.as_of_text}; generated at "
              f"{report.generated_at_text}.", f"Agreement: {report.agreement_line}."]
    return " ".join(parts)


def _scorecard_notes(report: MonthReport) -> str:
    board = report.scorecard
    sentences = [team_sentence(board, team) for team in COMMITMENT_TEAMS if (board["team"] == team).any()]
    sentences += [commitment_sentence(row, report.complete, report.month, report.currency)
                  for _, row in board.iterrows()]
    for row in board.itertuples():
        if row.restated is not None:
            sentences.append(f"{row.label} restated by data recorded later: "
                             f"{figure_text(row.metric, row.restated, report.currency)}.")
    return " ".join(sentences) or "No commitment is in force in the month."


def _key_figures_notes(report: MonthReport) -> str:
    headers, rows = tables.key_figures(report)
    return " ".join(f"{row[0]}: {row[1]} in {headers[1]}, {row[2]} in {headers[2]} ({row[3]}), "
                    f"{row[4]} in {headers[4]} ({row[5]})." for row in rows)


def _trend_notes(report: MonthReport) -> str:
    frame = report.trend_targets
    sentences = []
    for _, rows in frame.groupby("id", sort=False):
        metric = rows["metric"].iloc[0]
        latest = rows.sort_values("period_start").iloc[-1]
        met = int(rows["status"].isin(["met", "ahead"]).sum())
        sentences.append(f"{METRIC_LABELS[metric]}: {figure_text(metric, latest['actual'], report.currency)} "
                         f"in {pd.Timestamp(latest['period_start']):%B %Y} against "
                         f"{figure_text(metric, latest['target'], report.currency)}; the target was met or on "
                         f"track in {met} of the {len(rows)} months shown.")
    return " ".join(sentences) or "No commitment to show over the months."


def _funnel_notes(report: MonthReport) -> str:
    rows = list(report.funnel.itertuples())
    if not rows or not rows[0].leads:
        return f"No lead was created in {report.label}."
    first = rows[0]
    parts = [f"{formatting.count(first.leads)} leads were created in {report.label}."]
    parts += [f"{STAGE_PLURALS[r.stage]}: {formatting.count(r.leads)}, {formatting.rate(r.share_of_previous)} of "
              f"the stage before and {formatting.rate(r.share_of_first)} of the leads created." for r in rows[1:]]
    return " ".join(parts)


def _loop_notes(report: MonthReport, by: str) -> str:
    table = report.loop_campaign if by == "campaign" else report.loop_source
    totals = report.loop_campaign_totals if by == "campaign" else report.loop_source_totals
    if not len(table):
        return f"No lead was created in {report.label}, so there is no closed loop per {by}."
    cost = ("no cost recorded" if pd.isna(totals["cost"]) else f"a cost of {money(totals['cost'], report.currency)}")
    parts = [f"The leads created in {report.label}: {formatting.count(totals['leads'])}, with "
             f"{money(totals['revenue_won'], report.currency)} won by {report.standing_text} and {cost}."]
    top = table.sort_values(["revenue_won", "leads"], ascending=False, kind="stable").head(3)
    parts += [f"{row['label']}: {formatting.count(row['leads'])} lead{'' if row['leads'] == 1 else 's'}, "
              f"{money(row['revenue_won'], report.currency)} won." for _, row in top.iterrows()]
    return " ".join(parts)


def _reps_notes(report: MonthReport) -> str:
    parts = [tables.response_line(report)]
    parts += [f"{r.name}: {formatting.count(r.met)} of {formatting.count(r.known)} MQLs with a known outcome "
              f"touched in time ({formatting.rate(r.attainment)}), {formatting.count(r.open_breaches)} open "
              f"breaches." for r in report.reps.itertuples()] if len(report.reps) else []
    return " ".join(parts)


def _forecast_notes(report: MonthReport) -> str:
    headers, rows = tables.forecast(report)
    parts = [tables.forecast_line(report)]
    for row in rows:
        text = f"{row[0]}: target {row[1]}"
        if row[2] != "–":
            text += f", {row[2]} so far, projected {row[3]}"
        if row[5]:
            text += f"; {row[5]} of weighted open pipeline expected to close in the month"
        parts.append(text + ".")
    return " ".join(parts)


def _quality_notes(report: MonthReport) -> str:
    headers, rows = tables.quality(report)
    return " ".join([tables.quality_note(report)] + [f"{row[0]}: {row[2]}." for row in rows[:5]])


# -- the slides -------------------------------------------------------------------------------

def build_pptx(report: MonthReport, charts: list, images: dict[str, bytes], template: Path | None = None) -> bytes:
    """The slides as bytes, on python-pptx's default template or on `template`'s layouts."""
    pack = Deck(template)
    by_name = {chart.name: chart for chart in charts}
    full_width = pack.full_width
    corner = report.label + ("" if report.complete else " (partial)")

    def slide(title: str, notes: str, layout: str = TITLE_LAYOUT):
        page = pack.slide(layout, title, notes)
        # the month in the top corner beside our title; under a template's own title, at the foot
        corner_top = pack.height - Inches(0.55) if pack.themed else Inches(0.45)
        _text(page, corner, pack.width - MARGIN - Inches(2.3), corner_top, Inches(2.3), Inches(0.5), size=12,
              colour=MUTED, name="month_corner")
        return page, pack.body_top(page)

    def picture(page, name, left, top, width, height):
        if name in images:
            _picture(page, images[name], by_name[name].height, left, top, width, height)

    cover = pack.slide(COVER_LAYOUT, f"{TITLE}: {report.label}", _cover_notes(report))
    subtitle = next((p for p in cover.placeholders if p.placeholder_format.idx == 1), None)
    lines = [report.company, f"Agreement: {report.agreement_line}", f"Figures as of {report.as_of_text}",
             tables.standing_line(report), f"Generated at {report.generated_at_text}"]
    if not report.complete:
        lines.insert(1, f"Partial month. {report.partial_note}")
    if not report.has_data:
        lines.insert(1, f"No data for {report.label}.")
    if not pack.themed:
        cover.shapes.title.left, cover.shapes.title.top = MARGIN, Inches(1.6)
        cover.shapes.title.width, cover.shapes.title.height = full_width, Inches(1.3)
        _fill(cover.shapes.title.text_frame, f"{TITLE}: {report.label}",
              fit_size(f"{TITLE}: {report.label}", full_width, Inches(1.3), 40, 20, True), True, INK, PP_ALIGN.LEFT)
    if subtitle is not None:
        if not pack.themed:
            subtitle.left, subtitle.top, subtitle.width, subtitle.height = MARGIN, Inches(3.2), full_width, Inches(3.6)
        text = "\n".join(lines)
        _fill(subtitle.text_frame, text, fit_size(text, subtitle.width, subtitle.height, 16, 9),
              colour=None if pack.themed else MUTED, align=None if pack.themed else PP_ALIGN.LEFT)
    else:
        _text(cover, "\n".join(lines), MARGIN, Inches(4.4), full_width, Inches(2.6), size=14)

    page = pack.slide(CONTENT_LAYOUT, "Executive summary", " ".join(report.summary))
    body = next(p for p in page.placeholders if p.placeholder_format.idx != 0)
    top = pack.body_top(page)
    if not pack.themed:
        body.left, body.top, body.width, body.height = MARGIN, top, full_width, pack.height - top - Inches(0.4)
    body.name = "summary"
    text = "\n".join(report.summary)
    _fill(body.text_frame, text, fit_size(text, body.width - Inches(0.4), body.height, 18, 9),
          colour=None if pack.themed else INK)

    page, top = slide("SLA scorecard", _scorecard_notes(report))
    boxes = report.scorecard
    box_width = int(full_width / max(len(boxes), 1))
    for index, row in enumerate(boxes.itertuples()):
        left = MARGIN + index * box_width
        _text(page, f"{TEAM_LABELS[row.team]} · {row.label}", left, top, box_width, Inches(0.45), size=11,
              colour=MUTED)
        _text(page, figure_text(row.metric, row.actual, report.currency), left, top + Inches(0.45), box_width,
              Inches(0.6), size=26, bold=True, name=f"kpi_{row.id}")
        status = tables.status_text(row.status)
        _text(page, f"target {figure_text(row.metric, row.target, report.currency)} · {status}", left,
              top + Inches(1.05), box_width, Inches(0.45), size=11,
              colour=_rgb(STATUS_COLOURS.get(row.status, STATUS_COLOURS[None])))
    _table(page, tables.scorecard(report), MARGIN, top + Inches(1.6), full_width, size=11, name="scorecard")

    page, top = slide(f"{report.label} against the months before", _key_figures_notes(report))
    _table(page, tables.key_figures(report), MARGIN, top, full_width, size=12, name="key_figures")

    page, top = slide("13 months against the targets", _trend_notes(report))
    trend_names = [c.name for c in charts if c.name.startswith("trend_")]
    if not trend_names:
        _no_data(page, report, top, full_width)
    cell_width, cell_height = int(full_width / 2), int((pack.height - top - Inches(0.3)) / 3)
    for index, name in enumerate(trend_names[:6]):
        left, cell_top = MARGIN + (index % 2) * cell_width, top + (index // 2) * cell_height
        _text(page, by_name[name].title, left, cell_top - Inches(0.05), cell_width, Inches(0.35), size=11, bold=True)
        picture(page, name, left, cell_top + Inches(0.3), cell_width - Inches(0.1), cell_height - Inches(0.35))

    page, top = slide("Funnel and cohort conversion", _funnel_notes(report))
    picture(page, "funnel", MARGIN, top, int(full_width * 0.42), Inches(2.4))  # widths from the slide's
    _table(page, tables.funnel(report), MARGIN + int(full_width * 0.45), top, int(full_width * 0.55), size=11,
           name="funnel")
    picture(page, "conversion", MARGIN, top + Inches(2.6), full_width, Inches(3.5))

    for by in ("source", "campaign"):
        page, top = slide(f"Closed loop per {by}", _loop_notes(report, by))
        totals = report.loop_source_totals if by == "source" else report.loop_campaign_totals
        if f"loop_{by}" not in images:
            _no_data(page, report, top, full_width)
            continue
        ret = totals["return_on_cost"]
        _text(page, f"Leads created in {report.label}: {formatting.count(totals['leads'])} · won revenue "
                    f"{figure_text('revenue_won', totals['revenue_won'], report.currency)} · cost "
                    f"{money(totals['cost'], report.currency)} · return (campaign revenue ÷ cost) "
                    f"{formatting.count(ret, 1)}{'' if pd.isna(ret) else '×'}"
                    f" · revenue without a campaign {money(totals['revenue_without_campaign'], report.currency)}",
              MARGIN, top, full_width, Inches(0.7), size=14, name=f"loop_{by}_totals")
        picture(page, f"loop_{by}", MARGIN, top + Inches(0.75), full_width, Inches(5.25))

    page, top = slide("Response-time SLA per rep", _reps_notes(report))
    _text(page, tables.response_line(report), MARGIN, top, full_width, Inches(0.75), size=14, name="response")
    picture(page, "reps", MARGIN, top + Inches(0.8), full_width, Inches(5.2))

    page, top = slide(f"Forecast for {report.forecast_month:%B %Y}", _forecast_notes(report))
    _text(page, tables.forecast_line(report), MARGIN, top, full_width, Inches(0.4), size=12, colour=MUTED,
          name="forecast_made")
    _table(page, tables.forecast(report), MARGIN, top + Inches(0.45), full_width, size=12, name="forecast")
    picture(page, "pipeline", MARGIN, top + Inches(2.3), full_width, Inches(3.8))

    page, top = slide("Data quality", _quality_notes(report))
    _text(page, tables.quality_note(report), MARGIN, top, full_width, Inches(0.8), size=14, name="quality")
    headers, rows = tables.quality(report)
    if rows:
        _table(page, (headers, rows[:10]), MARGIN, top + Inches(1.0), full_width, size=10, name="quality_table")

    buffer = io.BytesIO()
    pack.deck.core_properties.title = f"{TITLE} {report.label}"
    pack.deck.core_properties.author = report.company
    pack.deck.save(buffer)
    return buffer.getvalue()

