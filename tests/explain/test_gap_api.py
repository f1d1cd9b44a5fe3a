"""gaps[].phases and gaps[].edge through a live server: trace and session views agree."""

from __future__ import annotations

from typing import Any

from tests.conftest import LiveServer
from tests.explain.shapes import Call, android, network_timing_log, request_payloads, web_resource
from tests.explain.test_phases import web_events
from tests.query.builders import poll_json, unique
from tests.telemetry import BASE_TIME, MS, SECOND
from tracebridge.query.explain_models import Edge, Phases


def _send(server: LiveServer, *messages: Any, path: str = "/v1/traces") -> None:
    for message in messages:
        if path == "/v1/traces" and not message.resource_spans:
            continue
        response = server.post(path, message.SerializeToString())
        assert response.status_code == 200, response.text


def _trace(server: LiveServer, trace_id: bytes, spans: int) -> dict[str, Any]:
    return poll_json(server, f"/api/v1/traces/{trace_id.hex()}", lambda d: len(d["spans"]) == spans)


def test_web_okhttp_and_network_timing_phases(server: LiveServer) -> None:
    session = unique("phases")
    start = BASE_TIME + 3 * SECOND
    web = Call(start, 410 * MS, 250 * MS, events=web_events(start))
    tid_web, client, backend = request_payloads(
        web_resource(session), web, web=True, scope="@opentelemetry/instrumentation-fetch"
    )
    _send(server, client, backend)

    okhttp = Call(
        start + SECOND,
        900 * MS,
        500 * MS,
        attributes={
            "http.client.resolve_dns_ms": 31,
            "http.connect_ms": 140,
            "http.connect.secure_connect_ms": 88,
            "http.connection.request_headers_ms": 0,
            "http.connection.response_headers_ms": 612,
            "http.connection.response_body_ms": 45,
        },
    )
    tid_ok, client, backend = request_payloads(android(session), okhttp)
    _send(server, client, backend)

    timed = Call(start + 2 * SECOND, 810 * MS, 580 * MS)
    tid_nt, client, backend = request_payloads(android(session), timed)
    _send(server, client, backend)
    _send(server, network_timing_log(android(session), tid_nt, timed), path="/v1/logs")

    bare = Call(start + 3 * SECOND, 300 * MS, 200 * MS)
    tid_bare, client, backend = request_payloads(android(session), bare)
    _send(server, client, backend)

    gap = _trace(server, tid_web, 2)["gaps"][0]
    assert gap["phases"] == {
        "source": "resource_timing",
        "stall_ns": 4 * MS,
        "dns_ns": 20 * MS,
        "connect_ns": 66 * MS,
        "tls_ns": 50 * MS,
        "request_ns": None,
        "wait_ns": 300 * MS,
        "download_ns": 9 * MS,
        "after_response_ns": 10 * MS,
    }
    assert gap["edge"] is None
    Phases.model_validate(gap["phases"])
    ok = _trace(server, tid_ok, 2)["gaps"][0]["phases"]
    assert ok["source"] == "okhttp"
    assert (ok["dns_ns"], ok["connect_ns"], ok["tls_ns"], ok["request_ns"]) == (31 * MS, 140 * MS, 88 * MS, 0)
    assert (ok["wait_ns"], ok["download_ns"], ok["stall_ns"], ok["after_response_ns"]) == (
        612 * MS,
        45 * MS,
        None,
        None,
    )

    def timing_joined(doc: dict[str, Any]) -> bool:
        return len(doc["spans"]) == 2 and doc["gaps"][0]["phases"] is not None

    nt = poll_json(server, f"/api/v1/traces/{tid_nt.hex()}", timing_joined)["gaps"][0]["phases"]
    assert nt["source"] == "network_timing"
    assert (nt["dns_ns"], nt["tls_ns"], nt["wait_ns"], nt["download_ns"]) == (
        38 * MS,
        80 * MS,
        600 * MS,
        48 * MS,
    )
    assert nt["after_response_ns"] == 10 * MS
    assert _trace(server, tid_bare, 2)["gaps"][0]["phases"] is None

    document = poll_json(server, f"/api/v1/sessions/{session}", lambda d: len(d["traces"]) == 4)
    by_trace = {t["trace_id"]: t["gaps"][0]["phases"] for t in document["traces"]}
    assert by_trace[tid_web.hex()] == gap["phases"]
    assert by_trace[tid_ok.hex()] == ok
    assert by_trace[tid_nt.hex()] == nt
    assert by_trace[tid_bare.hex()] is None


def test_edge_split_and_served_at_edge(server: LiveServer) -> None:
    session = unique("edge")
    start = BASE_TIME + 20 * SECOND
    forwarded = Call(start, 500 * MS, 300 * MS, edge_ns=420 * MS)
    tid_fwd, client, backend = request_payloads(android(session), forwarded)
    _send(server, client, backend)
    cached = Call(start + SECOND, 90 * MS, None, edge_ns=12 * MS)
    tid_hit, client, backend = request_payloads(android(session), cached)
    _send(server, client, backend)

    gap = _trace(server, tid_fwd, 4)["gaps"][0]
    assert gap["edge"] == {
        "service_name": "edge-cache",
        "span_id": forwarded.edge_id.hex(),
        "client_to_edge_ns": 80 * MS,
        "edge_to_origin_ns": 120 * MS,
        "served_at_edge": False,
    }
    Edge.model_validate(gap["edge"])
    assert gap["server_span_id"] == forwarded.origin_id.hex()
    assert gap["server_duration_ns"] == 300 * MS and gap["gap_ns"] == 200 * MS
    assert gap["route"] == "/products/{id}"

    hit = _trace(server, tid_hit, 2)["gaps"][0]
    assert hit["edge"]["served_at_edge"] is True and hit["edge"]["edge_to_origin_ns"] is None
    assert hit["edge"]["client_to_edge_ns"] == 78 * MS
    assert hit["server_span_id"] == cached.edge_id.hex()

    document = poll_json(server, f"/api/v1/sessions/{session}", lambda d: len(d["traces"]) == 2)
    edges = {t["trace_id"]: t["gaps"][0]["edge"] for t in document["traces"]}
    assert edges[tid_fwd.hex()] == gap["edge"] and edges[tid_hit.hex()] == hit["edge"]
