"""Scenario builders for the crash tests: a session's requests through client and backend, crash
records as the mobile SDKs shape them, and polling helpers. Everything goes over real OTLP."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tests.conftest import LiveServer
from tests.telemetry import (
    MS,
    backend_resource,
    logs_request,
    new_span_id,
    new_trace_id,
    span,
    traces_request,
)

DAY = 86_400 * 1_000_000_000


def uid(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


@dataclass(frozen=True)
class Request:
    trace_id: str
    client_span_id: str
    server_span_id: str | None
    start: int
    client_duration: int
    server_duration: int | None
    status: int
    route: str


def request_spans(
    start: int,
    *,
    session_id: str,
    route: str = "/api/cart/{cartId}",  # the client URL templates to /api/cart/{id}
    path: str = "/api/cart/7",
    status: int = 200,
    client_ms: int = 300,
    server_ms: int = 120,
    reaches_backend: bool = True,
    network: str = "wifi",
) -> tuple[Request, list[Any], list[Any]]:
    """One client request (OkHttp-style CLIENT span, new HTTP semconv) and its backend SERVER span."""
    trace_id, client_id, server_id = new_trace_id(), new_span_id(), new_span_id()
    client_attrs = {
        "session.id": session_id,
        "http.request.method": "GET",
        "url.full": f"https://api.shop.example{path}",
        "server.address": "api.shop.example",
        "http.response.status_code": status,
        "network.connection.type": network,
    }
    client = [
        span(
            trace_id,
            client_id,
            "GET",
            start,
            start + client_ms * MS,
            kind="client",
            attributes=client_attrs,
            error=str(status) if status >= 500 else None,
        )
    ]
    server = []
    if reaches_backend:
        server_start = start + (client_ms - server_ms) * MS // 2
        server.append(
            span(
                trace_id,
                server_id,
                f"GET {route}",
                server_start,
                server_start + server_ms * MS,
                parent=client_id,
                kind="server",
                attributes={
                    "http.request.method": "GET",
                    "http.route": route,
                    "http.response.status_code": status,
                },
                error="upstream inventory timeout" if status >= 500 else None,
            )
        )
    request = Request(
        trace_id.hex(),
        client_id.hex(),
        server_id.hex() if reaches_backend else None,
        start,
        client_ms * MS,
        server_ms * MS if reaches_backend else None,
        status,
        route,
    )
    return request, client, server


def post_requests(
    server: LiveServer, resource: Mapping[str, Any], requests: list[tuple[Request, list[Any], list[Any]]]
) -> list[Request]:
    client_spans = [s for _, c, _ in requests for s in c]
    backend_spans = [s for _, _, b in requests for s in b]
    body = traces_request([(resource, client_spans), (backend_resource(), backend_spans)])
    response = server.post("/v1/traces", body.SerializeToString())
    assert response.status_code == 200, response.text
    return [r for r, _, _ in requests]


def post_logs(
    server: LiveServer, resource: Mapping[str, Any], records: list[Any], scope: str = "io.opentelemetry.crash"
) -> None:
    response = server.post("/v1/logs", logs_request([(resource, records)], scope=scope).SerializeToString())
    assert response.status_code == 200, response.text


def crashes(server: LiveServer, **params: Any) -> list[dict[str, Any]]:
    response = server.get("/api/v1/crashes", **params)
    assert response.status_code == 200, response.text
    result: list[dict[str, Any]] = response.json()["crashes"]
    return result


def wait_crashes(server: LiveServer, count: int, **params: Any) -> list[dict[str, Any]]:
    """Poll GET /api/v1/crashes with ``params`` until it lists ``count`` crashes."""
    found: list[dict[str, Any]] = []

    def ready() -> bool:
        nonlocal found
        found = crashes(server, **params)
        return len(found) >= count

    server.wait_for(ready)
    return found


def crash_doc(server: LiveServer, crash_id: str, **params: Any) -> dict[str, Any]:
    response = server.get(f"/api/v1/crashes/{crash_id}", **params)
    assert response.status_code == 200, response.text
    document: dict[str, Any] = response.json()
    return document
