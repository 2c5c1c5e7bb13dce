"""One pass of the alerts (`python app.py notify`): find the events due now, tell each
destination once, record it. Safe to run as often as wanted and from several places at once:
every delivery is claimed under its unique key in the transaction that sends it."""
from __future__ import annotations

import dataclasses
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy import Engine

from dashboard.alerts import events as ev, outputs
from dashboard.alerts.channels import (
    PAYLOADS,
    Message,
    SendError,
    SmtpSettings,
    post_json,
    send_email,
    with_retries,
)
from dashboard.alerts.config import AlertsConfig, Rule
from dashboard.alerts.messages import (
    digest_message,
    digest_subject,
    event_message,
    pack_message,
    pack_subject,
    summary_message,
)
from dashboard.reports.context import ReportContext
from dashboard.reports.sales import response_report
from dashboard.reports.scoreboard import scoreboard_report
from dashboard.sla import Agreement
from queries import alerts as store
from queries.loaders import load_dataset, load_unresolved_references

log = logging.getLogger(__name__)
KINDS = ("breach_soon", "breach", "pace", "stale_data", "digest", "pack")


@dataclass
class PassResult:
    """What one pass did, delivery by delivery: (status, destination, subject)."""

    deliveries: list[tuple[str, str, str]] = field(default_factory=list)
    held: list[str] = field(default_factory=list)  # rules waiting for working hours
    notes: list[str] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for s, _, _ in self.deliveries if s == status)


def delivery_key(rule_id: str, event_key: str, destination: str) -> str:
    """rule|event|destination, shortened with a hash where it would not fit the column."""
    key = f"{rule_id}|{event_key}|{destination}"
    if len(key) <= 191:
        return key
    return key[:150] + "#" + hashlib.sha256(key.encode()).hexdigest()[:40]


class Sender:
    """Sends a message to one destination with the configured retries; knows which channels
    the environment configures."""

    def __init__(self, config: AlertsConfig, smtp: SmtpSettings | None = None, sleep: Callable | None = None):
        self.config = config
        self.smtp = smtp if smtp is not None else SmtpSettings.from_env()
        self.sleep = sleep

    def configured(self, destination: str) -> str | None:
        """None when the destination can be used, else why not."""
        kind, _, name = destination.partition(":")
        if kind == "email":
            return None if self.smtp.host else "SMTP_HOST is not set"
        channel = self.config.channels[name]
        return None if channel.url() else f"{channel.url_env} is not set"

    def send(self, destination: str, message: Message) -> store.Outcome:
        kind, _, name = destination.partition(":")
        kwargs = {"sleep": self.sleep} if self.sleep is not None else {}
        if kind == "email":
            attempt = lambda: send_email(message, [name], self.smtp, self.config.sender)  # noqa: E731
            secrets = [self.smtp.password]
        else:
            channel = self.config.channels[name]
            url = channel.url()
            payload = PAYLOADS[channel.kind](message)
            attempt = lambda: post_json(url, payload)  # noqa: E731
            secrets = [url]
        return with_retries(attempt, self.config.retries, self.config.retry_seconds, secrets, **kwargs)


def destinations(config: AlertsConfig, to: list[str], chat: list[str], event: ev.Event | None = None) -> list[str]:
    """email:ADDRESS for each person the entries name (the lead's owner, the team's lead, a
    list, an address) and chat:NAME for each channel; each once, in order."""
    found: list[str] = []
    for who in to:
        if who == "owner":
            addresses = [event.owner_address] if event and event.owner_address else []
        elif who == "team_lead":
            lead = config.team_leads.get(event.team) if event else None
            addresses = [lead] if lead else []
        elif who.startswith("list:"):
            addresses = config.lists[who[5:]]
        else:
            addresses = [who]
        found += [f"email:{address.lower()}" for address in addresses]
    found += [f"chat:{name}" for name in chat]
    return list(dict.fromkeys(found))


class Pass:
    """One notify pass over one context."""

    def __init__(self, engine: Engine, context: ReportContext, config: AlertsConfig, sender: Sender,
                 only: tuple[str, ...] = KINDS):
        self.engine, self.context, self.config, self.sender, self.only = engine, context, config, sender, only
        self.result = PassResult()
        self.paused = store.paused_addresses(engine, pd.Timestamp(context.as_of).to_pydatetime())
        self._unresolved = None

    @property
    def unresolved(self) -> pd.DataFrame:
        if self._unresolved is None:
            self._unresolved = load_unresolved_references(self.engine)
        return self._unresolved

    def run(self) -> PassResult:
        open_now = (ev.in_working_hours(self.context.as_of, self.context)
                    and not ev.in_quiet_hours(self.context.as_of, self.config, self.context))
        for rule in self.config.rules:
            if not rule.enabled or rule.event not in self.only:
                continue
            if not (rule.urgent or open_now):
                self.result.held.append(rule.id)
                continue
            self.tell(rule, self.detect(rule))
        if "digest" in self.only:
            self.digest()
        if "pack" in self.only:
            self.pack()
        return self.result

    # -- events -----------------------------------------------------------------------------
    def detect(self, rule: Rule) -> list[ev.Event]:
        context, config = self.context, self.config
        if rule.event == "breach":
            return ev.breach_events(context, config)
        if rule.event == "breach_soon":
            return ev.breach_soon_events(context, config, rule)
        if rule.event == "pace":
            found = []
            for row in ev.pace_candidates(context, rule):
                before, count = store.last_state(self.engine, rule.id, ev.pace_prefix(row, rule))
                event = ev.pace_event(row, context, config, rule, before, count)
                if event is not None:
                    found.append(event)
            return found
        from queries.health import probe_database

        probe = probe_database(self.engine.url.render_as_string(hide_password=False))
        newest = pd.Timestamp(probe.newest_record_at) if probe.newest_record_at is not None else None
        event = ev.stale_event(newest, context.as_of, context, config, rule)
        return [event] if event is not None else []

    def tell(self, rule: Rule, found: list[ev.Event]) -> None:
        """Each destination hears of its events: one message each, or one summary when more than
        `summary_after` of them are new."""
        by_destination: dict[str, list[ev.Event]] = {}
        for event in found:
            for destination in destinations(self.config, rule.to, rule.chat, event):
                by_destination.setdefault(destination, []).append(event)
        for destination, items in by_destination.items():
            keys = {event.key: delivery_key(rule.id, event.key, destination) for event in items}
            status = store.recorded(self.engine, list(keys.values()))
            new = [event for event in items if status.get(keys[event.key]) in (None, store.FAILED)]
            if not new:
                continue
            claims = [store.Claim(keys[e.key], rule.id, e.kind, e.key, destination, e.subject, e.state) for e in new]
            if len(new) > self.config.summary_after:
                message = summary_message(new, rule.urgent, new[0].link.rsplit("/", 1)[0] if new[0].link else None)
                self.deliver(destination, claims, lambda m=message: m)
            else:
                for event, claim in zip(new, claims):
                    self.deliver(destination, [claim], lambda e=event: event_message(e, rule.urgent))

    def deliver(self, destination: str, claims: list[store.Claim], build: Callable[[], Message]) -> None:
        why_not = self.sender.configured(destination)
        subject = claims[0].subject if len(claims) == 1 else f"{len(claims)} events, the first: {claims[0].subject}"
        if why_not:
            self.result.deliveries.append(("not configured", destination, subject))
            note = f"{destination.partition(':')[0] if destination.startswith('email') else destination}: {why_not}"
            if note not in self.result.notes:
                self.result.notes.append(note)
            return
        address = destination.partition(":")[2]
        if destination.startswith("email:") and address in self.paused:
            outcome = store.deliver_once(self.engine, claims, None)
        else:
            message_box: list[Message] = []

            def send() -> store.Outcome:
                try:
                    message_box.append(build())
                except SendError as error:
                    return store.Outcome(store.FAILED, 0, str(error))
                return self.sender.send(destination, message_box[0])

            outcome = store.deliver_once(self.engine, claims, send)
        if outcome is None:
            self.result.deliveries.append(("taken", destination, subject))
            return
        if outcome.status == store.FAILED:
            log.warning("alert to %s failed after %d attempts: %s", destination, outcome.attempts, outcome.error)
        else:
            log.info("alert %s to %s", outcome.status, destination)
        self.result.deliveries.append((outcome.status, destination, subject))

    # -- the schedule -----------------------------------------------------------------------
    def digest(self) -> None:
        key = ev.digest_due(self.context, self.config)
        if key is None:
            return
        digest = self.config.schedule.digest
        built: dict[str, Message] = {}

        def build(with_charts: bool) -> Message:
            if with_charts not in built:
                board = scoreboard_report(self.context).board
                breaches = response_report(ev.recent_context(self.context)).breaches
                charts = {}
                if with_charts:
                    try:
                        charts = outputs.digest_charts(self.context, self.unresolved)
                    except Exception as error:  # a chart that cannot be drawn must not stop the numbers
                        log.warning("the digest goes without charts: %s", error)
                built[with_charts] = digest_message(self.context, board, breaches, charts, self.config.link_base)
            return built[with_charts]

        for destination in destinations(self.config, digest.to, digest.chat):
            claim = store.Claim(delivery_key("digest", key, destination), "digest", "digest", key, destination,
                                digest_subject(self.context))
            if store.recorded(self.engine, [claim.delivery_key]).get(claim.delivery_key) not in (None, store.FAILED):
                continue
            email = destination.startswith("email:")
            self.deliver(destination, [claim], lambda e=email: build(e))

    def pack(self) -> None:
        key = ev.pack_due(self.context, self.config)
        if key is None:
            return
        pack = self.config.schedule.pack
        built: list[Message] = []

        def build(with_files: bool) -> Message:
            if not built:
                month = pd.Timestamp(key.partition(":")[2] + "-01")
                label, files, summary = outputs.pack_files(self.context, month, self.unresolved, tuple(pack.attach))
                built.append(pack_message(self.context.agreement.name, label, summary, files, self.config.link_base,
                                          key.partition(":")[2]))
            message = built[0]
            if with_files:
                return message
            return dataclasses.replace(message, attachments=[])

        for destination in destinations(self.config, pack.to, pack.chat):
            claim = store.Claim(delivery_key("pack", key, destination), "pack", "pack", key, destination,
                                pack_subject(self.context.agreement.name,
                                             f"{pd.Timestamp(key.partition(':')[2] + '-01'):%B %Y}"))
            if store.recorded(self.engine, [claim.delivery_key]).get(claim.delivery_key) not in (None, store.FAILED):
                continue
            email = destination.startswith("email:")
            self.deliver(destination, [claim], lambda e=email: build(e))


def notify(engine: Engine, agreement: Agreement, config: AlertsConfig, as_of: pd.Timestamp | None = None,
           only: tuple[str, ...] = KINDS, sender: Sender | None = None) -> PassResult:
    """One pass at as_of (now by default) over the database's records."""
    store.ensure_tables(engine)
    as_of = pd.Timestamp.now(tz="UTC") if as_of is None else pd.Timestamp(as_of)
    context = ReportContext(load_dataset(engine, as_of), agreement, as_of)
    return Pass(engine, context, config, sender or Sender(config), only).run()
