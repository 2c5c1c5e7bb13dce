"""Start the dashboard under gunicorn on a free loopback port, as `make serve` would, for the
load test and the serving tests; stop it (and only it) afterwards."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class GunicornServer:
    """`with GunicornServer(database_url, log_path, ...) as server:` serves on server.base_url."""

    def __init__(self, database_url: str, log_path: Path, *, workers: int = 4, threads: int = 4,
                 cache_dir: Path | None = None, sla_path: Path | None = None, seed_demo: bool = False,
                 start_timeout: float = 120.0, extra_env: dict | None = None):
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log_path = Path(log_path)
        self.start_timeout = start_timeout
        self.env = {
            **os.environ, "DATABASE_URL": database_url, "HOST": "127.0.0.1", "PORT": str(self.port),
            "WEB_CONCURRENCY": str(workers), "THREADS": str(threads), "SEED_DEMO": "1" if seed_demo else "0",
            "CACHE_DIR": str(cache_dir) if cache_dir else "off", **(extra_env or {}),
        }
        if sla_path is not None:
            self.env["SLA_PATH"] = str(sla_path)
        self.process: subprocess.Popen | None = None

    def start(self) -> GunicornServer:
        """Start gunicorn and wait until /healthz answers; raise with the log when it does not."""
        gunicorn = Path(sys.executable).with_name("gunicorn")
        self._log = open(self.log_path, "ab")  # noqa: SIM115 (open while gunicorn runs; stop() closes it)
        self.process = subprocess.Popen(
            [str(gunicorn), "--config", "gunicorn.conf.py", "wsgi:server"], cwd=PROJECT_ROOT, env=self.env,
            stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}:\n{self.log()}")
            try:
                requests.get(f"{self.base_url}/healthz", timeout=2)
                return self
            except requests.RequestException:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"gunicorn did not answer within {self.start_timeout:.0f} s:\n{self.log()}")

    def stop(self) -> None:
        """Stop gunicorn (its own process group only): TERM, then KILL after 30 s."""
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
        self._log.close()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def __enter__(self) -> GunicornServer:
        return self.start()

    def __exit__(self, *_exc) -> None:
        self.stop()
