"""The Jaeger-compatible API against a live server holding real OTLP data: a trace with spans from
a phone and from two backend spans, every attribute type, events, links, resource attributes,
session ids on spans and on resources; Jaeger's search semantics (one span meets every condition,
inclusive bounds); errors; the same read auth as /api/*."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.conftest import LiveServer, start_server
from tests.query.jaeger.jaeger_schema import Envelope
from tests.telemetry import (
    BASE_TIME,
    MS,
    SECOND,
    android_resource,
    backend_resource,
    ios_resource,
    span,
    traces_request,
)
from tracebridge.auth import COOKIE_NAME

LINKED_TRACE = os.urandom(16)
LINKED_SPAN = os.urandom(8)
OTHER_TRACE, OTHER_SPAN = os.urandom(16), os.urandom(8)


@dataclass(frozen=True)
class Stored:
    a: str
    b: str
    c: str
    d: str
    a_client: bytes
    a_server: bytes
    a_db: bytes


def _ingest(live: LiveServer) -> Stored:
    ta, tb, tc, td = os.urandom(16), os.urandom(16), os.urandom(16), os.urandom(16)
    a_client, a_server, a_db = os.urandom(8), os.urandom(8), os.urandom(8)
    b_client, b_server, c_client = os.urandom(8), os.urandom(8), os.urandom(8)
    phone_a = android_resource(device_id="phone-a")
    phone_b = android_resource(device_id="phone-b")
    orders = backend_resource("orders")
    a_attributes = {
        "http.request.method": "GET",
        "http.status_code": 500,
        "retry": True,
        "ratio": 0.25,
        "payload": b"\x00\xff",
        "labels": ["a", 1],
        "ctx": {"k": "v"},
        "session.id": "sess-A",
    }
    request_a = traces_request(
        [
            (
                phone_a,
                [
                    span(
                        ta,
                        a_client,
                        "GET /api/cart",
                        BASE_TIME,
                        BASE_TIME + 80 * MS,
                        kind="client",
                        attributes=a_attributes,
                        error="timeout",
                        events=[
                            ("exception", BASE_TIME + 50 * MS, {"exception.type": "java.io.IOException"})
                        ],
                        links=[
                            (LINKED_TRACE, LINKED_SPAN, {"opentracing.ref_type": "child_of"}),
                            (OTHER_TRACE, OTHER_SPAN, {}),
                        ],
                    )
                ],
            )
        ]
    )
    backend_a = traces_request(
        [
            (
                orders,
                [
                    span(
                        ta,
                        a_server,
                        "GET /cart",
                        BASE_TIME + 10 * MS,
                        BASE_TIME + 70 * MS,
                        kind="server",
                        parent=a_client,
                        attributes={"http.route": "/cart"},
                        ok=True,
                    ),
                    span(
                        ta,
                        a_db,
                        "SELECT orders",
                        BASE_TIME + 20 * MS,
                        BASE_TIME + 45 * MS,
                        kind="client",
                        parent=a_server,
                        attributes={"db.system": "postgresql"},
                    ),
                ],
            )
        ],
        scope="opentelemetry.instrumentation.flask",
        scope_version="0.48b0",
    )
    b_start, c_start = BASE_TIME + SECOND, BASE_TIME + 2 * SECOND
    request_b = traces_request(
        [
            (
                phone_b,
                [
                    span(
                        tb,
                        b_client,
                        "GET /api/cart",
                        b_start,
                        b_start + 120 * MS,
                        kind="client",
                        attributes={"http.status_code": 200, "session.id": "sess-B"},
                    )
                ],
            ),
            (
                orders,
                [
                    span(
                        tb,
                        b_server,
                        "GET /cart",
                        b_start + 5 * MS,
                        b_start + 105 * MS,
                        kind="server",
                        parent=b_client,
                    )
                ],
            ),
        ]
    )
    request_c = traces_request(
        [
            (
                ios_resource(**{"session.id": "sess-C"}),
                [span(tc, c_client, "GET /api/profile", c_start, c_start + 40 * MS, kind="client")],
            )
        ]
    )
    # Embrace names its session attribute emb.session_id; tracebridge's session id finds it by session.id
    request_d = traces_request(
        [
            (
                android_resource(**{"service.name": "shop/embrace-app"}),
                [
                    span(
                        td,
                        os.urandom(8),
                        "emb-session",
                        c_start,
                        c_start + 5 * MS,
                        attributes={"emb.session_id": "emb-D"},
                    )
                ],
            )
        ]
    )
    for request in (request_a, backend_a, request_b, request_c, request_d):
        assert live.post("/v1/traces", request.SerializeToString()).status_code == 200
    stored = Stored(ta.hex(), tb.hex(), tc.hex(), td.hex(), a_client, a_server, a_db)
    for trace_id, count in ((stored.a, 3), (stored.b, 2), (stored.c, 1), (stored.d, 1)):
        live.wait_for(lambda t=trace_id, n=count: _span_count(live, t) == n)
    return stored


def _span_count(live: LiveServer, trace_id: str) -> int:
    answer = live.get(f"/jaeger/api/traces/{trace_id}")
    return len(answer.json()["data"][0]["spans"]) if answer.status_code == 200 else 0


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, Stored]]:
    live = start_server(tmp_path_factory.mktemp("jaeger"))
    try:
        yield live, _ingest(live)
    finally:
        live.stop()


def jaeger(live: LiveServer, path: str, **params: str) -> tuple[int, dict[str, Any]]:
    answer = httpx.get(live.api + "/jaeger/api" + path, params=params or None, timeout=60)
    assert answer.headers["content-type"] == "application/json"
    body = answer.json()
    Envelope.model_validate(body)
    return answer.status_code, body


def test_services_and_operations(loaded: tuple[LiveServer, Stored]) -> None:
    live, _ = loaded
    assert jaeger(live, "/services")[1] == {
        "data": ["ShopApp", "orders", "shop-android", "shop/embrace-app"],
        "total": 4,
        "limit": 0,
        "offset": 0,
        "errors": None,
    }
    assert jaeger(live, "/services/orders/operations")[1]["data"] == ["GET /cart", "SELECT orders"]
    assert jaeger(live, "/services/nobody/operations")[1]["data"] == []
    assert jaeger(live, "/services/shop%2Fembrace-app/operations")[1]["data"] == ["emb-session"]  # a slash
    answer = httpx.get(
        live.api + "/jaeger/api/operations", params={"service": "orders", "spanKind": "server"}
    )
    assert answer.json()["data"] == [{"name": "GET /cart", "spanKind": "server"}]


def _tags(items: list[dict[str, Any]]) -> dict[str, tuple[str, Any]]:
    return {t["key"]: (t["type"], t["value"]) for t in items}


def test_a_trace_in_jaegers_model(loaded: tuple[LiveServer, Stored]) -> None:
    live, stored = loaded
    status, body = jaeger(live, f"/traces/{stored.a.upper()}")
    assert status == 200 and body["errors"] is None and body["total"] == 1
    (trace,) = body["data"]
    assert trace["traceID"] == stored.a
    spans = {s["spanID"]: s for s in trace["spans"]}
    assert [s["spanID"] for s in trace["spans"]] == [
        stored.a_client.hex(),
        stored.a_server.hex(),
        stored.a_db.hex(),
    ]
    client, server, db = (spans[s.hex()] for s in (stored.a_client, stored.a_server, stored.a_db))
    processes = trace["processes"]
    assert processes[client["processID"]]["serviceName"] == "shop-android"
    assert processes[server["processID"]]["serviceName"] == "orders"
    assert server["processID"] == db["processID"] != client["processID"] and len(processes) == 2
    phone_tags = _tags(processes[client["processID"]]["tags"])
    assert phone_tags["device.id"] == ("string", "phone-a") and "service.name" not in phone_tags

    assert (client["startTime"], client["duration"]) == (BASE_TIME // 1000, 80_000)
    assert (db["startTime"], db["duration"]) == ((BASE_TIME + 20 * MS) // 1000, 25_000)
    assert _tags(client["tags"]) == {
        "otel.scope.name": ("string", "io.opentelemetry.okhttp-3.0"),
        "otel.scope.version": ("string", "2.10.0"),
        "http.request.method": ("string", "GET"),
        "http.status_code": ("int64", 500),
        "retry": ("bool", True),
        "ratio": ("float64", 0.25),
        "payload": ("binary", "AP8="),
        "labels": ("string", '["a",1]'),
        "ctx": ("string", '{"k":"v"}'),
        "session.id": ("string", "sess-A"),
        "span.kind": ("string", "client"),
        "otel.status_code": ("string", "ERROR"),
        "error": ("bool", True),
        "otel.status_description": ("string", "timeout"),
    }
    assert _tags(server["tags"])["otel.scope.name"] == ("string", "opentelemetry.instrumentation.flask")
    assert _tags(server["tags"])["otel.status_code"] == ("string", "OK") and "error" not in _tags(
        server["tags"]
    )
    assert client["references"] == [
        {"refType": "CHILD_OF", "traceID": LINKED_TRACE.hex(), "spanID": LINKED_SPAN.hex()},
        {"refType": "FOLLOWS_FROM", "traceID": OTHER_TRACE.hex(), "spanID": OTHER_SPAN.hex()},
    ]
    assert server["references"] == [
        {"refType": "CHILD_OF", "traceID": stored.a, "spanID": stored.a_client.hex()}
    ]
    assert db["references"] == [{"refType": "CHILD_OF", "traceID": stored.a, "spanID": stored.a_server.hex()}]
    assert client["logs"] == [
        {
            "timestamp": (BASE_TIME + 50 * MS) // 1000,
            "fields": [
                {"key": "event", "type": "string", "value": "exception"},
                {"key": "exception.type", "type": "string", "value": "java.io.IOException"},
            ],
        }
    ]
    assert server["logs"] == [] and client["warnings"] is None


SEARCHES: list[tuple[dict[str, str], str]] = [
    ({"service": "shop-android"}, "ab"),
    ({"service": "shop-android", "tags": json.dumps({"session.id": "sess-A"})}, "a"),
    ({"service": "ShopApp", "tags": json.dumps({"session.id": "sess-C"})}, "c"),  # on the resource
    ({"service": "shop-android", "tags": json.dumps({"session.id": "sess-C"})}, ""),
    (
        {"service": "shop-android", "tags": json.dumps({"exception.type": "java.io.IOException"})},
        "a",
    ),  # event
    ({"service": "shop-android", "tags": json.dumps({"device.id": "phone-b"})}, "b"),  # resource
    ({"service": "shop-android", "tags": json.dumps({"http.status_code": "500", "error": "true"})}, "a"),
    ({"service": "shop-android", "tags": json.dumps({"retry": "true", "ratio": "0.25"})}, "a"),
    ({"service": "shop-android", "tags": json.dumps({"otel.status_code": "ERROR"})}, "a"),
    (
        {"service": "shop-android", "tags": json.dumps({"otel.scope.name": "io.opentelemetry.okhttp-3.0"})},
        "ab",
    ),
    ({"service": "orders", "tags": json.dumps({"span.kind": "server"})}, "ab"),
    ({"service": "orders", "tags": json.dumps({"http.status_code": "500"})}, ""),  # the phone's span
    # the two conditions hold on two different spans of trace a: no single span meets both
    ({"service": "orders", "tags": json.dumps({"db.system": "postgresql", "http.route": "/cart"})}, ""),
    (
        {"service": "orders", "operation": "SELECT orders", "tags": json.dumps({"db.system": "postgresql"})},
        "a",
    ),
    ({"service": "orders", "operation": "GET /cart", "tags": json.dumps({"db.system": "postgresql"})}, ""),
    ({"service": "orders", "minDuration": "25ms", "maxDuration": "25ms"}, "a"),  # inclusive both ends
    ({"service": "orders", "minDuration": "25001us", "maxDuration": "59.999ms"}, ""),
    ({"service": "orders", "minDuration": "60ms"}, "ab"),
    ({"service": "orders", "maxDuration": "0.06s"}, "a"),
    ({"service": "orders", "minDuration": "1m"}, ""),
    ({"service": "shop-android", "start": str(BASE_TIME // 1000), "end": str(BASE_TIME // 1000)}, "a"),
    ({"service": "shop-android", "start": str(BASE_TIME // 1000 + 1)}, "b"),
    ({"service": "shop-android", "end": str(BASE_TIME // 1000 - 1)}, ""),
    ({"service": "shop-android", "tags": "error=true span.kind=client"}, "a"),  # logfmt
    ({"service": "shop-android", "tag": "session.id:sess-B"}, "b"),
    ({"service": "shop/embrace-app", "tags": json.dumps({"session.id": "emb-D"})}, "d"),
    ({"service": "shop/embrace-app", "tags": json.dumps({"emb.session_id": "emb-D"})}, "d"),
    ({"service": "nobody"}, ""),
]


@pytest.mark.parametrize(("params", "expected"), SEARCHES)
def test_search_semantics(loaded: tuple[LiveServer, Stored], params: dict[str, str], expected: str) -> None:
    live, stored = loaded
    status, body = jaeger(live, "/traces", **params)
    assert status == 200 and body["errors"] is None
    found = {t["traceID"] for t in body["data"]}
    assert found == {getattr(stored, letter) for letter in expected}
    for trace in body["data"]:  # whole traces, not just the matching spans
        assert len(trace["spans"]) == {stored.a: 3, stored.b: 2, stored.c: 1, stored.d: 1}[trace["traceID"]]


def test_limit_keeps_the_most_recent(loaded: tuple[LiveServer, Stored]) -> None:
    live, stored = loaded
    assert [t["traceID"] for t in jaeger(live, "/traces", service="shop-android", limit="1")[1]["data"]] == [
        stored.b
    ]
    assert [t["traceID"] for t in jaeger(live, "/traces", service="shop-android")[1]["data"]] == [
        stored.b,
        stored.a,
    ]


def test_trace_ids_and_errors(loaded: tuple[LiveServer, Stored]) -> None:
    live, stored = loaded
    missing = "00000000000000000000000000abcdef"
    answer = httpx.get(live.api + "/jaeger/api/traces", params=[("traceID", stored.c), ("traceID", missing)])
    body = answer.json()
    Envelope.model_validate(body)
    assert [t["traceID"] for t in body["data"]] == [stored.c]
    assert body["errors"] == [{"msg": "trace not found", "traceID": "0000000000abcdef"}]
    assert jaeger(live, f"/traces/{missing}") == (
        404,
        {
            "data": None,
            "total": 0,
            "limit": 0,
            "offset": 0,
            "errors": [{"code": 404, "msg": "trace not found"}],
        },
    )
    for path, params, message in (
        ("/traces/not-hex", {}, "cannot parse traceID"),
        ("/traces", {}, "parameter 'service' is required"),
        ("/traces", {"service": "orders", "minDuration": "soon"}, "unable to parse param 'minDuration'"),
        (
            "/traces",
            {"service": "orders", "minDuration": "2s", "maxDuration": "1s"},
            "'maxDuration' should be greater",
        ),
        ("/traces", {"service": "orders", "tags": "{nope"}, "malformed 'tags' parameter"),
        ("/traces", {"service": "orders", "limit": "many"}, "unable to parse param 'limit'"),
        ("/traces", {"service": "orders", "start": "today"}, "unable to parse param 'start'"),
        ("/operations", {}, "parameter 'service' is required"),
    ):
        status, body = jaeger(live, path, **params)
        assert status == 400 and body["data"] is None
        assert body["errors"][0]["code"] == 400 and message in body["errors"][0]["msg"]


def test_same_read_auth_as_the_api(server_factory: Callable[..., LiveServer]) -> None:
    live = server_factory(env={"TRACEBRIDGE_READ_TOKENS": "jaeger-token"})
    url = live.api + "/jaeger/api/services"
    assert httpx.get(url).status_code == 401
    assert httpx.get(url, headers={"Authorization": "Bearer wrong"}).status_code == 403
    assert httpx.get(url, headers={"Authorization": "Bearer jaeger-token"}).json()["data"] == []
    signed_in = httpx.post(live.api + "/signin", data={"token": "jaeger-token"})
    cookie = (
        signed_in.history[0].cookies[COOKIE_NAME] if signed_in.history else signed_in.cookies[COOKIE_NAME]
    )
    assert httpx.get(url, cookies={COOKIE_NAME: cookie}).status_code == 200
