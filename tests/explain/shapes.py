"""OTLP payloads shaped like the SDKs issue 14 reads, built from scratch for the live tests.

- a web app on opentelemetry-js (sdk-trace-web resource, ``@opentelemetry/instrumentation-fetch``
  scope, CLIENT span ``HTTP GET`` with old HTTP semconv and one event per resource-timing field);
- an Android app whose OkHttp spans carry Sentry's listener durations as attributes;
- an Android app emitting ``http.client.network_timing`` log records in its span's context;
- a backend behind an edge tier (``tracebridge.tier=edge``) that caches product reads.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from tests.telemetry import (
    MS,
    android_resource,
    backend_resource,
    log_record,
    logs_request,
    new_span_id,
    new_trace_id,
    span,
    traces_request,
)


def web_resource(session_id: str) -> dict[str, Any]:
    return {
        "service.name": "shop-web",
        "service.version": "5.1.0",
        "telemetry.sdk.language": "webjs",
        "telemetry.sdk.name": "opentelemetry",
        "telemetry.sdk.version": "1.28.0",
        "browser.platform": "macOS",
        "browser.mobile": False,
        "browser.language": "en-US",
        "user_agent.original": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7)",
        "session.id": session_id,
    }


@dataclass
class Call:
    """One client request with optional edge hop; times in ns relative to ``start``."""

    start: int
    client_ns: int
    origin_ns: int | None
    edge_ns: int | None = None
    route: str = "/products/{id}"
    events: Sequence[tuple[str, int, dict[str, Any]]] = ()
    attributes: dict[str, Any] = field(default_factory=dict)
    client_id: bytes = field(default_factory=new_span_id)
    edge_id: bytes = field(default_factory=new_span_id)
    origin_id: bytes = field(default_factory=new_span_id)


def client_span(trace_id: bytes, call: Call, web: bool) -> Any:
    if web:
        attrs: dict[str, Any] = {
            "http.method": "GET",
            "http.url": "https://shop.example.com/api/products/7",
            "http.status_code": 200,
            "http.host": "shop.example.com",
            "http.scheme": "https",
            "http.response_content_length": 5321,
        }
        name = "HTTP GET"
    else:
        attrs = {
            "http.request.method": "GET",
            "url.full": "https://api.example.com/products/7",
            "server.address": "api.example.com",
            "http.response.status_code": 200,
            "network.connection.type": "cell",
        }
        name = "GET"
    attrs.update(call.attributes)
    return span(
        trace_id,
        call.client_id,
        name,
        call.start,
        call.start + call.client_ns,
        kind="client",
        attributes=attrs,
        events=call.events,
    )


def backend_groups(trace_id: bytes, call: Call) -> list[tuple[dict[str, Any], list[Any]]]:
    groups: list[tuple[dict[str, Any], list[Any]]] = []
    parent = call.client_id
    if call.edge_ns is not None:
        e_start = call.start + (call.client_ns - call.edge_ns) // 2
        edge_spans = [
            span(
                trace_id,
                call.edge_id,
                "GET",
                e_start,
                e_start + call.edge_ns,
                parent=call.client_id,
                kind="server",
                attributes={
                    "http.request.method": "GET",
                    "url.path": "/products/7",
                    "http.route": call.route,
                },
            )
        ]
        if call.origin_ns is not None:
            fetch_id = new_span_id()
            edge_spans.append(
                span(
                    trace_id,
                    fetch_id,
                    "GET",
                    e_start + MS,
                    e_start + call.edge_ns - MS,
                    parent=call.edge_id,
                    kind="client",
                    attributes={"http.request.method": "GET"},
                )
            )
            parent = fetch_id
        groups.append((backend_resource("edge-cache", **{"tracebridge.tier": "edge"}), edge_spans))
    if call.origin_ns is not None:
        o_start = call.start + (call.client_ns - call.origin_ns) // 2
        origin = span(
            trace_id,
            call.origin_id,
            f"GET {call.route}",
            o_start,
            o_start + call.origin_ns,
            parent=parent,
            kind="server",
            attributes={
                "http.request.method": "GET",
                "http.route": call.route,
                "http.response.status_code": 200,
            },
        )
        groups.append((backend_resource("catalog"), [origin]))
    return groups


def request_payloads(
    resource: dict[str, Any], call: Call, web: bool = False, scope: str = "io.opentelemetry.okhttp-3.0"
) -> tuple[bytes, Any, Any]:
    """(trace id, client ExportTraceServiceRequest, backend ExportTraceServiceRequest)."""
    trace_id = new_trace_id()
    client = traces_request([(resource, [client_span(trace_id, call, web)])], scope=scope)
    backend = traces_request(backend_groups(trace_id, call), scope="opentelemetry.instrumentation.fastapi")
    return trace_id, client, backend


def network_timing_log(resource: dict[str, Any], trace_id: bytes, call: Call) -> Any:
    """The proposed OTel event as opentelemetry-java-instrumentation's OkHttp draft emits it:
    a log record in the span's context, unix-ms attributes, event name on the record."""
    ms = call.start // MS
    attributes = {
        "http.call.start_time": ms,
        "http.dns.start_time": ms + 2,
        "http.dns.end_time": ms + 40,
        "http.connect.start_time": ms + 40,
        "http.secure_connect.start_time": ms + 70,
        "http.secure_connect.end_time": ms + 150,
        "http.connect.end_time": ms + 150,
        "http.request.headers.start_time": ms + 151,
        "http.request.headers.end_time": ms + 152,
        "http.response.headers.start_time": ms + 152,
        "http.response.headers.end_time": ms + 752,
        "http.response.body.start_time": ms + 752,
        "http.response.body.end_time": ms + 800,
        "http.call.end_time": ms + 800,
    }
    record = log_record(
        call.start + call.client_ns + 5 * MS,
        event_name="http.client.network_timing",
        attributes=attributes,
        trace_id=trace_id,
        span_id=call.client_id,
    )
    return logs_request([(resource, [record])], scope="io.opentelemetry.okhttp-3.0")


def android(session_id: str) -> dict[str, Any]:
    return android_resource(session_id=session_id)
