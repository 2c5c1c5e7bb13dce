"""The wall screen's views as HTML: big type, no charts to resize, sized in viewport units so a
3840x2160 screen lays them out natively. `build_views` lays out the figures of
`reports.wall.wall_report` for the views a playlist names; it runs in the wall's refresh
callback, and computes nothing.
"""
from __future__ import annotations

import pandas as pd
from dash import html

from dashboard.components import formatting
from dashboard.components.labels import METRIC_LABELS, STATUS_ICONS, STATUS_LABELS
from dashboard.reports.wall import WallReport
from dashboard.vocabulary import COMMITMENT_TEAMS, STAGES_OF_FUNNEL, STATUSES, TEAM

TITLES = {
    "meeting": "Weekly meeting: where we stand",
    "week": "This week against the SLA",
    "month": "This month against the SLA",
    "funnel": "This month's funnel",
    "breaches": "Open response breaches by rep",
    "loop": "Closed loop by source: leads of the last 12 months",
}
TEAM_NAMES = {name: TEAM[name].label for name in COMMITMENT_TEAMS}
STAGE_NAMES = {stage.name: stage.plural for stage in STAGES_OF_FUNNEL}
MAX_REPS = 8
MAX_SOURCES = 8
MAX_RISKS = 5
MAX_MEETING_REPS = 3


def view_id(name: str) -> str:
    return f"wall-view-{name}"


def _restated(metric: str, restated, currency: str, actual=None) -> list:
    """", restated N" after a finished period's figure that late data changed since (where
    the change shows in the figure as written)."""
    if restated is None or pd.isna(restated) or _value(metric, restated, currency) == _value(metric, actual, currency):
        return []
    return [html.Span(f", restated {_value(metric, restated, currency)}", className="wall-restated")]


def _value(metric: str, value, currency: str) -> str:
    return formatting.metric_value(metric, value, currency)


def _status(status: str | None, word: bool = True) -> html.Span:
    """A status as colour and icon, with its word unless `word` is False (the word then shows
    on hover); a finished period's met or missed boxed as a final result."""
    status = status if isinstance(status, str) else None  # a frame's missing status is NaN
    css = status if status in STATUSES else "none"
    text = f"{STATUS_ICONS[status]} {STATUS_LABELS[status]}" if word else STATUS_ICONS[status]
    return html.Span(text, className=f"wall-status {css}", title=STATUS_LABELS[status])


def _change(row, currency: str) -> str:
    """A difference in the metric's unit with its direction: '▲ +3', '▼ −2.5 pts', '= 0'."""
    change = row["change"]
    if pd.isna(change):
        return "–"
    if row["metric"] in formatting.RATE_METRICS:
        text = f"{abs(change) * 100:.1f} pts"
    else:
        text = formatting.metric_value(row["metric"], abs(change), currency)
    if abs(change) < 1e-9:
        return "= no change"
    return ("▲ +" if change > 0 else "▼ −") + text


def _tile(row, currency: str, name: str, not_recorded=frozenset()) -> html.Div:
    metric = row["metric"]
    lines = [html.Div(f"target {_value(metric, row['target'], currency)}", className="wall-tile-target")]
    if row["is_count"]:
        lines.append(html.Div(f"expected so far {_value(metric, row['expected'], currency)}", className="wall-tile-note"))
        needed = row["required_per_day"]
        if pd.notna(needed) and row["status"] != "ahead":
            lines.append(html.Div(f"needs {formatting.metric_value(metric, needed, currency, decimals=1)} / work day",
                                  className="wall-tile-note"))
    return html.Div([
        html.Div([html.Span(TEAM_NAMES.get(row["team"], row["team"]), className=f"wall-team {row['team']}"),
                  html.Span(METRIC_LABELS.get(metric, metric), className="wall-tile-metric")], className="wall-tile-head"),
        html.Div(formatting.figure_or_reason(metric, row["actual"], currency, not_recorded), className="wall-tile-actual",
                 id=f"wall-{name}-{row['id']}"),
        *lines,
        _status(row["status"]),
    ], className=f"wall-tile {row['status'] if isinstance(row['status'], str) else 'none'}")


def scoreboard_view(tiles: pd.DataFrame, currency: str, name: str, not_recorded=frozenset()) -> html.Div:
    """One tile per commitment: actual, target, expected so far, status; ids `wall-{name}-{commitment}`."""
    return html.Div([_tile(row, currency, name, not_recorded) for _, row in tiles.iterrows()], className="wall-tiles")


def meeting_view(changes: pd.DataFrame, month: pd.DataFrame, risks: pd.DataFrame, reps: pd.DataFrame,
                 total: int, currency: str, not_recorded=frozenset()) -> html.Div:
    """Period to date against the targets, what changed since last week, what is at risk and
    the open breaches: the weekly meeting's agenda on one screen."""
    month = month.set_index("id")
    rows = []
    for _, row in changes.iterrows():
        metric = row["metric"]
        this_month = month.loc[row["id"]]
        rows.append(html.Tr([
            html.Td([html.Span(TEAM_NAMES.get(row["team"], row["team"]), className=f"wall-team {row['team']}"),
                     METRIC_LABELS.get(metric, metric)]),
            html.Td(formatting.figure_or_reason(metric, row["week_to_date"], currency, not_recorded),
                    className="num strong",
                    id=f"wall-meeting-week-{row['id']}"),
            html.Td(_change(row, currency), className="num change"),
            html.Td([formatting.figure_or_reason(metric, this_month["actual"], currency, not_recorded), html.Span(
                f" / {_value(metric, this_month['target'], currency)}", className="wall-of")], className="num strong",
                id=f"wall-meeting-month-{row['id']}"),
            html.Td(_status(this_month["status"])),
            html.Td([_value(metric, row["last_week"], currency), *_restated(metric, row.get("last_week_restated"),
                                                                            currency, row["last_week"]),
                     " ", _status(row["last_week_status"], word=False)], className="num"),
        ]))
    table = html.Table([
        html.Thead(html.Tr([html.Th("Commitment"), html.Th("Week so far", className="num"),
                            html.Th("vs last week", className="num"),
                            html.Th("Month so far / target", className="num"), html.Th("Month"),
                            html.Th("Last week", className="num")])),
        html.Tbody(rows),
    ], className="wall-table")
    risk_items = []
    for _, risk in risks.head(MAX_RISKS).iterrows():
        metric = risk["metric"]
        needed = (f", needs {formatting.metric_value(metric, risk['required_per_day'], currency, decimals=1)} a day"
                  if risk["is_count"] and pd.notna(risk["required_per_day"]) else "")
        risk_items.append(html.Li([_status(risk["status"]), f" {METRIC_LABELS.get(metric, metric)}: "
                                   f"{_value(metric, risk['actual'], currency)} of "
                                   f"{_value(metric, risk['target'], currency)}{needed}"]))
    if len(risks) > MAX_RISKS:
        risk_items.append(html.Li(f"and {len(risks) - MAX_RISKS} more", className="wall-more"))
    if not risk_items:
        risk_items = [html.Li("✔ Every commitment is on track this month.")]
    breach_items = ([html.Li([html.B(formatting.count(r.breaches)), f"  {r.owner}"])
                     for r in reps.head(MAX_MEETING_REPS).itertuples()] if total
                    else [html.Li("✔ None: no MQL waits without a response past its window.")])
    return html.Div([
        table,
        html.Div([
            html.Div([html.H3("Behind or at risk this month"), html.Ul(risk_items, className="wall-list")],
                     className="wall-panel", id="wall-meeting-risks"),
            html.Div([html.H3(["Open breaches ", html.Span(formatting.count(total), className="wall-big-inline",
                                                           id="wall-meeting-breaches")]),
                      html.Ul(breach_items, className="wall-list")], className="wall-panel"),
        ], className="wall-side"),
    ], className="wall-meeting")


def funnel_view(funnel: pd.DataFrame) -> html.Div:
    """Each stage's count this month so far as a bar, last month at the same point beside it."""
    biggest = max(int(funnel["count"].max()), int(funnel["previous"].max()), 1)
    rows = []
    for row in funnel.itertuples(index=False):
        width = f"{100 * row.count / biggest:.1f}%"
        ratio = "" if pd.isna(row.ratio_to_previous_stage) else f"{row.ratio_to_previous_stage * 100:.0f} % of the stage before"
        rows.append(html.Div([
            html.Div(STAGE_NAMES[row.stage], className="wall-funnel-stage"),
            html.Div(html.Div(className="wall-funnel-fill", style={"width": width}), className="wall-funnel-bar"),
            html.Div(formatting.count(row.count), className="wall-funnel-count", id=f"wall-funnel-{row.stage}"),
            html.Div([f"last month {formatting.count(row.previous)}", html.Br(), ratio], className="wall-funnel-note"),
        ], className="wall-funnel-row"))
    return html.Div([*rows, html.Div("Leads reaching each stage this month so far; last month up to the same day "
                                     "and time. A share is this month's count over the stage before's.",
                                     className="wall-footnote")], className="wall-funnel")


def breaches_view(reps: pd.DataFrame, total: int, window_hours: float | None) -> html.Div:
    """How many MQLs wait without a response past the response window, per rep, the most first."""
    if window_hours is None:
        return html.Div("The agreement sets no response window, so there are no breaches to show.",
                        className="wall-empty")
    head = html.Div([html.Span(formatting.count(total), className="wall-hero", id="wall-breach-total"),
                     html.Span(f" MQLs with no response past the {window_hours:g} working-hour window",
                               className="wall-hero-note")], className="wall-hero-line")
    if not total:
        return html.Div([head, html.Div("✔ No MQL waits without a response past the window.", className="wall-empty good")])
    biggest = int(reps["breaches"].max())
    rows = [html.Div([
        html.Div(row.owner, className="wall-rep-name"),
        html.Div(html.Div(className="wall-rep-fill", style={"width": f"{100 * row.breaches / biggest:.1f}%"}),
                 className="wall-rep-bar"),
        html.Div(formatting.count(row.breaches), className="wall-rep-count"),
        html.Div(f"oldest {row.oldest_hours:,.0f} working h", className="wall-rep-note"),
    ], className="wall-rep-row") for row in reps.head(MAX_REPS).itertuples(index=False)]
    more = len(reps) - MAX_REPS
    if more > 0:
        rows.append(html.Div(f"and {more} more reps", className="wall-footnote"))
    return html.Div([head, *rows], className="wall-breaches")


def loop_view(table: pd.DataFrame, totals: pd.Series, currency: str) -> html.Div:
    """Per source: the leads of the last 12 months and what became of them, against cost."""
    if table.empty:
        return html.Div("No leads in the last 12 months.", className="wall-empty")
    top = table.sort_values(["revenue_won", "leads"], ascending=False, kind="stable").head(MAX_SOURCES)

    def cells(label, row, css=""):
        return html.Tr([
            html.Td(label), html.Td(formatting.count(row["leads"]), className="num"),
            html.Td(formatting.count(row["mqls"]), className="num"),
            html.Td(formatting.count(row["deals_won"]), className="num"),
            html.Td(formatting.money(row["revenue_won"], currency), className="num strong"),
            html.Td(formatting.money(row["cost"], currency), className="num"),
            html.Td("–" if pd.isna(row["return_on_cost"]) else f"{row['return_on_cost']:.1f}×", className="num"),
        ], className=css)

    body = [cells(row["label"], row) for _, row in top.iterrows()]
    body.append(cells("All sources", totals, "wall-total"))
    return html.Div([html.Table([
        html.Thead(html.Tr([html.Th("Source"), *[html.Th(h, className="num") for h in
                                                ("Leads", "MQLs", "Won deals", "Won revenue", "Cost",
                                                 "Return (campaign revenue ÷ cost)")]])),
        html.Tbody(body),
    ], className="wall-table"), html.Div(
        f"Revenue of leads without a campaign, not in the return: "
        f"{formatting.money(totals['revenue_without_campaign'], currency)}", className="wall-note")],
        className="wall-loop")


def build_views(report: WallReport) -> dict:
    """Each view of the report as HTML, by name."""
    currency, rendered = report.currency, {}
    for name in report.views:
        if name == "week":
            rendered[name] = scoreboard_view(report.week, currency, name, report.not_recorded)
        elif name == "month":
            rendered[name] = scoreboard_view(report.month, currency, name, report.not_recorded)
        elif name == "meeting":
            rendered[name] = meeting_view(report.changes, report.month, report.risks, report.reps, report.breaches,
                                          currency, report.not_recorded)
        elif name == "funnel":
            rendered[name] = funnel_view(report.funnel)
        elif name == "breaches":
            rendered[name] = breaches_view(report.reps, report.breaches, report.window_hours)
        elif name == "loop":
            rendered[name] = loop_view(report.loop, report.loop_totals, currency)
    return rendered
