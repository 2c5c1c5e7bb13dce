"""Scoreboard: every SLA commitment for today, this week, month and quarter, both teams side
by side, with last week's and last month's results and the previous period at the same point."""
from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input, Output, callback, dcc, html

from dashboard.application import current_settings
from dashboard.components import formatting
from dashboard.components.filters import ID
from dashboard.components.labels import METRIC_LABELS
from dashboard.components.layout import NO_DATA, empty_state, metric_label, page_header, render_safely, status_badge
from dashboard.reports.context import ReportContext
from dashboard.reports.scoreboard import ScoreboardReport, scoreboard_report
from dashboard.sla import Agreement
from dashboard.vocabulary import COMMITMENT_TEAMS, TEAM

dash.register_page(__name__, path="/", name="Scoreboard", title="Scoreboard", order=0,
                   role="viewer", shared_figures=True)

BODY = "scoreboard-body"
CURRENT_HORIZONS = ("today", "this_week", "this_month", "this_quarter")
POSSESSIVE = {name: TEAM[name].possessive for name in COMMITMENT_TEAMS}


def layout(**_query):
    return html.Div([
        page_header("SLA scoreboard", "Every commitment of the agreement, as of now: are we on track?"),
        dcc.Loading(html.Div(id=BODY), type="default", delay_show=300),
    ])


def _change(actual, previous, metric: str, currency: str) -> str:
    """The difference against the previous period at the same point, in the metric's unit."""
    if actual is None or previous is None or pd.isna(actual) or pd.isna(previous):
        return "–"
    difference = actual - previous
    if metric in formatting.RATE_METRICS:
        return f"{difference * 100:+.1f} pts"
    text = formatting.metric_value(metric, abs(difference), currency)
    return ("+" if difference >= 0 else "−") + text


def _commitment_card(rows: pd.DataFrame, agreement: Agreement, not_recorded=frozenset()) -> html.Div:
    first = rows.iloc[0]
    commitment = agreement.commitment(first["id"])
    metric, currency = commitment.metric, agreement.currency
    is_count = commitment.is_count
    value = lambda v: formatting.metric_value(metric, v, currency)  # noqa: E731
    actual = lambda v: formatting.figure_or_reason(metric, v, currency, not_recorded)  # noqa: E731
    decimals = lambda v: formatting.metric_value(metric, v, currency, decimals=1 if metric != "revenue_won" else 0)  # noqa: E731
    headers = ["", "Actual", "Target", "Expected so far", "Projected", "Needed / work day", "Status", "vs. previous period, same point"]
    if not is_count:
        headers = ["", "Actual", "Target", "Status", "vs. previous period, same point"]
    body = []
    for _, row in rows.iterrows():
        restated = row.get("restated")
        shown = [actual(row["actual"])]
        if restated is not None and not pd.isna(restated) and value(restated) != value(row["actual"]):
            shown.append(html.Span(f", restated {value(restated)}", className="restated",
                                   title="Late data recorded since the period ended changed it"))
        note = row.get("note") if isinstance(row.get("note"), str) else None
        target = html.Td(note, className="no-target") if note else html.Td(value(row["target"]))
        cells = [html.Td(row["label"]), html.Td(shown, className="actual"), target]
        if is_count:
            cells += [html.Td(value(row["expected"])), html.Td(value(row["projected"])),
                      html.Td(decimals(row["required_per_day"]))]
        cells += [html.Td(status_badge(row["status"], note)),
                  html.Td(_change(row["actual"], row.get("previous_same_point"), metric, currency)
                          if row["horizon"] in CURRENT_HORIZONS else "final, as at its end")]
        body.append(html.Tr(cells, id=f"score-{row['id']}-{row['horizon']}"))
    title = metric_label(metric, METRIC_LABELS.get(metric, metric))
    window = f" within {commitment.window_hours:g} working hours" if commitment.window_hours else ""
    return html.Div([
        html.Div([title, window], className="commitment-title"),
        html.Div(commitment.description or "", className="commitment-desc"),
        html.Table([html.Thead(html.Tr([html.Th(h) for h in headers])), html.Tbody(body)]),
    ], className="commitment", id=f"commitment-{first['id']}")


def render_scoreboard(report: ScoreboardReport) -> html.Div:
    """Both teams' commitments side by side."""
    board, agreement, as_of = report.board, report.agreement, report.as_of
    order = {h: i for i, h in enumerate(("today", "this_week", "this_month", "this_quarter", "last_week", "last_month"))}
    board = board.assign(order=board["horizon"].map(order)).sort_values("order")
    columns = []
    for team in COMMITMENT_TEAMS:
        cards = [_commitment_card(board[board["id"] == c.id], agreement, report.not_recorded)
                 for c in agreement.commitments if c.team == team and (board["id"] == c.id).any()]
        month = board[(board["team"] == team) & (board["horizon"] == "this_month")]
        summary = [html.Span([status_badge(s), f" {int((month['status'] == s).sum())}"], className="summary-chip")
                   for s in ("ahead", "at_risk", "behind")]
        columns.append(dbc.Col(html.Div([
            html.Div(f"{POSSESSIVE[team]} commitments", className=f"team-heading {team}"),
            html.Div(["This month: ", *summary], className="mb-3"),
            *cards,
        ], className=f"team-column {team}", id=f"team-{team}"), lg=6, className="mb-3"))
    local = as_of.tz_convert(agreement.tz)
    stamp = f"As of {local:%a %d %b %Y %H:%M} ({agreement.timezone}). Agreement: {agreement.name}."
    if len(agreement.all_versions) > 1:
        stamp += f" Each day is scored by the version in force that day ({len(agreement.all_versions)} versions)."
    said = [html.Div(stamp, className="text-muted mb-2", id="scoreboard-as-of")]
    if report.slice_note:
        said.append(html.Div(report.slice_note, className="text-muted mb-2", id="scoreboard-slice"))
    return html.Div([*said, dbc.Row(columns)])


@callback(Output(BODY, "children"), Input(ID.STATE, "data"))
@render_safely
def update_scoreboard(state):
    """The scoreboard for the filters in the URL."""
    report = scoreboard_report(ReportContext.for_request(current_settings(), state))
    return empty_state(*NO_DATA) if report.is_empty else render_scoreboard(report)
