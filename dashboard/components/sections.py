"""Building blocks of the chart pages: figure cards, section boxes, small tables, period names."""
from __future__ import annotations

import datetime as dt

import pandas as pd
from dash import dcc, html

from dashboard.metrics.calendar import period_end, period_key

GRAPH_CONFIG = {"displaylogo": False, "responsive": True,
                "modeBarButtonsToRemove": ["lasso2d", "select2d", "autoScale2d"]}
GRAIN_WORDS = {"day": "day", "week": "week", "month": "month", "quarter": "quarter"}


def kpi_card(label, value: str, detail=None, component_id: str | None = None) -> html.Div:
    """One headline figure: its name (with the definition on hover), the value, a line under it."""
    children = [html.Div(label, className="kpi-label"), html.Div(value, className="kpi-value")]
    if detail is not None:
        children.append(html.Div(detail, className="kpi-target"))
    return html.Div(children, className="kpi-card", **({"id": component_id} if component_id else {}))


def section(title, *body, component_id: str | None = None, note=None) -> html.Div:
    """A white box with a heading (a string or components), an optional note and its content."""
    heading = [html.H3(title)]
    if note is not None:
        heading.append(html.Div(note, className="section-note"))
    return html.Div([*heading, *body], className="section", **({"id": component_id} if component_id else {}))


def graph(component_id: str, figure) -> dcc.Graph:
    """A chart with the dashboard's toolbar settings."""
    height = figure.layout.height
    return dcc.Graph(id=component_id, figure=figure, config=GRAPH_CONFIG,
                     style={"height": f"{height}px"} if height else None)


def table(headers: list, rows: list[list], component_id: str | None = None, numeric: set[int] | None = None,
          row_classes: list[str | None] | None = None) -> html.Table:
    """A compact table; the `numeric` columns (all but the first by default) are right-aligned."""
    def cell(tag, value, index):
        is_number = index in numeric if numeric is not None else index > 0
        return tag(value, className="num" if is_number else None)

    body = [html.Tr([cell(html.Td, value, i) for i, value in enumerate(row)],
                    className=(row_classes[n] if row_classes else None))
            for n, row in enumerate(rows)]
    return html.Table([html.Thead(html.Tr([cell(html.Th, h, i) for i, h in enumerate(headers)])), html.Tbody(body)],
                      className="figures-table", **({"id": component_id} if component_id else {}))


def period_label(start: pd.Timestamp, grain: str, today: pd.Timestamp | None = None) -> str:
    """A period as people say it: 'Fri 20 Nov 2026', 'W47 · 16 Nov 2026', 'Nov 2026',
    '2026-Q4'; '(so far)' after the period that holds today."""
    start = pd.Timestamp(start)
    if grain == "day":
        text = f"{start:%a %d %b %Y}"
    elif grain == "week":
        text = f"{period_key(start, 'week')[5:]} · {start:%d %b %Y}"
    elif grain == "month":
        text = f"{start:%b %Y}"
    else:
        text = period_key(start, "quarter")
    if today is not None and start <= pd.Timestamp(today) < period_end(start, grain):
        text += " (so far)"
    return text


def range_stamp(start: dt.date, end: dt.date, grain: str, as_of: pd.Timestamp, agreement) -> str:
    """The line that says which dates, which grain and as of when the page speaks."""
    local = pd.Timestamp(as_of).tz_convert(agreement.tz)
    return (f"{start:%d %b %Y} – {end:%d %b %Y}, by {GRAIN_WORDS[grain]}. "
            f"As of {local:%a %d %b %Y %H:%M} ({agreement.timezone}).")
