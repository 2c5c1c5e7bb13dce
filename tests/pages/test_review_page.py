"""The Review page: its layout picks the last complete month, and its download callback, called as
a plain function, returns the chosen month's pack whose numbers are `kpis --grain month`."""
from __future__ import annotations

import base64
import datetime as dt
import io

import dash
import openpyxl
import pandas as pd

from dashboard.components.labels import METRIC_LABELS
from dashboard.metrics.kpis import compute_kpis
from tests.pages.tree import find, page, texts


def test_the_month_picker_offers_two_years_and_picks_the_last_complete_month(demo_app):
    """At Fri 20 Nov 2026: October 2026 is chosen; November 2026 is offered as running."""
    with demo_app.server.test_request_context():
        layout = page("review").layout()
    picker = find(layout, page("review").MONTH)
    assert picker.value == "2026-10"
    assert len(picker.options) == 24
    assert picker.options[0] == {"label": "November 2026 (so far: the pack says it is partial)", "value": "2026-11"}
    assert picker.options[-1]["value"] == "2024-12"
    shown = " ".join(texts(layout))
    for name in ("PDF report", "PPTX slides", "XLSX workbook"):
        assert f"Download the {name}" in shown


def test_the_workbook_download_holds_the_numbers_of_kpis(demo_app, demo_settings):
    with demo_app.server.test_request_context():
        data, status = page("review").download_pack(1, "2026-10", "xlsx")
    assert data["filename"] == "leadership-review-2026-10.xlsx"
    assert texts(status)[0].startswith("XLSX workbook of October 2026 ready (")
    book = openpyxl.load_workbook(io.BytesIO(base64.b64decode(data["content"])))
    from dashboard.data import dataset_for

    # a finished month is reported as the board showed it at its end (SPEC "as_of")
    month_end = pd.Timestamp("2026-11-01 00:00", tz="Europe/Helsinki").tz_convert("UTC")
    october = compute_kpis(dataset_for(demo_settings), demo_settings.agreement(), "month", dt.date(2026, 10, 1),
                           dt.date(2026, 10, 1), month_end)[0]
    header = [cell.value for cell in book["Trends"][1]]
    last = dict(zip(header, [cell.value for cell in book["Trends"][14]]))  # 13 months, October last
    assert last["Month"].date() == dt.date(2026, 10, 1)
    for field in ("leads", "mqls", "sqls", "deals_won", "revenue_won", "acceptance_rate"):
        assert last[METRIC_LABELS[field]] == october[field], field  # columns under the figures' labels


def test_a_bad_month_gives_a_message_and_no_download(demo_app):
    with demo_app.server.test_request_context():
        data, status = page("review").download_pack(1, "2026-13", "pdf")
        nothing = page("review").download_pack(None, "2026-10", "pdf")
    assert data is dash.no_update
    assert texts(status) == ["Nothing to download: month '2026-13': there is no month 13 (01 to 12)."]
    assert nothing == (dash.no_update, dash.no_update)
