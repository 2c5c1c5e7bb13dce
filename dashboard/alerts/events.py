"""What is worth telling someone now, from the same reports as the pages: response breaches about
to happen and happened (SPEC 5), commitments turning at risk or behind and back (SPEC 9), data
gone stale, and whether the digest or the pack is due. Each event has a key that names it once
and for all, so that it is told once whatever runs how often."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd

from dashboard.alerts.config import AlertsConfig, Rule
from dashboard.components import formatting
from dashboard.components.filters import ViewFilters
from dashboard.components.labels import METRIC_LABELS, TEAM_LABELS
from dashboard.metrics.calendar import period_key, period_start
from dashboard.metrics.sales import owner_names
from dashboard.metrics.scoreboard import HORIZON_LABELS, HORIZONS
from dashboard.reports.context import ReportContext
from dashboard.reports.sales import response_report
from dashboard.reports.scoreboard import scoreboard_report
from dashboard.vocabulary import STAGE, STATUS_LABELS

LOOKBACK_DAYS = 31  # the MQLs a pass looks at: of the last month (older ones were told of already)
WORRYING = ("at_risk", "behind")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class Event:
    """One thing to tell: its key, what it says (subject, lines, facts, link) and whom it concerns."""

    kind: str
    key: str
    subject: str
    lines: tuple[str, ...]
    facts: tuple[tuple[str, str], ...] = ()
    link: str | None = None
    state: str | None = None
    owner_address: str | None = None  # the lead's owner, for `to: [owner]`
    team: str | None = None  # the commitment's team, for `to: [team_lead]`
    fields: dict = field(default_factory=dict)  # machine-readable, for the generic webhook

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def in_working_hours(instant: pd.Timestamp, context: ReportContext) -> bool:
    """Is the instant inside the agreement's working time: a working day and, where the
    agreement sets working hours, between their start and end (local time)?"""
    calendar = context.calendar
    local = pd.Timestamp(instant).tz_convert(context.agreement.tz)
    if not calendar.is_working_day(pd.DatetimeIndex([local.normalize().tz_localize(None)]))[0]:
        return False
    if not calendar.has_working_hours:
        return True
    return calendar.day_start <= local.time() < calendar.day_end


def in_quiet_hours(instant: pd.Timestamp, config: AlertsConfig, context: ReportContext) -> bool:
    if config.quiet_hours is None:
        return False
    return config.quiet_hours.covers(pd.Timestamp(instant).tz_convert(context.agreement.tz).time())


def recent_context(context: ReportContext) -> ReportContext:
    """The context with the date range of the last LOOKBACK_DAYS days to as_of."""
    end = context.today.date()
    filters = ViewFilters(grain="day", start=end - dt.timedelta(days=LOOKBACK_DAYS), end=end)
    return ReportContext(context.dataset, context.agreement, context.as_of, filters, context.cache,
                         context.data_version)


def _owner_emails(context: ReportContext) -> dict:
    owners = context.known.owners
    return {row.id: row.email for row in owners.itertuples(index=False) if isinstance(row.email, str) and row.email}


def _local(instant, context: ReportContext) -> str:
    return f"{pd.Timestamp(instant).tz_convert(context.agreement.tz):%a %d %b %H:%M}"


def _stamp(instant) -> str:
    return f"{pd.Timestamp(instant).tz_convert('UTC'):%Y%m%dT%H%M%S}"


def breach_events(context: ReportContext, config: AlertsConfig) -> list[Event]:
    """Each open breach (SPEC 5): an MQL with no response past its window at as_of."""
    report = response_report(recent_context(context))
    if report.breaches is None:
        return []
    emails, window = _owner_emails(context), report.window
    mql = STAGE["mql"].label
    events = []
    for row in report.breaches.itertuples(index=False):
        link = f"{config.link_base}/lead?lead={int(row.lead_id)}"
        waited = formatting.hours(row.age_hours)
        events.append(Event(
            kind="breach", key=f"breach:{int(row.lead_id)}:{_stamp(row.mql_at)}",
            subject=f"Response breach: {mql} {row.external_id} has waited {waited} (window {window:g} h)",
            lines=(f"{mql} {row.external_id} ({row.source or 'no source'}, {row.segment or 'no segment'}) became an "
                   f"{mql} on {_local(row.mql_at, context)} and has had no response for {waited} of working time, "
                   f"past the agreed window of {window:g} h.", f"Owner: {row.owner}.", f"Timeline: {link}"),
            facts=(("Lead", str(row.external_id)), ("Owner", str(row.owner)), ("Source", str(row.source or "–")),
                   ("Waited", waited), ("Window", f"{window:g} h")),
            link=link, owner_address=emails.get(row.owner_id),
            fields={"lead_id": int(row.lead_id), "external_id": str(row.external_id), "owner": str(row.owner),
                    "source": row.source, "segment": row.segment, "age_hours": round(float(row.age_hours), 2),
                    "window_hours": window, "mql_at": pd.Timestamp(row.mql_at).isoformat()},
        ))
    return events


def breach_soon_events(context: ReportContext, config: AlertsConfig, rule: Rule) -> list[Event]:
    """Each MQL still pending with at least `rule.share` of its response window gone."""
    window = context.agreement.response_window_hours
    if window is None or context.is_empty:
        return []
    recent = recent_context(context)
    responses = recent.responses(*recent.window())
    pending = responses[(responses["outcome"] == "pending") & responses["responded_at"].isna()
                        & ~responses["open_breach"] & (responses["age_hours"] >= rule.share * window)]
    pending = pending.sort_values(["age_hours", "lead_id"], ascending=[False, True], kind="stable")
    names = owner_names(pending["owner_id"], context.known.owners)
    emails, mql = _owner_emails(context), STAGE["mql"].label
    events = []
    for row, owner in zip(pending.itertuples(index=False), names):
        link = f"{config.link_base}/lead?lead={int(row.lead_id)}"
        left = formatting.hours(window - row.age_hours)
        events.append(Event(
            kind="breach_soon", key=f"breach_soon:{int(row.lead_id)}:{_stamp(row.mql_at)}",
            subject=f"Respond soon: {mql} {row.external_id} breaches the {window:g} h window in {left}",
            lines=(f"{mql} {row.external_id} ({row.source or 'no source'}, {row.segment or 'no segment'}) became an "
                   f"{mql} on {_local(row.mql_at, context)}; {formatting.hours(row.age_hours)} of its {window:g} h "
                   f"window have gone and {left} of working time are left.", f"Owner: {owner}.", f"Timeline: {link}"),
            facts=(("Lead", str(row.external_id)), ("Owner", str(owner)), ("Source", str(row.source or "–")),
                   ("Waited", formatting.hours(row.age_hours)), ("Left", left)),
            link=link, owner_address=emails.get(row.owner_id),
            fields={"lead_id": int(row.lead_id), "external_id": str(row.external_id), "owner": str(owner),
                    "source": row.source, "segment": row.segment, "age_hours": round(float(row.age_hours), 2),
                    "window_hours": window, "mql_at": pd.Timestamp(row.mql_at).isoformat()},
        ))
    return events


def pace_figures(row, currency: str) -> tuple[str, str, str | None]:
    """A scoreboard row's actual, target and run-rate still needed per working day, as on the pages."""
    metric = row["metric"]
    actual = formatting.metric_value(metric, row["actual"], currency)
    target = formatting.metric_value(metric, row["target"], currency)
    needed = row.get("required_per_day")
    needed_text = (formatting.metric_value(metric, needed, currency, decimals=1)
                   if row["is_count"] and needed is not None and not pd.isna(needed) else None)
    return actual, target, needed_text


def pace_candidates(context: ReportContext, rule: Rule) -> list[dict]:
    """The scoreboard's rows of the rule's horizon that have a status: one per commitment."""
    board = scoreboard_report(context).board
    if board.empty:
        return []
    rows = board[(board["horizon"] == rule.horizon) & board["status"].notna()]
    return [row for _, row in rows.iterrows()]


def pace_event(row, context: ReportContext, config: AlertsConfig, rule: Rule, before: str | None,
               count: int) -> Event | None:
    """The event of a commitment whose status changed since the last one told: into at risk or
    behind, or back from there; None when there is nothing new to say."""
    status = row["status"]
    if status == before or (status not in WORRYING and before not in WORRYING):
        return None
    grain = dict(HORIZONS)[rule.horizon]
    period = period_key(pd.Timestamp(row["period_start"]), grain)
    commitment = context.agreement.commitment(row["id"])
    currency = context.agreement.currency
    actual, target, needed = pace_figures(row, currency)
    label, team = METRIC_LABELS[row["metric"]], TEAM_LABELS[row["team"]]
    horizon = HORIZON_LABELS[rule.horizon].lower()
    word = STATUS_LABELS[status].lower()
    subject = (f"{team}: {label} ({commitment.id}) is {word} {horizon}" if status in WORRYING
               else f"{team}: {label} ({commitment.id}) is back {word} {horizon}")
    lines = [f"{label}, a commitment of {team}, {horizon}: {actual} against a target of {target} "
             f"({STATUS_LABELS[status]}; before: {STATUS_LABELS[before].lower() if before else 'nothing told yet'})."]
    if needed is not None:
        lines.append(f"Still needed: {needed} a working day to reach the target.")
    if commitment.description:
        lines.append(f"The agreement: {commitment.description}")
    link = f"{config.link_base}/"
    lines.append(f"Scoreboard: {link}")
    facts = [("Commitment", f"{label} ({team})"), ("Actual", actual), ("Target", target),
             ("Status", STATUS_LABELS[status])]
    if needed is not None:
        facts.append(("Needed a working day", needed))
    return Event(
        kind="pace", key=f"pace:{commitment.id}:{period}:{count + 1}:{status}", subject=subject,
        lines=tuple(lines), facts=tuple(facts), link=link, state=status, team=row["team"],
        fields={"commitment": commitment.id, "team": row["team"], "metric": row["metric"], "period": period,
                "actual": _number(row["actual"]), "target": _number(row["target"]),
                "required_per_day": _number(row.get("required_per_day")), "status": status, "previous": before},
    )


def pace_prefix(row, rule: Rule) -> str:
    grain = dict(HORIZONS)[rule.horizon]
    return f"pace:{row['id']}:{period_key(pd.Timestamp(row['period_start']), grain)}:"


def _number(value):
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    return float(value)


def stale_event(newest: pd.Timestamp | None, as_of: pd.Timestamp, context: ReportContext, config: AlertsConfig,
                rule: Rule) -> Event | None:
    """The data is stale when its newest record was written more than `after_hours` before as_of."""
    if newest is None:
        return None
    age = (pd.Timestamp(as_of) - pd.Timestamp(newest)).total_seconds() / 3600
    if age <= rule.after_hours:
        return None
    link = f"{config.link_base}/data-quality"
    return Event(
        kind="stale_data", key=f"stale_data:{_stamp(newest)}",
        subject=f"The dashboard's data is {age:,.0f} h old: no import since {_local(newest, context)}",
        lines=(f"The newest record was written on {_local(newest, context)}, {age:,.1f} hours ago; the agreed "
               f"limit is {rule.after_hours:g} h. Check the CRM import (cron, or `python app.py import`).",
               f"Data quality: {link}"),
        facts=(("Newest record", _local(newest, context)), ("Age", f"{age:,.1f} h"),
               ("Limit", f"{rule.after_hours:g} h")),
        link=link, fields={"newest_record_at": pd.Timestamp(newest).isoformat(), "age_hours": round(age, 2)},
    )


def digest_due(context: ReportContext, config: AlertsConfig) -> str | None:
    """The digest's key when it is due at as_of (its weekday, from its time, that day), else None."""
    digest = config.schedule.digest
    if digest is None:
        return None
    local = pd.Timestamp(context.as_of).tz_convert(context.agreement.tz)
    if WEEKDAYS[local.weekday()] != digest.day or local.time() < digest.at:
        return None
    year, week, _ = local.date().isocalendar()
    return f"digest:{year}-W{week:02d}"


def pack_due(context: ReportContext, config: AlertsConfig) -> str | None:
    """The pack's key when it is due at as_of (the month's first working day of the agreement,
    from its time, that day), else None."""
    pack = config.schedule.pack
    if pack is None:
        return None
    local = pd.Timestamp(context.as_of).tz_convert(context.agreement.tz)
    month = period_start(local.date(), "month")
    days = context.calendar.working_days(month, month + pd.DateOffset(months=1))
    if not len(days) or pd.Timestamp(days[0]).date() != local.date() or local.time() < pack.at:
        return None
    previous = month - pd.DateOffset(months=1)
    return f"pack:{previous:%Y-%m}"
