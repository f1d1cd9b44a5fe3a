"""GET /api/v1/latency?phases=true: per-phase percentiles and edge-served share on known data."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import LiveServer
from tests.explain.shapes import Call, android, request_payloads, web_resource
from tests.explain.test_phases import web_events
from tests.query.builders import poll_json, unique, wait_stored
from tests.telemetry import BASE_TIME, MS, SECOND
from tracebridge.domain import exact_percentile
from tracebridge.query.explain_models import LatencyPhases
from tracebridge.query.phase_latency import MAX_PHASE_REQUESTS


def test_percentile_inc_matches_linear_interpolation() -> None:
    assert exact_percentile([10, 20, 30, 40], 0.5) == 25
    assert exact_percentile([10, 20, 30, 40], 0.99) == pytest.approx(39.7)
    assert exact_percentile([7], 0.99) == 7


def _send(server: LiveServer, *messages: Any) -> None:
    for message in messages:
        if message.resource_spans:
            assert server.post("/v1/traces", message.SerializeToString()).status_code == 200


def test_phase_percentiles_per_route_and_network(server: LiveServer) -> None:
    route = f"/{unique('products')}/{{id}}"
    session = unique("fleet")
    start = BASE_TIME + 600 * SECOND
    dns_values = [10, 20, 30, 40]
    for index, dns in enumerate(dns_values):  # Android requests with OkHttp durations, through the origin
        call = Call(
            start + index * SECOND,
            800 * MS,
            400 * MS,
            route=route,
            attributes={
                "http.client.resolve_dns_ms": dns,
                "http.connection.response_headers_ms": 500 + index,
            },
        )
        _send(server, *request_payloads(android(session), call)[1:])
    web = Call(start + 10 * SECOND, 410 * MS, 250 * MS, route=route, events=web_events(start + 10 * SECOND))
    _send(server, *request_payloads(web_resource(session), web, web=True)[1:])
    bare = Call(start + 11 * SECOND, 300 * MS, 100 * MS, route=route)  # no phase data
    _send(server, *request_payloads(android(session), bare)[1:])
    for index in range(2):  # answered from the edge cache: no origin span
        hit = Call(start + (12 + index) * SECOND, 60 * MS, None, edge_ns=8 * MS, route=route)
        _send(server, *request_payloads(android(session), hit)[1:])
    wait_stored(server)  # every view of the inserts agrees from here (docs/query.md)

    def complete(doc: dict[str, Any]) -> bool:
        return bool(doc["rows"]) and doc["rows"][0]["count"] == 8

    doc = poll_json(server, "/api/v1/latency", complete, group_by="route", route=route, phases="true")
    (row,) = doc["rows"]
    LatencyPhases.model_validate({"phases": row["phases"], "edge_served_share": row["edge_served_share"]})
    dns = row["phases"]["dns"]
    all_dns = [v * MS for v in dns_values] + [20 * MS]  # + the web request's dns
    assert dns["count"] == 5
    assert dns["p50_ms"] == pytest.approx(exact_percentile(all_dns, 0.5) / MS, abs=0.001)
    assert dns["p99_ms"] == pytest.approx(exact_percentile(all_dns, 0.99) / MS, abs=0.001)
    assert row["phases"]["tls"] == {"count": 1, "p50_ms": 50.0, "p99_ms": 50.0}
    assert row["phases"]["request"] == {"count": 0, "p50_ms": None, "p99_ms": None}
    assert row["phases"]["wait"]["count"] == 5
    assert row["edge_served_share"] == pytest.approx(2 / 8)
    # The phases' bound: these 8 requests are all of them.
    assert doc["phase_requests_limit"] == MAX_PHASE_REQUESTS and doc["phases_truncated"] is False

    by_network = poll_json(
        server,
        "/api/v1/latency",
        lambda d: sum(r["count"] for r in d["rows"]) == 8,
        group_by="network_type",
        route=route,
        phases="true",
    )
    cell = next(r for r in by_network["rows"] if r["key"] == "cell")
    assert cell["phases"]["dns"]["count"] == 4 and cell["edge_served_share"] == pytest.approx(2 / 7, abs=1e-6)
    plain_doc = server.get("/api/v1/latency", group_by="route", route=route).json()
    plain = plain_doc["rows"][0]
    assert "phases" not in plain and "edge_served_share" not in plain  # only with phases=true
    assert "phase_requests_limit" not in plain_doc and "phases_truncated" not in plain_doc
    bad = server.get("/api/v1/latency", phases="maybe")
    assert bad.status_code == 400 and "phases" in bad.text
