"""The alerts as the Admin page and the My alerts page show them: the rules, the recent
deliveries and who paused theirs, read from the alerts file and the database."""
from __future__ import annotations

import dash_bootstrap_components as dbc
import pandas as pd
from dash import html

from dashboard.alerts.config import AlertsConfig, AlertsError, load_alerts
from dashboard.components.sections import table
from queries import alerts as store
from queries.db import get_engine

EVENT_NAMES = {"breach_soon": "Response breach about to happen", "breach": "Response breach",
               "pace": "Commitment at risk or behind, and back", "stale_data": "Data gone stale"}


def alerts_config(settings) -> tuple[AlertsConfig | None, html.Div | None]:
    """The alerts file, or why there is none to show."""
    try:
        return load_alerts(settings.alerts_path), None
    except AlertsError as error:
        if error.reason == "no such file":
            return None, html.P(f"No alerts file at {settings.alerts_path}: nobody is alerted (docs/ALERTS.md).",
                                className="text-muted")
        return None, dbc.Alert(f"The alerts file is refused: {error}", color="danger")


def rules_table(config: AlertsConfig, address: str | None = None) -> html.Div:
    """Each rule and the scheduled messages: what, to whom, how, when; only those reaching
    `address` when one is given."""
    rows = []
    items = [(rule.id, EVENT_NAMES[rule.event], rule.to, rule.chat,
              "urgent: any time" if rule.urgent else "working hours", rule.enabled) for rule in config.rules]
    if config.schedule.digest:
        digest = config.schedule.digest
        items.append(("digest", "The Monday digest", digest.to, digest.chat, f"{digest.day} {digest.at:%H:%M}", True))
    if config.schedule.pack:
        pack = config.schedule.pack
        items.append(("pack", "The monthly pack", pack.to, pack.chat, f"first working day {pack.at:%H:%M}", True))
    for rule_id, what, to, chat, when, enabled in items:
        if address and not reaches(config, to, address):
            continue
        rows.append([rule_id, what, ", ".join(to) or "–", ", ".join(chat) or "–", when, "on" if enabled else "off"])
    if not rows:
        return html.P("No rule reaches this address.", className="text-muted")
    return table(["Rule", "Event", "E-mail to", "Chat", "When", "State"], rows, numeric=set())


def reaches(config: AlertsConfig, to: list[str], address: str) -> bool:
    """Could entries of `to` name this address? (owner and team_lead may, as the lead's owner
    or a team's lead)."""
    address = address.lower()
    for who in to:
        if who == "owner":
            return True
        if who == "team_lead" and address in {a.lower() for a in config.team_leads.values()}:
            return True
        if who.startswith("list:") and address in {a.lower() for a in config.lists.get(who[5:], [])}:
            return True
        if who.lower() == address:
            return True
    return False


def deliveries_table(settings, address: str | None = None, limit: int = 30) -> html.Div:
    try:
        frame = store.recent_deliveries(get_engine(settings.database_url), 500 if address else limit)
    except Exception as error:  # no alert tables yet, or the database is away
        return html.P(f"No deliveries to show ({error.__class__.__name__}).", className="text-muted")
    if address:
        frame = frame[frame["destination"] == f"email:{address.lower()}"].head(limit)
    if frame.empty:
        return html.P("Nothing sent yet.", className="text-muted")
    rows = [[f"{pd.Timestamp(row.created_at):%Y-%m-%d %H:%M} UTC", row.rule_id, row.destination, row.subject,
             row.status + (f" ({row.grouped} in one)" if row.grouped > 1 else ""), str(row.attempts), row.error or ""]
            for row in frame.itertuples(index=False)]
    classes = ["table-danger" if row.status == store.FAILED else None for row in frame.itertuples(index=False)]
    return table(["When", "Rule", "To", "Subject", "Status", "Attempts", "Error"], rows, numeric={5},
                 row_classes=classes)


def pauses_table(settings) -> html.Div:
    try:
        frame = store.pauses(get_engine(settings.database_url))
    except Exception as error:
        return html.P(f"No pauses to show ({error.__class__.__name__}).", className="text-muted")
    if frame.empty:
        return html.P("Nobody has paused their alerts.", className="text-muted")
    return table(["Address", "Paused by", "Since", "Until"], [
        [row.address, row.paused_by or "–", f"{pd.Timestamp(row.paused_at):%Y-%m-%d %H:%M}",
         f"{pd.Timestamp(row.until):%Y-%m-%d %H:%M}" if row.until is not None and not pd.isna(row.until)
         else "until resumed"] for row in frame.itertuples(index=False)], numeric=set())
