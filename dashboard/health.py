"""`/healthz`: is this dashboard able to serve true figures right now? JSON for a load balancer
or a monitor; HTTP 200 while the database answers, 503 when it does not."""
from __future__ import annotations

import functools
import subprocess

import pandas as pd

from dashboard import __version__
from dashboard.agreement_state import agreement_problem
from dashboard.settings import Settings
from queries.db import PROJECT_ROOT
from queries.health import head_revision, probe_alerts, probe_database


@functools.lru_cache(maxsize=1)
def code_version() -> dict:
    """The app's version and, in a git checkout, its commit (looked up once per process)."""
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=PROJECT_ROOT, capture_output=True,
                                text=True, timeout=2).stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        commit = None
    return {"version": __version__, "commit": commit}


def health_report(settings: Settings) -> tuple[dict, int]:
    """The health document and its HTTP status (503 only when the database is unreachable)."""
    probe = probe_database(settings.database_url)
    now = pd.Timestamp.now(tz="UTC")  # freshness is how long ago the data was written, on the real clock
    newest = probe.newest_record_at
    problem = agreement_problem(settings.sla_path)
    try:
        agreement_name = settings.agreement().name
    except ValueError:  # AgreementError: no good version was ever loaded
        agreement_name = None
    checks = {
        "database": {
            "reachable": probe.reachable,
            "seconds": round(probe.seconds, 3),
            "error": probe.error,
        },
        "schema": {
            "current": probe.schema_current,
            "revision": probe.revision,
            "head": head_revision(),
        },
        "freshness": {
            "newest_record_at": newest.isoformat() if newest is not None else None,
            "age_minutes": round((now - newest).total_seconds() / 60, 1) if newest is not None else None,
        },
        "agreement": {
            "path": str(settings.sla_path),
            "in_force": agreement_name,
            "file_ok": problem is None,
            "problem": problem.reason if problem else None,
        },
    }
    alerts = probe_alerts(settings.database_url) if probe.reachable else None
    if alerts is not None:  # the alerts' deliveries (docs/ALERTS.md): a failed one degrades the health
        checks["alerts"] = alerts
    if not probe.reachable:
        status = "down"
    elif not probe.schema_current or problem is not None or (alerts is not None and alerts["failed"]):
        status = "degraded"
    else:
        status = "ok"
    body = {"status": status, "as_of": settings.now().isoformat(), **code_version(), **checks}
    return body, 503 if status == "down" else 200
