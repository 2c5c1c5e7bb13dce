"""The pack as a workbook (xlsxwriter): one sheet per table behind every chart and table of the
report, one column per figure whose cells carry the number format of their row's metric (a
count, money or a rate: never a count/money/rate triplet of columns), labels people read (Met,
Marketing, MQLs) rather than codes, months as real dates, native Excel charts beside the
series (Trends), a frozen header row, and every text cell inert: a lead or campaign named
"=HYPERLINK(...)" is written as text with Excel's quote prefix, never as a formula."""
from __future__ import annotations

import io
import math

import pandas as pd
import xlsxwriter

from dashboard.components import formatting
from dashboard.components.funnel_charts import STAGE_PLURALS
from dashboard.components.labels import METRIC_LABELS, STATUS_LABELS, TEAM_LABELS
from dashboard.export import tables
from dashboard.metrics.sales import NO_CLOSE_DATE, OVERDUE
from dashboard.reports.pack import MonthReport

# Text starting with one of these would be read as a formula (or DDE) by a spreadsheet.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
COUNT, MONEY, RATE, NUMBER, HOURS, TEXT, DATE, CHANGE, POINTS, MONTH = (
    "count", "money", "rate", "number", "hours", "text", "date", "change", "points", "month")
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
            POINTS: workbook.add_format({"num_format": '+0.0" pts";-0.0" pts";0.0" pts"'}),
            NUMBER: workbook.add_format({"num_format": "#,##0.00"}),
            HOURS: workbook.add_format({"num_format": "0.0"}),
            DATE: workbook.add_format({"num_format": "yyyy-mm-dd"}),
            MONTH: workbook.add_format({"num_format": "mmm yyyy"}),  # a month's first day, shown as its month
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
        elif kind in (DATE, MONTH):
            sheet.write_datetime(row, column, pd.Timestamp(value).to_pydatetime().replace(tzinfo=None),
                                 self.formats[kind])
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

    def table(self, name: str, frame: pd.DataFrame, columns: list[tuple]) -> xlsxwriter.worksheet.Worksheet:
        """A sheet holding one table: (field, header, kind) per column, a frozen header row, a
        filter. A kind may be a function of (row, value) giving (kind, value)."""
        sheet = self.workbook.add_worksheet(name)
        widths = []
        for column, (_, header, _kind) in enumerate(columns):
            self.text(sheet, 0, column, header, self.header)
            widths.append(len(header))
        for row_number, (_, row) in enumerate(frame.iterrows(), start=1):
            for column, (field, _, kind) in enumerate(columns):
                value = row[field] if field in row.index else None
                if callable(kind):  # the row decides: a count, money or a rate, by its metric
                    kind, value = kind(row, value)
                self.value(sheet, row_number, column, value, kind)
                if isinstance(value, str):
                    widths[column] = max(widths[column], len(value))
        for column, width in enumerate(widths):
            sheet.set_column(column, column, min(max(width + 2, 10), MAX_WIDTH))
        sheet.freeze_panes(1, 0)
        if len(frame):
            sheet.autofilter(0, 0, len(frame), len(columns) - 1)
        return sheet


def _kind_of(metric: str) -> str:
    if metric in formatting.RATE_METRICS:
        return RATE
    return MONEY if metric in formatting.MONEY_METRICS else COUNT


def by_metric(row, value):
    """A figure in its row's metric's format: a count, money or a rate."""
    return _kind_of(row["metric"]), value


def change_by_metric(row, value):
    """A change: relative (%) for a count or money, in points for a rate (0.021 -> +2.1 pts)."""
    if _kind_of(row["metric"]) == RATE:
        return POINTS, None if value is None or pd.isna(value) else value * 100
    return CHANGE, value


def labelled(labels: dict):
    """A code shown as its label ('met' -> 'Met'); None stays blank."""
    def kind(_row, value):
        if value is None or (not isinstance(value, str) and pd.isna(value)):
            return TEXT, None
        return TEXT, labels.get(value, str(value).replace("_", " "))
    return kind


def words(_row, value):
    """A code in words: 'paid_search' -> 'paid search'."""
    return TEXT, None if value is None or (not isinstance(value, str) and pd.isna(value)) else \
        str(value).replace("_", " ")


def bucket(_row, value):
    """An expected close month as a date; the overdue and undated buckets in words."""
    if value == OVERDUE:
        return TEXT, "Overdue (expected before this month)"
    if value == NO_CLOSE_DATE:
        return TEXT, "No expected close date"
    return MONTH, pd.Timestamp(value)


STATUS = labelled(STATUS_LABELS)
TEAM = labelled(TEAM_LABELS)
METRIC = labelled(METRIC_LABELS)
STAGE = labelled(STAGE_PLURALS)


def _summary_sheet(sheets: Sheets, report: MonthReport) -> None:
    sheet = sheets.workbook.add_worksheet("Summary")
    sheet.set_column(0, 0, 22)
    sheet.set_column(1, 1, 120)
    sheets.text(sheet, 0, 0, f"Monthly leadership review: {report.label}", sheets.title)
    meta = [("Company", report.company), ("Month", report.label),
            ("Month status", "complete" if report.complete else "partial: " + report.partial_note),
            ("Agreement", report.agreement_line),
            ("Figures as of", f"{report.as_of_text}. {tables.standing_line(report)}"),
            ("Generated at", report.generated_at_text)]
    for row, (label, value) in enumerate(meta, start=2):
        sheets.text(sheet, row, 0, label, sheets.label)
        sheets.text(sheet, row, 1, value)
    start = len(meta) + 3
    sheets.text(sheet, start, 0, "Executive summary", sheets.label)
    for row, sentence in enumerate(report.summary, start=start + 1):
        sheets.text(sheet, row, 1, sentence)


def _trends_sheet(sheets: Sheets, report: MonthReport) -> None:
    """The 13 months of kpis figures under their labels, each commitment's target beside them,
    and a native chart per commitment (its actual as columns, its target as a line) to the right."""
    frame = report.trends.copy()
    fields = [c for c in frame.columns if c != "period_start"]
    columns = [("period_start", "Month", MONTH)] + [(f, METRIC_LABELS.get(f, f), _kind_of(f)) for f in fields]
    targets = report.trend_targets
    commitments = list(dict.fromkeys(targets["id"])) if len(targets) else []
    for commitment_id in commitments:
        rows = targets[targets["id"] == commitment_id].set_index("period_start")
        metric = rows["metric"].iloc[0]
        frame[f"target_{commitment_id}"] = [rows["target"].get(p) for p in frame["period_start"]]
        columns.append((f"target_{commitment_id}", f"Target: {METRIC_LABELS[metric]}", _kind_of(metric)))
    sheet = sheets.table("Trends", frame, columns)
    if not len(frame):
        return
    last, where = len(frame), {field: index for index, (field, _, _) in enumerate(columns)}
    for number, commitment_id in enumerate(commitments):
        metric = targets.loc[targets["id"] == commitment_id, "metric"].iloc[0]
        label = METRIC_LABELS[metric]
        chart = sheets.workbook.add_chart({"type": "column"})
        chart.add_series({"name": label, "categories": ["Trends", 1, 0, last, 0],
                          "values": ["Trends", 1, where[metric], last, where[metric]], "fill": {"color": "#0072B2"}})
        line = sheets.workbook.add_chart({"type": "line"})
        column = where[f"target_{commitment_id}"]
        line.add_series({"name": "Target", "categories": ["Trends", 1, 0, last, 0],
                         "values": ["Trends", 1, column, last, column],
                         "line": {"color": "#444444", "dash_type": "dash"}, "marker": {"type": "none"}})
        chart.combine(line)
        chart.set_title({"name": f"{label} per month against the target", "name_font": {"size": 11}})
        chart.set_x_axis({"date_axis": True, "num_format": "mmm yyyy"})
        chart.set_legend({"position": "bottom"})
        chart.set_size({"width": 560, "height": 260})
        sheet.insert_chart(1 + number * 14, len(columns) + 1, chart)


def _conversion_sheet(sheets: Sheets, report: MonthReport) -> None:
    """The cohort conversion of each step per month, one block of months per step, and a native
    line chart of the steps over the months beside it."""
    frame = report.conversions
    pairs = list(dict.fromkeys(zip(frame["from_stage"], frame["to_stage"])))
    frame = pd.concat([frame[(frame["from_stage"] == a) & (frame["to_stage"] == b)] for a, b in pairs]
                      or [frame]).reset_index(drop=True)
    frame = frame.assign(maturity=["Immature" if flag else "Mature" for flag in frame["immature"]])
    columns = [("period_start", "Cohort month", MONTH), ("from_stage", "From", STAGE), ("to_stage", "To", STAGE),
               ("numerator", "Reached", COUNT), ("denominator", "Cohort", COUNT), ("rate", "Conversion", RATE),
               ("maturity", "Maturity", TEXT)]
    sheet = sheets.table("Conversion", frame, columns)
    if not len(frame):
        return
    chart = sheets.workbook.add_chart({"type": "line"})
    for a, b in pairs:
        rows = frame.index[(frame["from_stage"] == a) & (frame["to_stage"] == b)]
        first, last = int(rows.min()) + 1, int(rows.max()) + 1
        chart.add_series({"name": f"{STAGE_PLURALS.get(a, a)} → {STAGE_PLURALS.get(b, b)}",
                          "categories": ["Conversion", first, 0, last, 0], "values": ["Conversion", first, 5, last, 5],
                          "marker": {"type": "circle", "size": 4}})
    chart.set_title({"name": "Cohort conversion per month", "name_font": {"size": 11}})
    chart.set_x_axis({"date_axis": True, "num_format": "mmm yyyy"})
    chart.set_y_axis({"num_format": "0%", "min": 0})
    chart.set_legend({"position": "bottom"})
    chart.set_size({"width": 640, "height": 320})
    sheet.insert_chart(1, len(columns) + 1, chart)


def build_xlsx(report: MonthReport) -> bytes:
    """The workbook as bytes."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False,
                                            "strings_to_urls": False, "strings_to_numbers": False})
    sheets = Sheets(workbook, report.currency)
    _summary_sheet(sheets, report)

    sheets.table("Scorecard", report.scorecard, [
        ("team", "Team", TEAM), ("label", "Commitment", TEXT), ("status", "Status", STATUS),
        ("actual", "Actual", by_metric), ("restated", "Restated by later data", by_metric),
        ("target", "Target", by_metric), ("of_target", "Of target", RATE),
        ("expected", "Expected by now", by_metric), ("projected", "Projected", by_metric),
        ("required_per_day", "Required per working day", by_metric),
        ("previous", "Month before" + ("" if report.complete else " (to the same point)"), by_metric),
        ("year_ago", "Year before" + ("" if report.complete else " (to the same point)"), by_metric),
        ("mom", "Change on the month before (% for counts, points for rates)", change_by_metric),
        ("yoy", "Change on the year before (% for counts, points for rates)", change_by_metric),
        ("reason", "Not measured because", TEXT),  # "not recorded": the source never records it
        ("id", "Commitment id", TEXT)])

    sheets.table("Key figures", report.key_figures, [
        ("label", "Figure", TEXT), ("value", report.label, by_metric),
        ("previous", "Month before" + ("" if report.complete else " (to the same point)"), by_metric),
        ("year_ago", "Year before" + ("" if report.complete else " (to the same point)"), by_metric),
        ("mom", "Change on the month before", change_by_metric), ("yoy", "Change on the year before", change_by_metric),
        ("reason", "Not measured because", TEXT)])

    _trends_sheet(sheets, report)
    sheets.table("Trends vs targets", report.trend_targets, [
        ("period_start", "Month", MONTH), ("team", "Team", TEAM), ("metric", "Commitment", METRIC),
        ("actual", "Actual", by_metric), ("target", "Target", by_metric), ("status", "Status", STATUS),
        ("id", "Commitment id", TEXT)])

    sheets.table("Funnel", report.funnel, [("stage", "Stage", STAGE), ("leads", "Leads created in the month "
                                                                       "that reached it", COUNT),
                                           ("share_of_previous", "Of the stage before", RATE),
                                           ("share_of_first", "Of the leads created", RATE)])
    _conversion_sheet(sheets, report)

    loop_columns = [("label", "Name", TEXT), ("channel", "Channel", words),
                    ("leads", "Leads", COUNT), ("mqls", "MQLs", COUNT), ("sqls", "SQLs", COUNT),
                    ("won_leads", "Won leads", COUNT), ("deals_won", "Won deals", COUNT),
                    ("revenue_won", "Won revenue", MONEY),
                    ("revenue_with_campaign", "Won revenue of leads with a campaign", MONEY),
                    ("conv_lead_won", "Lead → won", RATE),
                    ("cost", "Cost", MONEY), ("cost_per_lead", "Cost / lead", MONEY),
                    ("cost_per_mql", "Cost / MQL", MONEY), ("cost_per_won_deal", "Cost / won deal", MONEY),
                    ("return_on_cost", "Return (campaign leads' revenue ÷ cost)", NUMBER)]
    for by, table in (("source", report.loop_source), ("campaign", report.loop_campaign)):
        sheets.table(f"Loop by {by}", table, loop_columns if by == "campaign" else
                     [c for c in loop_columns if c[0] != "channel"])

    sheets.table("Response per rep", report.reps, [
        ("name", "Rep", TEXT), ("mqls", "MQLs", COUNT), ("met", "In time", COUNT),
        ("known", "Known outcome", COUNT), ("pending", "Pending", COUNT), ("open_breaches", "Open breaches", COUNT),
        ("attainment", "First touch in time", RATE), ("status", "Status", STATUS),
        ("shortfall", "In-time touches short of the target", NUMBER),
        ("median_response_hours", "Median response (working hours)", HOURS),
        ("median_routing_hours", "Median routing delay (h)", HOURS),
        ("median_rep_hours", "Median rep delay (h)", HOURS)])

    sheets.table("Pipeline", report.pipeline_month, [
        ("bucket", "Expected close month", bucket), ("stage", "Stage", TEXT), ("deals", "Deals", COUNT),
        ("amount", "Amount", MONEY), ("weighted", "Weighted", MONEY)])
    sheets.table("Forecast", report.forecast, [
        ("month", "Month", MONTH), ("label", "Commitment", TEXT), ("target", "Target", by_metric),
        ("actual_so_far", "So far", by_metric), ("projected", "Projected", by_metric),
        ("status", "Status", STATUS),
        ("open_deals", "Open deals closing in the month", COUNT),
        ("open_amount", "Their amount", MONEY), ("weighted_pipeline", "Weighted pipeline", MONEY),
        ("id", "Commitment id", TEXT)])
    sheets.table("Forecast pipeline", report.forecast_pipeline, [
        ("stage", "Stage", TEXT), ("deals", "Deals", COUNT), ("amount", "Amount", MONEY),
        ("weighted", "Weighted", MONEY)])
    sheets.table("Data quality", report.quality, [
        ("rule", "Check", words), ("table", "Table", TEXT), ("description", "What it means", TEXT),
        ("count", "Count", COUNT), ("examples", "Examples (external ids)", TEXT)])
    workbook.close()
    return buffer.getvalue()
