"""The ways a message leaves: e-mail over SMTP (STARTTLS and login from the environment; HTML
and plain text, charts inline as CID parts, files attached), Slack and Microsoft Teams incoming
webhooks in their own formats, and a generic JSON webhook. Each send is retried with backoff;
no password or webhook URL ever reaches a log or an error message."""
from __future__ import annotations

import json
import logging
import os
import smtplib
import ssl
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from queries.alerts import FAILED, SENT, Outcome

log = logging.getLogger(__name__)
TIMEOUT_SECONDS = 15


@dataclass(frozen=True)
class Message:
    """One message in every form a channel needs."""

    kind: str
    subject: str
    text: str  # the plain-text body
    html: str  # the HTML body; images referenced as cid:NAME
    facts: list[tuple[str, str]] = field(default_factory=list)  # label, value: chat cards
    link: str | None = None
    link_label: str = "Open in the dashboard"
    images: dict[str, bytes] = field(default_factory=dict)  # PNG by name, inline in the e-mail
    attachments: list[tuple[str, str, bytes]] = field(default_factory=list)  # filename, media type, content
    payload: dict = field(default_factory=dict)  # the machine-readable fields for a generic webhook
    urgent: bool = False


class SendError(RuntimeError):
    """A failed attempt; `retry` False when trying again cannot help (a refused request)."""

    def __init__(self, reason: str, retry: bool = True):
        super().__init__(reason)
        self.retry = retry


@dataclass(frozen=True)
class SmtpSettings:
    """SMTP_HOST, SMTP_PORT, SMTP_USER, SMTP_PASSWORD, SMTP_STARTTLS, SMTP_FROM, and SMTP_CA_FILE (the
    certificate of a private CA that signed the server's certificate; default: the system's CAs)."""

    host: str | None
    port: int
    user: str | None
    password: str | None
    starttls: bool
    sender: str | None
    ca_file: str | None = None

    @classmethod
    def from_env(cls, environ=None) -> SmtpSettings:
        environ = os.environ if environ is None else environ
        port_text = environ.get("SMTP_PORT", "").strip() or "587"
        try:
            port = int(port_text)
        except ValueError:
            raise ValueError(f"SMTP_PORT={port_text!r}: write a port number, e.g. 587") from None
        starttls = environ.get("SMTP_STARTTLS", "on").strip().lower() not in ("0", "off", "false", "no")
        return cls(environ.get("SMTP_HOST") or None, port, environ.get("SMTP_USER") or None,
                   environ.get("SMTP_PASSWORD") or None, starttls, environ.get("SMTP_FROM") or None,
                   environ.get("SMTP_CA_FILE") or None)


def redact(text: str, secrets: list[str | None]) -> str:
    """The text with every secret replaced by ***."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def email_message(message: Message, sender: str, recipients: list[str]) -> EmailMessage:
    """The MIME message: plain text and HTML alternatives, the images related to the HTML by
    Content-ID, then the attachments."""
    mail = EmailMessage()
    mail["Subject"] = message.subject
    mail["From"] = sender
    mail["To"] = ", ".join(recipients)
    mail["Date"] = formatdate(localtime=False)
    mail["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    if message.urgent:
        mail["Importance"] = "high"
    mail.set_content(message.text)
    mail.add_alternative(message.html, subtype="html")
    if message.images:
        html_part = mail.get_payload()[1]
        for name, png in message.images.items():
            html_part.add_related(png, maintype="image", subtype="png", cid=f"<{name}>", filename=f"{name}.png")
    for filename, media_type, content in message.attachments:
        maintype, _, subtype = media_type.partition("/")
        mail.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename)
    return mail


def send_email(message: Message, recipients: list[str], smtp: SmtpSettings, sender: str | None) -> None:
    """One attempt to hand the message to the SMTP server; raises SendError."""
    sender = sender or smtp.sender
    if not smtp.host:
        raise SendError("SMTP_HOST is not set: the e-mail channel has no server", retry=False)
    if not sender:
        raise SendError("no sender: set SMTP_FROM or `sender` in the alerts file", retry=False)
    mail = email_message(message, sender, recipients)
    try:
        with smtplib.SMTP(smtp.host, smtp.port, timeout=TIMEOUT_SECONDS) as server:
            server.ehlo()
            if smtp.starttls:
                server.starttls(context=ssl.create_default_context(cafile=smtp.ca_file))
                server.ehlo()
            if smtp.user:
                server.login(smtp.user, smtp.password or "")
            refused = server.send_message(mail, from_addr=sender, to_addrs=recipients)
    except smtplib.SMTPAuthenticationError as error:
        raise SendError(f"the SMTP server refused the login ({error.smtp_code})", retry=False) from None
    except smtplib.SMTPNotSupportedError as error:
        if smtp.starttls and "STARTTLS" in str(error):
            raise SendError("the SMTP server does not offer STARTTLS, and SMTP_STARTTLS is on, so nothing was sent "
                            "unencrypted (SMTP_STARTTLS=off only for a relay on a trusted network)", retry=False) from None
        raise SendError(f"the SMTP server does not support {error}", retry=False) from None
    except ssl.SSLCertVerificationError as error:
        raise SendError(f"the SMTP server's certificate is not trusted ({error.verify_message}); SMTP_CA_FILE names "
                        "the certificate of a private CA", retry=False) from None
    except smtplib.SMTPRecipientsRefused as error:
        raise SendError(f"the SMTP server refused every recipient ({len(error.recipients)})", retry=False) from None
    except (smtplib.SMTPException, OSError) as error:
        raise SendError(f"SMTP {smtp.host}:{smtp.port}: {error.__class__.__name__}: {error}") from None
    if refused:
        log.warning("the SMTP server refused %d of %d recipients", len(refused), len(recipients))


def slack_payload(message: Message) -> dict:
    """A Slack incoming-webhook message: fallback text and Block Kit blocks."""
    blocks: list[dict] = [
        {"type": "header", "text": {"type": "plain_text", "text": message.subject[:150]}},
        {"type": "section", "text": {"type": "mrkdwn", "text": _slack_escape(message.text)[:3000]}},
    ]
    if message.facts:
        blocks.append({"type": "section", "fields": [
            {"type": "mrkdwn", "text": f"*{_slack_escape(label)}*\n{_slack_escape(value)}"}
            for label, value in message.facts[:10]]})
    if message.link:
        blocks.append({"type": "actions", "elements": [
            {"type": "button", "text": {"type": "plain_text", "text": message.link_label}, "url": message.link}]})
    return {"text": message.subject, "blocks": blocks}


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def teams_payload(message: Message) -> dict:
    """A Microsoft Teams incoming-webhook (Workflows) message: one Adaptive Card."""
    body: list[dict] = [
        {"type": "TextBlock", "text": message.subject, "weight": "Bolder", "size": "Medium", "wrap": True},
        {"type": "TextBlock", "text": message.text, "wrap": True},
    ]
    if message.facts:
        body.append({"type": "FactSet", "facts": [{"title": label, "value": value} for label, value in message.facts]})
    card = {"$schema": "http://adaptivecards.io/schemas/adaptive-card.json", "type": "AdaptiveCard",
            "version": "1.4", "body": body}
    if message.link:
        card["actions"] = [{"type": "Action.OpenUrl", "title": message.link_label, "url": message.link}]
    return {"type": "message", "attachments": [
        {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card}]}


def webhook_payload(message: Message) -> dict:
    """The generic JSON webhook: the message's fields as they are."""
    return {"kind": message.kind, "subject": message.subject, "text": message.text, "link": message.link,
            "urgent": message.urgent, "facts": [{"label": label, "value": value} for label, value in message.facts],
            **message.payload}


PAYLOADS = {"slack": slack_payload, "teams": teams_payload, "webhook": webhook_payload}


def post_json(url: str, payload: dict) -> None:
    """One POST of a JSON body; raises SendError (4xx but 429: not worth retrying)."""
    request = urllib.request.Request(url, data=json.dumps(payload).encode("utf-8"), method="POST",
                                     headers={"Content-Type": "application/json; charset=utf-8"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            response.read()
    except urllib.error.HTTPError as error:
        raise SendError(f"HTTP {error.code} {error.reason}", retry=error.code == 429 or error.code >= 500) from None
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise SendError(f"cannot reach the webhook: {reason}") from None


def with_retries(attempt: Callable[[], None], retries: int, first_wait: float, secrets: list[str | None],
                 sleep: Callable[[float], None] = time.sleep) -> Outcome:
    """Try once and up to `retries` more times, waiting first_wait, then twice as long each time."""
    tries, wait = 0, first_wait
    while True:
        tries += 1
        try:
            attempt()
            return Outcome(SENT, tries)
        except SendError as error:
            reason = redact(str(error), secrets)
            if not error.retry or tries > retries:
                return Outcome(FAILED, tries, reason)
            log.warning("attempt %d failed (%s); trying again in %.1f s", tries, reason, wait)
            sleep(wait)
            wait *= 2
