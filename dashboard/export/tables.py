"""The report's tables as text, the way the PDF and the slides print them (the workbook keeps the
numbers): a header row and rows of strings per table."""
from __future__ import annotations

import re

import pandas as pd

from dashboard.components import formatting
from dashboard.components.funnel_charts import STAGE_PLURALS, pair_title
from dashboard.components.labels import STATUS_LABELS, TEAM_LABELS
from dashboard.export.content import figure_text, money, short_month
from dashboard.reports.pack import MonthReport

Table = tuple[list[str], list[list[str]]]
LOOP_ROWS_PRINTED = 12
NUMBER = re.compile(r"^([+-]?(€|\$|£|kr )?[\d,]+(\.\d+)?( ?%| pts| h|×)?|–)$")


def is_number(text: str) -> bool:
    """A cell that reads as a number (right-aligned): 1,234 · €45,000 · 81.2 % · +3.0 pts · 2.5× · –."""
    return bool(NUMBER.match(str(text)))


def signed_change(value, is_rate: bool) -> str:
    """+8 %, -2.1 pts, – when unknown."""
    if value is None or pd.isna(value):
        return "–"
    return f"{value * 100:+.1f} pts" if is_rate else f"{value * 100:+.0f} %"


def status_text(status) -> str:
    return STATUS_LABELS.get(status if isinstance(status, str) else None, STATUS_LABELS[None])


def standing_line(report: MonthReport) -> str:
    """What instant the sections stand at: a finished month as it stood at its end (the restated
    figures say what later data made of it), a running month at as_of."""
    if report.complete:
        last_day = report.month + pd.offsets.MonthEnd(0)
        return (f"Every section shows {report.label} as it stood at its end ({last_day:%-d %B %Y}): the forecast "
                f"made then and the pipeline of then; the scorecard's 'restated' figures add what was recorded "
                f"later, until {report.as_of_text}.")
    return (f"{report.label} is compared with the same point of the month before and of the same month a year "
            f"earlier ({report.compared_to.removeprefix('to ')} for the month before), as they stood then.")


def forecast_line(report: MonthReport) -> str:
    """When the forecast was made."""
    if report.complete:
        last_day = report.month + pd.offsets.MonthEnd(0)
        return (f"The forecast as it stood at the end of {report.label} ({last_day:%-d %B %Y}), before "
                f"{report.forecast_month:%B} began.")
    return f"The forecast as of {report.as_of_text}."


def _ordinal(day: int) -> str:
    """1st, 2nd, 3rd, 4th, 11th, 12th, 13th, 21st, 22nd, 23rd, 31st."""
    suffix = "th" if 10 <= day % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


def key_figures(report: MonthReport) -> Table:
    """The month's main figures beside the month before and the same month a year earlier (for a
    running month: to the same point of each)."""
    previous = short_month(report.month - pd.DateOffset(months=1), report.month)
    year_ago = f"{report.month - pd.DateOffset(months=12):%b %Y}"
    if not report.complete:
        point = f" to the {_ordinal(int(report.compared_to.split()[1]))}" if report.compared_to else ""
        previous, year_ago = previous + point, year_ago + point
    headers = ["Figure", f"{report.month:%b %Y}" + ("" if report.complete else " so far"), previous, "Change",
               year_ago, "Change"]
    rows = [[row.label, _or_reason(figure_text(row.metric, row.value, report.currency), row.reason),
             _or_reason(figure_text(row.metric, row.previous, report.currency), row.reason),
             signed_change(row.mom, row.is_rate),
             _or_reason(figure_text(row.metric, row.year_ago, report.currency), row.reason),
             signed_change(row.yoy, row.is_rate)]
            for row in report.key_figures.itertuples()]
    return headers, rows


def _or_reason(text: str, reason) -> str:
    """A figure's text, or the reason it is not measured ("not recorded") in place of a dash."""
    return reason if text == "–" and isinstance(reason, str) else text


def scorecard(report: MonthReport, team: str | None = None) -> Table:
    """Each commitment (of one team, or all): actual, target, share of it, projection while the
    month runs, status, and the changes on the month and the year before."""
    board = report.scorecard if team is None else report.scorecard[report.scorecard["team"] == team]
    headers = (["Team"] if team is None else []) + ["Commitment", "Actual", "Target", "Of target"]
    headers += [] if report.complete else ["Projected"]
    headers += ["Status", "vs month before", "vs year before"]
    rows = []
    for row in board.itertuples():
        actual = _or_reason(figure_text(row.metric, row.actual, report.currency), row.reason)
        restated = getattr(row, "restated", None)
        if restated is not None and figure_text(row.metric, restated, report.currency) != actual:
            actual += f", restated {figure_text(row.metric, restated, report.currency)}"
        cells = ([TEAM_LABELS[row.team]] if team is None else []) + [
                 row.label, actual,
                 figure_text(row.metric, row.target, report.currency),
                 formatting.rate(row.of_target, 0) if row.of_target is not None else "–"]
        if not report.complete:
            cells.append(figure_text(row.metric, row.projected, report.currency) if row.is_count else "–")
        cells += [status_text(row.status), signed_change(row.mom, not row.is_count),
                  signed_change(row.yoy, not row.is_count)]
        rows.append(cells)
    return headers, rows


def funnel(report: MonthReport) -> Table:
    """The month's leads stage by stage."""
    headers = ["Stage", "Leads", "Of the stage before", "Of the leads created"]
    rows = [[STAGE_PLURALS[r.stage], formatting.count(r.leads), formatting.rate(r.share_of_previous),
             formatting.rate(r.share_of_first)] for r in report.funnel.itertuples()]
    return headers, rows


def conversion(report: MonthReport) -> Table:
    """The month's cohort conversion of each stage pair."""
    rows = report.conversions[report.conversions["period_start"] == report.month]
    headers = ["Step", "Reached", "Of the cohort", "Conversion", "Cohort"]
    return headers, [[pair_title(r.from_stage, r.to_stage), formatting.count(r.numerator),
                      formatting.count(r.denominator), formatting.rate(r.rate),
                      "immature" if r.immature else "mature"] for r in rows.itertuples()]


def closed_loop(report: MonthReport, by: str, limit: int = LOOP_ROWS_PRINTED) -> Table:
    """The loop rows with the most won revenue (then leads), and the total of all rows."""
    table = report.loop_campaign if by == "campaign" else report.loop_source
    totals = report.loop_campaign_totals if by == "campaign" else report.loop_source_totals
    headers = [by.capitalize(), "Leads", "MQLs", "SQLs", "Won deals", "Revenue", "Cost", "Cost / lead",
               "Return (campaign revenue ÷ cost)"]
    ordered = table.sort_values(["revenue_won", "leads"], ascending=False, kind="stable").head(limit)

    def cells(label, row) -> list[str]:
        ret = row["return_on_cost"]
        return [str(label), formatting.count(row["leads"]), formatting.count(row["mqls"]),
                formatting.count(row["sqls"]), formatting.count(row["deals_won"]),
                money(row["revenue_won"], report.currency), money(row["cost"], report.currency),
                money(row["cost_per_lead"], report.currency), "–" if pd.isna(ret) else f"{ret:,.1f}×"]

    rows = [cells(row["label"], row) for _, row in ordered.iterrows()]
    if len(table) > limit:
        rows.append([f"… {len(table) - limit} more in the workbook"] + [""] * 8)
    rows.append(cells("All", totals))
    rows.append(["Of it, leads without a campaign (not in the return)", "", "", "", "",
                 money(totals["revenue_without_campaign"], report.currency), "", "", ""])
    return headers, rows


def reps(report: MonthReport) -> Table:
    """First touch in time per rep, furthest behind first."""
    headers = ["Rep", "MQLs", "In time", "Known outcome", "First touch in time", "Status", "Open breaches",
               "Median response"]
    return headers, [[r.name, formatting.count(r.mqls), formatting.count(r.met), formatting.count(r.known),
                      formatting.rate(r.attainment), status_text(r.status), formatting.count(r.open_breaches),
                      formatting.hours(r.median_response_hours)] for r in report.reps.itertuples()]


def forecast(report: MonthReport) -> Table:
    """Next month per count commitment: target, so far and projected when it has begun."""
    headers = ["Commitment", "Target", "So far", "Projected", "Status", "Weighted pipeline"]
    return headers, [[r.label, figure_text(r.metric, r.target, report.currency),
                      figure_text(r.metric, r.actual_so_far, report.currency),
                      figure_text(r.metric, r.projected, report.currency),
                      status_text(r.status) if r.status else "not begun" if r.actual_so_far is None else "–",
                      money(r.weighted_pipeline, report.currency) if pd.notna(r.weighted_pipeline) else ""]
                     for r in report.forecast.itertuples()]


def forecast_pipeline(report: MonthReport) -> Table:
    """The open deals expected to close next month, per stage."""
    headers = ["Stage", "Deals", "Amount", "Weighted"]
    frame = report.forecast_pipeline
    rows = [[r.stage, formatting.count(r.deals), money(r.amount, report.currency), money(r.weighted, report.currency)]
            for r in frame.itertuples()]
    if len(frame):
        rows.append(["All", formatting.count(frame["deals"].sum()), money(frame["amount"].sum(), report.currency),
                     money(frame["weighted"].sum(), report.currency)])
    return headers, rows


def quality(report: MonthReport) -> Table:
    """The data-quality rules with findings."""
    headers = ["Check", "What it means", "Count", "Examples"]
    return headers, [[r.rule.replace("_", " "), r.description, formatting.count(r.count), r.examples]
                     for r in report.quality.itertuples()]


def quality_note(report: MonthReport) -> str:
    """One paragraph on how far the data can be trusted."""
    totals = report.quality_totals
    if not totals["findings"]:
        return f"All {totals['rules']} data-quality checks are clean."
    return (f"{totals['rules_with_findings']} of {totals['rules']} data-quality checks have findings: "
            f"{totals['findings']:,} in all, on {totals['records']:,} records, over all history. Nothing is "
            "dropped because of them; inferred stage dates are counted at the inferred date. The Data quality "
            "page lists the records.")


def response_line(report: MonthReport) -> str:
    """The month's first-touch result in one line."""
    summary = report.response
    if report.window_hours is None:
        return "The agreement sets no response window, so there is no first-touch SLA to measure."
    if not summary.get("mqls"):
        return f"No MQLs in {report.month:%B %Y}."
    target = f" against a target of {formatting.rate(report.response_target)}" if report.response_target else ""
    return (f"First touch within {report.window_hours:g} working hours: {formatting.rate(summary['attainment'])}"
            f"{target}, {summary['met']:,} of {summary['met'] + summary['missed']:,} MQLs with a known outcome; "
            f"median response {formatting.hours(summary['median_response_hours'])}; {summary['pending']:,} pending, "
            f"{summary['open_breaches']:,} open breaches.")
