"""Mobile request traces with known durations and clock offsets, for the query tests.

A ``Request`` describes one HTTP call made by the app: when it starts on the device clock, how
long the client saw it take, where inside it the server worked and for how long, and how far the
backend clock is from the device clock. ``build`` turns a screen span with such requests into the
client and backend OTLP requests that real SDKs would send (client spans on the device clock,
backend spans on the backend clock).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from tests.conftest import LiveServer
from tests.telemetry import MS, SECOND, backend_resource, new_span_id, new_trace_id, span, traces_request

MINUTE = 60 * SECOND


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@dataclass
class Request:
    """One app request. Times in ns; ``server_offset`` is where the server span starts inside the
    client span (device clock); ``skew`` is backend clock minus device clock."""

    start: int
    client_ns: int
    server_ns: int | None
    server_offset: int = 0
    skew: int = 0
    route: str = "/orders/{id}"
    path: str = "/orders/42"
    method: str = "GET"
    status: int = 200
    server_status: int | None = None
    service: str = "orders"
    extra_servers: Sequence[tuple[int, int]] = ()  # retried attempts: (offset, duration)
    proxy: bool = False
    client_attributes: dict[str, Any] = field(default_factory=dict)
    events: Sequence[tuple[str, int, dict[str, Any]]] = ()
    client_id: bytes = field(default_factory=new_span_id)
    server_ids: list[bytes] = field(default_factory=list)
    db_id: bytes = field(default_factory=new_span_id)
    proxy_id: bytes = field(default_factory=new_span_id)


@dataclass
class BuiltTrace:
    trace_id: bytes
    root_id: bytes
    client: Any  # ExportTraceServiceRequest
    backend: Any
    requests: list[Request]

    @property
    def hex(self) -> str:
        return self.trace_id.hex()


def build(
    resource: dict[str, Any],
    start: int,
    duration: int,
    requests: Sequence[Request],
    screen: str = "CheckoutScreen",
    scope: str = "io.opentelemetry.okhttp-3.0",
) -> BuiltTrace:
    trace_id = new_trace_id()
    root_id = new_span_id()
    client_spans = [
        span(trace_id, root_id, screen, start, start + duration, attributes={"screen.name": screen})
    ]
    backend_groups: dict[str, list[Any]] = {}
    for req in requests:
        attrs = {
            "http.request.method": req.method,
            "url.full": f"https://api.example.com{req.path}?lang=en",
            "server.address": "api.example.com",
            "http.response.status_code": req.status,
            "network.connection.type": "wifi",
            **req.client_attributes,
        }
        client_spans.append(
            span(
                trace_id,
                req.client_id,
                req.method,
                req.start,
                req.start + req.client_ns,
                parent=root_id,
                kind="client",
                attributes=attrs,
                events=req.events,
                error=None if req.status < 500 else f"HTTP {req.status}",
            )
        )
        if req.server_ns is None:
            continue
        attempts = [(req.server_offset, req.server_ns), *req.extra_servers]
        while len(req.server_ids) < len(attempts):
            req.server_ids.append(new_span_id())
        spans = backend_groups.setdefault(req.service, [])
        parent = req.client_id
        if req.proxy:
            first = min(o for o, _ in attempts)
            last = max(o + d for o, d in attempts)
            p_start = req.start + first - 1 * MS + req.skew
            spans.append(
                span(
                    trace_id,
                    req.proxy_id,
                    "gateway route",
                    p_start,
                    req.start + last + 1 * MS + req.skew,
                    parent=req.client_id,
                    kind="internal",
                    attributes={"component": "proxy"},
                )
            )
            parent = req.proxy_id
        for index, (offset, server_ns) in enumerate(attempts):
            s_start = req.start + offset + req.skew
            status = req.server_status if req.server_status is not None else req.status
            if index < len(attempts) - 1 and req.extra_servers:
                status = 503
            spans.append(
                span(
                    trace_id,
                    req.server_ids[index],
                    f"{req.method} {req.route}",
                    s_start,
                    s_start + server_ns,
                    parent=parent,
                    kind="server",
                    attributes={
                        "http.request.method": req.method,
                        "http.route": req.route,
                        "url.path": req.path,
                        "http.response.status_code": status,
                    },
                    error=None if status < 500 else "upstream failed",
                )
            )
            if index == 0:
                spans.append(
                    span(
                        trace_id,
                        req.db_id,
                        "SELECT orders",
                        s_start + server_ns // 4,
                        s_start + server_ns // 2,
                        parent=req.server_ids[0],
                        kind="client",
                        attributes={"db.system": "postgresql"},
                    )
                )
    client = traces_request([(resource, client_spans)], scope=scope)
    backend = traces_request(
        [(backend_resource(service), spans) for service, spans in backend_groups.items()],
        scope="opentelemetry.instrumentation.fastapi",
    )
    return BuiltTrace(trace_id, root_id, client, backend, list(requests))


def send(server: LiveServer, message: Any) -> None:
    if not message.resource_spans:
        return
    response = server.post("/v1/traces", message.SerializeToString())
    assert response.status_code == 200, response.text


def span_count(built: BuiltTrace) -> int:
    return sum(
        len(ss.spans)
        for msg in (built.client, built.backend)
        for rs in msg.resource_spans
        for ss in rs.scope_spans
    )


def wait_trace(server: LiveServer, built: BuiltTrace, spans: int | None = None) -> dict[str, Any]:
    """The trace document once ``spans`` (default: all) of its spans are queryable."""
    want = span_count(built) if spans is None else spans
    found: dict[str, Any] = {}

    def ready() -> bool:
        response = server.get(f"/api/v1/traces/{built.hex}")
        if response.status_code == 200 and len(response.json()["spans"]) == want:
            found.update(response.json())
            return True
        return False

    server.wait_for(ready)
    return found


def wait_stored(server: LiveServer) -> None:
    """Wait until every export the server acknowledged is stored: its insert returned, so the
    spans are in ``otel_traces`` *and* in every table its materialized views fill (trace index,
    session index, request pairs). Not "until the views agree": until nothing is in flight."""
    server.wait_for(lambda: server.get("/healthz").json()["backlog_items"] == 0)


def ingest(server: LiveServer, built: BuiltTrace) -> dict[str, Any]:
    """Send the client spans, then the backend spans (two exports, as a device and a backend
    do); the trace document once both are stored."""
    send(server, built.client)
    send(server, built.backend)
    wait_stored(server)
    return wait_trace(server, built)


def gap_for(document: dict[str, Any], req: Request, attempt_index: int = 0) -> dict[str, Any]:
    gaps = [g for g in document["gaps"] if g["client_span_id"] == req.client_id.hex()]
    assert gaps, f"no gap for client span {req.client_id.hex()}"
    return gaps[attempt_index]


def by_id(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["span_id"]: s for s in document["spans"]}


def poll_json(
    server: LiveServer, path: str, check: Callable[[dict[str, Any]], bool], **params: Any
) -> dict[str, Any]:
    found: dict[str, Any] = {}
    last: list[str] = []

    def ready() -> bool:
        response = server.get(path, **params)
        last[:] = [f"{response.status_code} {response.text[:2000]}"]
        if response.status_code == 200 and check(response.json()):
            found.update(response.json())
            return True
        return False

    try:
        server.wait_for(ready)
    except AssertionError:
        raise AssertionError(f"{path} {params}: last answer {last}") from None
    return found
