"""Messages in the agreement's words: an alert, a summary of many, the Monday digest and the
monthly pack, each as plain text, HTML, chat facts and webhook fields."""
from __future__ import annotations

from html import escape

import pandas as pd

from dashboard.alerts.channels import Message
from dashboard.alerts.events import Event, pace_figures
from dashboard.components import formatting
from dashboard.components.labels import METRIC_LABELS, TEAM_LABELS
from dashboard.metrics.scoreboard import HORIZON_LABELS
from dashboard.metrics.wall import breaches_by_rep, commitments_at_risk, week_changes
from dashboard.reports.context import ReportContext
from dashboard.vocabulary import STATUS_LABELS

KIND_NAMES = {"breach_soon": "responses due soon", "breach": "response breaches", "pace": "commitment changes",
              "stale_data": "stale data warnings"}
STYLE = "font-family:Arial,Helvetica,sans-serif;font-size:14px;color:#1f2328"
CELL = "padding:4px 10px;border-bottom:1px solid #d0d7de;text-align:left"


def _page(title: str, body: str) -> str:
    return (f'<!DOCTYPE html><html><body style="{STYLE}"><h2 style="margin:0 0 12px">{escape(title)}</h2>'
            f"{body}</body></html>")


def _table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f'<th style="{CELL}">{escape(h)}</th>' for h in header)
    body = "".join("<tr>" + "".join(f'<td style="{CELL}">{escape(str(c))}</td>' for c in row) + "</tr>" for row in rows)
    return f'<table style="border-collapse:collapse;margin:8px 0 16px"><tr>{head}</tr>{body}</table>'


def _link(url: str | None, label: str = "Open in the dashboard") -> str:
    return f'<p><a href="{escape(url, quote=True)}">{escape(label)}</a></p>' if url else ""


def event_message(event: Event, urgent: bool) -> Message:
    """One event as a message of its own."""
    body = "".join(f"<p>{escape(line)}</p>" for line in event.lines if not line.startswith(("Timeline:", "Scoreboard:",
                                                                                               "Data quality:")))
    body += _table(["", ""], [[label, value] for label, value in event.facts]) + _link(event.link)
    return Message(kind=event.kind, subject=event.subject, text=event.text + "\n", html=_page(event.subject, body),
                   facts=list(event.facts), link=event.link, urgent=urgent,
                   payload={"events": [{"key": event.key, "kind": event.kind, **event.fields}]})


def summary_message(events: list[Event], urgent: bool, link: str | None) -> Message:
    """Many events of one rule at once, as one message listing each."""
    kind = events[0].kind
    subject = f"{len(events)} {KIND_NAMES.get(kind, 'alerts')}: {events[0].subject}, and {len(events) - 1} more"
    lines = [f"{len(events)} {KIND_NAMES.get(kind, 'alerts')} at once:"]
    lines += [f"- {event.subject}" + (f" ({event.link})" if event.link else "") for event in events]
    rows = [[event.subject, event.link or ""] for event in events]
    body = f"<p>{escape(lines[0])}</p>" + "<ul>" + "".join(
        f'<li>{escape(event.subject)}' + (f' – <a href="{escape(event.link, quote=True)}">open</a>' if event.link else "")
        + "</li>" for event in events) + "</ul>" + _link(link)
    del rows
    return Message(kind=f"{kind}_summary", subject=subject, text="\n".join(lines) + "\n", html=_page(subject, body),
                   facts=[("Events", str(len(events)))], link=link, urgent=urgent,
                   payload={"events": [{"key": event.key, "kind": event.kind, **event.fields} for event in events]})


def _order(context: ReportContext) -> list[str]:
    return [commitment.id for commitment in context.agreement.commitments]


def _value(metric: str, value, currency: str) -> str:
    return formatting.metric_value(metric, value, currency)


def digest_subject(context: ReportContext) -> str:
    year, week, _ = pd.Timestamp(context.as_of).tz_convert(context.agreement.tz).date().isocalendar()
    return f"{context.agreement.name}: the week {year}-W{week:02d} digest"


def pack_subject(agreement_name: str, label: str) -> str:
    return f"{agreement_name}: the leadership pack for {label}"


def digest_message(context: ReportContext, board: pd.DataFrame, breaches: pd.DataFrame | None,
                   charts: dict[str, tuple[str, bytes]], link_base: str) -> Message:
    """The Monday digest: the week's numbers against last week's, last week's results, what is
    at risk, the open breaches by rep, the key charts inline."""
    agreement, currency = context.agreement, context.agreement.currency
    local = pd.Timestamp(context.as_of).tz_convert(agreement.tz)
    year, week, _ = local.date().isocalendar()
    subject = digest_subject(context)
    changes = week_changes(board, _order(context)) if not board.empty else pd.DataFrame()
    risks = commitments_at_risk(board) if not board.empty else pd.DataFrame()
    reps = breaches_by_rep(breaches) if breaches is not None else None

    text = [subject, "", "Last week's results:"]
    result_rows = []
    for row in changes.itertuples(index=False):
        label, team = METRIC_LABELS[row.metric], TEAM_LABELS[row.team]
        result, target = _value(row.metric, row.last_week, currency), _value(row.metric, row.last_week_target, currency)
        status = _final(row.last_week_status)
        so_far = _value(row.metric, row.week_to_date, currency)
        text.append(f"- {label} ({team}): {result} against {target}, {status.lower()}; this week so far {so_far}")
        result_rows.append([f"{label} ({team})", result, target, status, so_far])
    text += ["", "At risk or behind:"]
    risk_rows = []
    for _, row in risks.iterrows():
        actual, target, needed = pace_figures(row, currency)
        horizon = HORIZON_LABELS[row["horizon"]]
        line = (f"{METRIC_LABELS[row['metric']]} ({TEAM_LABELS[row['team']]}), {horizon.lower()}: {actual} against "
                f"{target}, {STATUS_LABELS[row['status']].lower()}")
        text.append(f"- {line}" + (f"; {needed} needed a working day" if needed else ""))
        risk_rows.append([f"{METRIC_LABELS[row['metric']]} ({TEAM_LABELS[row['team']]})", horizon, actual, target,
                          STATUS_LABELS[row["status"]], needed or "–"])
    if not risk_rows:
        text.append("- nothing: every commitment is on track")
    text += ["", "Open response breaches by rep:"]
    rep_rows = [[row.owner, formatting.count(row.breaches), formatting.hours(row.oldest_hours)]
                for row in reps.itertuples(index=False)] if reps is not None else []
    text += [f"- {owner}: {count} (the oldest {oldest})" for owner, count, oldest in rep_rows] or ["- none"]
    link = f"{link_base}/"
    text += ["", f"Scoreboard: {link}"]

    body = "<h3>Last week's results</h3>" + _table(
        ["Commitment", "Last week", "Target", "Status", "This week so far"], result_rows)
    body += "<h3>At risk or behind</h3>" + (_table(["Commitment", "Horizon", "Actual", "Target", "Status",
                                                     "Needed a working day"], risk_rows)
                                            if risk_rows else "<p>Nothing: every commitment is on track.</p>")
    body += "<h3>Open response breaches by rep</h3>" + (_table(["Rep", "Breaches", "Oldest"], rep_rows)
                                                         if rep_rows else "<p>None.</p>")
    for name, (title, _) in charts.items():
        body += f'<h3>{escape(title)}</h3><img src="cid:{escape(name)}" alt="{escape(title)}" width="640">'
    body += _link(link, "Open the scoreboard")
    facts = [(row[0], f"{row[1]} / {row[2]} ({row[3]})") for row in result_rows]
    return Message(kind="digest", subject=subject, text="\n".join(text) + "\n", html=_page(subject, body),
                   facts=facts, link=link, link_label="Open the scoreboard",
                   images={name: image for name, (_, image) in charts.items()},
                   payload={"week": f"{year}-W{week:02d}", "results": [
                       {"commitment": row.id, "team": row.team, "metric": row.metric,
                        "last_week": _plain(row.last_week), "target": _plain(row.last_week_target),
                        "status": _final(row.last_week_status), "week_to_date": _plain(row.week_to_date)}
                       for row in changes.itertuples(index=False)],
                       "at_risk": [{"commitment": row["id"], "horizon": row["horizon"], "status": row["status"]}
                                   for _, row in risks.iterrows()]})


def _final(status) -> str:
    """A finished period's outcome in SPEC 9's words: met or missed (the scoreboard gives these
    for a period that is over; a running period's word is read as where it stands)."""
    return {"ahead": "met", "met": "met", "at_risk": "missed", "behind": "missed", "missed": "missed"}.get(status, "–")


def _plain(value):
    return None if value is None or (isinstance(value, float) and pd.isna(value)) else float(value)


def pack_message(agreement_name: str, label: str, summary: list[str], attachments: list[tuple[str, str, bytes]],
                 link_base: str, month_key: str) -> Message:
    """The monthly pack: its summary sentences, the files attached, a link to the Review page."""
    subject = pack_subject(agreement_name, label)
    link = f"{link_base}/review"
    names = [filename for filename, _, _ in attachments]
    text = [subject, "", *summary, "", f"Attached: {', '.join(names)}.", f"Every month's pack: {link}"]
    body = "".join(f"<p>{escape(sentence)}</p>" for sentence in summary)
    body += f"<p>Attached: {escape(', '.join(names))}.</p>" + _link(link, "Every month's pack on the Review page")
    return Message(kind="pack", subject=subject, text="\n".join(text) + "\n", html=_page(subject, body),
                   facts=[("Month", label)], link=link, link_label="Open the Review page",
                   attachments=attachments, payload={"month": month_key, "files": names})
