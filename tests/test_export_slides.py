"""The pack's slides, without charts (no browser): every slide on a layout with a title
placeholder holding text, speaker notes that say the slide's numbers, no text running out of its
box (python-pptx's measures), and a corporate template used by its layouts' names or refused
with a clear error."""
from __future__ import annotations

import io
import math

import pandas as pd
import pytest
from pptx import Presentation
from pptx.util import Inches

from dashboard.export import pptx
from dashboard.export.content import ExportError
from dashboard.reports.context import ReportContext
from dashboard.reports.pack import pack_report
from dashboard.sla import parse_agreement
from tests.factories import t
from tests.test_pack_report import AGREEMENT_TEXT, LATER_DEAL, UNRESOLVED, tiny_october

# Six commitments: each scorecard box is 12.33 in / 6 = 2.06 in wide, where a 26 pt "€236,200"
# (8 characters x 0.6 em x 26 pt = 125 pt, against 2.06 x 72 - 14.4 = 133.6 pt) is near the edge.
MANY = AGREEMENT_TEXT.replace("stage_probabilities", """  - {id: leads_volume, team: marketing, metric: leads, target: {month: 1000}}
  - {id: sql_volume, team: sales, metric: sqls, target: {month: 100}}
  - {id: won_deals, team: sales, metric: deals_won, target: {month: 10}}
stage_probabilities""")
BIG_WIN = {"id": 9, "lead_id": 2, "owner_id": 2, "created_at": "2026-10-07 10:00", "closed_at": "2026-10-28 10:00",
           "is_won": True, "amount": 230200, "stage": "closed won"}


def _deck(report, template=None) -> Presentation:
    return Presentation(io.BytesIO(pptx.build_pptx(report, [], {}, template)))


@pytest.fixture(scope="module")
def report():
    """October packed on 4 December, with deal 9's 230,200 won on 28 October: 6,000 + 230,200 = 236,200."""
    context = ReportContext(tiny_october(extra_deals=[LATER_DEAL, BIG_WIN]), parse_agreement(MANY),
                            t("2026-12-04 12:00"))
    return pack_report(context, pd.Timestamp("2026-10-01"), UNRESOLVED, generated_at=t("2026-12-04 12:00"))


def test_every_slide_has_a_title_placeholder_with_text_and_notes(report):
    deck = _deck(report)
    titles = [slide.shapes.title.text for slide in deck.slides]
    assert titles == ["Monthly leadership review: October 2026", "Executive summary", "SLA scorecard",
                      "October 2026 against the months before", "13 months against the targets",
                      "Funnel and cohort conversion", "Closed loop per source", "Closed loop per campaign",
                      "Response-time SLA per rep", "Forecast for November 2026", "Data quality"]
    for slide in deck.slides:
        assert slide.shapes.title.is_placeholder and slide.shapes.title.placeholder_format.idx == 0
        assert slide.slide_layout.name in ("Title Slide", "Title and Content", "Title Only")
        assert slide.has_notes_slide and slide.notes_slide.notes_text_frame.text.strip(), slide.shapes.title.text


def test_the_notes_carry_the_slides_numbers_in_sentences(report):
    """The scorecard's notes: won revenue €236,200 against €10,000; the forecast's: deal 2's 8,000 x
    0.25 = €2,000 weighted as it stood at October's end (deal 3, created on 5 November, not in it)."""
    notes = {slide.shapes.title.text: slide.notes_slide.notes_text_frame.text for slide in _deck(report).slides}
    assert "Won revenue €236,200 against €10,000 (2362 %, met)" in notes["SLA scorecard"]
    assert notes["Forecast for November 2026"] == (
        "The forecast as it stood at the end of October 2026 (31 October 2026), before November began. "
        "MQLs: target 10. Won revenue: target €10,000; €2,000 of weighted open pipeline expected to close in the "
        "month. Leads: target 1,000. SQLs: target 100. Deals won: target 10.")
    assert "MQLs: 4 in Oct 2026, 2 in September (+100 %), 1 in Oct 2025 (+300 %)." in \
        notes["October 2026 against the months before"]


def _overflows(shape) -> list[str]:
    """Each paragraph's characters x its font size x 0.55 em (0.6 bold) against the shape's width
    less its insets gives its lines (at least the count its length needs); the lines x 1.2 x
    size must fit in the shape's height less its insets."""
    frame = shape.text_frame
    width = (shape.width - frame.margin_left - frame.margin_right) / 12700
    height = (shape.height - frame.margin_top - frame.margin_bottom) / 12700
    used, problems = 0.0, []
    for paragraph in frame.paragraphs:
        runs = paragraph.runs
        if not runs:
            continue
        size = runs[0].font.size.pt
        em = 0.6 if runs[0].font.bold else 0.55
        length = sum(len(run.text) for run in runs)
        lines = max(math.ceil(length * size * em / width), 1)
        if not frame.word_wrap and lines > 1:
            problems.append(f"{shape.name}: {paragraph.text!r} runs past the width")
        used += lines * size * 1.2
    if used > height + 0.01:
        problems.append(f"{shape.name}: {used:.0f} pt of text in {height:.0f} pt: {frame.text[:40]!r}")
    return problems


def test_no_text_overflows_its_shape(report):
    deck = _deck(report)
    problems = [problem for slide in deck.slides for shape in slide.shapes
                if shape.has_text_frame and shape.text_frame.text for problem in _overflows(shape)]
    assert problems == []
    _within_the_slides(deck)
    slide = deck.slides[2]
    value = next(s for s in slide.shapes if s.name == "kpi_won_revenue")
    assert value.text_frame.text == "€236,200"
    target = next(s for s in slide.shapes if s.has_text_frame and s.text_frame.text.startswith("target €10,000"))
    assert value.top + value.height <= target.top  # the figure's box ends above the target line


def test_fit_size_shrinks_text_to_its_box():
    """"€236,200" bold in a 1.5 in box: usable 1.5 x 72 - 14.4 = 93.6 pt; at 26 pt it needs 8 x 0.6 x
    26 = 124.8 pt (two lines, 2 x 31.2 = 62.4 pt > 0.6 in = 43.2 - 7.2 = 36 pt): too big; at 19.5 pt
    93.6 pt, one line of 23.4 pt: fits; 20 pt needs 96 pt: does not."""
    assert pptx.fit_size("€236,200", Inches(1.5), Inches(0.6), 26, bold=True) == 19.5


def test_a_corporate_template_lends_its_layouts(report, tmp_path):
    """A template's layouts are used by name and its own example slides dropped."""
    template = Presentation()
    template.slides.add_slide(template.slide_layouts[0]).shapes.title.text = "An example slide of the template"
    path = tmp_path / "company.pptx"
    template.save(path)
    deck = _deck(report, path)
    assert len(deck.slides) == 11 and deck.slides[0].shapes.title.text == "Monthly leadership review: October 2026"
    assert deck.slide_width == Presentation(path).slide_width  # the template's own size (4:3 here)
    _within_the_slides(deck)


def _within_the_slides(deck) -> None:
    """Every shape that is not a chart picture lies on its slide."""
    outside = [(slide.shapes.title.text, shape.name) for slide in deck.slides for shape in slide.shapes
               if shape.left < 0 or shape.top < 0 or shape.left + shape.width > deck.slide_width
               or shape.top + shape.height > deck.slide_height]
    assert outside == []


def test_a_template_without_a_needed_layout_is_refused(report, tmp_path):
    template = Presentation()
    template.slide_layouts.get_by_name("Title Only").name = "Heading only"
    path = tmp_path / "company.pptx"
    template.save(path)
    with pytest.raises(ExportError, match="has no layout named 'Title Only'"):
        _deck(report, path)
    with pytest.raises(ExportError, match="does not exist"):
        pptx.check_template(tmp_path / "missing.pptx")
    (tmp_path / "not.pptx").write_text("not a deck")
    with pytest.raises(ExportError, match="is not a PowerPoint file"):
        pptx.check_template(tmp_path / "not.pptx")


def test_the_export_command_refuses_a_bad_template_and_writes_nothing(tmp_path):
    """`export --template` with a deck lacking 'Title Only': a clear error, no file written."""
    from typer.testing import CliRunner

    from app import cli
    from queries.db import init_db

    url = f"sqlite:///{tmp_path}/empty.db"
    init_db(url)
    template = Presentation()
    template.slide_layouts.get_by_name("Title Only").name = "Heading only"
    template.save(tmp_path / "company.pptx")
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["export", "--db", url, "--month", "2026-10", "--as-of", "2026-11-20T12:00",
                                      "--out", str(out), "--template", str(tmp_path / "company.pptx")])
    assert result.exit_code != 0
    assert "has no layout named 'Title Only'" in result.output
    assert not out.exists() or list(out.iterdir()) == []
    good = Presentation()
    good.save(tmp_path / "good.pptx")
    result = CliRunner().invoke(cli, ["export", "--db", url, "--month", "2026-10", "--as-of", "2026-11-20T12:00",
                                      "--out", str(out), "--format", "pptx", "--template", str(tmp_path / "good.pptx")])
    assert result.exit_code == 0, result.output
    deck = Presentation(out / "leadership-review-2026-10.pptx")
    assert deck.slides[0].shapes.title.text == "Monthly leadership review: October 2026"
