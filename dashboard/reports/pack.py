"""The monthly leadership pack's content for one month, as plain data: the month's scorecard
from the engine of `kpis --grain month`, month over month and year over year, the funnel and
cohort conversion, 13-month trends against targets, the closed loop, response per rep, next
month's forecast, a data-quality note, and the executive summary written from those numbers.

`pack_report(context, month, unresolved)` works it all out once from a `ReportContext`; the
PDF, PPTX and XLSX modules in `dashboard/export/` only lay it out.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from dashboard.components.labels import METRIC_LABELS, STATUS_LABELS, TEAM_LABELS
from dashboard.export.content import ExportError, figure_text, money, month_label, short_month
from dashboard.metrics.calendar import WorkCalendar, period_end, period_start, to_local_dates
from dashboard.metrics.closed_loop_view import NO_CAMPAIGN, loop_table, loop_totals
from dashboard.metrics.deals import weighted_pipeline
from dashboard.metrics.drilldown import quality_findings, quality_summary
from dashboard.metrics.funnel_views import PAIRS, cohort_conversions, median_lags, range_funnel
from dashboard.metrics.kpis import COUNT_FIELDS, RATE_FIELDS, kpi_records
from dashboard.metrics.marketing import commitment_for
from dashboard.metrics.sales import pipeline_by_month, pipeline_by_stage, rep_response, response_summary, stage_order
from dashboard.metrics.targets import commitment_rate_target
from dashboard.reports.context import ReportContext
from dashboard.sla import Agreement
from dashboard.vocabulary import COMMITMENT_TEAMS, FINAL_STATUSES

TREND_MONTHS = 13
# The figures of the month shown beside their comparisons, in funnel order.
KEY_FIGURES = ("leads", "mqls", "sals", "sqls", "opportunities", "deals_won", "revenue_won",
               "conv_lead_mql", "conv_mql_sql", "conv_sql_won", "response_sla_attainment",
               "acceptance_rate", "win_rate")


def is_first_working_day(as_of: pd.Timestamp, agreement: Agreement) -> bool:
    """Is as_of's local date the first working day of its month (weekdays and holidays of the agreement)?"""
    today = to_local_dates(pd.Series([pd.Timestamp(as_of)]), agreement.tz).iloc[0]
    month = period_start(today, "month")
    days = WorkCalendar.from_agreement(agreement).working_days(month, period_end(month, "month"))
    return len(days) > 0 and pd.Timestamp(days[0]) == pd.Timestamp(today)


@dataclass(frozen=True)
class MonthReport:
    """Everything the pack shows for one month, computed once."""

    company: str
    agreement_line: str  # the agreement, and the version(s) that scored the month
    currency: str
    month: pd.Timestamp  # first day of the month reported
    as_of: pd.Timestamp
    as_of_text: str
    generated_at_text: str
    complete: bool
    partial_note: str | None
    has_data: bool
    kpis: dict  # the month's row of `kpis --grain month`
    previous: dict  # the month before (a running month: to the same point of it, as the board showed it then)
    year_ago: dict  # the same month a year earlier (likewise)
    scorecard: pd.DataFrame
    key_figures: pd.DataFrame
    summary: list[str]
    trends: pd.DataFrame  # 13 months of kpis fields
    trend_targets: pd.DataFrame  # 13 months x commitments: actual, target, status
    funnel: pd.DataFrame
    conversions: pd.DataFrame
    lags: pd.Series
    conversion_targets: dict
    loop_source: pd.DataFrame
    loop_campaign: pd.DataFrame
    loop_source_totals: pd.Series
    loop_campaign_totals: pd.Series
    response: dict
    reps: pd.DataFrame
    response_target: float | None
    window_hours: float | None
    pipeline_month: pd.DataFrame
    pipeline_order: list[str]
    forecast_month: pd.Timestamp
    forecast: pd.DataFrame
    forecast_pipeline: pd.DataFrame
    quality: pd.DataFrame
    quality_totals: dict
    scored_by: tuple[str, ...] = ()  # one line per agreement version in force on a day of the month
    # A running month is compared with the months before to the same point: 'to 4 November 2026 10:00'.
    compared_to: str | None = None
    # The instant the month's sections stand at: its end for a finished month, else as_of.
    standing_at: pd.Timestamp | None = None
    standing_text: str = ""  # the same as the pack prints it: 'the end of October 2026' or as_of_text

    @property
    def label(self) -> str:
        return month_label(self.month)

    @property
    def key(self) -> str:
        return f"{self.month:%Y-%m}"


def month_rows(table: pd.DataFrame, scored: pd.DataFrame) -> dict[pd.Timestamp, dict]:
    """The kpis records of a kpi table by period start."""
    return {pd.Timestamp(record["period_start"]): record for record in kpi_records(table, scored)}


def change(current, before) -> float | None:
    """Relative change of a count (0.08 for +8 %), None when there is nothing to compare with."""
    if current is None or before is None or before == 0:
        return None
    return (current - before) / before


def point_change(current, before) -> float | None:
    """Change of a rate in points of a fraction (0.021 for +2.1 points), None when either is unknown."""
    if current is None or before is None:
        return None
    return current - before


def _month_record(context: ReportContext, month: pd.Timestamp) -> dict:
    """One month's kpis record with its commitments, as known at the context's as_of."""
    table = context.kpis("month", pd.DatetimeIndex([month]))
    return month_rows(table, context.scored(table, "month"))[month]


def month_commitments(agreement: Agreement, month: pd.Timestamp) -> list:
    """The commitments of the versions in force on some day of the month, the current ones first."""
    last_day = (period_end(pd.Timestamp(month), "month") - pd.Timedelta(days=1)).date()
    ids = {c.id for v in agreement.versions_between(pd.Timestamp(month).date(), last_day) for c in v.commitments}
    return [agreement.commitment(i) for i in agreement.commitment_ids if i in ids]


def versions_lines(agreement: Agreement, month: pd.Timestamp) -> tuple[str, ...]:
    """Which agreement version scored which days of the month, and who agreed it when:
    'Version 2 (in force from 16 November 2026, agreed on 12 November 2026 by A, B) scored
    16–30 November 2026'."""
    first = pd.Timestamp(month).date()
    last = (period_end(pd.Timestamp(month), "month") - pd.Timedelta(days=1)).date()
    lines = []
    for version in agreement.versions_between(first, last):
        since = max(first, version.effective_from) if version.effective_from else first
        until = min(last, version.until - dt.timedelta(days=1)) if version.until else last
        days = month_label(pd.Timestamp(month)) if (since, until) == (first, last) else f"{since:%-d}–{until:%-d %B %Y}"
        start = (f"in force from {version.effective_from:%-d %B %Y}" if version.effective_from
                 else "in force from the start")
        lines.append(f"Version {version.number} ({start}, agreed on {version.agreed_on:%-d %B %Y} by "
                     f"{', '.join(version.agreed_by)}) scored {days}")
    return tuple(lines)


def scorecard(record: dict, previous: dict, year_ago: dict, agreement: Agreement,
              month: pd.Timestamp | None = None, restated: dict | None = None) -> pd.DataFrame:
    """Each commitment for the month (of the versions in force in it): the kpis fields
    (actual, target, expected, projected, required_per_day, status), the share of the
    target, the same figure a month and a year earlier, and `restated`: what late data
    recorded since the month ended made of it (None where nothing changed)."""
    rows = []
    commitments = agreement.commitments if month is None else month_commitments(agreement, month)
    for commitment in commitments:
        scored = record["commitments"][commitment.id]
        actual, target = scored["actual"], scored["target"]
        later = None if restated is None else restated["commitments"][commitment.id]["actual"]
        before, last_year = previous.get(commitment.metric), year_ago.get(commitment.metric)
        rows.append({
            "id": commitment.id, "team": commitment.team, "metric": commitment.metric,
            "label": METRIC_LABELS[commitment.metric], "is_count": commitment.is_count,
            "actual": actual, "target": target,
            "of_target": actual / target if actual is not None and target else None,
            "expected": scored.get("expected"), "projected": scored.get("projected"),
            "required_per_day": scored.get("required_per_day"), "status": scored["status"],
            "restated": later if later != actual and not (later is None or actual is None) else None,
            "reason": (record.get("notes") or {}).get(commitment.metric),  # "not recorded", or None
            "previous": before, "year_ago": last_year,
            "mom": change(actual, before) if commitment.is_count else point_change(actual, before),
            "yoy": change(actual, last_year) if commitment.is_count else point_change(actual, last_year),
        })
    frame = pd.DataFrame(rows)
    frame["status"] = pd.Series([row["status"] for row in rows], dtype=object)  # a word or None, never NaN
    frame["restated"] = pd.Series([row["restated"] for row in rows], dtype=object)
    return frame


def key_figures(record: dict, previous: dict, year_ago: dict) -> pd.DataFrame:
    """The month's main kpis fields with their month-earlier and year-earlier values and changes
    (relative for counts, in points for rates)."""
    rows = []
    for metric in KEY_FIGURES:
        is_rate = metric in RATE_FIELDS
        compare = point_change if is_rate else change
        rows.append({"metric": metric, "label": METRIC_LABELS[metric], "is_rate": is_rate,
                     "reason": (record.get("notes") or {}).get(metric),  # "not recorded", or None
                     "value": record[metric], "previous": previous[metric], "year_ago": year_ago[metric],
                     "mom": compare(record[metric], previous[metric]),
                     "yoy": compare(record[metric], year_ago[metric])})
    return pd.DataFrame(rows)


def change_text(value, is_rate: bool, versus: str) -> str | None:
    """'up 8 % on October', 'down 2.1 points on November 2025', 'level with October'; None unknown."""
    if value is None or pd.isna(value):
        return None
    amount = value * 100
    if round(amount, 1 if is_rate else 0) == 0:
        return f"level with {versus}"
    direction = "up" if amount > 0 else "down"
    if is_rate:
        size = abs(amount)
        return f"{direction} {size:.1f} point{'' if round(size, 1) == 1 else 's'} on {versus}"
    return f"{direction} {abs(amount):.0f} % on {versus}"


def commitment_sentence(row: pd.Series, complete: bool, month: pd.Timestamp, currency: str) -> str:
    """One sentence per commitment: actual against target, share of it, and the complete months
    before (e.g. 'MQLs 412 against 400 (103 %), up 8 % on October, down 3 % on November last year.')."""
    metric, label = row["metric"], row["label"]
    actual, target = figure_text(metric, row["actual"], currency), figure_text(metric, row["target"], currency)
    if isinstance(row.get("reason"), str):  # "not recorded": the source never records what decides it
        return f"{label}: {row['reason']} (the data never records what decides it), so not scored against {target}."
    previous_month = pd.Timestamp(month) - pd.DateOffset(months=1)
    versus_previous = short_month(previous_month, month)
    versus_year = f"{pd.Timestamp(month):%B} last year"
    if row["is_count"]:
        share = f" ({row['of_target']:.0%})".replace("%", " %") if pd.notna(row["of_target"]) else ""
        if not complete:
            projected = row["projected"]
            pace = (f"; projected {figure_text(metric, projected, currency)} by month end"
                    f" ({projected / row['target']:.0%})".replace("%", " %")
                    if pd.notna(projected) and row["target"] else "")
            return (f"{label} {actual} so far against {target} for the month{pace}. "
                    f"{versus_previous} had {figure_text(metric, row['previous'], currency)} by the same point, "
                    f"{versus_year} {figure_text(metric, row['year_ago'], currency)}.")
        outcome = _outcome(row)
        if share and outcome:
            share, outcome = share[:-1] + ", " + outcome[2:], ""
        text = f"{label} {actual} against {target}{share}{outcome}"
    else:
        text = f"{label} {actual} against a target of {target}"
        if complete:
            text += _outcome(row)
        if not complete:
            status = row["status"] if isinstance(row["status"], str) else None  # missing: NaN in a frame
            return (f"{text} so far ({STATUS_LABELS[status].lower()}). {versus_previous} had "
                    f"{figure_text(metric, row['previous'], currency)} by the same point, {versus_year} "
                    f"{figure_text(metric, row['year_ago'], currency)}.")
    comparisons = [c for c in (change_text(row["mom"], not row["is_count"], versus_previous),
                               change_text(row["yoy"], not row["is_count"], versus_year)) if c]
    return text + (", " + ", ".join(comparisons) if comparisons else "") + "."


def _outcome(row: pd.Series) -> str:
    """' (met)' or ' (missed)' for a finished month's final result, else nothing."""
    status = row["status"] if isinstance(row["status"], str) else None
    return f" ({STATUS_LABELS[status].lower()})" if status in FINAL_STATUSES else ""


def team_sentence(rows: pd.DataFrame, team: str) -> str:
    """'Marketing: 2 of 2 commitments on track.' or with the ones at risk and behind; for a
    finished month 'Sales: 3 of 4 commitments met, 1 missed.'"""
    mine = rows[rows["team"] == team]
    plural = "" if len(mine) == 1 else "s"
    if mine["status"].isin(FINAL_STATUSES).any():
        met, missed = int((mine["status"] == "met").sum()), int((mine["status"] == "missed").sum())
        parts = [f"{met} of {len(mine)} commitment{plural} met"] + ([f"{missed} missed"] if missed else [])
        if len(mine) - met - missed:
            parts.append(f"{len(mine) - met - missed} with no outcome")
        return f"{TEAM_LABELS[team]}: " + ", ".join(parts) + "."
    counts = {status: int((mine["status"] == status).sum()) for status in ("ahead", "at_risk", "behind")}
    unknown = len(mine) - sum(counts.values())
    parts = [f"{counts['ahead']} of {len(mine)} commitment{plural} on track"]
    parts += [f"{counts[s]} {STATUS_LABELS[s].lower()}" for s in ("at_risk", "behind") if counts[s]]
    if unknown:
        parts.append(f"{unknown} with no outcome yet")
    return f"{TEAM_LABELS[team]}: " + ", ".join(parts) + "."


def summary_sentences(report_fields: dict) -> list[str]:
    """The executive summary, written from the report's numbers only."""
    month, complete, currency = report_fields["month"], report_fields["complete"], report_fields["currency"]
    if not report_fields["has_data"]:
        return [f"There is no data for {month_label(month)}: no lead was created, no lead reached a stage "
                "and no deal closed in the month, so there is nothing to compare with the targets."] + (
            [] if complete else [report_fields["partial_note"]])
    board: pd.DataFrame = report_fields["scorecard"]
    sentences = []
    if not complete:
        sentences.append(report_fields["partial_note"])
    sentences += [team_sentence(board, team) for team in COMMITMENT_TEAMS if (board["team"] == team).any()]
    sentences += [commitment_sentence(row, complete, month, currency) for _, row in board.iterrows()]
    funnel = report_fields["funnel"]
    created = int(funnel["leads"].iloc[0])
    if created:
        won = int(funnel.loc[funnel["stage"] == "won", "leads"].iloc[0])
        mqls = int(funnel.loc[funnel["stage"] == "mql", "leads"].iloc[0])
        sentences.append(f"Of the {created:,} leads created in {month:%B}, {mqls:,} ({mqls / created:.1%}) have "
                         f"become MQLs and {won:,} ({won / created:.1%}) have been won by "
                         f"{report_fields['as_of_short']}.".replace("%)", " %)"))
    best = best_campaign(report_fields["loop_campaign"])
    if best is not None:
        ret = best["return_on_cost"]
        sentences.append(f"The campaign whose {month:%B} leads brought the most won revenue: {best['label']} "
                         f"({money(best['revenue_won'], currency)}"
                         + (f", {ret:,.1f}× its cost" if pd.notna(ret) else "") + ").")
    forecast = report_fields["forecast"]
    revenue = forecast[forecast["metric"] == "revenue_won"]
    if len(revenue):
        row = revenue.iloc[0]
        if complete:
            sentences.append(
                f"At the end of {month:%B}, {money(row['weighted_pipeline'], currency)} of weighted open pipeline "
                f"was expected to close in {row['month_label']}, against a won-revenue target of "
                f"{money(row['target'], currency)}.")
        else:
            sentences.append(
                f"{row['month_label']}: {money(row['weighted_pipeline'], currency)} of weighted open pipeline is "
                f"expected to close, against a won-revenue target of {money(row['target'], currency)}.")
    quality = report_fields["quality_totals"]
    sentences.append(f"Data quality: {quality['rules_with_findings']} of {quality['rules']} checks have findings "
                     f"({quality['findings']:,} in all)." if quality["findings"]
                     else "Data quality: every check is clean.")
    return sentences


def best_campaign(loop: pd.DataFrame) -> pd.Series | None:
    """The named campaign whose leads brought the most won revenue (then the most leads); None when
    no named campaign earned anything. Leads without a campaign are never 'the best campaign'."""
    if not len(loop):
        return None
    named = loop[loop["key"].notna() & (loop["label"] != NO_CAMPAIGN) & (loop["revenue_won"] > 0)]
    if not len(named):
        return None
    return named.sort_values(["revenue_won", "leads"], ascending=False, kind="stable").iloc[0]


STAGE_THEN_UNKNOWN = "(closed later; its stage then not recorded)"


def stage_then_unknown(deals: pd.DataFrame, agreement: Agreement) -> pd.DataFrame:
    """Deals open at a finished month's end whose record shows the stage and probability they
    closed with later (a closing stage such as 'closed won', no recorded change to set it back):
    that stage is later data, so the month-end pipeline counts them and their amount under
    STAGE_THEN_UNKNOWN, without a probability to weigh them by. The open stages are those the
    agreement gives a probability."""
    open_then = deals["is_won"].isna() & deals["closed_at"].isna()
    later = open_then & deals["stage"].notna() & ~deals["stage"].isin(list(agreement.stage_probabilities))
    later &= deals["stage"].astype(str).str.lower().str.contains("closed|won|lost", regex=True)
    if not later.any():
        return deals
    deals = deals.copy()
    deals.loc[later, "stage"] = STAGE_THEN_UNKNOWN
    deals.loc[later, "probability"] = float("nan")
    return deals


def same_point(as_of: pd.Timestamp, months: int, tz) -> pd.Timestamp:
    """The instant `months` months before as_of on the local clock (31 March 10:00 -> 28 February
    10:00: the day is clipped to the shorter month)."""
    local = pd.Timestamp(as_of).tz_convert(tz).tz_localize(None) - pd.DateOffset(months=months)
    return pd.Timestamp(local).tz_localize(tz, ambiguous=True, nonexistent="shift_forward").tz_convert("UTC")


def forecast_table(next_record: dict | None, agreement: Agreement, next_month: pd.Timestamp,
                   pipeline: pd.DataFrame, as_of_month: pd.Timestamp) -> pd.DataFrame:
    """Next month per count commitment: target, actual so far and projection when it has begun,
    and for won revenue the weighted open pipeline expected to close in it (SPEC 9, 11)."""
    closing = pipeline[pd.to_datetime(pipeline["close_month"]) == next_month] if len(pipeline) else pipeline
    weighted = float(closing["weighted"].sum()) if len(closing) else 0.0
    amount = float(closing["amount"].sum()) if len(closing) else 0.0
    deals = int(closing["deals"].sum()) if len(closing) else 0
    started = next_month <= as_of_month
    rows = []
    for commitment in agreement.commitments:
        if not commitment.is_count:
            continue
        scored = next_record["commitments"][commitment.id]
        rows.append({
            "month": next_month, "month_label": month_label(next_month), "id": commitment.id,
            "team": commitment.team, "metric": commitment.metric, "label": METRIC_LABELS[commitment.metric],
            "target": scored["target"],
            "actual_so_far": scored["actual"] if started else None,
            "projected": scored["projected"] if started else None,
            "status": scored["status"] if started else None,
            "open_deals": deals if commitment.metric == "revenue_won" else None,
            "open_amount": amount if commitment.metric == "revenue_won" else None,
            "weighted_pipeline": weighted if commitment.metric == "revenue_won" else None,
        })
    frame = pd.DataFrame(rows, columns=["month", "month_label", "id", "team", "metric", "label", "target",
                                        "actual_so_far", "projected", "status", "open_deals", "open_amount",
                                        "weighted_pipeline"])
    frame["status"] = pd.Series([row["status"] for row in rows], dtype=object)  # a word or None, never NaN
    return frame


def quality_table(findings) -> pd.DataFrame:
    """The data-quality rules with findings, most first, with a few example ids each."""
    rows = [{"rule": f.rule, "table": f.table, "description": f.description, "count": f.count,
             "examples": ", ".join(f.examples[:5])} for f in findings if f.count]
    frame = pd.DataFrame(rows, columns=["rule", "table", "description", "count", "examples"])
    return frame.sort_values("count", ascending=False, kind="stable").reset_index(drop=True)


def pack_report(context: ReportContext, month: pd.Timestamp, unresolved: pd.DataFrame,
                generated_at: pd.Timestamp | None = None) -> MonthReport:
    """The pack's content for `month` (its first day) as known at the context's as_of, over
    the context's records; `unresolved` are the references the data-quality note counts."""
    agreement, as_of, tz = context.agreement, context.as_of, context.tz
    month = pd.Timestamp(month)
    month_end = period_end(month, "month")  # exclusive
    last_day = (month_end - pd.Timedelta(days=1)).date()
    today = context.today
    as_of_month = period_start(today, "month")
    if month > as_of_month:
        raise ExportError(f"month {month:%Y-%m} has not begun at {as_of.tz_convert(tz):%Y-%m-%d %H:%M} "
                          f"({agreement.timezone}): nothing to report yet")
    first, after = context.window(month.date(), last_day)
    complete = as_of >= after
    local = as_of.tz_convert(tz)
    generated = pd.Timestamp(generated_at if generated_at is not None else pd.Timestamp.now(tz="UTC")).tz_convert(tz)

    # Every section belongs to the month: a finished month stands as the board showed it at its
    # end (the forecast made then, the pipeline as it stood then), only the scorecard's "restated"
    # figure says what later data made of it; a running month stands at as_of.
    restated, compared_to = None, None
    if complete:
        restated = _month_record(context.at(after, recorded_by=max(as_of, after)), month)
        context = context.at(after)
    periods = pd.date_range(month - pd.DateOffset(months=TREND_MONTHS - 1), month, freq="MS")
    table = context.kpis("month", periods)
    scored = context.scored(table, "month")
    records = month_rows(table, scored)
    record = records[month]
    if complete:
        previous = records[month - pd.DateOffset(months=1)]
        year_ago = records[month - pd.DateOffset(months=12)]
    else:  # to the same point of the month before (and of the month a year earlier), as it stood then
        month_point, year_point = same_point(as_of, 1, tz), same_point(as_of, 12, tz)
        previous = _month_record(context.at(month_point), month - pd.DateOffset(months=1))
        year_ago = _month_record(context.at(year_point), month - pd.DateOffset(months=12))
        compared_to = f"to {month_point.tz_convert(tz):%-d %B %Y %H:%M}"
    board = scorecard(record, previous, year_ago, agreement, month, restated)

    has_data = any(record[f] for f in COUNT_FIELDS if f != "revenue_won") or bool(record["revenue_won"])
    partial_note = None
    if not complete:
        gone = context.calendar.working_days_elapsed(month, month_end, as_of)
        total = context.calendar.count_working_days(month, month_end)
        partial_note = (f"{month_label(month)} is not complete: these are its figures to "
                        f"{local:%-d %B %Y %H:%M}, {gone:.1f} of its {total} working days. It is compared with "
                        "the same point of the month before and of the same month a year earlier (as they "
                        "stood then); count targets are for the whole month.")

    known, stages = context.known, context.stages
    conversions = cohort_conversions(stages, periods, tz, "month", context.as_of)
    conversion_targets = {}
    for pair in PAIRS:
        commitment = commitment_for(agreement, f"conv_{pair[0]}_{pair[1]}")
        if commitment is not None:
            conversion_targets[pair] = commitment.target_value

    loops = {by: loop_table(stages, known.deals, known.campaigns, by, month.date(), last_day, tz,
                            agreement.currency, agreement.exchange_rates, costs=known.campaign_costs)
             for by in ("source", "campaign")}

    window = agreement.response_window_hours
    target = (commitment_rate_target(agreement, agreement.response_commitment.id, month, month_end,
                                     context.today, context.view) if window is not None else None)
    if window is not None:
        responses = context.responses(first, after)
        response = response_summary(responses)
        reps = rep_response(responses, known.owners, target)
    else:
        response, reps = {"mqls": 0}, pd.DataFrame()

    deals = known.deals if not complete else stage_then_unknown(known.deals, agreement)
    pipeline = weighted_pipeline(deals, agreement.currency, agreement.exchange_rates,
                                 agreement.stage_probabilities)
    order = stage_order(pipeline["stage"], agreement.stage_probabilities)
    next_month = month_end
    # The month the board stood in: a finished month's forecast was made before the next one began.
    standing_month = as_of_month if not complete else month
    next_table = context.kpis("month", pd.DatetimeIndex([next_month]))
    next_record = month_rows(next_table, context.scored(next_table, "month"))[next_month]
    forecast = forecast_table(next_record, agreement, next_month, pipeline, standing_month)
    closing = (pipeline[pd.to_datetime(pipeline["close_month"]) == next_month] if len(pipeline) else pipeline)
    forecast_pipeline = pipeline_by_stage(closing, order)

    findings = quality_findings(context.dataset, unresolved, agreement)  # every record, as `check` counts them
    quality_totals = quality_summary(findings, unresolved)

    scored_by = versions_lines(agreement, month)
    fields = dict(
        company=agreement.name,
        agreement_line=(f"{agreement.name}, agreed on {agreement.agreed_on:%-d %B %Y} by "
                        f"{', '.join(agreement.agreed_by)}" + (
                            ". " + "; ".join(scored_by) if len(agreement.all_versions) > 1 else "")),
        scored_by=scored_by,
        currency=agreement.currency, month=month, as_of=as_of,
        as_of_text=f"{local:%-d %B %Y %H:%M} ({agreement.timezone})",
        generated_at_text=f"{generated:%-d %B %Y %H:%M} ({agreement.timezone})",
        complete=complete, partial_note=partial_note, has_data=has_data,
        kpis=record, previous=previous, year_ago=year_ago, scorecard=board,
        key_figures=key_figures(record, previous, year_ago),
        trends=pd.DataFrame([records[p] for p in periods]).drop(columns=["commitments", "notes"]),
        trend_targets=scored,
        funnel=range_funnel(stages, first, after), conversions=conversions, lags=median_lags(stages),
        conversion_targets=conversion_targets,
        loop_source=loops["source"], loop_campaign=loops["campaign"],
        loop_source_totals=loop_totals(loops["source"]), loop_campaign_totals=loop_totals(loops["campaign"]),
        response=response, reps=reps, response_target=target, window_hours=window,
        pipeline_month=pipeline_by_month(pipeline, next_month if complete else as_of_month, order),
        compared_to=compared_to, standing_at=context.as_of,
        standing_text=f"the end of {month_label(month)}" if complete else f"{local:%-d %B %Y %H:%M} ({agreement.timezone})",
        pipeline_order=order, forecast_month=next_month, forecast=forecast, forecast_pipeline=forecast_pipeline,
        quality=quality_table(findings), quality_totals=quality_totals,
    )
    fields["summary"] = summary_sentences({**fields, "as_of_short": f"the end of {month:%B}" if complete
                                           else f"{local:%-d %B %Y}"})
    return MonthReport(**fields)
