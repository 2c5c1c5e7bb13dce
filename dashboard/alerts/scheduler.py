"""`python app.py scheduler`: the alerts as a long-running process, timed by APScheduler in the
agreement's time zone: a pass every few minutes, the digest on its weekday and time, the pack
each day at its time (a pass sends it only on the month's first working day). Every job is
one `notify` pass, so a job that runs twice, or beside cron, still tells each event once."""
from __future__ import annotations

import logging

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Engine

from dashboard.alerts.config import AlertsConfig
from dashboard.alerts.runner import KINDS, notify
from dashboard.sla import Agreement

log = logging.getLogger(__name__)


def run_pass(engine: Engine, agreement: Agreement, config: AlertsConfig, only: tuple[str, ...]) -> None:
    """One pass; a failure is logged and the schedule goes on."""
    try:
        result = notify(engine, agreement, config, only=only)
        log.info("alerts pass (%s): %d sent, %d failed", ",".join(only), result.count("sent"), result.count("failed"))
    except Exception:
        log.exception("an alerts pass failed; the next one runs on schedule")


def build_scheduler(engine: Engine, agreement: Agreement, config: AlertsConfig, every_minutes: float = 5.0,
                    scheduler_class=BlockingScheduler):
    """The scheduler with its jobs, not started."""
    scheduler = scheduler_class(timezone=agreement.timezone,
                                job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600})
    alerts = tuple(kind for kind in KINDS if kind not in ("digest", "pack"))
    scheduler.add_job(run_pass, IntervalTrigger(minutes=every_minutes), args=(engine, agreement, config, alerts),
                      id="alerts")
    digest = config.schedule.digest
    if digest is not None:
        scheduler.add_job(run_pass, CronTrigger(day_of_week=digest.day, hour=digest.at.hour, minute=digest.at.minute,
                                                timezone=agreement.timezone),
                          args=(engine, agreement, config, ("digest",)), id="digest")
    pack = config.schedule.pack
    if pack is not None:
        scheduler.add_job(run_pass, CronTrigger(hour=pack.at.hour, minute=pack.at.minute, timezone=agreement.timezone),
                          args=(engine, agreement, config, ("pack",)), id="pack")
    return scheduler
