"""Alerts (dashboard/alerts/): a real SMTP server and a webhook receiver on loopback ports.

The fixture, worked by hand (Helsinki time; working days Monday to Friday 08:00-16:00, no
holidays; first-touch window 4 working hours; MQL target 5 a week):

- Rita Rep (rep@example.com) owns L1, an MQL on Mon 2 Nov 2026 10:00 never touched. Its window
  ends after 4 working hours, Mon 14:00; from then it is an open breach.
  Mon 17:00 and Tue 07:59 are outside working hours: nothing is sent. Tue 08:06 it has waited
  6 h (Mon 10-16) + 0.1 h = 6.1 h: one alert. Later passes send nothing more.
- The digest, Mon 9 Nov 09:00: last week (2-6 Nov) had 1 MQL against 5 (missed); this week
  so far 0. At risk or behind: MQL volume this week (0, projected 0 against 5) and this month
  (1 by 5.125 of 21 working days: projected 4.1 against 21); first touch this month (L1
  missed: 0.0 % against 90.0 %). Open breaches by rep: Rita Rep, 1, the oldest 39.0 h
  (6 h on Mon 2, 8 h each Tue-Fri, 1 h on Mon 9).
- The pack: Tue 1 Dec 2026 is December's first working day, so from 08:00 the pack of
  November 2026 is due.
"""
from __future__ import annotations

import datetime as dt
import email
import email.policy
import http.server
import io
import json
import logging
import socket
import threading
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import insert, select

from dashboard.alerts.channels import SmtpSettings
from dashboard.alerts.config import AlertsError, load_alerts, parse_alerts
from dashboard.alerts.runner import Sender, notify
from dashboard.sla import load_agreement
from queries import alerts as store
from queries.db import init_db
from queries.schema import AlertDelivery, Lead, Owner

AGREEMENT = """\
name: Test SLA
agreed_on: 2026-01-05
agreed_by: [Head of Marketing, Head of Sales]
timezone: Europe/Helsinki
working_days: [mon, tue, wed, thu, fri]
working_hours: {start: "08:00", end: "16:00"}
definitions: {lead: a, mql: b, sal: c, sql: d, opportunity: e}
commitments:
  - id: mql_volume
    team: marketing
    metric: mqls
    target: {week: 5}
  - id: first_touch
    team: sales
    metric: response_sla_attainment
    window_hours: 4
    target: 0.9
"""


def helsinki(text: str) -> pd.Timestamp:
    return pd.Timestamp(text).tz_localize("Europe/Helsinki").tz_convert("UTC")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Mailbox:
    """aiosmtpd handler keeping every message; `refuse` answers DATA with a temporary failure."""

    def __init__(self):
        self.messages: list[tuple[list[str], email.message.EmailMessage]] = []
        self.refuse = 0
        self.attempts = 0
        self.logins: list[tuple[bytes, bytes]] = []

    async def handle_DATA(self, server, session, envelope):
        self.attempts += 1
        if self.refuse:
            self.refuse -= 1
            return "451 4.3.0 try again later"
        parsed = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        self.messages.append((list(envelope.rcpt_tos), parsed))
        return "250 OK"


@pytest.fixture
def mailbox():
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    box = Mailbox()

    def authenticator(server, session, envelope, _mechanism, auth_data):
        if isinstance(auth_data, LoginPassword):
            box.logins.append((auth_data.login, auth_data.password))
            return AuthResult(success=auth_data.password == b"s3cret-pass")
        return AuthResult(success=False)

    controller = Controller(box, hostname="127.0.0.1", port=free_port(), authenticator=authenticator,
                            auth_require_tls=False)
    controller.start()
    box.smtp = SmtpSettings("127.0.0.1", controller.port, None, None, False, "alerts@example.com")
    yield box
    controller.stop()


class Receiver(http.server.ThreadingHTTPServer):
    """Keeps each POST (path, JSON body); paths starting /fail answer 500."""

    def __init__(self):
        self.posts: list[tuple[str, dict]] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                outer.posts.append((self.path, body))
                status = 500 if self.path.startswith("/fail") else 200
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        super().__init__(("127.0.0.1", 0), Handler)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


@pytest.fixture
def receiver():
    server = Receiver()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def fixture_database(url: str):
    engine = init_db(url)
    with engine.begin() as connection:
        connection.execute(insert(Owner.__table__).values(id=1, external_id="O1", name="Rita Rep",
                                                          email="rep@example.com", team="sdr", active=True))
        connection.execute(insert(Lead.__table__).values(
            id=1, external_id="L1", created_at=helsinki("2026-11-02 09:00"), source="webinar", segment="SMB",
            owner_id=1, mql_at=helsinki("2026-11-02 10:00")))
        # a lead of 2024, touched and rejected: the source records touches and decisions, so first
        # touch and acceptance are measured (not "not recorded"); it falls in no period of the tests
        connection.execute(insert(Lead.__table__).values(
            id=99, external_id="L99", created_at=helsinki("2024-01-10 09:00"), owner_id=1,
            mql_at=helsinki("2024-01-10 10:00"), first_touch_at=helsinki("2024-01-10 11:00"),
            disqualified_at=helsinki("2024-01-10 12:00"), disqualified_reason="No budget"))
    return engine


@pytest.fixture
def agreement(tmp_path):
    path = tmp_path / "sla.yaml"
    path.write_text(AGREEMENT)
    return load_agreement(path)


def alerts_file(tmp_path: Path, text: str):
    path = tmp_path / "alerts.yaml"
    path.write_text(text)
    return load_alerts(path)


BREACH_RULE = """\
retry_seconds: 0
rules:
  - id: response_breach
    event: breach
    to: [owner]
"""


def deliveries(engine) -> list[tuple]:
    table = AlertDelivery.__table__
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(
            select(table.c.rule_id, table.c.destination, table.c.status, table.c.attempts).order_by(table.c.id))]


def test_alt001_a_breach_sends_one_alert_in_working_hours_only(tmp_path, agreement, mailbox):
    """Outside working hours nothing goes; the first pass inside sends one e-mail; later passes none."""
    engine = fixture_database(f"sqlite:///{tmp_path}/a.db")
    config = alerts_file(tmp_path, BREACH_RULE)
    sender = Sender(config, mailbox.smtp)
    for instant in ("2026-11-02 13:59", "2026-11-02 17:00", "2026-11-03 07:59"):
        result = notify(engine, agreement, config, helsinki(instant), sender=sender)
        assert result.deliveries == []
    assert mailbox.messages == []
    assert result.held == ["response_breach"]

    result = notify(engine, agreement, config, helsinki("2026-11-03 08:06"), sender=sender)
    assert [(status, destination) for status, destination, _ in result.deliveries] == [("sent", "email:rep@example.com")]
    for instant in ("2026-11-03 08:30", "2026-11-03 15:00"):
        assert notify(engine, agreement, config, helsinki(instant), sender=sender).deliveries == []

    assert len(mailbox.messages) == 1
    recipients, message = mailbox.messages[0]
    assert recipients == ["rep@example.com"]
    assert message["Subject"] == "Response breach: MQL L1 has waited 6.1 h (window 4 h)"
    assert message["From"] == "alerts@example.com"
    text = message.get_body(("plain",)).get_content()
    assert "MQL L1 (webinar, SMB) became an MQL on Mon 02 Nov 10:00" in text
    assert "Owner: Rita Rep." in text
    assert "Timeline: http://127.0.0.1:8050/lead?lead=1" in text
    html = message.get_body(("html",)).get_content()
    assert 'href="http://127.0.0.1:8050/lead?lead=1"' in html
    assert deliveries(engine) == [("response_breach", "email:rep@example.com", "sent", 1)]


def test_alt002_breach_soon_at_the_share_of_the_window(tmp_path, agreement, mailbox):
    """share 0.75 of 4 h: due from 3 working hours (Mon 13:00), until the breach at 14:00."""
    engine = fixture_database(f"sqlite:///{tmp_path}/a.db")
    config = alerts_file(tmp_path, "rules:\n  - {id: soon, event: breach_soon, share: 0.75, to: [owner]}\n")
    sender = Sender(config, mailbox.smtp)
    assert notify(engine, agreement, config, helsinki("2026-11-02 12:59"), sender=sender).deliveries == []
    notify(engine, agreement, config, helsinki("2026-11-02 13:30"), sender=sender)
    notify(engine, agreement, config, helsinki("2026-11-02 13:45"), sender=sender)
    assert [m["Subject"] for _, m in mailbox.messages] == [
        "Respond soon: MQL L1 breaches the 4 h window in 0.5 h"]


def test_alt003_digest_by_email_with_inline_charts(tmp_path, agreement, mailbox):
    """The Monday digest: subject, recipients, both parts, the charts as CID images."""
    engine = fixture_database(f"sqlite:///{tmp_path}/a.db")
    config = alerts_file(tmp_path, """\
lists: {meeting: [lead.one@example.com, lead.two@example.com]}
schedule:
  digest: {day: mon, at: "08:30", to: [list:meeting]}
""")
    sender = Sender(config, mailbox.smtp)
    assert notify(engine, agreement, config, helsinki("2026-11-09 08:29"), sender=sender).deliveries == []
    result = notify(engine, agreement, config, helsinki("2026-11-09 09:00"), sender=sender)
    assert [(s, d) for s, d, _ in result.deliveries] == [("sent", "email:lead.one@example.com"),
                                                          ("sent", "email:lead.two@example.com")]
    assert notify(engine, agreement, config, helsinki("2026-11-09 10:00"), sender=sender).deliveries == []
    assert [recipients for recipients, _ in mailbox.messages] == [["lead.one@example.com"], ["lead.two@example.com"]]
    message = mailbox.messages[0][1]
    assert message["Subject"] == "Test SLA: the week 2026-W46 digest"
    text = message.get_body(("plain",)).get_content()
    assert "- MQLs (Marketing): 1 against 5, missed; this week so far 0" in text
    assert "- MQLs (Marketing), this week: 0 against 5, behind; 1.0 needed a working day" in text
    assert "- MQLs (Marketing), this month: 1 against 21, behind; 1.3 needed a working day" in text
    assert "- First touch in time (Sales), this month: 0.0 % against 90.0 %, behind" in text
    assert "- Rita Rep: 1 (the oldest 39.0 h)" in text
    html_part = message.get_body(("html",))
    html = html_part.get_content()
    images = [part for part in message.walk() if part.get_content_type() == "image/png"]
    assert [part["Content-ID"] for part in images] == ["<trend_mql_volume>", "<trend_first_touch>"]
    for part in images:
        assert part.get_content()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f'src="cid:{part["Content-ID"].strip("<>")}"' in html
    related = [part for part in message.walk() if part.get_content_type() == "multipart/related"]
    assert len(related) == 1


def test_alt004_pack_attached_on_the_first_working_day(tmp_path, agreement, mailbox):
    """Tue 1 Dec 2026: November's pack, the PDF attached and readable."""
    from pypdf import PdfReader

    engine = fixture_database(f"sqlite:///{tmp_path}/a.db")
    config = alerts_file(tmp_path, """\
schedule:
  pack: {at: "08:00", to: [boss@example.com], attach: [pdf, xlsx]}
""")
    sender = Sender(config, mailbox.smtp)
    assert notify(engine, agreement, config, helsinki("2026-11-30 09:00"), sender=sender).deliveries == []
    assert notify(engine, agreement, config, helsinki("2026-12-01 07:59"), sender=sender).deliveries == []
    notify(engine, agreement, config, helsinki("2026-12-01 08:10"), only=("pack",), sender=sender)
    notify(engine, agreement, config, helsinki("2026-12-01 09:10"), sender=sender)
    assert len(mailbox.messages) == 1
    recipients, message = mailbox.messages[0]
    assert recipients == ["boss@example.com"]
    assert message["Subject"] == "Test SLA: the leadership pack for November 2026"
    files = {part.get_filename(): part.get_content() for part in message.iter_attachments()}
    assert sorted(files) == ["leadership-review-2026-11.pdf", "leadership-review-2026-11.xlsx"]
    reader = PdfReader(io.BytesIO(files["leadership-review-2026-11.pdf"]))
    assert "November 2026" in reader.pages[0].extract_text()


def test_alt005_slack_teams_and_webhook_payloads(tmp_path, agreement, receiver, monkeypatch):
    """Each chat channel gets the breach in its own format."""
    engine = fixture_database(f"sqlite:///{tmp_path}/a.db")
    for name, path in (("SLACK_URL", "/slack/T000/B000/secret-token"), ("TEAMS_URL", "/teams"),
                       ("HOOK_URL", "/hook")):
        monkeypatch.setenv(name, receiver.base + path)
    config = alerts_file(tmp_path, """\
link_base: https://dash.example.com/
channels:
  sales: {kind: slack, url_env: SLACK_URL}
  lead: {kind: teams, url_env: TEAMS_URL}
  hook: {kind: webhook, url_env: HOOK_URL}
rules:
  - {id: breach, event: breach, chat: [sales, lead, hook]}
""")
    result = notify(engine, agreement, config, helsinki("2026-11-03 08:06"), sender=Sender(config, SmtpSettings(
        None, 25, None, None, False, None)))
    assert [(s, d) for s, d, _ in result.deliveries] == [("sent", "chat:sales"), ("sent", "chat:lead"),
                                                          ("sent", "chat:hook")]
    posts = dict(receiver.posts)
    subject = "Response breach: MQL L1 has waited 6.1 h (window 4 h)"
    slack = posts["/slack/T000/B000/secret-token"]
    assert slack["text"] == subject
    assert slack["blocks"][0] == {"type": "header", "text": {"type": "plain_text", "text": subject}}
    assert slack["blocks"][1]["type"] == "section" and slack["blocks"][1]["text"]["type"] == "mrkdwn"
    assert slack["blocks"][2]["fields"][:2] == [{"type": "mrkdwn", "text": "*Lead*\nL1"},
                                                {"type": "mrkdwn", "text": "*Owner*\nRita Rep"}]
    assert slack["blocks"][3] == {"type": "actions", "elements": [{
        "type": "button", "text": {"type": "plain_text", "text": "Open in the dashboard"},
        "url": "https://dash.example.com/lead?lead=1"}]}

    teams = posts["/teams"]
    assert teams["type"] == "message"
    attachment = teams["attachments"][0]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert (card["type"], card["version"]) == ("AdaptiveCard", "1.4")
    assert card["body"][0] == {"type": "TextBlock", "text": subject, "weight": "Bolder", "size": "Medium",
                               "wrap": True}
    assert card["body"][2]["facts"] == [
        {"title": "Lead", "value": "L1"}, {"title": "Owner", "value": "Rita Rep"},
        {"title": "Source", "value": "webinar"}, {"title": "Waited", "value": "6.1 h"},
        {"title": "Window", "value": "4 h"}]
    assert card["actions"] == [{"type": "Action.OpenUrl", "title": "Open in the dashboard",
                                "url": "https://dash.example.com/lead?lead=1"}]

    hook = posts["/hook"]
    assert (hook["kind"], hook["subject"], hook["link"], hook["urgent"]) == (
        "breach", subject, "https://dash.example.com/lead?lead=1", False)
    assert hook["events"] == [{"key": "breach:1:20261102T080000", "kind": "breach", "lead_id": 1,
                               "external_id": "L1", "owner": "Rita Rep", "source": "webinar", "segment": "SMB",
                               "age_hours": 6.1, "window_hours": 4.0, "mql_at": "2026-11-02T08:00:00+00:00"}]


def test_alt006_a_failing_server_is_retried_and_reported(tmp_path, agreement, receiver, monkeypatch, caplog):
    """500 three times (one try, two retries): recorded failed, on /healthz, the URL's token nowhere."""
    from dashboard.health import health_report
    from dashboard.settings import Settings

    url = f"sqlite:///{tmp_path}/a.db"
    engine = fixture_database(url)
    monkeypatch.setenv("HOOK_URL", receiver.base + "/fail/secret-token")
    config = alerts_file(tmp_path, """\
retries: 2
retry_seconds: 0
channels: {hook: {kind: webhook, url_env: HOOK_URL}}
rules:
  - {id: breach, event: breach, chat: [hook]}
""")
    with caplog.at_level(logging.DEBUG):
        result = notify(engine, agreement, config, helsinki("2026-11-03 08:06"))
    assert [s for s, _, _ in result.deliveries] == ["failed"]
    assert len(receiver.posts) == 3
    assert deliveries(engine) == [("breach", "chat:hook", "failed", 3)]
    summary = store.failure_summary(engine)
    assert summary["failed"] == 1 and summary["last_failure"] == "chat:hook: HTTP 500 Internal Server Error"
    assert "secret-token" not in caplog.text

    body, status = health_report(Settings(database_url=url, sla_path=tmp_path / "sla.yaml"))
    assert body["alerts"]["failed"] == 1
    assert body["status"] == "degraded" and status == 200

    # the next pass tries again; a server that answers now clears the failure
    monkeypatch.setenv("HOOK_URL", receiver.base + "/hook")
    notify(engine, agreement, config, helsinki("2026-11-03 08:30"))
    assert deliveries(engine) == [("breach", "chat:hook", "sent", 4)]
    assert store.failure_summary(engine)["failed"] == 0


def test_alt007_smtp_login_retry_and_no_secret_in_logs(tmp_path, agreement, mailbox, caplog):
    """Login with SMTP_USER/SMTP_PASSWORD; a 451 is retried; the password is never logged."""
    engine = fixture_database(f"sqlite:///{tmp_path}/a.db")
    config = alerts_file(tmp_path, BREACH_RULE)
    smtp = SmtpSettings.from_env({"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(mailbox.smtp.port),
                                  "SMTP_USER": "alerts", "SMTP_PASSWORD": "s3cret-pass", "SMTP_STARTTLS": "off",
                                  "SMTP_FROM": "alerts@example.com"})
    mailbox.refuse = 1
    with caplog.at_level(logging.DEBUG):
        notify(engine, agreement, config, helsinki("2026-11-03 08:06"), sender=Sender(config, smtp))
    assert mailbox.attempts == 2 and len(mailbox.messages) == 1
    assert mailbox.logins == [(b"alerts", b"s3cret-pass"), (b"alerts", b"s3cret-pass")]
    assert deliveries(engine) == [("response_breach", "email:rep@example.com", "sent", 2)]
    assert "s3cret-pass" not in caplog.text


class SlowSender(Sender):
    """Holds each send a moment, so that two passes overlap."""

    def __init__(self, config, smtp, started: threading.Barrier):
        super().__init__(config, smtp)
        self.started = started

    def send(self, destination, message):
        try:
            self.started.wait(timeout=5)
        except threading.BrokenBarrierError:
            pass
        return super().send(destination, message)


@pytest.mark.parametrize("db_url", ["sqlite", "postgresql", "mariadb"], indirect=True)
def test_alt008_two_passes_at_once_send_nothing_twice(db_url, tmp_path, agreement, mailbox):
    """Two notify runs at the same instant, overlapping: the breach goes once."""
    engine = fixture_database(db_url)
    config = alerts_file(tmp_path, BREACH_RULE)
    barrier = threading.Barrier(2)
    results = []

    def run():
        results.append(notify(engine, agreement, config, helsinki("2026-11-03 08:06"),
                              sender=SlowSender(config, mailbox.smtp, barrier)))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(mailbox.messages) == 1
    assert sorted(s for r in results for s, _, _ in r.deliveries) in (["sent"], ["sent", "taken"])
    assert deliveries(engine) == [("response_breach", "email:rep@example.com", "sent", 1)]


def test_alt009_summary_when_many_happen_at_once(tmp_path, agreement, mailbox):
    """Three breaches with summary_after 2: one message listing the three, each recorded."""
    engine = fixture_database(f"sqlite:///{tmp_path}/a.db")
    with engine.begin() as connection:
        for lead in (2, 3):
            connection.execute(insert(Lead.__table__).values(
                id=lead, external_id=f"L{lead}", created_at=helsinki("2026-11-02 09:00"), source="ads", owner_id=1,
                mql_at=helsinki("2026-11-02 11:00")))
    config = alerts_file(tmp_path, "summary_after: 2\n" + BREACH_RULE)
    notify(engine, agreement, config, helsinki("2026-11-03 08:06"), sender=Sender(config, mailbox.smtp))
    assert len(mailbox.messages) == 1
    message = mailbox.messages[0][1]
    assert message["Subject"] == ("3 response breaches: Response breach: MQL L1 has waited 6.1 h (window 4 h), "
                                  "and 2 more")
    text = message.get_body(("plain",)).get_content()
    assert "- Response breach: MQL L2 has waited 5.1 h (window 4 h) (http://127.0.0.1:8050/lead?lead=2)" in text
    assert [row[2] for row in deliveries(engine)] == ["sent", "sent", "sent"]


def test_alt010_a_paused_person_gets_nothing(tmp_path, agreement, mailbox):
    engine = fixture_database(f"sqlite:///{tmp_path}/a.db")
    config = alerts_file(tmp_path, BREACH_RULE)
    store.pause(engine, "Rep@example.com", "rita")
    notify(engine, agreement, config, helsinki("2026-11-03 08:06"), sender=Sender(config, mailbox.smtp))
    assert mailbox.messages == []
    assert deliveries(engine) == [("response_breach", "email:rep@example.com", "paused", 0)]


def test_alt011_pace_alert_to_the_team_lead_and_back(tmp_path, agreement, mailbox):
    """MQL volume this week: ahead on Mon 2 Nov 12:00 (1 MQL by 0.5 of 5 days: projected 10 >= 5;
    first touch has no outcome yet: L1 is pending); Wed 4 Nov 12:00: 1 by 2.5 days, projected
    2 < 4.5: behind, still needed (5 - 1) / 2.5 = 1.6 a working day; then
    4 more MQLs by Thu 5 Nov 12:00 make 5 by 3.5 days, projected 7.1: ahead, told as back on track.
    First touch this week: L1 missed, 0 % on Wed: behind, told to the sales lead; on Thu L2-L5
    were touched after 1 h, 4/5 = 80 % < 90 % of 90 % = 81 %: still behind, nothing new."""
    engine = fixture_database(f"sqlite:///{tmp_path}/a.db")
    config = alerts_file(tmp_path, """\
team_leads: {marketing: maria@example.com, sales: sam@example.com}
rules:
  - {id: pace, event: pace, horizon: this_week, to: [team_lead]}
""")
    sender = Sender(config, mailbox.smtp)
    notify(engine, agreement, config, helsinki("2026-11-02 12:00"), sender=sender, only=("pace",))
    assert mailbox.messages == []
    notify(engine, agreement, config, helsinki("2026-11-04 12:00"), sender=sender, only=("pace",))
    notify(engine, agreement, config, helsinki("2026-11-04 13:00"), sender=sender, only=("pace",))
    with engine.begin() as connection:
        for lead in (2, 3, 4, 5):
            connection.execute(insert(Lead.__table__).values(
                id=lead, external_id=f"L{lead}", created_at=helsinki("2026-11-05 08:00"), owner_id=1,
                mql_at=helsinki("2026-11-05 09:00"), first_touch_at=helsinki("2026-11-05 10:00")))
    notify(engine, agreement, config, helsinki("2026-11-05 12:00"), sender=sender, only=("pace",))
    subjects = [(recipients, m["Subject"]) for recipients, m in mailbox.messages]
    assert subjects == [
        (["maria@example.com"], "Marketing: MQLs (mql_volume) is behind this week"),
        (["sam@example.com"], "Sales: First touch in time (first_touch) is behind this week"),
        (["maria@example.com"], "Marketing: MQLs (mql_volume) is back on track this week"),
    ]
    text = mailbox.messages[0][1].get_body(("plain",)).get_content()
    assert "MQLs, a commitment of Marketing, this week: 1 against a target of 5 (Behind; before: nothing told yet)." in text
    assert "Still needed: 1.6 a working day to reach the target." in text


@pytest.mark.parametrize(("text", "line", "reason"), [
    ("rules:\n  - id: b\n    event: breech\n    to: [owner]\n", 3, "rules.0.event: Input should be"),
    ("rules:\n  - id: b\n    event: breach\n    to: [list:sales]\n", 4, "rules.0.to.0: no list 'sales' under lists"),
    ("lists:\n  sales: [someone]\n", 2, "lists.sales.0: 'someone' is not an e-mail address"),
    ("rules:\n  - id: s\n    event: breach_soon\n    to: [owner]\n", 2, "rules.0: breach_soon needs share"),
    ("channels:\n  a: {kind: slack, url_env: lower}\n", 2, "channels.a.url_env: 'lower' is not an environment"),
    ("rules:\n  - id: b\n    event: breach\n    chat: [nowhere]\n", 4, "rules.0.chat.0: no channel 'nowhere'"),
    ("quiet_hours: {start: 18:00, end: \"07:00\"}\n", 1, "quiet_hours.start: write the time of day in quotes"),
    ("schedule:\n  pack:\n    at: \"25:00\"\n", 3, "schedule.pack.at: Input should be"),
    ("schedule:\n  digest: {day: monday}\n", 2, "schedule.digest.day: Input should be"),
    ("rules: [\n", 2, "not valid YAML"),
    ("unknown: 1\n", 1, "unknown: Extra inputs are not permitted"),
])
def test_alt012_a_bad_alerts_file_is_refused_with_its_line(text, line, reason):
    with pytest.raises(AlertsError) as refused:
        parse_alerts(text, "alerts.yaml")
    assert refused.value.line == line
    assert reason in refused.value.reason


def test_alt013_the_shipped_alerts_file_is_good():
    config = load_alerts()
    assert [rule.event for rule in config.rules] == ["breach_soon", "breach", "pace", "stale_data"]
    assert config.schedule.digest.day == "mon"


def test_alt014_notify_command_sends_once_and_says_so(tmp_path, agreement, mailbox, monkeypatch):
    """`app.py notify` on the fixture: the breach once, then nothing; a bad file is refused."""
    from typer.testing import CliRunner

    from app import cli

    url = f"sqlite:///{tmp_path}/a.db"
    fixture_database(url)
    (tmp_path / "alerts.yaml").write_text(BREACH_RULE)
    for name, value in (("SMTP_HOST", "127.0.0.1"), ("SMTP_PORT", str(mailbox.smtp.port)), ("SMTP_STARTTLS", "off"),
                        ("SMTP_FROM", "alerts@example.com")):
        monkeypatch.setenv(name, value)
    args = ["notify", "--db", url, "--sla", str(tmp_path / "sla.yaml"), "--alerts", str(tmp_path / "alerts.yaml"),
            "--as-of", "2026-11-03T08:06"]
    first = CliRunner().invoke(cli, args)
    assert first.exit_code == 0, first.output
    assert first.output == ("sent: email:rep@example.com: Response breach: MQL L1 has waited 6.1 h (window 4 h)\n"
                            "1 sent, 0 failed, 0 paused\n")
    again = CliRunner().invoke(cli, args)
    assert again.output == "0 sent, 0 failed, 0 paused\n"
    assert len(mailbox.messages) == 1

    (tmp_path / "alerts.yaml").write_text("rules:\n  - id: b\n    event: breach\n    to: [nobody]\n")
    refused = CliRunner().invoke(cli, args)
    assert refused.exit_code == 2
    assert f"{tmp_path / 'alerts.yaml'} line 4: rules.0.to.0: 'nobody' is not owner" in refused.output


def test_alt015_scheduler_jobs_fire_at_the_files_times(tmp_path, agreement):
    """The digest Monday 08:30 and the pack daily 08:00, Helsinki time; a pass every 5 minutes."""
    from apscheduler.schedulers.background import BackgroundScheduler

    from dashboard.alerts.scheduler import build_scheduler

    config = alerts_file(tmp_path, """\
schedule:
  digest: {day: mon, at: "08:30", to: [a@example.com]}
  pack: {at: "08:00", to: [a@example.com]}
""")
    scheduler = build_scheduler(None, agreement, config, every_minutes=5, scheduler_class=BackgroundScheduler)
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert sorted(jobs) == ["alerts", "digest", "pack"]
    wednesday = helsinki("2026-11-04 12:00").to_pydatetime()
    assert pd.Timestamp(jobs["digest"].trigger.get_next_fire_time(None, wednesday)) == helsinki("2026-11-09 08:30")
    assert pd.Timestamp(jobs["pack"].trigger.get_next_fire_time(None, wednesday)) == helsinki("2026-11-05 08:00")
    assert jobs["alerts"].trigger.interval == dt.timedelta(minutes=5)
    assert jobs["digest"].args[3] == ("digest",) and jobs["pack"].args[3] == ("pack",)


def test_alt016_the_log_names_the_digest_by_its_subject(tmp_path, agreement, mailbox):
    engine = fixture_database(f"sqlite:///{tmp_path}/a.db")
    config = alerts_file(tmp_path, "schedule:\n  digest: {day: mon, at: \"08:30\", to: [a@example.com]}\n")
    sender = Sender(config, SmtpSettings(None, 25, None, None, False, None))  # no mail server: skipped, not recorded
    result = notify(engine, agreement, config, helsinki("2026-11-09 09:00"), sender=sender)
    assert result.deliveries == [("not configured", "email:a@example.com", "Test SLA: the week 2026-W46 digest")]
    assert result.notes == ["email: SMTP_HOST is not set"] and deliveries(engine) == []
    notify(engine, agreement, config, helsinki("2026-11-09 09:00"), sender=Sender(config, mailbox.smtp),
           only=("digest",))
    assert store.recent_deliveries(engine)["subject"].tolist() == ["Test SLA: the week 2026-W46 digest"]


def self_signed(tmp_path: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 signed by its own key (PEM files: certificate, key)."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.timezone.utc)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number())
                   .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
                   .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                                  critical=False)
                   .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                   .sign(key, hashes.SHA256()))
    cert_path, key_path = tmp_path / "smtp.crt", tmp_path / "smtp.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


@pytest.fixture
def tls_mailbox(tmp_path):
    """An SMTP server on loopback that requires STARTTLS before anything else, and a login after it."""
    import ssl

    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    cert_path, key_path = self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_path, key_path)
    box = Mailbox()
    box.tls_sessions = []

    def authenticator(server, session, envelope, _mechanism, auth_data):
        box.tls_sessions.append(session.ssl is not None)
        if isinstance(auth_data, LoginPassword):
            box.logins.append((auth_data.login, auth_data.password))
            return AuthResult(success=auth_data.password == b"s3cret-pass")
        return AuthResult(success=False)

    controller = Controller(box, hostname="127.0.0.1", port=free_port(), tls_context=context, require_starttls=True,
                            authenticator=authenticator, auth_required=True, auth_require_tls=True)
    controller.start()
    box.port, box.ca_file = controller.port, cert_path
    yield box
    controller.stop()


DIGEST = """\
retry_seconds: 0
schedule:
  digest: {day: mon, at: "08:30", to: [lead.one@example.com]}
"""


def test_alt017_starttls_and_login_against_a_tls_server(tmp_path, agreement, tls_mailbox, caplog):
    """STARTTLS on (the default), the server's certificate trusted through SMTP_CA_FILE, the login
    after it: the digest arrives, its charts inline, and the password is in no log."""
    engine = fixture_database(f"sqlite:///{tmp_path}/a.db")
    config = alerts_file(tmp_path, DIGEST)
    smtp = SmtpSettings.from_env({"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(tls_mailbox.port),
                                  "SMTP_USER": "alerts", "SMTP_PASSWORD": "s3cret-pass",
                                  "SMTP_FROM": "alerts@example.com", "SMTP_CA_FILE": str(tls_mailbox.ca_file)})
    assert smtp.starttls
    with caplog.at_level(logging.DEBUG):
        result = notify(engine, agreement, config, helsinki("2026-11-09 09:00"), sender=Sender(config, smtp))
    assert [(s, d) for s, d, _ in result.deliveries] == [("sent", "email:lead.one@example.com")]
    assert tls_mailbox.logins == [(b"alerts", b"s3cret-pass")] and tls_mailbox.tls_sessions == [True]
    [(recipients, message)] = tls_mailbox.messages
    assert recipients == ["lead.one@example.com"]
    assert message["Subject"] == "Test SLA: the week 2026-W46 digest"
    assert "- MQLs (Marketing): 1 against 5, missed; this week so far 0" in message.get_body(("plain",)).get_content()
    assert [part["Content-ID"] for part in message.walk() if part.get_content_type() == "image/png"] == [
        "<trend_mql_volume>", "<trend_first_touch>"]
    assert deliveries(engine) == [("digest", "email:lead.one@example.com", "sent", 1)]
    assert "s3cret-pass" not in caplog.text


def test_alt018_an_untrusted_certificate_is_refused_not_sent_in_the_clear(tmp_path, agreement, tls_mailbox):
    """Without SMTP_CA_FILE the self-signed certificate is not trusted: failed at once, saying why."""
    engine = fixture_database(f"sqlite:///{tmp_path}/a.db")
    config = alerts_file(tmp_path, DIGEST)
    smtp = SmtpSettings("127.0.0.1", tls_mailbox.port, "alerts", "s3cret-pass", True, "alerts@example.com")
    notify(engine, agreement, config, helsinki("2026-11-09 09:00"), sender=Sender(config, smtp))
    assert tls_mailbox.messages == [] and tls_mailbox.logins == []
    assert deliveries(engine) == [("digest", "email:lead.one@example.com", "failed", 1)]
    error = store.recent_deliveries(engine)["error"].iloc[0]
    assert error.startswith("the SMTP server's certificate is not trusted (")
    assert "SMTP_CA_FILE" in error


def test_alt019_a_server_without_starttls_fails_clearly_and_the_next_pass_tries_again(
        tmp_path, agreement, mailbox, tls_mailbox, caplog):
    """STARTTLS on, but the server offers none: nothing goes unencrypted, the delivery stands failed
    with the reason (on /healthz and the Admin page), and the next pass tries it again; once the
    server speaks TLS it is sent, once."""
    engine = fixture_database(f"sqlite:///{tmp_path}/a.db")
    config = alerts_file(tmp_path, DIGEST)
    plain = SmtpSettings("127.0.0.1", mailbox.smtp.port, "alerts", "s3cret-pass", True, "alerts@example.com")
    with caplog.at_level(logging.WARNING):
        notify(engine, agreement, config, helsinki("2026-11-09 09:00"), sender=Sender(config, plain))
    assert mailbox.messages == [] and mailbox.logins == []  # no login, no message in the clear
    assert deliveries(engine) == [("digest", "email:lead.one@example.com", "failed", 1)]
    reason = ("the SMTP server does not offer STARTTLS, and SMTP_STARTTLS is on, so nothing was sent unencrypted "
              "(SMTP_STARTTLS=off only for a relay on a trusted network)")
    assert store.recent_deliveries(engine)["error"].iloc[0] == reason
    assert store.failure_summary(engine)["failed"] == 1
    assert reason in caplog.text and "s3cret-pass" not in caplog.text

    tls = SmtpSettings("127.0.0.1", tls_mailbox.port, "alerts", "s3cret-pass", True, "alerts@example.com",
                       str(tls_mailbox.ca_file))
    notify(engine, agreement, config, helsinki("2026-11-09 09:05"), sender=Sender(config, tls))
    notify(engine, agreement, config, helsinki("2026-11-09 09:10"), sender=Sender(config, tls))
    assert len(tls_mailbox.messages) == 1
    assert deliveries(engine) == [("digest", "email:lead.one@example.com", "sent", 2)]  # two tries in all


def test_alt020_stale_data_goes_to_the_admins_once_even_at_night(tmp_path, agreement, mailbox):
    """Every record last written Sun 1 Nov 12:00 Helsinki; limit 26 h. Mon 2 Nov 13:00: 25 h, nothing.
    Sun 8 Nov 03:00 (no working hours, and urgent): 6 days 15 h = 159 h, one e-mail to the admins'
    list; later passes about the same newest record send nothing."""
    from sqlalchemy import update

    from queries.schema import MODELS

    engine = fixture_database(f"sqlite:///{tmp_path}/a.db")
    with engine.begin() as connection:  # the lead first: a change stamps updated_at with the write time
        connection.execute(update(Lead.__table__).values(created_at=helsinki("2026-11-01 11:00"),
                                                         mql_at=helsinki("2026-11-01 11:30")))
        for model in MODELS.values():
            if "updated_at" in model.__table__.c:
                connection.execute(update(model.__table__).values(updated_at=helsinki("2026-11-01 12:00")))
    config = alerts_file(tmp_path, """\
lists: {admins: [ops@example.com]}
rules:
  - {id: stale, event: stale_data, after_hours: 26, to: [list:admins], urgent: true}
""")
    sender = Sender(config, mailbox.smtp)
    assert notify(engine, agreement, config, helsinki("2026-11-02 13:00"), sender=sender).deliveries == []
    result = notify(engine, agreement, config, helsinki("2026-11-08 03:00"), sender=sender)
    assert [(s, d) for s, d, _ in result.deliveries] == [("sent", "email:ops@example.com")]
    assert notify(engine, agreement, config, helsinki("2026-11-08 09:00"), sender=sender).deliveries == []
    [(recipients, message)] = mailbox.messages
    assert recipients == ["ops@example.com"]
    assert message["Subject"] == "The dashboard's data is 159 h old: no import since Sun 01 Nov 12:00"
    assert message["Importance"] == "high"
    assert deliveries(engine) == [("stale", "email:ops@example.com", "sent", 1)]
