"""Real-browser tests: Debian's Chromium driven through dash's `dash_duo` fixture.

They skip, saying why, where Chromium or its driver is not installed; CI installs both.
Each test serves its own app on a free port, so the tests run in parallel.
"""
from __future__ import annotations

import shutil
import socket

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
CHROMEDRIVER = shutil.which("chromedriver")


def pytest_collection_modifyitems(items):
    if CHROMIUM and CHROMEDRIVER:
        return
    reason = "no Chromium and chromedriver installed (apt-get install chromium chromium-driver)"
    for item in items:
        if "tests/browser" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.skip(reason=reason))


def pytest_setup_options():
    """Headless Chromium with no background traffic (this network reaches no outside host)."""
    from selenium.webdriver.chrome.options import Options

    options = Options()
    if CHROMIUM:
        options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--no-first-run", "--disable-quic", "--window-size=1920,1080"):
        options.add_argument(argument)
    return options


def free_port() -> int:
    """A port nobody listens on now (each test serves its own app)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]

