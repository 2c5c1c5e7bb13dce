"""Review: the monthly leadership pack of any month, as a PDF report, PPTX slides or an XLSX
workbook, one click each; the button shows that the pack is being built."""
from __future__ import annotations

import logging
import traceback

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html

from dashboard.application import current_settings
from dashboard.components.layout import page_header
from dashboard.components.sections import section
from dashboard.export.content import ExportError, last_complete_month, month_choices, month_label, parse_month
from dashboard.export.pack import FORMATS, MEDIA_TYPES, parse_formats, render
from dashboard.reports.context import ReportContext
from dashboard.reports.pack import pack_report
from queries.db import get_engine
from queries.loaders import load_unresolved_references

dash.register_page(__name__, path="/review", name="Review", title="Review", order=8,
                   role="manager", shared_figures=False)

log = logging.getLogger(__name__)

MONTH = "review-month"
MONTH_NOTE = "review-month-note"
BUTTON = {fmt: f"review-{fmt}-button" for fmt in FORMATS}
DOWNLOAD = {fmt: f"review-{fmt}-download" for fmt in FORMATS}
STATUS = {fmt: f"review-{fmt}-status" for fmt in FORMATS}
PROGRESS = {fmt: f"review-{fmt}-progress" for fmt in FORMATS}
SPINNER = {fmt: f"review-{fmt}-spinner" for fmt in FORMATS}

NAMES = {"pdf": "PDF report", "pptx": "PPTX slides", "xlsx": "XLSX workbook"}
WHAT = {
    "pdf": "Cover, executive summary, SLA scorecard, funnel and conversion, 13-month trends, closed loop, "
           "response per rep, forecast and a data-quality note, with the dashboard's charts.",
    "pptx": "One slide per section: the charts as pictures, the key numbers as text and tables you can edit.",
    "xlsx": "One sheet per table behind every chart, numbers with their formats, ready to pivot.",
}
BUILDING = {
    "pdf": "Building the PDF: computing the month and drawing the charts (about ten seconds) …",
    "pptx": "Building the slides: computing the month and drawing the charts (about ten seconds) …",
    "xlsx": "Building the workbook …",
}
HIDDEN, SHOWN = {"display": "none"}, {"display": "inline-block"}


def month_options(as_of, agreement) -> list[dict]:
    """The last 24 months, newest first; the month still running says so."""
    current = month_choices(as_of, agreement.tz, 1)[0]
    return [{"label": month_label(month) + (" (so far: the pack says it is partial)" if month == current else ""),
             "value": f"{month:%Y-%m}"} for month in month_choices(as_of, agreement.tz)]


def _format_card(fmt: str) -> dbc.Col:
    return dbc.Col(section(
        NAMES[fmt],
        dbc.Button(f"Download the {NAMES[fmt]}", id=BUTTON[fmt], color="primary", className="me-2"),
        dbc.Spinner(size="sm", color="primary", spinner_style=HIDDEN, id=SPINNER[fmt]),
        html.Div(id=PROGRESS[fmt], className="review-progress text-muted mt-2"),
        html.Div(id=STATUS[fmt], className="review-status mt-2"),
        dcc.Download(id=DOWNLOAD[fmt]),
        note=WHAT[fmt],
    ), lg=4)


def layout(month: str | None = None, **_query):
    """The month picker (`?month=YYYY-MM` preselects one; default the last complete month) and a
    download button per format."""
    settings = current_settings()
    as_of, agreement = settings.now(), settings.agreement()
    options = month_options(as_of, agreement)
    values = [option["value"] for option in options]
    chosen = month if month in values else f"{last_complete_month(as_of, agreement.tz):%Y-%m}"
    return html.Div([
        page_header("Review", "The monthly leadership pack: the month against its targets, month over month and "
                              "year over year, funnel, closed loop and next month's forecast, for every lead "
                              "whatever the filters say."),
        dbc.Row([
            dbc.Col([html.Label("Month", htmlFor=MONTH, className="kpi-label"),
                     dcc.Dropdown(id=MONTH, options=options, value=chosen, clearable=False)], md=4),
            dbc.Col(html.Div(f"Figures as of {as_of.tz_convert(agreement.tz):%a %-d %b %Y %H:%M} "
                             f"({agreement.timezone}). Earlier months are compared in full.",
                             className="text-muted", id=MONTH_NOTE), md=8, className="align-self-end"),
        ], className="mb-3"),
        dbc.Row([_format_card(fmt) for fmt in FORMATS], className="g-3"),
    ])


def download_pack(n_clicks, month: str | None, fmt: str):
    """One format of the chosen month's pack as a download, and a line that says what it holds."""
    if not n_clicks:
        return dash.no_update, dash.no_update
    try:
        settings = current_settings()
        formats, wanted = parse_formats(fmt), parse_month(month or "")
        unresolved = load_unresolved_references(get_engine(settings.database_url))
        report = pack_report(ReportContext.for_request(settings), wanted, unresolved)  # every lead, whatever the filters
        content = render(report, formats)[formats[0]]
    except ExportError as error:
        return dash.no_update, dbc.Alert(f"Nothing to download: {error}.", color="warning", className="mb-0 py-2")
    except Exception:  # noqa: BLE001 - the page stays up; the log keeps the details
        log.error("pack failed to build:\n%s", traceback.format_exc())
        return dash.no_update, dbc.Alert("The pack could not be built; the error is in the server log.",
                                         color="danger", className="mb-0 py-2")
    notes = [f"{NAMES[fmt]} of {report.label} ready ({len(content) / 1024:,.0f} kB)."]
    if not report.complete:
        notes.append("The month is not complete: the pack gives its figures so far and says so.")
    if not report.has_data:
        notes.append(f"There is no data for {report.label}: the pack says so.")
    data = dcc.send_bytes(content, f"leadership-review-{report.key}.{fmt}", type=MEDIA_TYPES[fmt])
    return data, html.Span(" ".join(notes))


def _register(fmt: str) -> None:
    @callback(
        Output(DOWNLOAD[fmt], "data"), Output(STATUS[fmt], "children"),
        Input(BUTTON[fmt], "n_clicks"), State(MONTH, "value"),
        running=[(Output(BUTTON[fmt], "disabled"), True, False),
                 (Output(SPINNER[fmt], "spinner_style"), SHOWN, HIDDEN),
                 (Output(PROGRESS[fmt], "children"), BUILDING[fmt], "")],
        prevent_initial_call=True,
    )
    def download(n_clicks, month):
        return download_pack(n_clicks, month, fmt)

    download.__name__ = download.__qualname__ = f"download_{fmt}"
    globals()[download.__name__] = download


for _fmt in FORMATS:
    _register(_fmt)
