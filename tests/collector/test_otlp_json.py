"""OTLP/JSON as the specification defines it, in the forms real SDKs send it: hex ids in either
case, 64-bit integers as strings or numbers, enums as integers, unknown fields, chunked bodies."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import httpx

from tests.conftest import LiveServer


def body(trace_id: str, span_id: str, start: Any, end: Any) -> dict[str, Any]:
    return {
        "resourceSpans": [
            {
                "resource": {
                    "attributes": [
                        {"key": "service.name", "value": {"stringValue": "ShopApp"}},
                        {"key": "os.name", "value": {"stringValue": "iOS"}},
                        {"key": "telemetry.sdk.language", "value": {"stringValue": "swift"}},
                    ],
                    "droppedAttributesCount": 0,
                    "someFutureField": {"x": 1},
                },
                "scopeSpans": [
                    {
                        "scope": {"name": "NSURLSession", "version": "0.0.1"},
                        "spans": [
                            {
                                "traceId": trace_id,
                                "spanId": span_id,
                                "parentSpanId": "",
                                "name": "HTTP GET",
                                "kind": 3,
                                "startTimeUnixNano": start,
                                "endTimeUnixNano": end,
                                "attributes": [
                                    {"key": "http.method", "value": {"stringValue": "GET"}},
                                    {"key": "http.status_code", "value": {"intValue": "200"}},
                                    {"key": "http.response.body.size", "value": {"intValue": 512}},
                                    {"key": "ratio", "value": {"doubleValue": 2.0}},
                                    {"key": "ok", "value": {"boolValue": True}},
                                    {"key": "blob", "value": {"bytesValue": "AAH+/w=="}},
                                    {"key": "empty", "value": {}},
                                    {
                                        "key": "list",
                                        "value": {
                                            "arrayValue": {
                                                "values": [
                                                    {"stringValue": "a"},
                                                    {"intValue": "7"},
                                                    {"doubleValue": 1.5},
                                                    {"boolValue": False},
                                                    {"doubleValue": 3.0},
                                                    {
                                                        "arrayValue": {
                                                            "values": [
                                                                {"intValue": 1},
                                                                {"stringValue": "deep"},
                                                            ]
                                                        }
                                                    },
                                                ]
                                            }
                                        },
                                    },
                                    {
                                        "key": "map",
                                        "value": {
                                            "kvlistValue": {
                                                "values": [
                                                    {"key": "k", "value": {"stringValue": "v"}},
                                                    {"key": "n", "value": {"intValue": "3"}},
                                                    {
                                                        "key": "nested",
                                                        "value": {
                                                            "kvlistValue": {
                                                                "values": [
                                                                    {
                                                                        "key": "inner",
                                                                        "value": {"boolValue": True},
                                                                    }
                                                                ]
                                                            }
                                                        },
                                                    },
                                                ]
                                            }
                                        },
                                    },
                                    {
                                        "key": "session.id",
                                        "value": {"stringValue": "7FA44127-48BE-438D-913A-B233C315D4F7"},
                                    },
                                ],
                                "status": {"code": 2, "message": "boom"},
                                "unknownSpanField": "ignored",
                            }
                        ],
                    }
                ],
            }
        ]
    }


def new_ids() -> tuple[str, str]:
    return os.urandom(16).hex(), os.urandom(8).hex()


def fetch(server: LiveServer, trace_id: str) -> dict[str, Any]:
    server.wait_for(lambda: server.get(f"/api/v1/traces/{trace_id}").status_code == 200)
    document: dict[str, Any] = server.get(f"/api/v1/traces/{trace_id}").json()
    return document


def test_every_anyvalue_kind_reads_back_typed(server: LiveServer) -> None:
    trace_id, span_id = new_ids()
    response = server.post(
        "/v1/traces",
        json.dumps(
            body(trace_id.upper(), span_id.upper(), "1756505799262493184", 1756505799822271744)
        ).encode(),
        "application/json",
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == {}
    span = fetch(server, trace_id)["spans"][0]
    assert span["span_id"] == span_id
    assert span["kind"] == "client"
    assert span["side"] == "client"
    assert span["start_time_unix_nano"] == 1756505799262493184
    assert span["end_time_unix_nano"] == 1756505799822271744
    assert span["status_code"] == "error" and span["status_message"] == "boom"
    attrs = span["attributes"]
    assert attrs["http.status_code"] == 200 and isinstance(attrs["http.status_code"], int)
    assert attrs["http.response.body.size"] == 512
    assert attrs["ratio"] == 2.0 and isinstance(attrs["ratio"], float)
    assert attrs["ok"] is True
    assert attrs["blob"] == "AAH+/w=="
    assert attrs["empty"] is None
    assert attrs["list"] == ["a", 7, 1.5, False, 3.0, [1, "deep"]]
    assert isinstance(attrs["list"][4], float)
    assert attrs["map"] == {"k": "v", "n": 3, "nested": {"inner": True}}
    assert span["scope"] == {"name": "NSURLSession", "version": "0.0.1"}


def test_chunked_json_body_is_read_whole(server: LiveServer) -> None:
    """The OpenTelemetry JS exporters send every OTLP/HTTP body with Transfer-Encoding: chunked."""
    trace_id, span_id = new_ids()
    payload = json.dumps(
        body(trace_id, span_id, 1_700_000_000_000_000_000, 1_700_000_000_500_000_000)
    ).encode()

    def chunks() -> Iterator[bytes]:
        for i in range(0, len(payload), 100):
            yield payload[i : i + 100]

    response = httpx.post(
        server.otlp_http + "/v1/traces", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 200
    assert fetch(server, trace_id)["spans"][0]["duration_ns"] == 500_000_000


def test_invalid_items_are_rejected_through_partial_success(server: LiveServer) -> None:
    trace_id, span_id = new_ids()
    document = body(trace_id, span_id, 10, 20)
    spans = document["resourceSpans"][0]["scopeSpans"][0]["spans"]
    good = spans[0]
    spans.append({**good, "spanId": os.urandom(8).hex(), "traceId": "00" * 16})  # all-zero trace id
    spans.append({**good, "spanId": "abcd"})  # 2-byte span id
    spans.append({**good, "spanId": os.urandom(8).hex(), "startTimeUnixNano": 30})  # ends before it starts
    spans.append({**good, "spanId": "zz" * 8})  # not hex
    response = server.post("/v1/traces", json.dumps(document).encode(), "application/json")
    assert response.status_code == 200
    partial = response.json()["partialSuccess"]
    assert int(partial["rejectedSpans"]) == 4
    assert "trace_id" in partial["errorMessage"]
    got = fetch(server, trace_id)
    assert [s["span_id"] for s in got["spans"]] == [span_id]


def test_protobuf_partial_success_in_protobuf(server: LiveServer) -> None:
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceRequest,
        ExportTraceServiceResponse,
    )

    from tests.telemetry import BASE_TIME, android_resource, span, traces_request

    good = span(os.urandom(16), os.urandom(8), "ok", BASE_TIME, BASE_TIME + 5)
    bad = span(os.urandom(16), b"\x01\x02", "bad", BASE_TIME, BASE_TIME + 5)
    request: ExportTraceServiceRequest = traces_request([(android_resource(), [good, bad])])
    response = server.post("/v1/traces", request.SerializeToString())
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/x-protobuf"
    answer = ExportTraceServiceResponse.FromString(response.content)
    assert answer.partial_success.rejected_spans == 1
    assert answer.partial_success.error_message


def test_logs_json_accepted(server: LiveServer) -> None:
    trace_id, span_id = new_ids()
    document = {
        "resourceLogs": [
            {
                "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "svc"}}]},
                "scopeLogs": [
                    {
                        "scope": {"name": "x"},
                        "logRecords": [
                            {
                                "timeUnixNano": "1544712660300000000",
                                "severityNumber": 17,
                                "traceId": trace_id.upper(),
                                "spanId": span_id,
                                "eventName": "app.crash",
                                "body": {"stringValue": "crash"},
                            },
                            {"timeUnixNano": 1544712660300000000, "traceId": "1234"},
                        ],
                    }
                ],
            }
        ]
    }
    response = server.post("/v1/logs", json.dumps(document).encode(), "application/json")
    assert response.status_code == 200
    assert int(response.json()["partialSuccess"]["rejectedLogRecords"]) == 1
