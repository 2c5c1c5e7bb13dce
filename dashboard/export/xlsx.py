"""The pack as a workbook (xlsxwriter): one sheet per table behind every chart and table of the
report, numbers as numbers with their formats, a frozen header row, and every text cell inert:
a lead or campaign named "=HYPERLINK(...)" is written as text with Excel's quote prefix, never
as a formula."""
from __future__ import annotations

import io
import math

import pandas as pd
import xlsxwriter

from dashboard.components import formatting
from dashboard.reports.pack import MonthReport

# Text starting with one of these would be read as a formula (or DDE) by a spreadsheet.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
COUNT, MONEY, RATE, NUMBER, HOURS, TEXT, DATE, CHANGE = ("count", "money", "rate", "number", "hours", "text",
                                                         "date", "change")
MAX_WIDTH = 60


def is_formula_like(text: str) -> bool:
    """Would a spreadsheet take this text for a formula?"""
    return str(text).startswith(FORMULA_STARTS)


class Sheets:
    """The workbook being written, with one format per kind of figure."""

    def __init__(self, workbook: xlsxwriter.Workbook, currency: str):
        sign = formatting.CURRENCY_SIGNS.get(currency, currency)
        self.workbook = workbook
        self.formats = {
            COUNT: workbook.add_format({"num_format": "#,##0"}),
            MONEY: workbook.add_format({"num_format": f'"{sign}"#,##0'}),
            RATE: workbook.add_format({"num_format": "0.0%"}),
            CHANGE: workbook.add_format({"num_format": "+0.0%;-0.0%;0.0%"}),
            NUMBER: workbook.add_format({"num_format": "#,##0.00"}),
            HOURS: workbook.add_format({"num_format": "0.0"}),
            DATE: workbook.add_format({"num_format": "yyyy-mm-dd"}),
            TEXT: workbook.add_format({}),
        }
        self.inert = workbook.add_format({"quote_prefix": True})
        self.header = workbook.add_format({"bold": True, "bg_color": "#F3F4F6", "bottom": 1, "text_wrap": True,
                                           "valign": "top"})
        self.title = workbook.add_format({"bold": True, "font_size": 14})
        self.label = workbook.add_format({"bold": True})

    def text(self, sheet, row: int, column: int, value, cell_format=None) -> None:
        """A text cell that can never run: formula-like text gets the quote prefix."""
        value = "" if value is None else str(value)
        if is_formula_like(value):
            sheet.write_string(row, column, value, self.inert)
        else:
            sheet.write_string(row, column, value, cell_format)

    def value(self, sheet, row: int, column: int, value, kind: str) -> None:
        """One cell of a kind: numbers as numbers, dates as dates, missing as blank, text inert."""
        if value is None or (not isinstance(value, str) and pd.isna(value)):
            sheet.write_blank(row, column, None, self.formats.get(kind))
        elif kind == DATE:
            sheet.write_datetime(row, column, pd.Timestamp(value).to_pydatetime().replace(tzinfo=None),
                                 self.formats[DATE])
        elif kind == TEXT or isinstance(value, str):
            self.text(sheet, row, column, value)
        elif isinstance(value, (bool,)):
            sheet.write_boolean(row, column, bool(value))
        else:
            number = float(value)
            if math.isinf(number):
                sheet.write_blank(row, column, None, self.formats[kind])
            else:
                sheet.write_number(row, column, number, self.formats[kind])

    def table(self, name: str, frame: pd.DataFrame, columns: list[tuple[str, str, str]]) -> None:
        """A sheet holding one table: (field, header, kind) per column, a frozen header row, a filter."""
        sheet = self.workbook.add_worksheet(name)
        widths = []
        for column, (_, header, _kind) in enumerate(columns):
            self.text(sheet, 0, column, header, self.header)
            widths.append(len(header))
        for row_number, (_, row) in enumerate(frame.iterrows(), start=1):
            for column, (field, _, kind) in enumerate(columns):
                value = row[field] if field in row.index else None
                self.value(sheet, row_number, column, value, kind)
                if isinstance(value, str):
                    widths[column] = max(widths[column], len(value))
        for column, width in enumerate(widths):
            sheet.set_column(column, column, min(max(width + 2, 10), MAX_WIDTH))
        sheet.freeze_panes(1, 0)
        if len(frame):
            sheet.autofilter(0, 0, len(frame), len(columns) - 1)


def _kind_of(metric: str) -> str:
    if metric in formatting.RATE_METRICS:
        return RATE
    return MONEY if metric in formatting.MONEY_METRICS else COUNT


def _by_metric(frame: pd.DataFrame, fields: tuple[str, ...]) -> pd.DataFrame:
    """A scorecard-like frame with each figure in a count, money or rate column of its own, so every
    column has one number format."""
    frame = frame.copy()
    for field in fields:
        for kind in (COUNT, MONEY, RATE):
            frame[f"{field}_{kind}"] = [value if _kind_of(metric) == kind else None
                                        for value, metric in zip(frame[field], frame["metric"])]
    return frame


def _summary_sheet(sheets: Sheets, report: MonthReport) -> None:
    sheet = sheets.workbook.add_worksheet("Summary")
    sheet.set_column(0, 0, 22)
    sheet.set_column(1, 1, 120)
    sheets.text(sheet, 0, 0, f"Monthly leadership review: {report.label}", sheets.title)
    meta = [("Company", report.company), ("Month", report.key),
            ("Month status", "complete" if report.complete else "partial: " + report.partial_note),
            ("Agreement", report.agreement_line), ("Figures as of", report.as_of_text),
            ("Generated at", report.generated_at_text)]
    for row, (label, value) in enumerate(meta, start=2):
        sheets.text(sheet, row, 0, label, sheets.label)
        sheets.text(sheet, row, 1, value)
    start = len(meta) + 3
    sheets.text(sheet, start, 0, "Executive summary", sheets.label)
    for row, sentence in enumerate(report.summary, start=start + 1):
        sheets.text(sheet, row, 1, sentence)


def build_xlsx(report: MonthReport) -> bytes:
    """The workbook as bytes."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False,
                                            "strings_to_urls": False, "strings_to_numbers": False})
    sheets = Sheets(workbook, report.currency)
    _summary_sheet(sheets, report)

    scored_fields = ("actual", "restated", "target", "expected", "projected", "required_per_day", "previous",
                     "year_ago")
    board = _by_metric(report.scorecard, scored_fields)
    columns = [("id", "Commitment id", TEXT), ("team", "Team", TEXT), ("label", "Commitment", TEXT),
               ("metric", "kpis field", TEXT), ("status", "Status", TEXT), ("of_target", "Of target", RATE)]
    for field, header in (("actual", "Actual"), ("restated", "Restated by later data"), ("target", "Target"),
                          ("expected", "Expected by now"),
                          ("projected", "Projected"), ("required_per_day", "Required per working day"),
                          ("previous", "Month before"), ("year_ago", "Year before")):
        columns += [(f"{field}_{COUNT}", f"{header} (count)", NUMBER if field in ("expected", "projected",
                                                                                  "required_per_day") else COUNT),
                    (f"{field}_{MONEY}", f"{header} (money)", MONEY), (f"{field}_{RATE}", f"{header} (rate)", RATE)]
    columns += [("mom", "Change on the month before (relative; points for rates)", CHANGE),
                ("yoy", "Change on the year before (relative; points for rates)", CHANGE),
                ("reason", "Not measured because", TEXT)]  # "not recorded": the source never records it
    sheets.table("Scorecard", board, columns)

    figures = _by_metric(report.key_figures, ("value", "previous", "year_ago"))
    columns = [("metric", "kpis field", TEXT), ("label", "Figure", TEXT)]
    for field, header in (("value", report.key), ("previous", "Month before"), ("year_ago", "Year before")):
        columns += [(f"{field}_{kind}", f"{header} ({kind})", kind) for kind in (COUNT, MONEY, RATE)]
    columns += [("mom", "Change on the month before", CHANGE), ("yoy", "Change on the year before", CHANGE),
                ("reason", "Not measured because", TEXT)]
    sheets.table("Key figures", figures, columns)

    trend_fields = [c for c in report.trends.columns if c != "period_start"]
    sheets.table("Trends", report.trends, [("period_start", "Month", DATE)]
                 + [(field, field, _kind_of(field)) for field in trend_fields])
    targets = _by_metric(report.trend_targets, ("actual", "target"))
    sheets.table("Trends vs targets", targets, [
        ("period_start", "Month", DATE), ("id", "Commitment id", TEXT), ("team", "Team", TEXT),
        ("metric", "kpis field", TEXT), ("actual_count", "Actual (count)", COUNT),
        ("actual_money", "Actual (money)", MONEY), ("actual_rate", "Actual (rate)", RATE),
        ("target_count", "Target (count)", NUMBER), ("target_money", "Target (money)", MONEY),
        ("target_rate", "Target (rate)", RATE), ("status", "Status", TEXT)])

    sheets.table("Funnel", report.funnel, [("stage", "Stage", TEXT), ("leads", "Leads created in the month "
                                                                      "that reached it", COUNT),
                                           ("share_of_previous", "Of the stage before", RATE),
                                           ("share_of_first", "Of the leads created", RATE)])
    sheets.table("Conversion", report.conversions, [
        ("period_start", "Cohort month", DATE), ("from_stage", "From", TEXT), ("to_stage", "To", TEXT),
        ("numerator", "Reached", COUNT), ("denominator", "Cohort", COUNT), ("rate", "Conversion", RATE),
        ("immature", "Immature", TEXT)])

    loop_columns = [("key", "Key", TEXT), ("label", "Name", TEXT), ("channel", "Channel", TEXT),
                    ("leads", "Leads", COUNT), ("mqls", "MQLs", COUNT), ("sqls", "SQLs", COUNT),
                    ("won_leads", "Won leads", COUNT), ("deals_won", "Won deals", COUNT),
                    ("revenue_won", "Won revenue", MONEY),
                    ("revenue_with_campaign", "Won revenue of leads with a campaign", MONEY),
                    ("conv_lead_won", "Lead → won", RATE),
                    ("cost", "Cost", MONEY), ("cost_per_lead", "Cost / lead", MONEY),
                    ("cost_per_mql", "Cost / MQL", MONEY), ("cost_per_won_deal", "Cost / won deal", MONEY),
                    ("return_on_cost", "Return (campaign leads' revenue ÷ cost)", NUMBER)]
    for by, table in (("source", report.loop_source), ("campaign", report.loop_campaign)):
        table = table.assign(key=table["key"].map(lambda k: None if pd.isna(k) else str(k).removesuffix(".0")))
        sheets.table(f"Loop by {by}", table, loop_columns if by == "campaign" else
                     [c for c in loop_columns if c[0] != "channel"])

    sheets.table("Response per rep", report.reps, [
        ("name", "Rep", TEXT), ("mqls", "MQLs", COUNT), ("met", "In time", COUNT),
        ("known", "Known outcome", COUNT), ("pending", "Pending", COUNT), ("open_breaches", "Open breaches", COUNT),
        ("attainment", "First touch in time", RATE), ("status", "Status", TEXT),
        ("shortfall", "In-time touches short of the target", NUMBER),
        ("median_response_hours", "Median response (working hours)", HOURS),
        ("median_routing_hours", "Median routing delay (h)", HOURS),
        ("median_rep_hours", "Median rep delay (h)", HOURS)])

    sheets.table("Pipeline", report.pipeline_month, [
        ("bucket", "Expected close month", TEXT), ("stage", "Stage", TEXT), ("deals", "Deals", COUNT),
        ("amount", "Amount", MONEY), ("weighted", "Weighted", MONEY)])
    forecast = _by_metric(report.forecast, ("target", "actual_so_far", "projected"))
    sheets.table("Forecast", forecast, [
        ("month", "Month", DATE), ("id", "Commitment id", TEXT), ("label", "Commitment", TEXT),
        ("target_count", "Target (count)", NUMBER), ("target_money", "Target (money)", MONEY),
        ("actual_so_far_count", "So far (count)", COUNT), ("actual_so_far_money", "So far (money)", MONEY),
        ("projected_count", "Projected (count)", NUMBER), ("projected_money", "Projected (money)", MONEY),
        ("status", "Status", TEXT), ("open_deals", "Open deals closing in the month", COUNT),
        ("open_amount", "Their amount", MONEY), ("weighted_pipeline", "Weighted pipeline", MONEY)])
    sheets.table("Forecast pipeline", report.forecast_pipeline, [
        ("stage", "Stage", TEXT), ("deals", "Deals", COUNT), ("amount", "Amount", MONEY),
        ("weighted", "Weighted", MONEY)])
    sheets.table("Data quality", report.quality, [
        ("rule", "Check", TEXT), ("table", "Table", TEXT), ("description", "What it means", TEXT),
        ("count", "Count", COUNT), ("examples", "Examples (external ids)", TEXT)])
    workbook.close()
    return buffer.getvalue()
