"""Figure builders shared by the pages: computed frames in, plotly figures out, nothing computed.

One look everywhere: the team colours, a dashed dark line for every target, readable type.
"""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from dashboard.components.labels import TARGET_COLOUR, TEAM_COLOURS

FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"


def base_figure(title: str, height: int = 340, y_title: str | None = None, percent: bool = False) -> go.Figure:
    """An empty figure with the dashboard's look."""
    figure = go.Figure()
    figure.update_layout(
        title={"text": title, "x": 0, "xanchor": "left", "font": {"size": 17}},
        height=height, margin={"l": 56, "r": 16, "t": 48, "b": 40},
        font={"family": FONT, "size": 13, "color": "#24292f"},
        plot_bgcolor="#ffffff", paper_bgcolor="#ffffff",
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "right", "x": 1},
        hovermode="x unified",
    )
    figure.update_xaxes(showgrid=False, linecolor="#d0d7de")
    figure.update_yaxes(gridcolor="#eef0f2", zeroline=False, title=y_title,
                        tickformat=".0%" if percent else ",", rangemode="tozero")
    return figure


def add_target_line(figure: go.Figure, x, target, name: str = "Target", shape: str = "hv") -> go.Figure:
    """A dashed target line (stepped per period by default) over the bars or lines."""
    figure.add_trace(go.Scatter(
        x=list(x), y=list(target), name=name, mode="lines",
        line={"color": TARGET_COLOUR, "dash": "dash", "width": 2, "shape": shape},
        hovertemplate="%{y:,.1f}<extra>" + name + "</extra>",
    ))
    return figure


def bars_against_target(frame: pd.DataFrame, x: str, actual: str, target: str | None, title: str,
                        team: str, label: str, percent: bool = False) -> go.Figure:
    """Per-period bars in the team's colour with the target drawn over them."""
    figure = base_figure(title, percent=percent)
    figure.add_trace(go.Bar(x=frame[x], y=frame[actual], name=label, marker_color=TEAM_COLOURS.get(team, "#57606a"),
                            hovertemplate=("%{y:.1%}" if percent else "%{y:,}") + f"<extra>{label}</extra>"))
    if target is not None and target in frame:
        # Centre the step on each bar: the line covers the whole period it belongs to.
        add_target_line(figure, frame[x], frame[target], shape="linear" if len(frame) < 2 else "hvh")
    return figure


def empty_figure(message: str, height: int = 340) -> go.Figure:
    """A blank chart that says why it is blank."""
    figure = base_figure("", height=height)
    figure.add_annotation(text=message, showarrow=False, font={"size": 16, "color": "#57606a"},
                          xref="paper", yref="paper", x=0.5, y=0.5)
    figure.update_xaxes(visible=False)
    figure.update_yaxes(visible=False)
    return figure
