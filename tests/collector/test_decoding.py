"""Pure decoding functions: content types, bounded gunzip, OTLP/JSON ids."""

from __future__ import annotations

import gzip
import json

import pytest

from tracebridge.collector.decoding import JSON, PROTOBUF, decode, gunzip_bounded, media_type
from tracebridge.domain import Signal
from tracebridge.ingest.errors import MalformedRequest, PayloadTooLarge, UnsupportedMediaType


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("application/x-protobuf", PROTOBUF),
        ("application/json; charset=utf-8", JSON),
        ("Application/JSON", JSON),
        ("application/protobuf", PROTOBUF),
    ],
)
def test_media_types(header: str, expected: str) -> None:
    assert media_type(header) == expected


@pytest.mark.parametrize("header", [None, "", "text/plain", "application/grpc"])
def test_unsupported_media_types(header: str | None) -> None:
    with pytest.raises(UnsupportedMediaType):
        media_type(header)


def test_gunzip_bounded_stops_at_limit() -> None:
    data = gzip.compress(b"a" * 10_000)
    assert gunzip_bounded(data, 10_000) == b"a" * 10_000
    with pytest.raises(PayloadTooLarge):
        gunzip_bounded(data, 9_999)
    with pytest.raises(MalformedRequest):
        gunzip_bounded(data[:-10], 20_000)
    with pytest.raises(MalformedRequest):
        gunzip_bounded(b"plain", 100)


def test_json_ids_any_case_and_ints_either_way() -> None:
    body = {
        "resourceSpans": [
            {
                "scopeSpans": [
                    {
                        "spans": [
                            {
                                "traceId": "5B8EFFF798038103D269B633813FC60C",
                                "spanId": "eee19b7ec3c1b174",
                                "name": "a",
                                "startTimeUnixNano": 5,
                                "endTimeUnixNano": "6",
                                "kind": 2,
                            },
                        ]
                    }
                ]
            }
        ]
    }
    validated = decode(Signal.TRACES, json.dumps(body).encode(), JSON)
    assert (validated.accepted, validated.rejected) == (1, 0)
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

    span = ExportTraceServiceRequest.FromString(validated.payload).resource_spans[0].scope_spans[0].spans[0]
    assert span.trace_id.hex() == "5b8efff798038103d269b633813fc60c"
    assert (span.start_time_unix_nano, span.end_time_unix_nano, span.kind) == (5, 6, 2)


def test_valid_protobuf_is_stored_as_sent() -> None:
    from tests.telemetry import BASE_TIME, android_resource, span, traces_request

    request = traces_request(
        [(android_resource(), [span(b"\x01" * 16, b"\x02" * 8, "s", BASE_TIME, BASE_TIME)])]
    )
    raw = request.SerializeToString()
    assert decode(Signal.TRACES, raw, PROTOBUF).payload is raw
