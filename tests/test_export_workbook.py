"""The pack's workbook on the hand-made October of test_pack_report: one value column per figure
carrying its row's number format, labels rather than codes, months as real dates, and native
Excel charts on the Trends sheet."""
from __future__ import annotations

import datetime as dt
import io
import re
import zipfile

import openpyxl
import pandas as pd
import pytest

from dashboard.export import xlsx
from dashboard.reports.context import ReportContext
from dashboard.reports.pack import pack_report
from tests.factories import t
from tests.test_pack_report import AGREEMENT, LATER_DEAL, UNRESOLVED, tiny_october


@pytest.fixture(scope="module")
def workbook_bytes():
    """October packed on 4 December (deal 3 of 5 November is later data)."""
    context = ReportContext(tiny_october(extra_deals=[LATER_DEAL]), AGREEMENT, t("2026-12-04 12:00"))
    report = pack_report(context, pd.Timestamp("2026-10-01"), UNRESOLVED, generated_at=t("2026-12-04 12:00"))
    return xlsx.build_xlsx(report)


@pytest.fixture(scope="module")
def book(workbook_bytes):
    return openpyxl.load_workbook(io.BytesIO(workbook_bytes))


def _rows(sheet) -> list[dict]:
    header = [cell.value for cell in sheet[1]]
    return [dict(zip(header, row)) for row in sheet.iter_rows(min_row=2) if any(c.value is not None for c in row)]


def test_the_scorecard_has_one_value_column_per_figure_in_its_rows_format(book):
    """MQLs 4 of 10 (a count), first touch 50 % of 90 % (a rate; September's 100 %: -50 points),
    won revenue €6,000 of €10,000 (money); each missed, under its team's and metric's labels."""
    sheet = book["Scorecard"]
    assert [c.value for c in sheet[1]] == [
        "Team", "Commitment", "Status", "Actual", "Restated by later data", "Target", "Of target", "Expected by now",
        "Projected", "Required per working day", "Month before", "Year before",
        "Change on the month before (% for counts, points for rates)",
        "Change on the year before (% for counts, points for rates)", "Not measured because", "Commitment id"]
    rows = {row["Commitment id"].value: row for row in _rows(sheet)}
    mqls, touch, revenue = rows["mql_volume"], rows["first_touch"], rows["won_revenue"]
    assert [mqls[k].value for k in ("Team", "Commitment", "Status")] == ["Marketing", "MQLs", "Missed"]
    assert [touch[k].value for k in ("Team", "Commitment", "Status")] == ["Sales", "First touch in time", "Missed"]
    assert (mqls["Actual"].value, mqls["Actual"].number_format) == (4, "#,##0")
    assert (touch["Actual"].value, touch["Actual"].number_format) == (0.5, "0.0%")
    assert (revenue["Actual"].value, revenue["Actual"].number_format) == (6000, '"€"#,##0')
    assert (revenue["Target"].value, revenue["Target"].number_format) == (10000, '"€"#,##0')
    change = touch["Change on the month before (% for counts, points for rates)"]
    assert change.value == pytest.approx(-50) and "pts" in change.number_format
    change = mqls["Change on the month before (% for counts, points for rates)"]
    assert change.value == pytest.approx(1.0) and "%" in change.number_format  # (4 - 2) / 2


def test_months_are_dates_and_codes_are_labels(book):
    """The Trends months are datetimes shown as months; the pipeline's close month of deal 2 (25
    November) is 1 November 2026 as a date; funnel stages and cohort steps by their names."""
    trends = _rows(book["Trends"])
    assert len(trends) == 13
    first = trends[0]["Month"]
    assert isinstance(first.value, dt.datetime) and first.value == dt.datetime(2025, 10, 1)
    assert first.number_format == "mmm yyyy"
    october = trends[-1]
    assert october["MQLs"].value == 4 and october["Target: MQLs"].value == 10
    assert october["Won revenue"].number_format == '"€"#,##0'
    pipeline = _rows(book["Pipeline"])
    assert [(r["Expected close month"].value, r["Deals"].value) for r in pipeline] == [(dt.datetime(2026, 11, 1), 1)]
    assert [r["Stage"].value for r in _rows(book["Funnel"])] == ["Leads", "MQLs", "SALs", "SQLs", "Opportunities",
                                                                 "Won"]
    assert {(r["From"].value, r["To"].value) for r in _rows(book["Conversion"])} == {
        ("Leads", "MQLs"), ("MQLs", "SALs"), ("SALs", "SQLs"), ("SQLs", "Opportunities"), ("Opportunities", "Won")}
    assert all(r["Status"].value in (None, "Met", "Missed") for r in _rows(book["Trends vs targets"]))
    assert all(r["Team"].value in ("Marketing", "Sales") for r in _rows(book["Trends vs targets"]))
    forecast = {r["Commitment id"].value: r for r in _rows(book["Forecast"])}
    assert forecast["won_revenue"]["Weighted pipeline"].value == 2000  # 8,000 x 0.25; deal 3 is later data
    assert forecast["won_revenue"]["Month"].value == dt.datetime(2026, 11, 1)


def test_the_trends_sheet_holds_a_native_chart_per_commitment(workbook_bytes, book):
    """Three commitments, three charts, drawn on the Trends sheet's drawing."""
    position = book.sheetnames.index("Trends") + 1
    with zipfile.ZipFile(io.BytesIO(workbook_bytes)) as archive:
        names = archive.namelist()
        rels = archive.read(f"xl/worksheets/_rels/sheet{position}.xml.rels").decode()
        drawing = re.search(r'Target="\.\./drawings/(drawing\d+\.xml)"', rels).group(1)
        charts = re.findall(r"chart\d+\.xml", archive.read(f"xl/drawings/_rels/{drawing}.rels").decode())
        assert len(charts) == 3 and all(f"xl/charts/{c}" in names for c in charts)
        first = archive.read(f"xl/charts/{charts[0]}").decode()
        assert "<c:barChart>" in first and "<c:lineChart>" in first  # the actual as columns, the target a line
        # MQLs in column C, their target in R (after the month and the 16 kpis fields), 13 months in rows 2-14
        assert "Trends!$C$2:$C$14" in first and "Trends!$R$2:$R$14" in first and "Trends!$A$2:$A$14" in first


def test_the_conversion_sheet_holds_one_block_per_step_and_a_line_chart(workbook_bytes, book):
    """Five steps x 13 cohort months = 65 rows, each step's months together (rows 2-14 are Leads →
    MQLs), charted as five lines."""
    rows = _rows(book["Conversion"])
    assert len(rows) == 65
    assert {(r["From"].value, r["To"].value) for r in rows[:13]} == {("Leads", "MQLs")}
    assert [r["Cohort month"].value for r in rows[:13]] == [dt.datetime(2025, 10, 1) + pd.DateOffset(months=i)
                                                           for i in range(13)]
    position = book.sheetnames.index("Conversion") + 1
    with zipfile.ZipFile(io.BytesIO(workbook_bytes)) as archive:
        rels = archive.read(f"xl/worksheets/_rels/sheet{position}.xml.rels").decode()
        drawing = re.search(r'Target="\.\./drawings/(drawing\d+\.xml)"', rels).group(1)
        [chart] = re.findall(r"chart\d+\.xml", archive.read(f"xl/drawings/_rels/{drawing}.rels").decode())
        xml = archive.read(f"xl/charts/{chart}").decode()
        assert xml.count("<c:ser>") == 5 and "Conversion!$F$2:$F$14" in xml
