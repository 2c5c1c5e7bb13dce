"""Figure builders of the sales and closed-loop pages: computed frames in, plotly figures out,
nothing computed beyond where a mark goes."""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dashboard.components import formatting
from dashboard.components.charts import FONT, add_target_line, base_figure
from dashboard.components.labels import STATUS_COLOURS, TARGET_COLOUR, TEAM_COLOURS
from dashboard.metrics.closed_loop_view import NO_CAMPAIGN, NO_SOURCE
from dashboard.metrics.sales import NO_CLOSE_DATE, OVERDUE

SALES, MARKETING = TEAM_COLOURS["sales"], TEAM_COLOURS["marketing"]
LATE = STATUS_COLOURS["behind"]
NEUTRAL = "#8c959f"
MUTED = "#57606a"
# Early stages light, late stages dark: the pipeline reads as it matures.
STAGE_SHADES = ("#f3d9e8", "#e2acca", "#CC79A7", "#a3527f", "#6e3557", "#4a2239")
DECISION_COLOURS = {"accepted": SALES, "rejected": LATE, "undecided": "#c9ced4"}
DECISION_LABELS = {"accepted": "Accepted (SAL)", "rejected": "Rejected", "undecided": "Not decided yet"}
MAX_LABEL = 30


def _short(text: str) -> str:
    """A label cut to fit beside a bar ('…' where cut)."""
    text = str(text)
    return text if len(text) <= MAX_LABEL else text[: MAX_LABEL - 1] + "…"


def _vertical_line(figure: go.Figure, x: float, y_from: float, y_to: float, name: str, hover: str) -> None:
    """A dashed reference line across the plot at x, as a trace (so it has a legend entry)."""
    figure.add_trace(go.Scatter(
        x=[x, x], y=[y_from, y_to], mode="lines", name=name,
        line={"color": TARGET_COLOUR, "dash": "dash", "width": 2}, hovertemplate=hover + "<extra></extra>",
    ))


def response_histogram_figure(distribution: pd.DataFrame, window_hours: float) -> go.Figure:
    """Touched MQLs by response time in working hours (rows of `sales.response_distribution`),
    in time in the sales colour and late in red, with the response window as a dashed line."""
    figure = base_figure("", height=340, y_title="MQLs")
    bins = distribution[~distribution["overflow"]]
    width = float(bins["bin_end"].iloc[0] - bins["bin_start"].iloc[0]) if len(bins) else 1.0
    centre = (bins["bin_start"] + bins["bin_end"]) / 2
    for within, name, colour in ((True, "In time", SALES), (False, "Late", LATE)):
        part = bins["within_window"] == within
        figure.add_trace(go.Bar(
            x=centre[part], y=bins.loc[part, "mqls"], width=width * 0.92, name=name, marker_color=colour,
            customdata=bins.loc[part, ["bin_start", "bin_end"]].to_numpy(),
            hovertemplate="%{customdata[0]:.1f}–%{customdata[1]:.1f} h: %{y:,} MQLs<extra>" + name + "</extra>",
        ))
    overflow = distribution[distribution["overflow"]]
    cap = float(overflow["bin_start"].iloc[0]) if len(overflow) else float(bins["bin_end"].max())
    slow_x = cap + width * 2
    if len(overflow):
        figure.add_trace(go.Bar(
            x=[slow_x], y=overflow["mqls"], width=width * 2, name=f"Over {cap:g} h", marker_color=LATE,
            marker_pattern={"shape": "/", "fgcolor": "#ffffff", "solidity": 0.3}, showlegend=False,
            hovertemplate=f"over {cap:g} h: " + "%{y:,} MQLs<extra>Touched late</extra>",
        ))
    top = float(distribution["mqls"].max()) if len(distribution) else 0.0
    _vertical_line(figure, window_hours, 0, max(top, 1) * 1.08, f"Window {window_hours:g} h",
                   f"Response window: {window_hours:g} working hours")
    ticks = [window_hours * k for k in range(int(round(cap / window_hours)))] if window_hours else []
    figure.update_xaxes(title="Working hours from MQL to first touch", tickvals=ticks + [slow_x],
                        ticktext=[f"{v:g}" for v in ticks] + [f"> {cap:g}"], range=[0, slow_x + width * 1.5])
    figure.update_layout(barmode="overlay", bargap=0, hovermode="closest",
                         legend={"y": 1.0, "yanchor": "bottom", "x": 0, "xanchor": "left"},
                         margin={"l": 56, "r": 16, "t": 40, "b": 48})
    return figure


def rep_attainment_figure(reps: pd.DataFrame, target: float | None) -> go.Figure:
    """First touch in time per rep (rows of `sales.rep_response`, in their order, top down),
    coloured by status, with the target as a dashed line."""
    figure = base_figure("", height=max(240, 70 + 38 * len(reps)), percent=True)
    positions = list(range(len(reps)))
    colours = [STATUS_COLOURS.get(status, NEUTRAL) if status != "ahead" else SALES for status in reps["status"]]
    text = [f"{a:.1%} · {m:,} of {k:,}" if pd.notna(a) else "no known outcome yet"
            for a, m, k in zip(reps["attainment"], reps["met"], reps["known"])]
    inside = [pd.notna(a) and a >= 0.5 for a in reps["attainment"]]
    figure.add_trace(go.Bar(
        y=positions, x=reps["attainment"].fillna(0), orientation="h", name="First touch in time",
        marker_color=colours, text=text, textposition=["inside" if i else "outside" for i in inside],
        insidetextanchor="start", textfont={"color": ["#ffffff" if i else "#24292f" for i in inside]}, cliponaxis=False,
        customdata=reps[["name", "open_breaches", "pending"]].to_numpy(), showlegend=False,
        hovertemplate="%{customdata[0]}: %{text}<br>open breaches %{customdata[1]:,}, pending %{customdata[2]:,}"
                      "<extra></extra>",
    ))
    if target is not None:
        _vertical_line(figure, target, -0.5, len(reps) - 0.5, f"Target {target:.0%}", f"Target: {target:.0%}")
    figure.update_yaxes(tickvals=positions, ticktext=list(reps["name"]), autorange="reversed",
                        gridcolor="rgba(0,0,0,0)", tickformat=None, automargin=True, rangemode="normal")
    figure.update_xaxes(tickformat=".0%", range=[0, 1.05], gridcolor="#eef0f2")
    figure.update_layout(hovermode="closest", margin={"l": 16, "r": 16, "t": 40, "b": 32},
                         legend={"y": 1.0, "yanchor": "bottom", "x": 0, "xanchor": "left"})
    return figure


def delay_split_figure(reps: pd.DataFrame, window_hours: float) -> go.Figure:
    """Median routing delay (MQL to assigned) and median rep delay (assigned to first response) per
    rep, stacked (rows of `sales.rep_response`, top down), with the response window."""
    figure = base_figure("", height=max(240, 70 + 38 * len(reps)))
    positions = list(range(len(reps)))
    parts = (("median_routing_hours", "Routing delay (MQL → assigned)", NEUTRAL),
             ("median_rep_hours", "Rep delay (assigned → first response)", SALES))
    for column, name, colour in parts:
        figure.add_trace(go.Bar(
            y=positions, x=reps[column], orientation="h", name=name, marker_color=colour,
            customdata=reps[["name", "routed"]].to_numpy(),
            hovertemplate="%{customdata[0]}: median %{x:.1f} h<br>over %{customdata[1]:,} routed MQLs<extra>"
                          + name.split(" (")[0] + "</extra>",
        ))
    _vertical_line(figure, window_hours, -0.5, len(reps) - 0.5, f"Window: {window_hours:g} h",
                   f"Response window: {window_hours:g} working hours")
    figure.update_yaxes(tickvals=positions, ticktext=list(reps["name"]), autorange="reversed",
                        gridcolor="rgba(0,0,0,0)", automargin=True, rangemode="normal")
    figure.update_xaxes(title="Median working hours", gridcolor="#eef0f2", rangemode="tozero")
    figure.update_layout(barmode="stack", hovermode="closest", margin={"l": 16, "r": 16, "t": 40, "b": 48},
                         legend={"y": 1.0, "yanchor": "bottom", "x": 0, "xanchor": "left"})
    return figure


def decisions_figure(decisions: pd.DataFrame) -> go.Figure:
    """Sales' decisions on each period's MQLs, stacked (accepted, rejected, undecided), and the
    acceptance rate against its target on the right axis (rows of `sales.against_commitment`)."""
    figure = base_figure("", height=340, y_title="MQLs")
    for decision in ("accepted", "rejected", "undecided"):
        figure.add_trace(go.Bar(
            x=decisions["period_start"], y=decisions[decision], name=DECISION_LABELS[decision],
            marker_color=DECISION_COLOURS[decision],
            hovertemplate="%{y:,}<extra>" + DECISION_LABELS[decision] + "</extra>",
        ))
    figure.add_trace(go.Scatter(
        x=decisions["period_start"], y=decisions["acceptance_rate"], name="Acceptance rate", yaxis="y2",
        mode="lines+markers", line={"color": MARKETING, "width": 2}, marker={"size": 6},
        hovertemplate="%{y:.1%}<extra>Acceptance rate</extra>",
    ))
    if decisions["target"].notna().any():
        shape = "linear" if len(decisions) < 2 else "hvh"
        add_target_line(figure, decisions["period_start"], decisions["target"], name="Acceptance target", shape=shape)
        figure.data[-1].update(yaxis="y2", hovertemplate="%{y:.0%}<extra>Acceptance target</extra>")
    figure.update_layout(
        barmode="stack",
        # tickmode auto: plotly 7 syncs an overlaying axis's ticks to the left one (0 %, 28 %, 56 % ...)
        yaxis2={"overlaying": "y", "side": "right", "tickformat": ".0%", "range": [0, 1.05], "showgrid": False,
                "tickmode": "auto", "title": "Accepted of decided"},
        legend={"y": -0.14, "yanchor": "top", "x": 0, "xanchor": "left"},
        margin={"l": 56, "r": 56, "t": 16, "b": 40},
    )
    return figure


def bucket_label(bucket: str) -> str:
    """A pipeline bucket as people say it: 'Overdue', 'No close date', 'Dec 2026'."""
    if bucket == OVERDUE:
        return "Overdue"
    if bucket == NO_CLOSE_DATE:
        return "No close date"
    return f"{pd.Timestamp(bucket):%b %Y}"


def pipeline_figure(by_month: pd.DataFrame, order: list[str], bucket_labels: dict[str, str],
                    currency_sign: str) -> go.Figure:
    """Open pipeline amount per expected close month stacked by stage (rows of
    `sales.pipeline_by_month`), with each month's weighted amount as a diamond."""
    figure = base_figure("", height=360)
    buckets = list(dict.fromkeys(by_month["bucket"]))
    labels = [bucket_labels.get(b, b) for b in buckets]
    for index, stage in enumerate(order):
        rows = by_month[by_month["stage"] == stage].set_index("bucket").reindex(buckets)
        figure.add_trace(go.Bar(
            x=labels, y=rows["amount"], name=stage, marker_color=STAGE_SHADES[min(index, len(STAGE_SHADES) - 1)],
            customdata=rows["deals"].fillna(0).to_numpy(),
            hovertemplate=f"{currency_sign}" + "%{y:,.0f} in %{customdata:,} deals<extra>" + stage + "</extra>",
        ))
    weighted = by_month.groupby("bucket", sort=False)["weighted"].sum().reindex(buckets)
    figure.add_trace(go.Scatter(
        x=labels, y=weighted, name="Weighted (× probability)", mode="markers",
        marker={"symbol": "diamond", "size": 11, "color": "#24292f", "line": {"color": "#ffffff", "width": 1}},
        hovertemplate=f"{currency_sign}" + "%{y:,.0f}<extra>Weighted</extra>",
    ))
    figure.update_layout(barmode="stack", hovermode="x unified", margin={"l": 64, "r": 16, "t": 16, "b": 40},
                         legend={"y": -0.14, "yanchor": "top", "x": 0, "xanchor": "left"})
    figure.update_xaxes(type="category")
    figure.update_yaxes(tickformat="~s", tickprefix=currency_sign, title="Amount")
    return figure


def loop_panels_figure(rows: pd.DataFrame, overall_conversion: float | None, currency: str) -> go.Figure:
    """One row per source or campaign (in the given order, top down) across four panels that
    share it: leads created, the share won, won revenue and return on cost. A high-volume,
    poorly converting row has a long first bar and short others; a small, well-won one the
    reverse. Rows without a campaign are grey; the share won of all leads is dotted, break-even
    (1×) dashed."""
    titles = ("<b>Leads created</b>", "<b>Share won</b>", "<b>Won revenue</b>", "<b>Return</b> (campaign leads' revenue ÷ cost)")
    figure = make_subplots(rows=1, cols=4, shared_yaxes=True, horizontal_spacing=0.035, subplot_titles=titles,
                           column_widths=[0.25, 0.22, 0.28, 0.25])
    positions = list(range(len(rows)))
    unattributed = (rows["key"].isna() | rows["label"].isin([NO_SOURCE, NO_CAMPAIGN])).to_numpy()
    customdata = list(zip(rows["label"], rows["leads"], rows["won_leads"], rows["deals_won"],
                          [formatting.money(v, currency) for v in rows["revenue_won"]],
                          [formatting.money(v, currency) if pd.notna(v) else "none recorded" for v in rows["cost"]]))
    hover = ("<b>%{customdata[0]}</b><br>%{customdata[1]:,} leads, %{customdata[2]:,} won, %{customdata[3]:,} deals"
             "<br>%{customdata[4]} revenue, cost %{customdata[5]}<extra></extra>")
    returns = rows["return_on_cost"]
    panels = (
        ("leads", [NEUTRAL if grey else MARKETING for grey in unattributed], [f"{v:,}" for v in rows["leads"]]),
        ("conv_lead_won", [NEUTRAL if grey else SALES for grey in unattributed],
         [f"{v:.1%}" if pd.notna(v) else "–" for v in rows["conv_lead_won"]]),
        ("revenue_won", [NEUTRAL if grey else SALES for grey in unattributed],
         [formatting.money(v, currency) for v in rows["revenue_won"]]),
        ("return_on_cost", [LATE if pd.notna(v) and v < 1 else MARKETING for v in returns],
         [f"{v:,.1f}×" if pd.notna(v) else "no cost" for v in returns]),
    )
    for column, (field, colours, text) in enumerate(panels, start=1):
        values = rows[field].astype(float)
        figure.add_trace(go.Bar(
            y=positions, x=values.fillna(0), orientation="h", marker_color=colours, text=text,
            textposition="outside", cliponaxis=False, showlegend=False, customdata=customdata, hovertemplate=hover,
            name=field, textfont={"size": 12},
        ), row=1, col=column)
        largest = float(values.max()) if values.notna().any() else 0.0
        if field == "return_on_cost":
            largest = max(largest, 1.0)
        figure.update_xaxes(range=[0, (largest or 1.0) * 1.45], row=1, col=column)
    span = [-0.5, len(rows) - 0.5]
    if overall_conversion is not None and pd.notna(overall_conversion):
        figure.add_trace(go.Scatter(
            x=[overall_conversion] * 2, y=span, mode="lines", name=f"All leads: {overall_conversion:.1%} won",
            line={"color": TARGET_COLOUR, "dash": "dot", "width": 1.5},
            hovertemplate="All leads of these dates: %{x:.1%} won<extra></extra>",
        ), row=1, col=2)
    figure.add_trace(go.Scatter(
        x=[1.0, 1.0], y=span, mode="lines", name="Break-even (1×)",
        line={"color": TARGET_COLOUR, "dash": "dash", "width": 2},
        hovertemplate="Break-even: revenue equals cost<extra></extra>",
    ), row=1, col=4)
    figure.update_layout(
        height=max(280, 110 + 30 * len(rows)), font={"family": FONT, "size": 13, "color": "#24292f"},
        plot_bgcolor="#ffffff", paper_bgcolor="#ffffff", hovermode="closest", bargap=0.25,
        margin={"l": 16, "r": 24, "t": 40, "b": 40},
        legend={"orientation": "h", "y": 0, "yanchor": "top", "x": 1, "xanchor": "right"},
    )
    for annotation in figure.layout.annotations:
        annotation.update(font={"size": 14}, x=annotation.x, xanchor="center")
    figure.update_yaxes(tickvals=positions, ticktext=[_short(label) for label in rows["label"]], autorange="reversed",
                        gridcolor="rgba(0,0,0,0)", automargin=True, row=1, col=1)
    figure.update_xaxes(showgrid=False, showticklabels=False, zeroline=True, zerolinecolor="#d0d7de")
    return figure
