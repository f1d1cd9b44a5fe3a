"""Headless Chromium for the browser tests: Debian's chromium driven by playwright.

``launch()`` skips the test (never fails it) when playwright or a Chromium binary is missing;
``.ci/install-browser`` installs Chromium. ``open_page`` records console errors, page errors and
every request that leaves the server under test (the pages must work offline).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

CANDIDATES = ("chromium", "chromium-browser", "google-chrome-stable", "google-chrome")


def chromium_path() -> str | None:
    configured = os.environ.get("TRACEBRIDGE_CHROMIUM")
    if configured and Path(configured).exists():
        return configured
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


@dataclass
class Watched:
    page: Any
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    foreign_requests: list[str] = field(default_factory=list)

    def assert_clean(self) -> None:
        assert self.console_errors == [], self.console_errors
        assert self.page_errors == [], self.page_errors
        assert self.foreign_requests == [], self.foreign_requests


@contextmanager
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("the playwright Python package is not installed")
    executable = chromium_path()
    if executable is None:
        pytest.skip(
            "Chromium is not installed (run .ci/install-browser as root, or set TRACEBRIDGE_CHROMIUM)"
        )
    with sync_playwright() as driver:
        try:
            instance = driver.chromium.launch(
                executable_path=executable,
                headless=True,
                args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
            )
        except Exception as error:  # a broken install is a skip with the reason, not a failure
            pytest.skip(f"Chromium at {executable} does not start: {error}")
        try:
            yield instance
        finally:
            instance.close()


@contextmanager
def open_page(instance: Any, origin: str, headers: dict[str, str] | None = None) -> Iterator[Watched]:
    """A fresh page whose requests to anything but ``origin`` are refused and recorded."""
    context = instance.new_context(viewport={"width": 1400, "height": 1000}, extra_http_headers=headers or {})
    context.set_default_timeout(60_000)  # a shared 2-core CI box can be slow; a hang still fails
    page = context.new_page()
    watched = Watched(page)
    page.on("console", lambda msg: watched.console_errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda error: watched.page_errors.append(str(error)))

    def gate(route: Any) -> None:
        url = route.request.url
        if url.startswith(origin) or url.startswith(("data:", "blob:", "about:")):
            route.continue_()
        else:
            watched.foreign_requests.append(url)
            route.abort()

    context.route("**/*", gate)
    try:
        yield watched
    finally:
        context.close()


def wait_for_charts(page: Any) -> None:
    page.wait_for_function("document.body.getAttribute('data-charts-ready') === '1'", timeout=60_000)


def figure(page: Any, chart_id: str) -> dict[str, Any]:
    """The drawn plotly figure of a chart div: its data (series) and layout, as plotly.js holds them."""
    result: dict[str, Any] = page.evaluate(
        """(id) => { const div = document.getElementById(id);
                     return {data: JSON.parse(JSON.stringify(div.data)),
                             layout: JSON.parse(JSON.stringify(div.layout)),
                             svg: div.querySelectorAll('svg.main-svg').length}; }""",
        chart_id,
    )
    return result


def series(fig: dict[str, Any], name: str) -> list[dict[str, Any]]:
    return [trace for trace in fig["data"] if trace.get("name") == name]
