"""Cold start: from launching `app.py run` to the first served page with its figures.

The clock runs from the process launch until the scoreboard's callback (the figures of the
first page) has answered over HTTP, as a browser opening `/` would wait. Only loopback
addresses are used, every wait is bounded, and the server is stopped after.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from bench.generate import NOW

ROOT = Path(__file__).resolve().parent.parent
SCOREBOARD_CALLBACK = {
    "output": "scoreboard-body.children",
    "outputs": {"id": "scoreboard-body", "property": "children"},
    "inputs": [{"id": "filter-state", "property": "data", "value": None}],
    "changedPropIds": ["filter-state.data"],
    "state": [],
}


def _request(url: str, payload: dict | None = None, timeout: float = 300.0) -> int:
    data = json.dumps(payload).encode() if payload is not None else None
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        response.read()
        return response.status


def cold_start(database_url: str, cache_dir: Path | None, port: int, limit: float = 600.0) -> dict:
    """Seconds from launch to the layout of `/` and to the scoreboard's figures; the cache
    folder (`CACHE_DIR`, None: off) is where a restart finds the records the last run kept."""
    env = {**os.environ, "DATABASE_URL": database_url, "AS_OF": NOW.isoformat(),
           "CACHE_DIR": str(cache_dir) if cache_dir else "off", "PYTHONPATH": str(ROOT)}
    base = f"http://127.0.0.1:{port}"
    started = time.perf_counter()
    server = subprocess.Popen([sys.executable, "app.py", "run", "--no-demo", "--port", str(port)], cwd=ROOT,
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            if time.perf_counter() - started > limit or server.poll() is not None:
                raise RuntimeError(f"the dashboard did not come up on {base} (exit code {server.poll()})")
            try:
                _request(base + "/", timeout=5)
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.05)
        layout = time.perf_counter() - started
        _request(base + "/_dash-update-component", SCOREBOARD_CALLBACK, timeout=limit)
        first_page = time.perf_counter() - started
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    return {"layout_s": layout, "first_page_s": first_page}


def wait_for_snapshot(cache_dir: Path, database_url: str, limit: float = 120.0) -> bool:
    """Wait (bounded) until the records a first start keeps in the cache folder are there."""
    from dashboard.cache import Cache
    from dashboard.data import records_key
    from queries.db import normalise_url

    cache = Cache(cache_dir)
    name = records_key(normalise_url(database_url))
    started = time.perf_counter()
    try:
        while time.perf_counter() - started < limit:
            if cache.read(name) is not None:
                return True
            time.sleep(0.2)
        return False
    finally:
        cache.close()


def forget_figures(cache_dir: Path) -> int:
    """Delete every entry of the cache folder but the kept records (figures, wall views,
    versions), so a restart measures starting from the records alone; how many went."""
    from dashboard.cache import Cache

    cache = Cache(cache_dir)
    try:
        names = [name for name in cache.disk.iterkeys() if not str(name).startswith("records:")]
        for name in names:
            cache.disk.delete(name)
        return len(names)
    finally:
        cache.close()
