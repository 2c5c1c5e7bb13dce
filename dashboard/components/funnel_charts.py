"""Figure builders of the funnel page: computed frames in, plotly figures out, nothing computed."""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dashboard.components.charts import FONT, base_figure
from dashboard.components.labels import TARGET_COLOUR, TEAM_COLOURS
from dashboard.vocabulary import STAGES_OF_FUNNEL

STAGE_NAMES = {stage.name: stage.label for stage in STAGES_OF_FUNNEL}
STAGE_PLURALS = {stage.name: stage.plural for stage in STAGES_OF_FUNNEL}
# Who owns each step: marketing makes MQLs, sales takes it from acceptance on.
STEP_TEAM = {"lead": "marketing", "mql": "sales", "sal": "sales", "sql": "sales", "opportunity": "sales"}
STAGE_COLOURS = {"lead": "#56B4E9", "mql": "#0072B2", "sal": "#E69F00", "sql": "#CC79A7",
                 "opportunity": "#D55E00", "won": "#009E73"}
IMMATURE_NOTE = "Immature cohort: less than the median lag has passed since the period ended"
MUTED = "#57606a"


def pair_title(from_stage: str, to_stage: str) -> str:
    """'Lead → MQL'."""
    return f"{STAGE_NAMES[from_stage]} → {STAGE_NAMES[to_stage]}"


def funnel_figure(stages: pd.DataFrame) -> go.Figure:
    """The leads of a range stage by stage (rows of `funnel_views.range_funnel`)."""
    figure = base_figure("", height=340)
    text = [f"{leads:,} ({share:.0%})" if i and pd.notna(share) else f"{leads:,}"
            for i, (leads, share) in enumerate(zip(stages["leads"], stages["share_of_previous"]))]
    figure.add_trace(go.Funnel(
        y=[STAGE_PLURALS[s] for s in stages["stage"]], x=stages["leads"], text=text, textinfo="text",
        textposition="auto", insidetextfont={"color": "#ffffff"},
        marker={"color": [STAGE_COLOURS[s] for s in stages["stage"]]},
        connector={"line": {"color": "#d0d7de"}}, name="Leads",
        customdata=stages["share_of_first"],
        hovertemplate="%{y}: %{x:,} (%{percentPrevious:.1%} of the stage before)<br>"
                      "%{customdata:.1%} of the leads created<extra></extra>",
    ))
    figure.update_layout(hovermode="closest", margin={"l": 110, "r": 16, "t": 16, "b": 16}, showlegend=False)
    figure.update_xaxes(visible=False)
    figure.update_yaxes(gridcolor="rgba(0,0,0,0)")
    return figure


def cohort_subtitles(lags: pd.Series, pairs) -> dict[tuple[str, str], str]:
    """Each stage pair's panel subtitle: its median lag (rows "from->to" of `funnel_views.median_lags`)."""
    lags = lags.reindex([f"{a}->{b}" for a, b in pairs])
    return {pair: "median lag " + (f"{lag:,.1f} days" if pd.notna(lag) else "unknown") for pair, lag in zip(pairs, lags)}


def conversion_figure(conversions: pd.DataFrame, subtitles: dict[tuple[str, str], str],
                      targets: dict[tuple[str, str], float], period_ratio: bool) -> go.Figure:
    """One panel per stage pair, bars per period: cohort conversion with immature cohorts
    hatched and lighter, or the period ratio; a dashed target where the agreement sets one."""
    pairs = list(dict.fromkeys(zip(conversions["from_stage"], conversions["to_stage"])))
    titles = [f"<b>{pair_title(*pair)}</b><br><span style='font-size:12px;color:{MUTED}'>{subtitles.get(pair, '')}</span>"
              for pair in pairs]
    figure = make_subplots(rows=1, cols=max(len(pairs), 1), shared_yaxes=True, subplot_titles=titles,
                           horizontal_spacing=0.025)
    shown = set()
    for column, pair in enumerate(pairs, start=1):
        rows = conversions[(conversions["from_stage"] == pair[0]) & (conversions["to_stage"] == pair[1])]
        colour = TEAM_COLOURS[STEP_TEAM[pair[0]]]
        groups = [(rows[~rows["immature"]], "Mature cohort" if not period_ratio else "Period ratio", {}, 1.0)]
        if not period_ratio:
            groups.append((rows[rows["immature"]], IMMATURE_NOTE,
                           {"shape": "/", "fgcolor": colour, "bgcolor": "#ffffff", "solidity": 0.35}, 0.55))
        for part, name, pattern, opacity in groups:
            legend_key = name
            figure.add_trace(go.Bar(
                x=part["period_start"], y=part["rate"], name=name, legendgroup=name,
                showlegend=legend_key not in shown and not part.empty,
                marker={"color": colour, "opacity": opacity, "pattern": pattern or None,
                        "line": {"color": colour, "width": 1}},
                customdata=part[["numerator", "denominator"]].to_numpy(),
                hovertemplate=f"{pair_title(*pair)}: " + "%{y:.1%} (%{customdata[0]:,} of %{customdata[1]:,})"
                              + f"<extra>{name.split(':')[0]}</extra>",
            ), row=1, col=column)
            if not part.empty:
                shown.add(legend_key)
        target = targets.get(pair)
        if target is not None and not rows.empty:
            figure.add_trace(go.Scatter(
                x=rows["period_start"], y=[target] * len(rows), mode="lines", name="Target",
                legendgroup="Target", showlegend="Target" not in shown,
                line={"color": TARGET_COLOUR, "dash": "dash", "width": 2, "shape": "hvh"},
                hovertemplate="%{y:.1%}<extra>Target</extra>",
            ), row=1, col=column)
            shown.add("Target")
    figure.update_layout(
        height=380, barmode="overlay", bargap=0.15, font={"family": FONT, "size": 13, "color": "#24292f"},
        plot_bgcolor="#ffffff", paper_bgcolor="#ffffff", margin={"l": 56, "r": 16, "t": 86, "b": 40},
        legend={"orientation": "h", "yanchor": "top", "y": -0.12, "xanchor": "left", "x": 0},
        hovermode="closest",
    )
    for annotation in figure.layout.annotations:
        annotation.update(font={"size": 14})
    figure.update_xaxes(showgrid=False, linecolor="#d0d7de", nticks=4)
    figure.update_yaxes(gridcolor="#eef0f2", zeroline=False, tickformat=".0%", rangemode="tozero")
    return figure


def velocity_figure(velocity: pd.DataFrame) -> go.Figure:
    """Median days of each stage pair per period (columns "from->to" of
    `funnel_views.velocity_by_period`), one panel each with its own scale."""
    pairs = [tuple(column.split("->")) for column in velocity.columns]
    figure = make_subplots(rows=1, cols=max(len(pairs), 1), subplot_titles=[f"<b>{pair_title(*p)}</b>" for p in pairs],
                           horizontal_spacing=0.04)
    for column, (name, pair) in enumerate(zip(velocity.columns, pairs), start=1):
        colour = TEAM_COLOURS[STEP_TEAM[pair[0]]]
        figure.add_trace(go.Scatter(
            x=velocity.index, y=velocity[name], name=pair_title(*pair), mode="lines+markers",
            line={"color": colour, "width": 2}, marker={"size": 5}, connectgaps=False, showlegend=False,
            hovertemplate="%{x|%d %b %Y}: %{y:,.1f} days<extra>" + pair_title(*pair) + "</extra>",
        ), row=1, col=column)
    figure.update_layout(
        height=300, font={"family": FONT, "size": 13, "color": "#24292f"}, plot_bgcolor="#ffffff",
        paper_bgcolor="#ffffff", margin={"l": 48, "r": 16, "t": 40, "b": 36}, hovermode="closest",
    )
    for annotation in figure.layout.annotations:
        annotation.update(font={"size": 14})
    figure.update_xaxes(showgrid=False, linecolor="#d0d7de", nticks=4)
    figure.update_yaxes(gridcolor="#eef0f2", zeroline=False, rangemode="tozero", tickformat=",.1~f", ticksuffix=" d")
    return figure


def disqualified_figure(table: pd.DataFrame) -> go.Figure:
    """Disqualified leads per reason (rows), stacked by the furthest stage they had reached."""
    figure = base_figure("", height=max(240, 80 + 30 * len(table)))
    reasons = list(table.index)[::-1]
    for stage in [c for c in table.columns if c != "total"]:
        figure.add_trace(go.Bar(
            y=reasons, x=table[stage].iloc[::-1], orientation="h", name=f"Reached {STAGE_NAMES[stage]}",
            marker_color=STAGE_COLOURS[stage],
            hovertemplate="%{y}: %{x:,} leads<extra>reached " + STAGE_NAMES[stage] + "</extra>",
        ))
    figure.add_trace(go.Scatter(
        y=reasons, x=table["total"].iloc[::-1], mode="text", text=[f"{v:,}" for v in table["total"].iloc[::-1]],
        textposition="middle right", showlegend=False, hoverinfo="skip", cliponaxis=False,
    ))
    figure.update_layout(barmode="stack", hovermode="closest", margin={"l": 16, "r": 48, "t": 48, "b": 32},
                         legend={"y": 1.0, "yanchor": "bottom", "x": 0, "xanchor": "left", "traceorder": "normal"})
    figure.update_yaxes(gridcolor="rgba(0,0,0,0)", automargin=True)
    figure.update_xaxes(gridcolor="#eef0f2", tickformat=",")
    return figure


def recycled_figure(counts: pd.Series) -> go.Figure:
    """Recycled leads per reason, most first."""
    figure = base_figure("", height=max(240, 80 + 30 * len(counts)))
    figure.add_trace(go.Bar(
        y=list(counts.index)[::-1], x=counts.iloc[::-1], orientation="h", name="Recycled",
        marker_color="#8c959f", text=[f"{v:,}" for v in counts.iloc[::-1]], textposition="outside",
        cliponaxis=False, hovertemplate="%{y}: %{x:,} leads<extra></extra>",
    ))
    figure.update_layout(hovermode="closest", showlegend=False, margin={"l": 16, "r": 48, "t": 48, "b": 32})
    figure.update_yaxes(gridcolor="rgba(0,0,0,0)", automargin=True)
    figure.update_xaxes(gridcolor="#eef0f2", tickformat=",")
    return figure
