"""One answer through an edge tier: /api/v1/latency reads the same server span, server duration,
gap, route and service as the gaps of the trace documents (the origin when the edge forwarded the
request, the edge span when it served it), through a live server."""

from __future__ import annotations

from typing import Any

from tests.conftest import LiveServer
from tests.explain.shapes import Call, android, request_payloads
from tests.explain.test_gap_api import _send, _trace
from tests.query.builders import poll_json, unique, wait_stored
from tests.telemetry import BASE_TIME, MS, SECOND


def _row(server: LiveServer, route: str, count: int, **params: str) -> dict[str, Any]:
    document = poll_json(
        server,
        "/api/v1/latency",
        lambda d: sum(r["count"] for r in d["rows"]) == count,
        **{"route": route, "group_by": "route", **params},
    )
    (row,) = document["rows"]
    return row


def _gaps(server: LiveServer, sent: list[tuple[bytes, int]]) -> list[dict[str, Any]]:
    return [_trace(server, trace_id, spans)["gaps"][0] for trace_id, spans in sent]


def _ms(values: list[int]) -> float:
    return round(sum(values) / len(values) / 1e6, 3)


def test_latency_rows_answer_like_the_gap_documents(server: LiveServer) -> None:
    session = unique("edge-latency")
    start = BASE_TIME + 40 * SECOND
    forwarded_route = "/" + unique("products") + "/{id}"
    cached_route = "/" + unique("banners") + "/{id}"
    calls = [
        (Call(start, 500 * MS, 300 * MS, edge_ns=420 * MS, route=forwarded_route), 4),
        (Call(start + SECOND, 700 * MS, 340 * MS, edge_ns=610 * MS, route=forwarded_route), 4),
        (Call(start + 2 * SECOND, 90 * MS, None, edge_ns=12 * MS, route=cached_route), 2),
    ]
    sent = []
    for call, spans in calls:
        trace_id, client, backend = request_payloads(android(session), call)
        _send(server, client, backend)
        sent.append((trace_id, spans))
    # Every view agrees once the inserts are applied (docs/query.md, "Consistency while an insert
    # is applied"): before that the latency row can count a request whose edge hop is not in yet.
    wait_stored(server)

    forwarded = _gaps(server, sent[:2])
    assert [g["server_duration_ns"] for g in forwarded] == [300 * MS, 340 * MS]  # the origins
    row = _row(server, forwarded_route, 2)
    # two requests: p50 is the average of the documents' figures, exactly
    assert row["server_p50_ms"] == _ms([g["server_duration_ns"] for g in forwarded]) == 320.0
    assert row["gap_p50_ms"] == _ms([g["gap_ns"] for g in forwarded]) == 280.0
    assert row["client_p50_ms"] == _ms([500 * MS, 700 * MS])
    (service,) = poll_json(
        server,
        "/api/v1/latency",
        lambda d: bool(d["rows"]),
        route=forwarded_route,
        group_by="service_name",
    )["rows"]
    assert service["key"] == forwarded[0]["service_name"] == "catalog" and service["count"] == 2

    (hit,) = _gaps(server, sent[2:])
    assert hit["edge"]["served_at_edge"] is True
    cached = _row(server, cached_route, 1)
    assert cached["server_p99_ms"] == hit["server_duration_ns"] / 1e6 == 12.0
    assert cached["gap_p99_ms"] == hit["gap_ns"] / 1e6 == 78.0

    with_phases = _row(server, forwarded_route, 2, phases="true")
    assert with_phases["edge_served_share"] == 0.0 and with_phases["server_p50_ms"] == 320.0
    assert _row(server, cached_route, 1, phases="true")["edge_served_share"] == 1.0
