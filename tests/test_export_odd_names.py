"""The leadership pack on records with odd and hostile names: every format builds, and the
workbook keeps each name verbatim as inert text."""
from __future__ import annotations

import openpyxl
import pytest
from pptx import Presentation
from pypdf import PdfReader
from typer.testing import CliRunner

from app import cli
from tests.hostile_fixture import LONG_CAMPAIGN, RTL, SOURCE

pytestmark = pytest.mark.browser  # kaleido draws the charts in Chromium


def test_eo001_the_pack_builds_with_odd_names_and_keeps_them_as_text(odd_settings, tmp_path):
    result = CliRunner().invoke(cli, ["export", "--db", odd_settings.database_url, "--month", "2026-11",
                                      "--as-of", "2026-11-20T12:00", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert len(PdfReader(tmp_path / "leadership-review-2026-11.pdf").pages) > 3
    assert len(Presentation(tmp_path / "leadership-review-2026-11.pptx").slides) > 3
    book = openpyxl.load_workbook(tmp_path / "leadership-review-2026-11.xlsx")
    cells = [c for sheet in book for row in sheet.iter_rows() for c in row]
    assert [c.coordinate for c in cells if c.data_type == "f"] == []
    values = {c.value for c in cells if isinstance(c.value, str)}
    assert LONG_CAMPAIGN in values  # 300 characters, the markup at its end kept as text
    assert SOURCE in values or SOURCE.replace("_", " ") in values
    assert RTL in values
