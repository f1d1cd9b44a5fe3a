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


def _client_attrs(method: str, path: str, status: int, **extra: Any) -> dict[str, Any]:
    return {
        "http.request.method": method,
        "url.full": f"https://api.example.com{path}",
        "server.address": "api.example.com",
        "http.response.status_code": status,
        "network.connection.type": "wifi",
        **extra,
    }


def _server_attrs(method: str, route: str, status: int) -> dict[str, Any]:
    return {"http.request.method": method, "http.route": route, "http.response.status_code": status}


def _payloads(rng: random.Random) -> tuple[list[Any], list[Any]]:
    """(trace export requests, log export requests) of the session, deterministic."""
    device = android_resource(app_version="4.0.2", device_id="golden-device", session_id=SESSION)
    t0 = BASE_TIME + 9000 * SECOND
    skew = 4 * MINUTE  # the backend clock runs 4 minutes ahead of the device
    traces: list[Any] = []

    # 1. a screen with one OkHttp request (listener durations), answered on a skewed backend
    ta, root, c1, s1, db = (
        new_trace_id(rng),
        new_span_id(rng),
        new_span_id(rng),
        new_span_id(rng),
        new_span_id(rng),
    )
    traces.append(
        traces_request(
            [
                (
                    device,
                    [
                        span(
                            ta,
                            root,
                            "Startseite · Übersicht",
                            t0,
                            t0 + 2 * SECOND,
                            attributes={"screen.name": "Home"},
                        ),
                        span(
                            ta,
                            c1,
                            "GET",
                            t0 + 100 * MS,
                            t0 + 700 * MS,
                            parent=root,
                            kind="client",
                            attributes=_client_attrs("GET", "/orders/42", 200, **OKHTTP),
                        ),
                    ],
                )
            ]
        )
    )
    s1_start = t0 + 150 * MS + skew
    traces.append(
        traces_request(
            [
                (
                    backend_resource("orders"),
                    [
                        span(
                            ta,
                            s1,
                            "GET /orders/{id}",
                            s1_start,
                            s1_start + 400 * MS,
                            parent=c1,
                            kind="server",
                            attributes=_server_attrs("GET", "/orders/{id}", 200),
                        ),
                        span(
                            ta,
                            db,
                            "SELECT orders",
                            s1_start + 100 * MS,
                            s1_start + 200 * MS,
                            parent=s1,
                            kind="client",
                            attributes={"db.system": "postgresql"},
                        ),
                    ],
                )
            ]
        )
    )

    # 2. a retried POST behind a proxy: the first attempt fails, the client resent once
    tb, c2, proxy, s2a, s2b = (
        new_trace_id(rng),
        new_span_id(rng),
        new_span_id(rng),
        new_span_id(rng),
        new_span_id(rng),
    )
    c2_start = t0 + 3 * SECOND
    traces.append(
        traces_request(
            [
                (
                    device,
                    [
                        span(
                            tb,
                            c2,
                            "POST",
                            c2_start,
                            c2_start + 900 * MS,
                            kind="client",
                            attributes=_client_attrs(
                                "POST", "/checkout", 503, **{"http.request.resend_count": 1}
                            ),
                            error="HTTP 503",
                        )
                    ],
                )
            ]
        )
    )
    traces.append(
        traces_request(
            [
                (
                    backend_resource("checkout"),
                    [
                        span(
                            tb,
                            proxy,
                            "gateway route",
                            c2_start + 20 * MS,
                            c2_start + 880 * MS,
                            parent=c2,
                            attributes={"component": "proxy"},
                        ),
                        span(
                            tb,
                            s2a,
                            "POST /checkout",
                            c2_start + 30 * MS,
                            c2_start + 330 * MS,
                            parent=proxy,
                            kind="server",
                            attributes=_server_attrs("POST", "/checkout", 503),
                            error="upstream failed",
                        ),
                        span(
                            tb,
                            s2b,
                            "POST /checkout",
                            c2_start + 400 * MS,
                            c2_start + 850 * MS,
                            parent=proxy,
                            kind="server",
                            attributes=_server_attrs("POST", "/checkout", 503),
                            error="upstream failed",
                        ),
                    ],
                )
            ]
        )
    )

    # 3. a request that never reached the backend
    tc, c3 = new_trace_id(rng), new_span_id(rng)
    traces.append(
        traces_request(
            [
                (
                    device,
                    [
                        span(
                            tc,
                            c3,
                            "GET",
                            t0 + 5 * SECOND,
                            t0 + 5 * SECOND + 90 * MS,
                            kind="client",
                            attributes=_client_attrs("GET", "/profile", 0),
                            error="connection reset",
                        )
                    ],
                )
            ]
        )
    )

    # 4. through an edge tier to the origin, with a network-timing log record
    td, c4, edge, fetch, origin = (
        new_trace_id(rng),
        new_span_id(rng),
        new_span_id(rng),
        new_span_id(rng),
        new_span_id(rng),
    )
    c4_start = t0 + 7 * SECOND
    traces.append(
        traces_request(
            [
                (
                    device,
                    [
                        span(
                            td,
                            c4,
                            "GET",
                            c4_start,
                            c4_start + 810 * MS,
                            kind="client",
                            attributes=_client_attrs("GET", "/products/7", 200),
                        )
                    ],
                )
            ]
        )
    )
    traces.append(
        traces_request(
            [
                (
                    backend_resource("edge-cache", **{"tracebridge.tier": "edge"}),
                    [
                        span(
                            td,
                            edge,
                            "GET",
                            c4_start + 60 * MS,
                            c4_start + 760 * MS,
                            parent=c4,
                            kind="server",
                            attributes=_server_attrs("GET", "/products/{id}", 200),
                        ),
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
                    ],
                ),
                (
                    backend_resource("catalog"),
                    [
                        span(
                            td,
                            origin,
                            "GET /products/{id}",
                            c4_start + 100 * MS,
                            c4_start + 680 * MS,
                            parent=fetch,
                            kind="server",
                            attributes=_server_attrs("GET", "/products/{id}", 200),
                        )
                    ],
                ),
            ]
        )
    )
    ms = c4_start // MS
    timing = log_record(
        c4_start + 815 * MS,
        event_name="http.client.network_timing",
        attributes={
            "http.call.start_time": ms,
            "http.dns.start_time": ms + 2,
            "http.dns.end_time": ms + 30,
            "http.connect.start_time": ms + 30,
            "http.secure_connect.start_time": ms + 50,
            "http.secure_connect.end_time": ms + 120,
            "http.connect.end_time": ms + 120,
            "http.request.headers.start_time": ms + 121,
            "http.request.headers.end_time": ms + 122,
            "http.response.headers.start_time": ms + 122,
            "http.response.headers.end_time": ms + 760,
            "http.response.body.start_time": ms + 760,
            "http.response.body.end_time": ms + 800,
            "http.call.end_time": ms + 800,
        },
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
    traces.append(
        traces_request(
            [
                (
                    backend_resource("notifications"),
                    [
                        span(
                            te,
                            push,
                            "POST /push",
                            p0,
                            p0 + 40 * MS,
                            kind="server",
                            attributes={**_server_attrs("POST", "/push", 202), "session.id": SESSION},
                        ),
                        span(
                            te,
                            produced,
                            "send push-queue",
                            p0 + 20 * MS,
                            p0 + 25 * MS,
                            parent=push,
                            kind="producer",
                            attributes={
                                "messaging.system": "kafka",
                                "messaging.destination.name": "push-queue",
                            },
                        ),
                    ],
                ),
                (
                    backend_resource("push-worker"),
                    [
                        span(
                            tw,
                            worker,
                            "process push-queue",
                            p0 + 2 * MINUTE,
                            p0 + 2 * MINUTE + 300 * MS,
                            kind="consumer",
                            attributes={"messaging.system": "kafka", "messaging.operation.type": "process"},
                            links=[(te, produced, {})],
                            ok=True,
                        )
                    ],
                ),
            ]
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
