"""The OpenTelemetry-to-Jaeger mapping on its own (pure functions, no store)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tracebridge.query.jaeger.convert import (
    NO_SERVICE_NAME,
    AttributeSet,
    SourceEvent,
    SourceLink,
    SourceSpan,
    jaeger_trace_id,
    tag,
    to_trace,
)
from tracebridge.query.jaeger.model import KeyValue
from tracebridge.store.attributes import to_stored

TRACE = "0af7651916cd43dd8448eb211c80319c"
NONE = AttributeSet((), (), "")


def attrs(**values: object) -> AttributeSet:
    keys, texts, types = to_stored(values)
    return AttributeSet.of(keys, texts, types)


def make(span_id: str = "b7ad6b7169203331", **changes: object) -> SourceSpan:
    base = SourceSpan(
        trace_id=TRACE,
        span_id=span_id,
        parent_span_id="",
        trace_state="",
        name="GET /cart",
        kind="Server",
        service_name="orders",
        start_ns=1_764_000_000_123_456_789,
        duration_ns=25_000_999,
        status_code="Unset",
        status_message="",
        scope_name="",
        scope_version="",
        attributes=NONE,
        resource=attrs(**{"service.name": "orders", "host.name": "orders-1"}),
        events=(),
        links=(),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_attribute_types_become_typed_tags() -> None:
    assert tag("s", "x", "1") == KeyValue("s", "string", "x")
    assert tag("b", "true", "2") == KeyValue("b", "bool", True)
    assert tag("i", "-42", "3") == KeyValue("i", "int64", -42)
    assert tag("d", "2.5", "4") == KeyValue("d", "float64", 2.5)
    assert tag("y", "AAE=", "7") == KeyValue("y", "binary", "AAE=")
    assert tag("e", "", "0") == KeyValue("e", "string", "")
    stored = attrs(arr=["a", 1, True], kv={"k": {"n": 2.5}})
    converted = [tag(k, t, ty) for k, t, ty in zip(stored.keys, stored.texts, stored.types, strict=True)]
    assert converted == [
        KeyValue("arr", "string", '["a",1,true]'),
        KeyValue("kv", "string", '{"k":{"n":2.5}}'),
    ]
    # beyond JavaScript's safe integers Jaeger sends int64 values as text
    assert KeyValue("big", "int64", 2**60).to_json() == {"key": "big", "type": "int64", "value": str(2**60)}
    assert KeyValue("ok", "int64", 2**53 - 1).to_json()["value"] == 2**53 - 1


def test_span_fields_tags_and_times() -> None:
    span = make(
        scope_name="io.opentelemetry.okhttp-3.0",
        scope_version="2.10.0",
        attributes=attrs(**{"http.status_code": 500}),
        status_code="Error",
        status_message="boom",
        trace_state="vendor=1",
    )
    (out,) = to_trace([span]).spans
    assert out.start_time == 1_764_000_000_123_456 and out.duration == 25_000  # truncated to µs
    assert [(t.key, t.value) for t in out.tags] == [
        ("otel.scope.name", "io.opentelemetry.okhttp-3.0"),
        ("otel.scope.version", "2.10.0"),
        ("http.status_code", 500),
        ("span.kind", "server"),
        ("otel.status_code", "ERROR"),
        ("error", True),
        ("otel.status_description", "boom"),
        ("w3c.tracestate", "vendor=1"),
    ]
    assert next(t for t in out.tags if t.key == "error").type == "bool"


@pytest.mark.parametrize(
    ("kind", "status", "expected"),
    [
        ("Unspecified", "Unset", []),
        ("Internal", "Ok", [("span.kind", "internal"), ("otel.status_code", "OK")]),
        ("Client", "Unset", [("span.kind", "client")]),
        ("Producer", "Unset", [("span.kind", "producer")]),
        ("Consumer", "Unset", [("span.kind", "consumer")]),
    ],
)
def test_kind_and_status_tags(kind: str, status: str, expected: list[tuple[str, str]]) -> None:
    (out,) = to_trace([make(kind=kind, status_code=status)]).spans
    assert [(t.key, t.value) for t in out.tags] == expected


def test_parent_and_links_become_references() -> None:
    other_trace = "00000000000000000000000000000abc"
    span = make(
        parent_span_id="00f067aa0ba902b7",
        links=(
            SourceLink(other_trace, "1111111111111111", NONE),
            SourceLink(TRACE, "2222222222222222", attrs(**{"opentracing.ref_type": "child_of"})),
            SourceLink(TRACE, "3333333333333333", attrs(**{"opentracing.ref_type": "follows_from"})),
        ),
    )
    refs = [r.to_json() for r in to_trace([span]).spans[0].references]
    assert refs == [
        {"refType": "CHILD_OF", "traceID": TRACE, "spanID": "00f067aa0ba902b7"},
        {"refType": "FOLLOWS_FROM", "traceID": "0000000000000abc", "spanID": "1111111111111111"},
        {"refType": "CHILD_OF", "traceID": TRACE, "spanID": "2222222222222222"},
        {"refType": "FOLLOWS_FROM", "traceID": TRACE, "spanID": "3333333333333333"},
    ]
    # a link to the parent itself only sets the parent reference's type
    to_parent = make(
        parent_span_id="00f067aa0ba902b7",
        links=(SourceLink(TRACE, "00f067aa0ba902b7", attrs(**{"opentracing.ref_type": "follows_from"})),),
    )
    assert [r.ref_type for r in to_trace([to_parent]).spans[0].references] == ["FOLLOWS_FROM"]


def test_events_become_logs() -> None:
    span = make(
        events=(
            SourceEvent(1_764_000_000_200_000_999, "exception", attrs(**{"exception.type": "IOException"})),
            SourceEvent(1_764_000_000_300_000_000, "named", attrs(event="from-attribute", n=3)),
            SourceEvent(1_764_000_000_400_000_000, "", NONE),
        )
    )
    logs = [log.to_json() for log in to_trace([span]).spans[0].logs]
    assert logs[0] == {
        "timestamp": 1_764_000_000_200_000,
        "fields": [
            {"key": "event", "type": "string", "value": "exception"},
            {"key": "exception.type", "type": "string", "value": "IOException"},
        ],
    }
    assert logs[1]["fields"] == [
        {"key": "event", "type": "string", "value": "from-attribute"},
        {"key": "n", "type": "int64", "value": 3},
    ]
    assert logs[2] == {"timestamp": 1_764_000_000_400_000, "fields": []}


def test_processes_are_shared_per_resource() -> None:
    phone = attrs(**{"service.name": "shop-android", "os.name": "Android", "device.id": "d1"})
    trace = to_trace(
        [
            make("0000000000000003", start_ns=3),
            make("0000000000000001", start_ns=1, service_name="shop-android", resource=phone),
            make("0000000000000002", start_ns=2),
            make("0000000000000004", start_ns=4, service_name="", resource=attrs(**{"host.name": "x"})),
        ]
    )
    assert [s.span_id for s in trace.spans] == [f"000000000000000{n}" for n in (1, 2, 3, 4)]
    assert [s.process_id for s in trace.spans] == ["p1", "p2", "p2", "p3"]
    as_json = trace.to_json()["processes"]
    assert as_json["p1"] == {
        "serviceName": "shop-android",
        "tags": [
            {"key": "os.name", "type": "string", "value": "Android"},
            {"key": "device.id", "type": "string", "value": "d1"},
        ],
    }
    assert as_json["p2"]["serviceName"] == "orders"
    assert as_json["p3"] == {
        "serviceName": NO_SERVICE_NAME,
        "tags": [{"key": "host.name", "type": "string", "value": "x"}],
    }


def test_trace_ids_as_jaeger_prints_them() -> None:
    assert jaeger_trace_id(TRACE) == TRACE
    assert jaeger_trace_id("0000000000000000" + "00f067aa0ba902b7") == "00f067aa0ba902b7"
