"""Figure builders of the marketing page: computed frames in, plotly figures out, nothing computed."""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from dashboard.components.charts import add_target_line, bars_against_target, base_figure
from dashboard.components.labels import STATUS_COLOURS, TARGET_COLOUR, TEAM_COLOURS

LEAD_COLOUR = "#56B4E9"  # Okabe-Ito sky blue: the leads behind marketing's MQLs
REASON_COLOUR = "#8c959f"
VIOLATION_COLOUR = STATUS_COLOURS["behind"]
MQL_TARGET = "MQL target"


def volume_figure(volume: pd.DataFrame, current_period: pd.Timestamp | None = None) -> go.Figure:
    """Leads and MQLs per period (rows of `marketing.against_target`) with the MQL target over
    them, and the target expected by now in the period still running."""
    figure = base_figure("", height=360)
    marketing = TEAM_COLOURS["marketing"]
    figure.add_trace(go.Bar(x=volume["period_start"], y=volume["leads"], name="Leads", marker_color=LEAD_COLOUR,
                            opacity=0.6, hovertemplate="%{y:,}<extra>Leads</extra>"))
    figure.add_trace(go.Bar(x=volume["period_start"], y=volume["mqls"], name="MQLs", marker_color=marketing,
                            hovertemplate="%{y:,}<extra>MQLs</extra>"))
    if volume["target"].notna().any():
        add_target_line(figure, volume["period_start"], volume["target"], name=MQL_TARGET,
                        shape="linear" if len(volume) < 2 else "hvh")
    running = volume[volume["period_start"] == current_period] if current_period is not None else volume.iloc[0:0]
    if len(running) and running["expected"].notna().all():
        figure.add_trace(go.Scatter(
            x=running["period_start"], y=running["expected"], mode="markers", name="MQL target expected by now",
            marker={"symbol": "line-ew-open", "size": 26, "color": TARGET_COLOUR,
                    "line": {"width": 3, "color": TARGET_COLOUR}},
            hovertemplate="%{y:,.1f}<extra>expected by now</extra>",
        ))
    figure.update_layout(barmode="group", bargap=0.2, bargroupgap=0.05, margin={"l": 56, "r": 16, "t": 40, "b": 40},
                         legend={"x": 0, "xanchor": "left"})
    return figure


def pacing_figure(pacing: pd.DataFrame, today: pd.Timestamp, pace: dict | None) -> go.Figure:
    """Cumulative MQLs per day of the month (rows of `marketing.cumulative_pacing`) against
    the target ramped over working days, today marked, and the projection at this pace."""
    figure = base_figure("", height=360, y_title="MQLs so far")
    marketing = TEAM_COLOURS["marketing"]
    figure.add_trace(go.Scatter(
        x=pacing["date"], y=pacing["cumulative_mqls"], name="MQLs so far", mode="lines",
        line={"color": marketing, "width": 3}, fill="tozeroy", fillcolor="rgba(0,114,178,0.08)",
        hovertemplate="%{x|%a %d %b}: %{y:,}<extra>MQLs so far</extra>",
    ))
    if pacing["cumulative_target"].gt(0).any():
        add_target_line(figure, pacing["date"], pacing["cumulative_target"], name="Target, ramped by working days",
                        shape="linear")
    if pace is not None and pace.get("projected") is not None:
        known = pacing.dropna(subset=["cumulative_mqls"])
        if len(known):
            figure.add_trace(go.Scatter(
                x=[known["date"].iloc[-1], pacing["date"].iloc[-1]],
                y=[known["cumulative_mqls"].iloc[-1], pace["projected"]],
                name="Projected at this pace", mode="lines+markers",
                line={"color": marketing, "dash": "dot", "width": 2}, marker={"size": [0, 8]},
                hovertemplate="%{y:,.0f}<extra>projected</extra>",
            ))
    if pace is not None and pace.get("expected") is not None:
        figure.add_trace(go.Scatter(
            x=[today], y=[pace["expected"]], mode="markers", name="Expected by now",
            marker={"symbol": "diamond-open", "size": 11, "color": TARGET_COLOUR, "line": {"width": 2}},
            hovertemplate="%{y:,.1f}<extra>expected by now</extra>",
        ))
    figure.add_shape(type="line", x0=today, x1=today, y0=0, y1=1, yref="paper",
                     line={"color": "#24292f", "width": 1.5, "dash": "dot"})
    figure.add_annotation(x=today, y=1, yref="paper", text=f"Today, {pd.Timestamp(today):%d %b}", showarrow=False,
                          xanchor="right", yanchor="top", font={"size": 12, "color": "#24292f"},
                          bgcolor="rgba(255,255,255,0.85)")
    figure.update_layout(margin={"l": 64, "r": 16, "t": 40, "b": 40}, legend={"x": 0, "xanchor": "left"})
    figure.update_xaxes(tickformat="%d %b")
    return figure


def acceptance_figure(acceptance: pd.DataFrame) -> go.Figure:
    """The MQL acceptance rate per period against its target (rows of `marketing.against_target`)."""
    figure = bars_against_target(acceptance, "period_start", "acceptance_rate",
                                 "target" if acceptance["target"].notna().any() else None, "", "marketing",
                                 "MQL acceptance", percent=True)
    figure.update_layout(height=340, margin={"l": 56, "r": 16, "t": 40, "b": 40}, legend={"x": 0, "xanchor": "left"})
    figure.update_yaxes(range=[0, 1.05])
    return figure


def rejections_figure(reasons: pd.DataFrame, violation_label: str) -> go.Figure:
    """Rejections per reason (rows of `acceptance.rejection_reasons`), the no-reason group in red
    and named as the SLA violation it is."""
    figure = base_figure("", height=max(220, 60 + 32 * len(reasons)))
    ordered = reasons.iloc[::-1]
    flagged = f"<b><span style='color:{VIOLATION_COLOUR}'>{violation_label}</span></b>"
    labels = [flagged if violation else reason for reason, violation in zip(ordered["reason"], ordered["violation"])]
    figure.add_trace(go.Bar(
        y=labels, x=ordered["rejections"], orientation="h", name="Rejections",
        marker_color=[VIOLATION_COLOUR if v else REASON_COLOUR for v in ordered["violation"]],
        text=[f"{n:,} · {s:.0%}" for n, s in zip(ordered["rejections"], ordered["share"])], textposition="outside",
        cliponaxis=False, hovertemplate="%{y}: %{x:,} rejections<extra></extra>",
    ))
    figure.update_layout(hovermode="closest", showlegend=False, margin={"l": 16, "r": 72, "t": 36, "b": 32})
    figure.update_yaxes(gridcolor="rgba(0,0,0,0)", automargin=True, tickfont={"size": 13})
    figure.update_xaxes(gridcolor="#eef0f2", tickformat=",")
    return figure
