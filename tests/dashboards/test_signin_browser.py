"""The sign-in flow in real headless Chromium against a live server with read tokens: a deep link
lands on the sign-in page, a wrong token is refused, the right one returns to the deep link with a
cookie that scripts cannot read and that the page's own fetch() of /api/* carries, and signing out
sends every page back to the sign-in form."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import LiveServer, start_server
from tests.dashboards.browser import browser, open_page, wait_for_charts
from tests.dashboards.conftest import ARTIFACTS
from tests.telemetry import BASE_TIME, MS, android_resource, span, traces_request
from tracebridge.auth import COOKIE_NAME

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def locked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, str]]:
    live = start_server(
        tmp_path_factory.mktemp("signin-browser"), env={"TRACEBRIDGE_READ_TOKENS": "browser-token"}
    )
    trace_id = os.urandom(16)
    request = traces_request(
        [
            (
                android_resource(),
                [span(trace_id, os.urandom(8), "GET /api/cart", BASE_TIME, BASE_TIME + 80 * MS)],
            )
        ]
    )
    assert live.post("/v1/traces", request.SerializeToString()).status_code == 200
    headers = {"Authorization": "Bearer browser-token"}
    live.wait_for(lambda: live.get(f"/api/v1/traces/{trace_id.hex()}", headers=headers).status_code == 200)
    yield live, trace_id.hex()
    live.stop()


@pytest.fixture(scope="module")
def chromium() -> Any:
    with browser() as instance:
        yield instance


def test_sign_in_and_out_in_chromium(chromium: Any, locked: tuple[LiveServer, str]) -> None:
    live, trace_id = locked
    with open_page(chromium, live.api) as watched:
        page = watched.page
        answer = page.goto(f"{live.api}/traces/{trace_id}")
        assert answer is not None and answer.status == 401  # the contract's answer, the form as its body
        assert page.locator("h1").inner_text() == "Sign in"

        page.fill("#signin input[name=token]", "not-the-token")
        page.click("#signin button")
        assert "not a read token" in page.locator("#signin-problem").inner_text()
        assert page.context.cookies() == []

        page.fill("#signin input[name=token]", "browser-token")
        page.click("#signin button")
        page.wait_for_url(f"**/traces/{trace_id}")
        wait_for_charts(page)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "signed-in-trace.png"), full_page=True)
        (cookie,) = page.context.cookies()
        assert cookie["name"] == COOKIE_NAME and cookie["httpOnly"] and cookie["sameSite"] == "Strict"
        assert not cookie["secure"] and cookie["expires"] > 0  # plain http here; expiring, not per-tab
        assert COOKIE_NAME not in page.evaluate("document.cookie")
        status = page.evaluate(f"fetch('/api/v1/traces/{trace_id}').then(r => r.status)")
        assert status == 200

        page.click("#signout")
        page.wait_for_url("**/signin")
        assert page.context.cookies() == []
        answer = page.goto(f"{live.api}/dashboards/latency")
        assert answer is not None and answer.status == 401
        assert page.locator("#signin input[name=next]").get_attribute("value") == "/dashboards/latency"
        assert page.evaluate(f"fetch('/api/v1/traces/{trace_id}').then(r => r.status)") == 401
        # Chromium logs the refused token's 403 page and that fetch's 401 as console errors: expected
        expected = ("status of 403 (Forbidden)", "status of 401 (Unauthorized)")
        watched.console_errors[:] = [e for e in watched.console_errors if not e.endswith(expected)]
        watched.assert_clean()
