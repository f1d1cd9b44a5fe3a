"""Real headless Chromium against a live server holding the dashboard fleet: pages load with no
console errors and no request leaving the server, charts hold the expected series and values,
links and the search box navigate, and every page leaves a screenshot in test-artifacts/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import LiveServer
from tests.dashboards.browser import browser, figure, open_page, series, wait_for_charts
from tests.dashboards.conftest import ARTIFACTS
from tests.dashboards.fleet import (
    CATALOG_CLIENT_MS,
    CATALOG_ROUTE,
    CATALOG_SERVER_MS,
    FILLER_SESSIONS,
    HOSTILE_NAME,
    OLD_VERSION,
    Fleet,
    exact_quantile,
)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def chromium() -> Any:
    with browser() as instance:
        yield instance


def shoot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_home_search_and_links(chromium: Any, loaded: LiveServer, fleet: Fleet) -> None:
    with open_page(chromium, loaded.api) as watched:
        page = watched.page
        page.goto(loaded.api + "/")
        recent = page.locator("#recent-sessions").inner_text()
        assert "filler-" in recent
        crashed = page.locator("#crashed-sessions a").all_inner_texts()
        assert crashed == [fleet.android_session]
        shoot(page, "home")

        page.locator("#crashed-sessions a").first.click()
        page.wait_for_url(f"**/sessions/{fleet.android_session}")
        assert fleet.android_session in page.locator("h1").inner_text()

        page.goto(loaded.api + "/")
        page.fill("#home-search input[name=q]", fleet.crash_trace.upper())
        page.click("#home-search button")
        page.wait_for_url(f"**/traces/{fleet.crash_trace}")
        page.fill("header form input[name=q]", fleet.ios_session)
        page.click("header form button")
        page.wait_for_url("**/sessions/**")
        assert fleet.ios_session in page.locator("h1").inner_text()
        # a 32-hex session id (opentelemetry-android's format) that is no trace id opens the session
        page.fill("header form input[name=q]", fleet.android_session)
        page.click("header form button")
        page.wait_for_url(f"**/sessions/{fleet.android_session}")

        for href, heading in (
            ("/dashboards/latency", "Latency"),
            ("/dashboards/versions", "App versions"),
            ("/dashboards/crashes", "Crashes"),
        ):
            page.goto(loaded.api + "/")
            page.click(f"#dashboard-links a[href='{href}']")
            page.wait_for_url(f"**{href}")
            assert heading in page.locator("h1").inner_text()
            wait_for_charts(page)
        watched.assert_clean()


def test_trace_waterfall_is_skew_corrected(chromium: Any, loaded: LiveServer, fleet: Fleet) -> None:
    ok = next(r for r in fleet.requests if r.route == "/api/orders/{id}" and not r.error)
    with open_page(chromium, loaded.api) as watched:
        page = watched.page
        page.goto(f"{loaded.api}/traces/{ok.trace_id}")
        wait_for_charts(page)
        fig = figure(page, "waterfall")
        assert fig["svg"] > 0
        client = series(fig, "client")[0]
        backend = series(fig, "backend")[0]
        at = client["y"].index(ok.client_span_id)
        assert (client["base"][at], client["x"][at]) == (0, ok.client_ms)
        # the server span's raw start is 2 s late (backend clock); it is drawn where the query
        # API's skew correction puts it, inside the client span
        document = loaded.get(f"/api/v1/traces/{ok.trace_id}").json()
        adjusted = next(s for s in document["spans"] if s["span_id"] == ok.server_span_id)
        expected_base = (adjusted["adjusted_start_time_unix_nano"] - document["start_time_unix_nano"]) / 1e6
        raw_base = (ok.server_raw_start - ok.client_start) / 1e6
        assert raw_base > ok.client_ms and 0 < expected_base < ok.client_ms - ok.server_ms
        at = backend["y"].index(ok.server_span_id)
        assert (backend["base"][at], backend["x"][at]) == (pytest.approx(expected_base), ok.server_ms)
        gap = series(fig, "gap")[0]
        assert gap["y"] == [ok.client_span_id, ok.client_span_id]
        assert gap["base"] == [0, pytest.approx(expected_base + ok.server_ms)]
        assert sum(gap["x"]) == pytest.approx(ok.client_ms - ok.server_ms)
        assert series(fig, "error") == []
        gaps_table = page.locator("#gaps tbody tr td").all_inner_texts()
        assert gaps_table[0] == ok.route and gaps_table[4] == f"{ok.client_ms - ok.server_ms:.1f}"
        shoot(page, "trace")

        page.goto(f"{loaded.api}/traces/{fleet.crash_trace}")
        wait_for_charts(page)
        fig = figure(page, "waterfall")
        failing = fleet.request(fleet.crash_trace)
        errors = [span_id for trace in series(fig, "error") for span_id in trace["y"]]
        assert sorted(errors) == sorted([failing.client_span_id, failing.server_span_id])
        crash = series(fig, "crash")[0]
        assert crash["x"] == [950]  # crashed 950 ms after the request started
        assert "IllegalStateException" in page.locator("#crashes").inner_text()
        crash_link = page.locator("#crashes a.mono").last.get_attribute("href")
        assert crash_link and loaded.get(crash_link).json()["exception_type"] == fleet.crash_type
        shoot(page, "trace-crash")
        page.click(".facts a")
        page.wait_for_url(f"**/sessions/{fleet.android_session}")
        watched.assert_clean()


def test_session_timeline(chromium: Any, loaded: LiveServer, fleet: Fleet) -> None:
    mine = [r for r in fleet.requests if r.route in (CATALOG_ROUTE, "/api/orders/{id}")]
    with open_page(chromium, loaded.api) as watched:
        page = watched.page
        page.goto(f"{loaded.api}/sessions/{fleet.android_session}")
        wait_for_charts(page)
        fig = figure(page, "timeline")
        assert series(fig, "screen")[0]["text"] == list(fleet.android_screens)
        drawn = series(fig, "request")[0]["y"] + series(fig, "request error")[0]["y"]
        assert sorted(drawn) == sorted(r.trace_id for r in mine)
        assert series(fig, "request error")[0]["y"] == [fleet.crash_trace]
        assert len(series(fig, "crash")[0]["x"]) == 1
        first = page.locator("#requests tbody tr").first.locator("td").all_inner_texts()
        assert first[5:] == [CATALOG_ROUTE, "100.0", "60.0", "40.0"]
        shoot(page, "session")
        page.locator(f"#requests a[href='/traces/{fleet.crash_trace}']").first.click()
        page.wait_for_url(f"**/traces/{fleet.crash_trace}")
        wait_for_charts(page)
        watched.assert_clean()


def test_latency_dashboard(chromium: Any, loaded: LiveServer, fleet: Fleet) -> None:
    with open_page(chromium, loaded.api) as watched:
        page = watched.page
        page.goto(f"{loaded.api}/dashboards/latency")
        wait_for_charts(page)
        fig = figure(page, "latency-over-time")
        routes = {trace["meta"] for trace in fig["data"]}
        assert routes == {CATALOG_ROUTE, "/api/orders/{id}", "/api/cart"}

        def line(name: str, route: str) -> list[float]:
            return next(t["y"] for t in series(fig, name) if t["meta"] == route)

        client_ms, server_ms = list(CATALOG_CLIENT_MS), list(CATALOG_SERVER_MS)
        for pct, q in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99)):
            assert line(f"client {pct}", CATALOG_ROUTE) == [pytest.approx(exact_quantile(client_ms, q))]
            assert line(f"server {pct}", CATALOG_ROUTE) == [pytest.approx(exact_quantile(server_ms, q))]
        by_os = figure(page, "by-os")
        client_p50 = series(by_os, "client p50")[0]
        assert client_p50["x"][:2] == ["Android", "iOS"]
        assert client_p50["y"][1] == pytest.approx(350)  # iOS cart requests: 350, 350, 350, 300 ms
        gaps = figure(page, "gap-distribution")
        assert sum(series(gaps, "requests")[0]["y"]) == pytest.approx(len(fleet.requests), abs=0.1)
        shoot(page, "latency")

        page.select_option("#filters select[name=os_name]", "iOS")
        page.click("#filters button")
        page.wait_for_url("**os_name=iOS**")
        wait_for_charts(page)
        fig = figure(page, "latency-over-time")
        assert {trace["meta"] for trace in fig["data"]} == {"/api/cart"}
        assert "4 paired requests" in page.locator("#window").inner_text()
        shoot(page, "latency-ios")
        watched.assert_clean()


def test_versions_dashboard(chromium: Any, loaded: LiveServer, fleet: Fleet) -> None:
    with open_page(chromium, loaded.api) as watched:
        page = watched.page
        page.goto(f"{loaded.api}/dashboards/versions")
        wait_for_charts(page)
        fig = figure(page, "version-share")
        android = series(fig, "Android")[0]
        total = FILLER_SESSIONS + 3
        shares = dict(zip(android["x"], android["y"], strict=True))
        assert shares["3.2.1"] == pytest.approx(100 * (FILLER_SESSIONS + 1) / total, abs=0.01)
        assert shares[OLD_VERSION] == pytest.approx(100 / total, abs=0.01)
        assert shares[OLD_VERSION] < 0.5
        assert any(shape.get("y0") == 0.5 and shape.get("y1") == 0.5 for shape in fig["layout"]["shapes"])
        assert series(fig, "retirement line (0.5%)")
        crash_free = dict(
            zip(*(series(figure(page, "crash-free"), "Android")[0][k] for k in ("x", "y")), strict=True)
        )
        assert crash_free["3.2.1"] == pytest.approx(100 * FILLER_SESSIONS / (FILLER_SESSIONS + 1), abs=0.01)
        assert crash_free[OLD_VERSION] == 100
        retire = [row.split("\t")[0] for row in page.locator("#versions tr.retire").all_inner_texts()]
        assert sorted(retire) == [OLD_VERSION, "4.0.0 (412)"]  # one session each of 233
        shoot(page, "versions")
        watched.assert_clean()


def test_crashes_dashboard(chromium: Any, loaded: LiveServer, fleet: Fleet) -> None:
    with open_page(chromium, loaded.api) as watched:
        page = watched.page
        page.goto(f"{loaded.api}/dashboards/crashes")
        wait_for_charts(page)
        groups = figure(page, "crash-groups")
        bars = series(groups, "crashes")[0]
        assert bars["x"] == [1]
        assert any("IllegalStateException" in text for text in groups["layout"]["yaxis"]["ticktext"])
        trend = figure(page, "crash-trend")
        assert [t["name"] for t in trend["data"]] == ["3.2.1"]
        assert sum(trend["data"][0]["y"]) == 1
        assert fleet.crash_type in page.locator("#groups").inner_text()
        shoot(page, "crashes")
        watched.assert_clean()


def test_hostile_telemetry_stays_text(chromium: Any, loaded: LiveServer, fleet: Fleet) -> None:
    with open_page(chromium, loaded.api) as watched:
        page = watched.page
        page.goto(f"{loaded.api}/traces/{fleet.hostile_trace}")
        wait_for_charts(page)
        assert page.evaluate("window.__xss") is None
        assert HOSTILE_NAME in page.locator("#spans").inner_text()
        assert page.locator("#spans img").count() == 0
        page.goto(f"{loaded.api}/sessions/{fleet.ios_session}")
        wait_for_charts(page)
        assert page.evaluate("window.__xss") is None
        shoot(page, "session-ios")
        watched.assert_clean()


def test_exported_dashboards_work_offline(chromium: Any, loaded: LiveServer, tmp_path: Path) -> None:
    from tracebridge.dashboards.export import export_dashboards

    assert export_dashboards(loaded.api, tmp_path, None) == 0
    with open_page(chromium, "file://") as watched:
        page = watched.page
        page.goto((tmp_path / "index.html").as_uri())
        page.click("a[href='latency.html']")
        page.wait_for_url("**/latency.html")
        wait_for_charts(page)
        assert series(figure(page, "latency-over-time"), "client p99")
        for name in ("versions", "crashes"):
            page.goto((tmp_path / f"{name}.html").as_uri())
            wait_for_charts(page)
        shoot(page, "export-crashes")
        watched.assert_clean()
