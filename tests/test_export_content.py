"""The leadership pack's content on a tiny hand-made month: the executive summary worked out by
hand, a month without data, inert formula-like names in the workbook, and bad requests refused
with nothing half-written. No chart is drawn here (the PDF is laid out without pictures)."""
from __future__ import annotations

import io

import openpyxl
import pandas as pd
import pytest
from pypdf import PdfReader
from typer.testing import CliRunner

from app import cli
from dashboard.export import pdf, pptx, xlsx
from dashboard.export.content import ExportError, last_complete_month, parse_month
from dashboard.export.pack import parse_formats, write_files
from dashboard.reports.context import ReportContext
from dashboard.reports.pack import is_first_working_day, pack_report
from dashboard.sla import parse_agreement
from tests.factories import dataset

AS_OF = pd.Timestamp("2026-11-20 12:00", tz="Europe/Helsinki").tz_convert("UTC")
HOSTILE_CAMPAIGN = '=HYPERLINK("http://example.com","click")'
UNRESOLVED = pd.DataFrame(columns=["table_name", "record_id", "field", "target_table", "target_external_id"])
AGREEMENT = parse_agreement("""
name: Tiny SLA
agreed_on: 2026-01-12
agreed_by: [Head of Marketing, Head of Sales]
timezone: Europe/Helsinki
currency: EUR
definitions: {lead: a, mql: b, sal: c, sql: d, opportunity: e}
commitments:
  - {id: mql_volume, team: marketing, metric: mqls, target: {month: 4}}
  - {id: mql_acceptance, team: marketing, metric: acceptance_rate, target: 0.8}
  - {id: won_revenue, team: sales, metric: revenue_won, target: {month: 10000}}
stage_probabilities: {proposal: 0.5}
""")


def _lead(lead_id, day, **stages):
    return {"id": lead_id, "created_at": f"{day} 09:00", "mql_at": f"{day} 10:00", "source": "paid_search",
            "campaign_id": 1 if day.startswith("2026-10") else None, **stages}


def tiny_month():
    """October 2026: five MQLs (11, 12 accepted, 13 rejected, 14 and 15 undecided), lead 11 won
    €12,000 on 20 Oct, lead 12 has a €4,000 proposal open for 25 Nov; September 2026: four MQLs,
    three accepted, one rejected, €8,000 won; October 2025: two MQLs, both accepted, nothing won;
    November 2026 (running at as_of): one MQL on the 3rd.
    Every October 2026 lead came from one campaign named like a formula, costing €1,000 in October."""
    won = {"sal_at": "2026-10-06 09:00", "sql_at": "2026-10-08 09:00", "opportunity_at": "2026-10-09 09:00"}
    leads = [
        _lead(11, "2026-10-05", **won), _lead(12, "2026-10-05", **won),
        _lead(13, "2026-10-05", disqualified_at="2026-10-07 09:00", disqualified_reason="no budget"),
        _lead(14, "2026-10-05"), _lead(15, "2026-10-05"),
        _lead(21, "2026-09-07", sal_at="2026-09-08 09:00", sql_at="2026-09-09 09:00",
              opportunity_at="2026-09-10 09:00"),
        _lead(22, "2026-09-07", sal_at="2026-09-08 09:00"), _lead(23, "2026-09-07", sal_at="2026-09-08 09:00"),
        _lead(24, "2026-09-07", disqualified_at="2026-09-09 09:00", disqualified_reason="too small"),
        _lead(31, "2025-10-06", sal_at="2025-10-07 09:00"), _lead(32, "2025-10-06", sal_at="2025-10-07 09:00"),
        _lead(41, "2026-11-03"),
    ]
    deals = [
        {"id": 1, "lead_id": 11, "created_at": "2026-10-09 10:00", "closed_at": "2026-10-20 10:00", "is_won": True,
         "amount": 12000, "stage": "closed won"},
        {"id": 2, "lead_id": 21, "created_at": "2026-09-10 10:00", "closed_at": "2026-09-15 10:00", "is_won": True,
         "amount": 8000, "stage": "closed won"},
        {"id": 3, "lead_id": 12, "created_at": "2026-10-09 10:00", "amount": 4000, "stage": "proposal",
         "expected_close_on": "2026-11-25"},
    ]
    campaigns = [{"id": 1, "name": HOSTILE_CAMPAIGN, "channel": "paid_search", "started_on": "2026-10-01",
                  "ended_on": "2026-10-31", "cost": 1000}]
    return dataset(leads, deals, campaign_rows=campaigns)


@pytest.fixture(scope="module")
def october():
    return pack_report(ReportContext(tiny_month(), AGREEMENT, AS_OF), pd.Timestamp("2026-10-01"), UNRESOLVED,
                       generated_at=AS_OF)


def test_summary_sentences_are_worked_out_from_the_numbers(october):
    """MQLs 5 of 4 = 125 %; on September's 4: +25 %; on October 2025's 2: +150 %.
    Acceptance 2 / (2 + 1) = 66.7 % (missed: under 80 %); September 3 / 4 = 75.0 %:
    -8.3 points; October 2025 2 / 2 = 100 %: -33.3 points. Revenue €12,000 of €10,000 = 120 %;
    September €8,000: +50 %; October 2025 had none, so no year-on-year change. Of the 5 leads
    created in October all 5 became MQL and 1 (lead 11) won: 20.0 %. The campaign: €12,000 on a
    €1,000 cost = 12.0×. November: the €4,000 proposal × 0.5 = €2,000 weighted. No data-quality finding."""
    assert october.complete and october.has_data
    assert october.summary == [
        # October is over: each result is final, met or missed (SPEC 9).
        "Marketing: 1 of 2 commitments met, 1 missed.",
        "Sales: 1 of 1 commitment met.",
        "MQLs 5 against 4 (125 %, met), up 25 % on September, up 150 % on October last year.",
        "MQL acceptance 66.7 % against a target of 80.0 % (missed), down 8.3 points on September, "
        "down 33.3 points on October last year.",
        "Won revenue €12,000 against €10,000 (120 %, met), up 50 % on September.",
        "Of the 5 leads created in October, 5 (100.0 %) have become MQLs and 1 (20.0 %) have been won by "
        "the end of October.",  # the pack stands at the month's end
        f"The campaign whose October leads brought the most won revenue: {HOSTILE_CAMPAIGN} (€12,000, 12.0× its cost).",
        "At the end of October, €2,000 of weighted open pipeline was expected to close in November 2026, "
        "against a won-revenue target of €10,000.",
        "Data quality: every check is clean.",
    ]


def test_a_running_month_is_reported_as_partial_with_its_projection():
    """November 2026 at Fri 20 Nov 12:00: 1 MQL against 4, projected 1 / (14.5 / 21) = 1.45, which
    is 36 % of 4 (printed as 1); the report says the month is not complete: 14 working days (2-6, 9-13, 16-19 Nov: 5 + 5 + 4) and
    half of the 20th (a day without working hours counts its clock share, 12 of 24 hours) = 14.5
    of 21 (Mon-Fri: 5 + 5 + 5 + 5 + Mon 30th)."""
    report = pack_report(ReportContext(tiny_month(), AGREEMENT, AS_OF), pd.Timestamp("2026-11-01"), UNRESOLVED)
    assert not report.complete
    assert report.partial_note.startswith("November 2026 is not complete: these are its figures to "
                                          "20 November 2026 12:00, 14.5 of its 21 working days.")
    # Compared with the same point: October to 20 October 12:00 had all 5 (created on the 5th).
    assert "MQLs 1 so far against 4 for the month; projected 1 by month end (36 %). October had 5 by the same " \
           "point, November last year 0." in report.summary
    text = _pdf_text(pdf.build_pdf(report, [], {}))
    assert "Partial month. November 2026 is not complete" in text


def test_a_month_without_data_gives_a_pack_that_says_so():
    """August 2026 holds no lead, stage change or deal: every format is written and says so (in the
    workbook, the first sentence under the title, six facts about the pack and the heading: B11)."""
    report = pack_report(ReportContext(tiny_month(), AGREEMENT, AS_OF), pd.Timestamp("2026-08-01"), UNRESOLVED)
    assert not report.has_data
    assert report.summary == ["There is no data for August 2026: no lead was created, no lead reached a stage "
                              "and no deal closed in the month, so there is nothing to compare with the targets."]
    assert "No data for August 2026." in _pdf_text(pdf.build_pdf(report, [], {}))
    from pptx import Presentation

    deck = Presentation(io.BytesIO(pptx.build_pptx(report, [], {})))
    slide_texts = [shape.text_frame.text for slide in deck.slides for shape in slide.shapes if shape.has_text_frame]
    assert any("No data for August 2026." in text for text in slide_texts)
    book = openpyxl.load_workbook(io.BytesIO(xlsx.build_xlsx(report)))
    assert book["Summary"]["B11"].value.startswith("There is no data for August 2026")


def test_formula_like_names_stay_text_in_the_workbook(october):
    """A campaign named '=HYPERLINK(...)' is a text cell with the quote prefix, never a formula,
    in the loop sheet and in the summary sentence that names it."""
    book = openpyxl.load_workbook(io.BytesIO(xlsx.build_xlsx(october)))
    loop = book["Loop by campaign"]
    assert [cell.value for cell in loop[1]][:3] == ["Name", "Channel", "Leads"]  # names, not ids
    cell = loop["A2"]
    assert cell.value == HOSTILE_CAMPAIGN and cell.data_type == "s" and cell.quotePrefix
    summary = [c for row in book["Summary"].iter_rows() for c in row if isinstance(c.value, str)]
    assert all(c.data_type == "s" for c in summary)
    named = [c for c in summary if HOSTILE_CAMPAIGN in c.value]
    assert len(named) == 1 and not named[0].value.startswith("=")
    formulas = [c.coordinate for sheet in book for row in sheet.iter_rows() for c in row if c.data_type == "f"]
    assert formulas == []


@pytest.mark.parametrize("text, expected", [
    ("2026-13", "month '2026-13': there is no month 13 (01 to 12)"),
    ("2026-1", "month '2026-1': write it as YYYY-MM, e.g. 2026-11"),
    ("November", "month 'November': write it as YYYY-MM, e.g. 2026-11"),
])
def test_a_bad_month_is_refused_with_the_reason(text, expected):
    with pytest.raises(ExportError) as error:
        parse_month(text)
    assert str(error.value) == expected


def test_formats_are_checked():
    assert parse_formats("xlsx, PDF") == ("xlsx", "pdf")
    assert parse_formats("") == ("pdf", "pptx", "xlsx")
    with pytest.raises(ExportError, match="unknown format 'docx': choose from pdf, pptx, xlsx"):
        parse_formats("pdf,docx")


def test_default_month_and_the_first_working_day():
    """At 20 Nov 2026 the last complete month is October. In January 2027 the 1st is a holiday and
    the 2nd and 3rd a weekend: Monday the 4th is the first working day."""
    assert last_complete_month(AS_OF, AGREEMENT.tz) == pd.Timestamp("2026-10-01")
    from tests.agreements import frozen_agreement

    finnish = frozen_agreement()
    stamp = lambda text: pd.Timestamp(text, tz="Europe/Helsinki").tz_convert("UTC")  # noqa: E731
    assert [is_first_working_day(stamp(f"2027-01-0{d} 07:00"), finnish) for d in (1, 4, 5)] == [False, True, False]


def test_a_month_not_yet_begun_is_refused():
    with pytest.raises(ExportError, match="month 2026-12 has not begun at 2026-11-20 12:00"):
        pack_report(ReportContext(tiny_month(), AGREEMENT, AS_OF), pd.Timestamp("2026-12-01"), UNRESOLVED)


def test_files_are_written_whole_or_not_at_all(tmp_path):
    """Every file lands under its final name; where the folder cannot be written, nothing is left."""
    written = write_files({"pdf": b"%PDF-1", "xlsx": b"PK"}, pd.Timestamp("2026-10-01"), tmp_path / "pack")
    assert sorted(p.name for p in written) == ["leadership-review-2026-10.pdf", "leadership-review-2026-10.xlsx"]
    assert sorted(p.name for p in (tmp_path / "pack").iterdir()) == sorted(p.name for p in written)
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    with pytest.raises(ExportError, match="cannot create the output folder"):
        write_files({"pdf": b"%PDF-1"}, pd.Timestamp("2026-10-01"), blocked / "pack")


@pytest.mark.parametrize("arguments, message", [
    (["--month", "2026-13"], "error: month '2026-13': there is no month 13 (01 to 12)"),
    (["--month", "2026-10", "--format", "pdf,odt"], "error: unknown format 'odt': choose from pdf, pptx, xlsx"),
    (["--month", "2026-10", "--as-of", "yesterday"], "error: --as-of: 'yesterday' is not an ISO 8601 date"),
])
def test_the_command_refuses_bad_arguments_and_writes_nothing(tmp_path, arguments, message):
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["export", "--db", f"sqlite:///{tmp_path}/none.db", "--out", str(out),
                                      *arguments])
    assert result.exit_code == 2
    assert result.stderr.startswith(message)
    assert not out.exists()


def _pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
