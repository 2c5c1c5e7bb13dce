"""One lead's timeline as the pages draw it: a line per event (when, which team, what, detail,
who), all as inert text. Shared by the Leads page's side panel and the Lead page."""
from __future__ import annotations

import pandas as pd
from dash import html

from dashboard.components import formatting
from dashboard.components.labels import TEAM_COLOURS, TEAM_LABELS

KIND_LABELS = {"stage": "Stage", "engagement": "Engagement", "touch": "Sales touch", "deal": "Deal"}


def timeline_event(row) -> html.Div:
    """One line of the timeline: when, which team, what, detail, who (all as inert text)."""
    team = row.team if row.team in TEAM_COLOURS else "sales"
    money = formatting.money(row.amount, row.currency or "EUR") if pd.notna(row.amount) else None
    detail = " · ".join(part for part in (row.detail, money) if isinstance(part, str) and part)
    return html.Div([
        html.Div(f"{row.at:%a %-d %b %Y %H:%M}", className="timeline-when"),
        html.Div([
            html.Span(f"{TEAM_LABELS[team]} · {KIND_LABELS.get(row.kind, row.kind)}",
                      className=f"timeline-team {team}"),
            html.Span(row.event, className="timeline-what"),
            html.Div(detail, className="timeline-detail") if detail else None,
            html.Div(row.who, className="timeline-who") if isinstance(row.who, str) else None,
        ]),
    ], className=f"timeline-event {team}", style={"borderLeftColor": TEAM_COLOURS[team]})


def fact(label: str, value) -> html.Div:
    """One labelled value of the lead's card; a dash where it is missing."""
    text = "–" if value is None or (not isinstance(value, str) and pd.isna(value)) or value == "" else str(value)
    return html.Div([html.Span(label, className="fact-label"), html.Span(text, className="fact-value")],
                    className="fact")


def legend() -> html.Div:
    return html.Div([html.Span("Marketing", className="timeline-team marketing"),
                     html.Span("Sales", className="timeline-team sales")], className="timeline-legend")
