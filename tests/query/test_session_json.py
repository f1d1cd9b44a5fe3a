"""The session document's JSON, byte for byte, for a realistic session on a live server.

The session lookup is built for speed (query/service.py, tracebridge/store/spans.py); this pins
what it writes: field names and order, nulls, integers, the explained gaps (OkHttp phases,
network-timing phases, an edge hop), retries behind a proxy, a request that never reached the
backend, a backend-only trace joined through baggage, queued work consumed in another trace, and
a crash. Ids and times are fixed (a seeded generator), so the answer is one exact byte string:
``session_golden.json`` beside this file. After an intended change of the document, rewrite it
with ``TRACEBRIDGE_UPDATE_GOLDEN=1`` and review the diff.
"""

from __future__ import annotations

import json
import os
import random
from pathlib import Path
from typing import Any

from tests.conftest import LiveServer
from tests.query.builders import MINUTE, poll_json, send, wait_stored
from tests.telemetry import (
    BASE_TIME,
    MS,
    SECOND,
    android_resource,
    backend_resource,
    log_record,
    logs_request,
    new_span_id,
    new_trace_id,
    span,
    traces_request,
)

GOLDEN = Path(__file__).with_name("session_golden.json")
SESSION = "golden-session-5e2a"
OKHTTP = {
    "http.client.resolve_dns_ms": 12,
    "http.connect_ms": 95,
    "http.connect.secure_connect_ms": 61,
    "http.connection.request_headers_ms": 1,
    "http.connection.response_headers_ms": 388,
    "http.connection.response_body_ms": 20,
}


def _request(
    trace: bytes, span_id: bytes, method: str, path: str, start: int, duration: int, status: int, **kw: Any
) -> Any:
    """A device's HTTP CLIENT span (``parent``/``error`` and extra attributes in ``kw``)."""
    parent, error = kw.pop("parent", b""), kw.pop("error", None)
    attributes = {
        "http.request.method": method,
        "url.full": f"https://api.example.com{path}",
        "server.address": "api.example.com",
        "http.response.status_code": status,
        "network.connection.type": "wifi",
        **kw,
    }
    end = start + duration
    return span(
        trace, span_id, method, start, end, parent=parent, kind="client", attributes=attributes, error=error
    )


def _server(
    trace: bytes, span_id: bytes, name: str, start: int, duration: int, route: str, status: int, **kw: Any
) -> Any:
    """A backend SERVER span answering ``route`` (``parent``/``error`` and extra attributes in ``kw``)."""
    parent, error = kw.pop("parent", b""), kw.pop("error", None)
    attributes = {
        "http.request.method": name.split()[0],
        "http.route": route,
        "http.response.status_code": status,
        **kw,
    }
    end = start + duration
    return span(
        trace, span_id, name, start, end, parent=parent, kind="server", attributes=attributes, error=error
    )


def _export(*groups: tuple[dict[str, Any], list[Any]]) -> Any:
    return traces_request(list(groups))


def _payloads(rng: random.Random) -> tuple[list[Any], list[Any]]:
    """(trace export requests, log export requests) of the session, deterministic."""
    device = android_resource(app_version="4.0.2", device_id="golden-device", session_id=SESSION)
    t0 = BASE_TIME + 9000 * SECOND
    skew = 4 * MINUTE  # the backend clock runs 4 minutes ahead of the device
    traces: list[Any] = []

    # 1. a screen with one OkHttp request (listener durations), answered on a skewed backend
    ta, root, c1, s1, db = new_trace_id(rng), *(new_span_id(rng) for _ in range(4))
    screen = span(ta, root, "Startseite · Übersicht", t0, t0 + 2 * SECOND, attributes={"screen.name": "Home"})
    traces.append(
        _export(
            (
                device,
                [
                    screen,
                    _request(
                        ta, c1, "GET", "/orders/42", t0 + 100 * MS, 600 * MS, 200, parent=root, **OKHTTP
                    ),
                ],
            )
        )
    )
    s1_start = t0 + 150 * MS + skew
    query = span(
        ta,
        db,
        "SELECT orders",
        s1_start + 100 * MS,
        s1_start + 200 * MS,
        parent=s1,
        kind="client",
        attributes={"db.system": "postgresql"},
    )
    traces.append(
        _export(
            (
                backend_resource("orders"),
                [
                    _server(ta, s1, "GET /orders/{id}", s1_start, 400 * MS, "/orders/{id}", 200, parent=c1),
                    query,
                ],
            )
        )
    )

    # 2. a retried POST behind a proxy: the first attempt fails, the client resent once
    tb, c2, proxy, s2a, s2b = new_trace_id(rng), *(new_span_id(rng) for _ in range(4))
    c2_start = t0 + 3 * SECOND
    resent = {"http.request.resend_count": 1}
    traces.append(
        _export(
            (
                device,
                [_request(tb, c2, "POST", "/checkout", c2_start, 900 * MS, 503, error="HTTP 503", **resent)],
            )
        )
    )
    gateway = span(
        tb,
        proxy,
        "gateway route",
        c2_start + 20 * MS,
        c2_start + 880 * MS,
        parent=c2,
        attributes={"component": "proxy"},
    )
    attempts = [
        _server(
            tb,
            sid,
            "POST /checkout",
            c2_start + offset,
            ms * MS,
            "/checkout",
            503,
            parent=proxy,
            error="upstream failed",
        )
        for sid, offset, ms in ((s2a, 30 * MS, 300), (s2b, 400 * MS, 450))
    ]
    traces.append(_export((backend_resource("checkout"), [gateway, *attempts])))

    # 3. a request that never reached the backend
    tc, c3 = new_trace_id(rng), new_span_id(rng)
    unreached = _request(tc, c3, "GET", "/profile", t0 + 5 * SECOND, 90 * MS, 0, error="connection reset")
    traces.append(_export((device, [unreached])))

    # 4. through an edge tier to the origin, with a network-timing log record
    td, c4, edge, fetch, origin = new_trace_id(rng), *(new_span_id(rng) for _ in range(4))
    c4_start = t0 + 7 * SECOND
    traces.append(_export((device, [_request(td, c4, "GET", "/products/7", c4_start, 810 * MS, 200)])))
    edge_spans = [
        _server(td, edge, "GET", c4_start + 60 * MS, 700 * MS, "/products/{id}", 200, parent=c4),
        span(
            td,
            fetch,
            "GET",
            c4_start + 70 * MS,
            c4_start + 750 * MS,
            parent=edge,
            kind="client",
            attributes={"http.request.method": "GET"},
        ),
    ]
    origin_span = _server(
        td, origin, "GET /products/{id}", c4_start + 100 * MS, 580 * MS, "/products/{id}", 200, parent=fetch
    )
    traces.append(
        _export(
            (backend_resource("edge-cache", **{"tracebridge.tier": "edge"}), edge_spans),
            (backend_resource("catalog"), [origin_span]),
        )
    )
    ms = c4_start // MS
    offsets = {
        "http.call.start_time": 0,
        "http.dns.start_time": 2,
        "http.dns.end_time": 30,
        "http.connect.start_time": 30,
        "http.secure_connect.start_time": 50,
        "http.secure_connect.end_time": 120,
        "http.connect.end_time": 120,
        "http.request.headers.start_time": 121,
        "http.request.headers.end_time": 122,
        "http.response.headers.start_time": 122,
        "http.response.headers.end_time": 760,
        "http.response.body.start_time": 760,
        "http.response.body.end_time": 800,
        "http.call.end_time": 800,
    }
    timing = log_record(
        c4_start + 815 * MS,
        event_name="http.client.network_timing",
        attributes={name: ms + offset for name, offset in offsets.items()},
        trace_id=td,
        span_id=c4,
    )

    # 5. a push handled by a backend that got session.id through baggage; it queues a message
    # that a worker consumes two minutes later in its own trace (a span link)
    te, push, produced, tw, worker = (
        new_trace_id(rng),
        new_span_id(rng),
        new_span_id(rng),
        new_trace_id(rng),
        new_span_id(rng),
    )
    p0 = t0 + 10 * SECOND
    kafka = {"messaging.system": "kafka"}
    notifications = [
        _server(te, push, "POST /push", p0, 40 * MS, "/push", 202, **{"session.id": SESSION}),
        span(
            te,
            produced,
            "send push-queue",
            p0 + 20 * MS,
            p0 + 25 * MS,
            parent=push,
            kind="producer",
            attributes={**kafka, "messaging.destination.name": "push-queue"},
        ),
    ]
    consumer = span(
        tw,
        worker,
        "process push-queue",
        p0 + 2 * MINUTE,
        p0 + 2 * MINUTE + 300 * MS,
        kind="consumer",
        attributes={**kafka, "messaging.operation.type": "process"},
        links=[(te, produced, {})],
        ok=True,
    )
    traces.append(
        _export(
            (backend_resource("notifications"), notifications), (backend_resource("push-worker"), [consumer])
        )
    )

    crash = log_record(
        t0 + 12 * SECOND,
        event_name="device.crash",
        severity=21,
        attributes={
            "exception.type": "java.lang.IllegalStateException",
            "exception.message": "cart is empty",
            "exception.stacktrace": "java.lang.IllegalStateException: cart is empty\n\tat shop.Cart.pay(Cart.kt:42)",
            "session.id": SESSION,
        },
    )
    logs = [
        logs_request([(device, [timing])], scope="io.opentelemetry.okhttp-3.0"),
        logs_request([(device, [crash])]),
    ]
    return traces, logs


def _complete(document: dict[str, Any]) -> bool:
    gaps = {g["client_span_id"]: g for t in document["traces"] for g in t["gaps"]}
    return (
        len(document["traces"]) == 5
        and document["span_count"] == 15
        and document["crash_count"] == 1
        and all(q["consumer_span_id"] for q in document["queued"])
        and sum(1 for g in gaps.values() if g["phases"] is not None) == 2
    )


def test_session_document_json_is_pinned(server: LiveServer) -> None:
    traces, logs = _payloads(random.Random(20261130))
    for message in traces:
        send(server, message)
    for message in logs:
        assert server.post("/v1/logs", message.SerializeToString()).status_code == 200
    wait_stored(server)
    poll_json(server, f"/api/v1/sessions/{SESSION}", _complete)
    body = server.get(f"/api/v1/sessions/{SESSION}").content
    if os.environ.get("TRACEBRIDGE_UPDATE_GOLDEN"):
        GOLDEN.write_bytes(body + b"\n")
    expected = GOLDEN.read_bytes().rstrip(b"\n")
    assert json.loads(body) == json.loads(expected)  # a readable diff first
    assert body == expected
