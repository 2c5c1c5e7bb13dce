"""Load test: simulated wall screens and managers against the dashboard served by gunicorn.

    python bench/load_test.py                      # 50 clients, 60 s, against a gunicorn it starts
    python bench/load_test.py --clients 10 --seconds 5
    python bench/load_test.py --url http://127.0.0.1:8050   # against a server already running

Each client is a thread with its own HTTP session that does what a browser tab does: load a
page, then POST the callbacks the page fires to `/_dash-update-component` with the payloads
built from `/_dash-dependencies` (bench/dash_client.py). Wall screens open /wall with all six
views and refresh them every `--wall-seconds` (default 60 s: five times as often as the wall's
default of 5 minutes) through the wall's own refresh callback; managers open a page, then after a pause of `--think` seconds (10 to 30: reading
the page) change a filter (segment, source, grain, team) and get the page's figures again, or
move to another page with their filters. `--wall-seconds 15 --think 3 8` is the stress run.

Without --url it builds a demo SQLite database (`--leads`, default 20,000: the size of `make
run`'s demo) in a temporary folder and serves it with gunicorn.conf.py (4 workers by default).
An error is a failed connection, a timeout, an HTTP status other than 200/204, or a page that
answers with its "database cannot be reached" or "could not be computed" message. The report
gives p50 and p95 latency per kind of request and overall; exit status 1 on any error.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.dash_client import DATABASE_DOWN_TEXT, DashCallbacks, response_outputs  # noqa: E402

FAULT_TEXTS = (DATABASE_DOWN_TEXT, "This view could not be computed")
# The figures each page asks for once its filter state is known, with their other inputs' defaults.
PAGE_BODIES = {
    "/": [("scoreboard-body.children", {})],
    "/marketing": [("marketing-body.children", {})],
    "/sales": [("sales-response-body.children", {}), ("sales-period-body.children", {})],
    "/funnel": [("funnel-summary.children", {}), ("funnel-conversion.children", {"funnel-conversion-view.value": "cohort"}),
                ("funnel-details.children", {})],
    "/closed-loop": [("loop-body.children", {"loop-by.value": "campaign"})],
}
WALL_VIEWS = ["meeting", "week", "month", "funnel", "breaches", "loop"]
WALL_PLAYLIST = {"views": WALL_VIEWS, "titles": [""] * len(WALL_VIEWS), "seconds": 20}
FILTER_CONTROLS = ("filter-grain.value", "filter-dates.start_date", "filter-dates.end_date", "filter-segment.value",
                   "filter-source.value", "filter-campaign.value", "filter-owner.value", "filter-team.value")


@dataclass
class Sample:
    kind: str
    at: float  # seconds since the start
    seconds: float
    status: int | None
    error: str | None = None
    fault_shown: bool = False  # the page answered with its outage or failure message


@dataclass
class Recorder:
    """Every request's outcome, from every client thread."""

    started: float = field(default_factory=time.monotonic)
    samples: list[Sample] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, sample: Sample) -> None:
        with self.lock:
            self.samples.append(sample)


class Browser:
    """One simulated browser tab: a session, the app's callbacks and the tab's current values."""

    def __init__(self, base_url: str, callbacks: DashCallbacks, recorder: Recorder, timeout: float,
                 expect_faults: bool = False):
        self.base_url, self.callbacks, self.recorder, self.timeout = base_url, callbacks, recorder, timeout
        self.expect_faults = expect_faults  # the fault test: the pages' outage message is not an error
        self.session = requests.Session()
        self.values: dict[str, object] = {}
        self.options: dict[str, list] = {}
        self.path = "/"

    def _record(self, kind: str, started: float, status: int | None, error: str | None,
                fault_shown: bool = False) -> None:
        self.recorder.add(Sample(kind, started - self.recorder.started, time.monotonic() - started, status, error,
                                 fault_shown))

    def get(self, kind: str, path: str) -> requests.Response | None:
        started = time.monotonic()
        try:
            response = self.session.get(self.base_url + path, timeout=self.timeout)
        except requests.RequestException as error:
            self._record(kind, started, None, error.__class__.__name__)
            return None
        self._record(kind, started, response.status_code, None if response.status_code == 200 else f"HTTP {response.status_code}")
        return response

    def call(self, kind: str, target: str, changed: list[str] | None = None) -> dict:
        """POST the callback that writes `target` with this tab's values; its outputs, or {}."""
        payload = self.callbacks.by_output(target).payload(self.values, changed)
        started = time.monotonic()
        try:
            response = self.session.post(f"{self.base_url}/_dash-update-component", json=payload, timeout=self.timeout)
        except requests.RequestException as error:
            self._record(kind, started, None, error.__class__.__name__)
            return {}
        error = None if response.status_code in (200, 204) else f"HTTP {response.status_code}"
        fault = next((f"page says: {text}" for text in FAULT_TEXTS if text in response.text), None)
        outputs = response_outputs(response.content) if response.status_code == 200 else {}
        if (outputs.get("wall-status.data") or {}).get("ok") is False:  # the wall kept its last numbers
            fault = "wall says: data is stale"
        if error is None and not self.expect_faults:
            error = fault
        self._record(kind, started, response.status_code, error, fault is not None)
        self.values.update(outputs)
        return outputs

    def open_page(self, path: str, search: str = "") -> None:
        """What a browser does on a full page load: the HTML, then the shell's and the page's callbacks."""
        self.path = path
        self.get("page html", path + search)
        self.values.update({"url.pathname": path, "url.search": search, "_pages_location.pathname": path,
                            "_pages_location.search": search})
        self.call("page layout", "_pages_content.children")
        self.call("filter sync", "url.search", changed=["url.search"])
        options = self.call("filter options", "filter-segment.options")
        for name in ("segment", "source", "campaign", "owner", "team"):
            self.options[name] = [o["value"] for o in options.get(f"filter-{name}.options", [])]
        self.call("agreement check", "agreement-warning.children")
        self.refresh_page()

    def refresh_page(self) -> None:
        for target, defaults in PAGE_BODIES[self.path]:
            for key, value in defaults.items():
                self.values.setdefault(key, value)
            self.call(f"{self.path} figures", target, changed=["filter-state.data"])

    def change_filter(self, rng: random.Random) -> None:
        """Pick another value in one filter control; the URL and state follow, then the figures."""
        name = rng.choice(("segment", "source", "grain", "team", "clear"))
        if name == "clear":
            for control in FILTER_CONTROLS[3:]:
                self.values[control] = []
            changed = "filter-segment.value"
        elif name == "grain":
            self.values["filter-grain.value"] = rng.choice(("day", "week", "month", "quarter"))
            changed = "filter-grain.value"
        else:
            choices = self.options.get(name) or []
            self.values[f"filter-{name}.value"] = rng.sample(choices, 1) if choices else []
            changed = f"filter-{name}.value"
        self.call("filter sync", "url.search", changed=[changed])
        self.refresh_page()


def wall_screen(browser: Browser, stop: threading.Event, rng: random.Random, every: float) -> None:
    """A TV on /wall: its views reloaded on a timer by the wall's refresh callback, the agreement
    banner checked with it (the rotation runs in the browser and costs the server nothing)."""
    browser.path = "/wall"
    browser.get("page html", "/wall")
    browser.values.update({"url.pathname": "/wall", "url.search": "", "_pages_location.pathname": "/wall",
                           "_pages_location.search": "", "wall-playlist.data": WALL_PLAYLIST,
                           "wall-refresh.n_intervals": 0})
    browser.call("page layout", "_pages_content.children")
    browser.call("agreement check", "agreement-warning.children")
    browser.call("wall refresh", "wall-deck.children", changed=["wall-refresh.n_intervals"])
    ticks = 0
    while not stop.wait(every * rng.uniform(0.8, 1.2)):
        ticks += 1
        browser.values["agreement-check.n_intervals"] = ticks
        browser.values["wall-refresh.n_intervals"] = ticks
        browser.call("agreement check", "agreement-warning.children", changed=["agreement-check.n_intervals"])
        browser.call("wall refresh", "wall-deck.children", changed=["wall-refresh.n_intervals"])


def manager(browser: Browser, stop: threading.Event, rng: random.Random, think: tuple[float, float]) -> None:
    """A manager at a laptop: opens a page, changes filters, moves between pages."""
    browser.open_page(rng.choice(list(PAGE_BODIES)))
    while not stop.wait(rng.uniform(*think)):
        if rng.random() < 0.75:
            browser.change_filter(rng)
        else:
            browser.open_page(rng.choice([p for p in PAGE_BODIES if p != browser.path]),
                              str(browser.values.get("url.search") or ""))


def run_load(base_url: str, clients: int, seconds: float, walls: int | None = None, wall_seconds: float = 60.0,
             think: tuple[float, float] = (10.0, 30.0), timeout: float = 120.0, seed: int = 7,
             expect_faults: bool = False, during=None, ramp: float = 0.0) -> Recorder:
    """Run the simulated clients for `seconds` (then let each finish its request), starting them
    evenly over the first `ramp` seconds; `during(recorder)`, when given, runs in the calling
    thread meanwhile (the fault test restarts the database there)."""
    callbacks = DashCallbacks.fetch(requests, base_url)
    walls = clients * 2 // 5 if walls is None else walls
    recorder, stop = Recorder(), threading.Event()
    threads = []
    for number in range(clients):
        rng = random.Random(seed * 1000 + number)
        browser = Browser(base_url, callbacks, recorder, timeout, expect_faults)
        if number < walls:
            target, args = wall_screen, (browser, stop, rng, wall_seconds)
        else:
            target, args = manager, (browser, stop, rng, think)
        threads.append(threading.Thread(target=target, args=args, name=f"client-{number}", daemon=True))
    def start_all():
        for number, thread in enumerate(threads):
            if stop.wait(max(0.0, recorder.started + ramp * number / len(threads) - time.monotonic())):
                return
            thread.start()
            time.sleep(0.02)  # tabs do not open in the same millisecond

    starter = threading.Thread(target=start_all, name="starter", daemon=True)
    starter.start()
    try:
        if during is not None:
            during(recorder)
        remaining = seconds - (time.monotonic() - recorder.started)
        if remaining > 0:
            time.sleep(remaining)
    finally:
        stop.set()
        starter.join()
        for thread in threads:
            if thread.is_alive():
                thread.join(timeout + 10)
    return recorder


def percentile(values: list[float], share: float) -> float:
    """The value below which `share` of the values lie (nearest rank)."""
    ordered = sorted(values)
    rank = max(1, int(round(share * len(ordered) + 0.5 - 1e-9)))
    return ordered[min(rank, len(ordered)) - 1]


def summarise(recorder: Recorder, seconds: float) -> dict:
    """Counts, errors and latency (p50, p95, max in ms) per kind of request and overall."""
    def stats(samples: list[Sample]) -> dict:
        times = [s.seconds * 1000 for s in samples]
        return {"requests": len(samples), "errors": sum(1 for s in samples if s.error),
                "p50_ms": round(percentile(times, 0.50)) if times else None,
                "p95_ms": round(percentile(times, 0.95)) if times else None,
                "max_ms": round(max(times)) if times else None}

    kinds = sorted({s.kind for s in recorder.samples})
    errors: dict[str, int] = {}
    for sample in recorder.samples:
        if sample.error:
            errors[sample.error] = errors.get(sample.error, 0) + 1
    return {
        "overall": {**stats(recorder.samples), "per_second": round(len(recorder.samples) / seconds, 1)},
        "by_kind": {kind: stats([s for s in recorder.samples if s.kind == kind]) for kind in kinds},
        "error_kinds": errors,
    }


def machine() -> dict:
    """CPU model, cores and memory of this machine (Linux), Python and date, for the report."""
    model = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        kib = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal"))
        memory = f"{kib / 1024 / 1024:.1f} GiB"
    except (OSError, StopIteration, ValueError):
        memory = "unknown"
    return {"cpu": model, "cores": os.cpu_count(), "memory": memory, "python": platform.python_version(),
            "date": dt.date.today().isoformat()}


def markdown(summary: dict, settings: dict) -> str:
    """The result as the table docs/PERFORMANCE.md shows."""
    lines = ["| request | requests | errors | p50 ms | p95 ms | max ms |", "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for kind, row in [*summary["by_kind"].items(), ("**all**", summary["overall"])]:
        lines.append(f"| {kind} | {row['requests']} | {row['errors']} | {row['p50_ms']} | {row['p95_ms']} | {row['max_ms']} |")
    header = ", ".join(f"{key} {value}" for key, value in settings.items())
    return f"{header}\n\n" + "\n".join(lines) + "\n"


def demo_database(folder: Path, leads: int) -> str:
    """A demo SQLite database in `folder` (deterministic: seed 7)."""
    from dashboard.demo import generate_demo
    from queries.db import init_db

    url = f"sqlite:///{folder}/load-demo.db"
    generate_demo(init_db(url), seed=7, n_leads=leads)
    return url


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a running dashboard; without it a gunicorn is started on a demo database")
    parser.add_argument("--db", help="the database the started gunicorn serves (default: a new demo SQLite)")
    parser.add_argument("--leads", type=int, default=20_000, help="demo database size (default 20000)")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--walls", type=int, help="how many clients are wall screens (default 2 in 5)")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--wall-seconds", type=float, default=60.0, help="a wall screen's refresh interval")
    parser.add_argument("--think", type=float, nargs=2, default=(10.0, 30.0), help="a manager's pause range, seconds")
    parser.add_argument("--ramp", type=float, default=10.0, help="start the clients evenly over this many seconds")
    parser.add_argument("--figures-seconds", type=float, default=60.0,
                        help="the started server's FIGURES_SECONDS (0: every request computes its figures)")
    parser.add_argument("--json", type=Path, help="also write the summary as JSON here")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="load-test-") as scratch:
        scratch = Path(scratch)
        server = None
        base_url = args.url
        if base_url is None:
            from bench.server import GunicornServer

            database = args.db or demo_database(scratch, args.leads)
            server = GunicornServer(database, scratch / "gunicorn.log", workers=args.workers, threads=args.threads,
                                    cache_dir=scratch / "cache",
                                    extra_env={"FIGURES_SECONDS": str(args.figures_seconds)}).start()
            base_url = server.base_url
        try:
            recorder = run_load(base_url, args.clients, args.seconds, args.walls, args.wall_seconds,
                                tuple(args.think), ramp=args.ramp)
        finally:
            if server is not None:
                server.stop()
        elapsed = max(s.at + s.seconds for s in recorder.samples) if recorder.samples else args.seconds
        summary = summarise(recorder, elapsed)
    settings = {"clients": args.clients, "walls": args.walls if args.walls is not None else args.clients * 2 // 5,
                "seconds": args.seconds, "ramp s": args.ramp, "wall refresh s": args.wall_seconds, "manager pause s": "-".join(map(str, args.think)),
                "workers": args.workers if args.url is None else "?",
                "figures cache s": args.figures_seconds if args.url is None else "?", "threads": args.threads if args.url is None else "?",
                "leads": args.leads if args.url is None and args.db is None else "?"}
    report = {"machine": machine(), "settings": settings, **summary}
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    print(json.dumps(report["machine"]))
    print(markdown(summary, settings))
    print(f"{summary['overall']['requests']} requests, {summary['overall']['per_second']}/s, "
          f"{summary['overall']['errors']} errors {summary['error_kinds'] or ''}")
    return 1 if summary["overall"]["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
