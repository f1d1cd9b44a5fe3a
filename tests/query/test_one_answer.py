"""One answer everywhere: the API, the pages, the terminal and the dashboards of one live server
agree on errors, the answering attempt, session errors and percentiles, over the shared dataset
(retries, a proxy, client 4xx, a server 5xx with status unset, more than 10,000 requests on one
route)."""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from rich.console import Console

from tests.conftest import LiveServer
from tests.store.dataset import BULK_REQUESTS, BULK_ROUTE, Dataset, build_dataset
from tracebridge.domain import exact_percentile
from tracebridge.query.terminal import print_session, print_trace


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, Dataset]]:
    from tests.conftest import start_server

    live = start_server(tmp_path_factory.mktemp("one-answer"))
    try:
        data = build_dataset()
        for payload in data.payloads:
            assert live.post("/v1/traces", payload).status_code == 200

        def ready() -> bool:
            rows = live.get("/api/v1/latency", group_by="route", route=BULK_ROUTE).json()["rows"]
            return bool(rows) and rows[0]["count"] == BULK_REQUESTS

        live.wait_for(ready, timeout=60)
        yield live, data
    finally:
        live.stop()


def _terminal(draw: Callable[..., int], live: LiveServer, ident: str) -> str:
    out = Console(width=100, record=True, file=io.StringIO(), color_system=None)
    assert draw(live.api, ident, None, console=out) == 0
    return out.export_text()


def _page(live: LiveServer, path: str, **params: str) -> str:
    response = httpx.get(live.api + path, params=params or None, timeout=60)
    assert response.status_code == 200, response.text[:500]
    return response.text


def _table(html: str, css_id: str) -> str:
    start = html.index(f'<table id="{css_id}">')
    return html[start : html.index("</table>", start)]


@pytest.mark.parametrize(
    "case", ["plain", "client_4xx", "retried", "proxied", "proxied_retry", "backend_5xx"]
)
def test_trace_errors_and_answer_agree(loaded: tuple[LiveServer, Dataset], case: str) -> None:
    live, data = loaded
    trace_id = data.traces[case]
    api: dict[str, Any] = live.get(f"/api/v1/traces/{trace_id}").json()
    errors = [s for s in api["spans"] if s["error"]]
    assert api["has_error"] == bool(errors)
    (gap,) = [g for g in api["gaps"] if g["client_span_id"] == data.clients[case]]
    assert gap["server_span_id"] == data.answers[case] == gap["attempts"][-1]
    # the page marks the same spans red and measures the gap against the same attempt
    html = _page(live, f"/traces/{trace_id}")
    assert _table(html, "spans").count('<tr class="error">') == len(errors)
    server_ms = f"{gap['server_duration_ns'] / 1e6:,.1f}"
    assert f">{server_ms}<" in _table(html, "gaps")
    # the terminal too
    text = _terminal(print_trace, live, trace_id)
    assert sum("ERROR" in line for line in text.splitlines()) == len(errors)


def test_the_facts_behind_the_cases(loaded: tuple[LiveServer, Dataset]) -> None:
    live, data = loaded

    def errors(case: str) -> dict[str, bool]:
        return {
            s["span_id"]: s["error"] for s in live.get(f"/api/v1/traces/{data.traces[case]}").json()["spans"]
        }

    assert errors("client_4xx") == {data.clients["client_4xx"]: True, data.answers["client_4xx"]: False}
    assert errors("backend_5xx") == {data.clients["backend_5xx"]: False, data.answers["backend_5xx"]: True}
    retried = live.get(f"/api/v1/traces/{data.traces['retried']}").json()["gaps"][0]
    assert (retried["route"], retried["service_name"], retried["server_duration_ns"]) == (
        "/v1/pay",
        "payments-a",
        300_000_000,
    )


def test_session_errors_agree(loaded: tuple[LiveServer, Dataset]) -> None:
    live, data = loaded
    search = {s["session_id"]: s for s in live.get("/api/v1/sessions", limit="1000").json()["sessions"]}
    for session_id in (data.session, data.quiet_session):
        document = live.get(f"/api/v1/sessions/{session_id}").json()
        assert document["has_error"] is True
        assert search[session_id]["has_error"] is True  # the quiet session: a backend 500 only
        home = _table(_page(live, "/"), "recent-sessions")
        (row,) = [r for r in home.split("<tr") if session_id in r]
        assert ">error<" in row
        assert "✖ error" in _terminal(print_session, live, session_id)
        assert 'class="error"' in _table(_page(live, f"/sessions/{session_id}"), "requests")


def test_latency_agrees_above_ten_thousand_requests(loaded: tuple[LiveServer, Dataset]) -> None:
    live, data = loaded
    (row,) = live.get("/api/v1/latency", group_by="route", route=BULK_ROUTE).json()["rows"]
    gaps = [c - s for c, s in zip(data.bulk_client_ns, data.bulk_server_ns, strict=True)]
    for prefix, values in (("client", data.bulk_client_ns), ("server", data.bulk_server_ns), ("gap", gaps)):
        for pct, q in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99)):
            expected = round(exact_percentile([float(v) for v in values], q) / 1e6, 3)
            assert row[f"{prefix}_{pct}_ms"] == pytest.approx(expected, abs=0.001), (prefix, pct)
    routes = _table(_page(live, "/dashboards/latency", route=BULK_ROUTE), "routes")
    for field in ("count", "client_p50_ms", "client_p95_ms", "client_p99_ms", "server_p99_ms", "gap_p99_ms"):
        assert f">{row[field]}<" in routes, field
    over_time = live.get("/api/v1/latency/over-time", route=BULK_ROUTE, bucket_seconds="86400").json()["rows"]
    assert [(r["count"], r["client_p99_ms"]) for r in over_time] == [(row["count"], row["client_p99_ms"])]
    assert re.search(
        rf">{BULK_REQUESTS} paired requests|{BULK_REQUESTS} paired requests",
        _page(live, "/dashboards/latency", route=BULK_ROUTE),
    )
