"""The leadership pack of October 2026 on the demo database, as the command writes it: the files
open with their own libraries, and every figure in them equals `kpis --grain month` for that
month and as_of. The pack (with its charts) is built once for the module."""
from __future__ import annotations

import io
import json
import re
import shutil
import subprocess

import openpyxl
import pytest
from pptx import Presentation
from pypdf import PdfReader
from typer.testing import CliRunner

from app import cli
from dashboard.components.labels import METRIC_LABELS, STATUS_LABELS

runner = CliRunner()
AS_OF_TEXT = "2026-11-20T12:00"
# A finished month's pack stands at the month's end (what the board showed then): October's
# figures are those of `kpis --as-of` its end; later data appears only as "restated".
MONTH_END_TEXT = "2026-11-01T00:00"

pytestmark = pytest.mark.browser  # kaleido draws the charts in Chromium


@pytest.fixture(scope="module")
def pack(demo_settings, tmp_path_factory):
    """`export --month 2026-10` into a folder of its own, and `kpis --grain month` at October's end
    for October 2026, September 2026 and October 2025 (the months it is compared with)."""
    out = tmp_path_factory.mktemp("pack")
    result = runner.invoke(cli, ["export", "--db", demo_settings.database_url, "--month", "2026-10",
                                 "--as-of", AS_OF_TEXT, "--out", str(out)])
    assert result.exit_code == 0, result.output

    def kpis(start, end):
        answer = runner.invoke(cli, ["kpis", "--db", demo_settings.database_url, "--grain", "month", "--start", start,
                                     "--end", end, "--as-of", MONTH_END_TEXT, "--format", "json"])
        assert answer.exit_code == 0, answer.output
        return json.loads(answer.stdout)

    september, october = kpis("2026-09-01", "2026-10-31")
    [year_ago] = kpis("2025-10-01", "2025-10-31")
    files = {fmt: (out / f"leadership-review-2026-10.{fmt}") for fmt in ("pdf", "pptx", "xlsx")}
    return {"files": files, "out": out, "october": october, "september": september, "year_ago": year_ago,
            "output": result.output}


def written(metric: str, value) -> str:
    """A kpis figure as a person writes it: 1,234 · €6,550 · 84.6 %."""
    if metric in ("conv_lead_mql", "conv_mql_sql", "conv_sql_won", "response_sla_attainment", "acceptance_rate",
                  "win_rate"):
        return "–" if value is None else f"{value * 100:.1f} %"
    if metric == "revenue_won":
        return f"€{value:,.0f}"
    return f"{value:,.0f}"


def commitments(record: dict, settings) -> list[tuple[str, str, dict]]:
    agreement = settings.agreement()
    return [(c.id, c.metric, record["commitments"][c.id]) for c in agreement.commitments]


def test_the_command_writes_the_three_files(pack):
    assert sorted(p.name for p in pack["out"].iterdir()) == [
        "leadership-review-2026-10.pdf", "leadership-review-2026-10.pptx", "leadership-review-2026-10.xlsx"]
    assert [line.split(" (")[0] for line in pack["output"].splitlines()] == [
        f"wrote {pack['files'][fmt]}" for fmt in ("pdf", "pptx", "xlsx")]


def test_the_pdf_opens_and_its_figures_are_those_of_kpis(pack, demo_settings):
    reader = PdfReader(pack["files"]["pdf"])
    assert reader.metadata.title == "Monthly leadership review October 2026"
    pages = [" ".join(page.extract_text().split()) for page in reader.pages]
    assert len(pages) >= 8
    assert pages[0].startswith("Sales and marketing SLA 2026 Monthly leadership review October 2026 Agreement: "
                               "Sales and marketing SLA 2026, agreed on 12 January 2026")
    assert "Figures as of 20 November 2026 12:00 (Europe/Helsinki) Generated at " in pages[0]
    text = " ".join(pages)
    october, september = pack["october"], pack["september"]
    for _, metric, scored in commitments(october, demo_settings):
        label = METRIC_LABELS[metric]
        actual, target = written(metric, scored["actual"]), written(metric, scored["target"])
        assert f"{label} {actual} against " in text, label  # the summary sentence
        assert re.search(rf"{re.escape(label)} {re.escape(actual)}(, restated [^ ]+( %)?)? {re.escape(target)} ",
                         text), label  # the scorecard row, with what later data made of it
    for metric in ("leads", "mqls", "sqls", "opportunities", "deals_won", "revenue_won"):
        assert f"{METRIC_LABELS[metric]} {written(metric, october[metric])} " \
               f"{written(metric, september[metric])} " in text, metric  # the main figures, month before beside


def test_the_slides_hold_the_figures_of_kpis_as_editable_text(pack, demo_settings):
    deck = Presentation(pack["files"]["pptx"])
    titles = [slide.shapes.title.text for slide in deck.slides]  # each slide's title placeholder
    assert titles == ["Monthly leadership review: October 2026", "Executive summary", "SLA scorecard",
                      "October 2026 against the months before", "13 months against the targets",
                      "Funnel and cohort conversion", "Closed loop per source", "Closed loop per campaign",
                      "Response-time SLA per rep", "Forecast for November 2026", "Data quality"]
    shapes = {shape.name: shape for shape in deck.slides[2].shapes}
    table = shapes["scorecard"].table
    rows = [[cell.text for cell in row.cells] for row in table.rows]
    assert rows[0][:5] == ["Team", "Commitment", "Actual", "Target", "Of target"]
    for (commitment_id, metric, scored), row in zip(commitments(pack["october"], demo_settings), rows[1:]):
        assert shapes[f"kpi_{commitment_id}"].text_frame.text == written(metric, scored["actual"])
        assert [row[1], row[2].split(", restated")[0], row[3]] == [
            METRIC_LABELS[metric], written(metric, scored["actual"]), written(metric, scored["target"])]
    pictures = [shape for shape in deck.slides[4].shapes if shape.shape_type == 13]  # MSO_SHAPE_TYPE.PICTURE
    assert len(pictures) == len(demo_settings.agreement().commitments)


def test_the_workbook_holds_the_numbers_of_kpis(pack, demo_settings):
    book = openpyxl.load_workbook(pack["files"]["xlsx"])
    assert book.sheetnames == ["Summary", "Scorecard", "Key figures", "Trends", "Trends vs targets", "Funnel",
                               "Conversion", "Loop by source", "Loop by campaign", "Response per rep", "Pipeline",
                               "Forecast", "Forecast pipeline", "Data quality"]
    for sheet in book.worksheets[1:]:
        assert sheet.freeze_panes == "A2", sheet.title
        assert all(cell.font.b for cell in sheet[1] if cell.value), sheet.title

    trends = book["Trends"]
    header = [cell.value for cell in trends[1]]
    october_row = next(row for row in trends.iter_rows(min_row=2) if row[0].value.strftime("%Y-%m-%d") == "2026-10-01")
    cells = dict(zip(header, october_row))  # under the figures' labels
    for field, value in pack["october"].items():
        if field in ("period_start", "commitments", "notes"):  # the notes are per rate, not a column
            continue
        assert cells[METRIC_LABELS[field]].value == (value if value is not None else None), field
    assert cells[METRIC_LABELS["leads"]].number_format == "#,##0"
    assert cells[METRIC_LABELS["conv_lead_mql"]].number_format == "0.0%"
    assert cells[METRIC_LABELS["revenue_won"]].number_format == '"€"#,##0'

    scorecard = book["Scorecard"]
    header = [cell.value for cell in scorecard[1]]
    for row, (commitment_id, metric, scored) in zip(scorecard.iter_rows(min_row=2),
                                                    commitments(pack["october"], demo_settings)):
        cells = dict(zip(header, row))
        kind = "0.0%" if metric.endswith(("_rate", "_attainment")) else '"€"#,##0' if metric == "revenue_won" \
            else "#,##0"
        assert cells["Commitment id"].value == commitment_id
        assert cells["Actual"].value == pytest.approx(scored["actual"], abs=1e-9)
        assert cells["Actual"].number_format == kind
        assert cells["Target"].value == pytest.approx(scored["target"], abs=1e-9)
        assert cells["Status"].value == STATUS_LABELS[scored["status"]]


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="no pdftoppm (apt-get install poppler-utils)")
def test_the_pdf_pages_render_to_images(pack, tmp_path):
    """pdftoppm draws every page (A4 is 595.3 x 841.9 points; at 20 dpi 165.4 x 233.9 pixels, which
    pdftoppm rounds up to 166 x 234)."""
    subprocess.run(["pdftoppm", "-r", "20", "-png", str(pack["files"]["pdf"]), str(tmp_path / "page")], check=True)
    images = sorted(tmp_path.glob("page-*.png"))
    assert len(images) == len(PdfReader(pack["files"]["pdf"]).pages)
    from PIL import Image

    with Image.open(images[0]) as first:
        assert first.size == (166, 234)


def test_an_empty_database_gives_a_pack_that_says_so(tmp_path):
    """A database with the schema and no records: the pack is written and says there is no data."""
    from queries.db import init_db

    url = f"sqlite:///{tmp_path}/empty.db"
    init_db(url)
    result = runner.invoke(cli, ["export", "--db", url, "--month", "2026-10", "--as-of", AS_OF_TEXT,
                                 "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "note: there is no data for October 2026; the pack says so." in result.output
    text = " ".join(PdfReader(tmp_path / "out" / "leadership-review-2026-10.pdf").pages[0].extract_text().split())
    assert "No data for October 2026." in text
    book = openpyxl.load_workbook(io.BytesIO((tmp_path / "out" / "leadership-review-2026-10.xlsx").read_bytes()))
    assert book["Summary"]["B11"].value.startswith("There is no data for October 2026")
