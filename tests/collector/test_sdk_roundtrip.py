"""The real OpenTelemetry Python SDK exporters (OTLP/HTTP protobuf and OTLP/gRPC, plain and gzip)
send to a live ``tracebridge serve``; every span reads back equal through the API."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter as GrpcSpanExporter
from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter as HttpSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.trace import Link, SpanContext, SpanKind, Status, StatusCode, TraceFlags

from tests.conftest import LiveServer

RESOURCE = {
    "service.name": "shop-android",
    "service.version": "3.2.1",
    "os.name": "Android",
    "os.version": "14",
    "telemetry.sdk.language": "java",
    "device.model.name": "Pixel 7",
    "device.id": "device-42",
    "android.os.api_level": 34,
}
ATTRIBUTES: dict[str, Any] = {
    "http.request.method": "GET",
    "url.full": "https://api.example.com/orders/1234?expand=items",
    "http.response.status_code": 503,
    "network.connection.type": "cell",
    "network.connection.subtype": "lte",
    "session.id": "6b2c1c0e-5f1e-4e43-9d7d-2a4bb1a0c9f1",
    "retry.ratio": 0.25,
    "cache.hit": False,
    "tags": ["checkout", "beta"],
    "attempts": [1, 2, 3],
    "weights": [0.5, 1.5],
    "flags": [True, False],
    "payload.digest": b"\x00\x01\xfe\xff",
}


class Recorder(SimpleSpanProcessor):
    """Keeps every finished span as the SDK exported it, to compare with what comes back."""

    def __init__(self, exporter: Any) -> None:
        super().__init__(exporter)
        self.finished: list[ReadableSpan] = []

    def on_end(self, span: ReadableSpan) -> None:
        self.finished.append(span)
        super().on_end(span)


def emit(exporter: Any) -> list[ReadableSpan]:
    provider = TracerProvider(resource=Resource.create(RESOURCE))
    recorder = Recorder(exporter)
    provider.add_span_processor(recorder)
    tracer = provider.get_tracer("io.opentelemetry.okhttp-3.0", "2.10.0")
    other = SpanContext(
        trace_id=0x0AF7651916CD43DD8448EB211C80319C,
        span_id=0xB7AD6B7169203331,
        is_remote=True,
        trace_flags=TraceFlags(1),
    )
    with tracer.start_as_current_span("app start", kind=SpanKind.INTERNAL) as root:
        root.set_attribute("screen.name", "Home")
        with tracer.start_as_current_span(
            "GET /orders/{id}",
            kind=SpanKind.CLIENT,
            attributes=ATTRIBUTES,
            links=[Link(other, {"link.reason": "retry-of", "link.n": 2})],
        ) as client:
            client.add_event("dns.done", {"dns.ms": 12, "dns.cached": True, "dns.server": "8.8.8.8"})
            client.add_event("response.headers")
            client.set_status(Status(StatusCode.ERROR, "HTTP 503"))
        with tracer.start_as_current_span("render", kind=SpanKind.PRODUCER) as render:
            render.set_status(Status(StatusCode.OK))
    provider.shutdown()
    return recorder.finished


def expected_value(value: Any) -> Any:
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, tuple | list):
        return [expected_value(v) for v in value]
    return value


def assert_round_trip(server: LiveServer, sent: list[ReadableSpan]) -> None:
    trace_id = format(sent[0].context.trace_id, "032x")
    assert all(format(s.context.trace_id, "032x") == trace_id for s in sent)

    def complete() -> bool:
        response = server.get(f"/api/v1/traces/{trace_id}")
        return response.status_code == 200 and len(response.json()["spans"]) == len(sent)

    server.wait_for(complete)
    document = server.get(f"/api/v1/traces/{trace_id}").json()
    assert document["trace_id"] == trace_id
    assert document["session_id"] is None or document["session_id"] == ATTRIBUTES["session.id"]
    by_id = {s["span_id"]: s for s in document["spans"]}
    for span in sent:
        got = by_id[format(span.context.span_id, "016x")]
        assert got["name"] == span.name
        assert got["kind"] == span.kind.name.lower()
        assert got["side"] == "client"
        assert got["service_name"] == "shop-android"
        assert got["parent_span_id"] == (format(span.parent.span_id, "016x") if span.parent else None)
        assert got["start_time_unix_nano"] == span.start_time
        assert got["end_time_unix_nano"] == span.end_time
        assert got["duration_ns"] == span.end_time - span.start_time
        assert (
            got["status_code"]
            == {"UNSET": "unset", "OK": "ok", "ERROR": "error"}[span.status.status_code.name]
        )
        assert got["status_message"] == (span.status.description or "")
        assert got["attributes"] == {k: expected_value(v) for k, v in (span.attributes or {}).items()}
        for key, value in RESOURCE.items():
            assert got["resource_attributes"][key] == value
        assert [e["name"] for e in got["events"]] == [e.name for e in span.events]
        for got_event, event in zip(got["events"], span.events, strict=True):
            assert got_event["time_unix_nano"] == event.timestamp
            assert got_event["attributes"] == dict(event.attributes or {})
        assert len(got["links"]) == len(span.links)
        for got_link, link in zip(got["links"], span.links, strict=True):
            assert got_link["trace_id"] == format(link.context.trace_id, "032x")
            assert got_link["span_id"] == format(link.context.span_id, "016x")
            assert got_link["attributes"] == dict(link.attributes or {})
    client = next(s for s in sent if s.name == "GET /orders/{id}")
    types = {type(v) for v in by_id[format(client.context.span_id, "016x")]["attributes"].values()}
    assert {str, int, float, bool, list} <= types


@pytest.mark.parametrize("compression", [Compression.NoCompression, Compression.Gzip])
def test_http_protobuf_exporter_round_trip(server: LiveServer, compression: Compression) -> None:
    sent = emit(HttpSpanExporter(endpoint=server.otlp_http + "/v1/traces", compression=compression))
    assert len(sent) == 3
    assert_round_trip(server, sent)


@pytest.mark.parametrize("compression", [None, "gzip"])
def test_grpc_exporter_round_trip(server: LiveServer, compression: str | None) -> None:
    import grpc

    grpc_compression = grpc.Compression.Gzip if compression else None
    sent = emit(GrpcSpanExporter(endpoint=server.otlp_grpc, insecure=True, compression=grpc_compression))
    assert_round_trip(server, sent)


def test_derived_correlation_columns_visible_in_api(server: LiveServer) -> None:
    """The normalized facts the joins use come from the SDK's resource and attributes."""
    sent = emit(HttpSpanExporter(endpoint=server.otlp_http + "/v1/traces"))
    trace_id = format(sent[0].context.trace_id, "032x")
    server.wait_for(lambda: server.get(f"/api/v1/traces/{trace_id}").status_code == 200)
    document = server.get(f"/api/v1/traces/{trace_id}").json()
    assert document["session_id"] == ATTRIBUTES["session.id"]


def test_unknown_trace_is_404_and_malformed_is_400(server: LiveServer) -> None:
    assert server.get("/api/v1/traces/" + "ab" * 16).status_code == 404
    assert server.get("/api/v1/traces/xyz").status_code == 400
    assert server.get("/api/v1/traces/" + "0" * 32).status_code == 400


def test_uppercase_trace_id_in_url_is_accepted(server: LiveServer) -> None:
    sent = emit(HttpSpanExporter(endpoint=server.otlp_http + "/v1/traces"))
    trace_id = format(sent[0].context.trace_id, "032x")
    server.wait_for(lambda: server.get(f"/api/v1/traces/{trace_id.upper()}").status_code == 200)


HealthCheck = Callable[[], httpx.Response]


def test_healthz_needs_no_credentials(server_factory: Callable[..., LiveServer]) -> None:
    live = server_factory(env={"TRACEBRIDGE_READ_TOKENS": "secret-token"})
    response = httpx.get(live.api + "/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["store"] == "ok" and body["writer"] == "running"
