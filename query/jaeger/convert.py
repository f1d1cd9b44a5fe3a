"""OpenTelemetry spans as stored -> Jaeger's JSON model (pure functions), following the
OpenTelemetry Collector's Jaeger translator:

- tags: ``otel.scope.name`` / ``otel.scope.version`` (when set), the span attributes, ``span.kind``
  (every kind but unspecified, lowercase), ``otel.status_code`` ("OK"/"ERROR", not when unset),
  ``error`` = true (bool) on error, ``otel.status_description`` (when set), ``w3c.tracestate``
  (when set). Attribute types map to string, bool, int64, float64 and binary (base64 text);
  arrays and key-value lists become their JSON text, as the translator's ``AsString`` does.
- references: the parent as CHILD_OF first; each link after it, CHILD_OF when the link carries
  ``opentracing.ref_type = child_of``, else FOLLOWS_FROM; a link to the parent itself only sets
  the parent reference's type.
- logs: one per event at its time; the field ``event`` = the event's name (unless an ``event``
  attribute is there), then the event's attributes.
- processes: one per distinct (service.name, other resource attributes), keyed p1, p2, ... in
  order of first use; a resource without ``service.name`` is "OTLPResourceNoServiceName".
- times and durations in microseconds (truncated); trace ids whose upper 64 bits are zero are
  printed as 16 hex digits, as Jaeger prints them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tracebridge.query.jaeger.model import KeyValue, Log, Process, Reference, RefType, Span, Trace
from tracebridge.store.attributes import ARRAY, BOOL, BYTES, DOUBLE, INT, KVLIST, decode_value

NO_SERVICE_NAME = "OTLPResourceNoServiceName"
KIND_TAGS = {
    "Server": "server",
    "Client": "client",
    "Producer": "producer",
    "Consumer": "consumer",
    "Internal": "internal",
}
STATUS_TAGS = {"Error": "ERROR", "Ok": "OK"}


@dataclass(frozen=True)
class AttributeSet:
    """One stored attribute set: keys, value texts and one type digit per key (store.attributes)."""

    keys: tuple[str, ...]
    texts: tuple[str, ...]
    types: str

    @classmethod
    def of(cls, keys: Sequence[str], texts: Sequence[str], types: str) -> AttributeSet:
        return cls(tuple(keys), tuple(texts), types)

    def text(self, key: str) -> str | None:
        for k, t in zip(self.keys, self.texts, strict=False):
            if k == key:
                return t
        return None


@dataclass(frozen=True)
class SourceEvent:
    time_ns: int
    name: str
    attributes: AttributeSet


@dataclass(frozen=True)
class SourceLink:
    trace_id: str
    span_id: str
    attributes: AttributeSet


@dataclass(frozen=True)
class SourceSpan:
    """A stored span with what the Jaeger model shows (read by ``jaeger_queries.TRACE_SPANS``)."""

    trace_id: str
    span_id: str
    parent_span_id: str
    trace_state: str
    name: str
    kind: str
    service_name: str
    start_ns: int
    duration_ns: int
    status_code: str
    status_message: str
    scope_name: str
    scope_version: str
    attributes: AttributeSet
    resource: AttributeSet
    events: tuple[SourceEvent, ...]
    links: tuple[SourceLink, ...]


def source_span(row: Mapping[str, Any]) -> SourceSpan:
    """A ``jaeger_queries.TRACE_SPANS`` row (``StoreReader.jaeger_trace_spans``) as a SourceSpan."""
    events = tuple(
        SourceEvent(int(t), name, AttributeSet.of(keys, texts, types))
        for t, name, keys, texts, types in zip(
            row["EventTimes"],
            row["EventNames"],
            row["EventKeys"],
            row["EventTexts"],
            row["EventTypes"],
            strict=False,
        )
    )
    links = tuple(
        SourceLink(tid, sid, AttributeSet.of(keys, texts, types))
        for tid, sid, keys, texts, types in zip(
            row["LinkTraceIds"],
            row["LinkSpanIds"],
            row["LinkKeys"],
            row["LinkTexts"],
            row["LinkTypes"],
            strict=False,
        )
    )
    return SourceSpan(
        trace_id=row["TraceId"],
        span_id=row["SpanId"],
        parent_span_id=row["ParentSpanId"],
        trace_state=row["TraceState"],
        name=row["SpanName"],
        kind=row["SpanKind"],
        service_name=row["ServiceName"],
        start_ns=int(row["StartNs"]),
        duration_ns=int(row["Duration"]),
        status_code=row["StatusCode"],
        status_message=row["StatusMessage"],
        scope_name=row["ScopeName"],
        scope_version=row["ScopeVersion"],
        attributes=AttributeSet.of(row["SpanKeys"], row["SpanTexts"], row["SpanTypes"]),
        resource=AttributeSet.of(row["ResourceKeys"], row["ResourceTexts"], row["ResourceTypes"]),
        events=events,
        links=links,
    )


def jaeger_trace_id(trace_id: str) -> str:
    """Jaeger's spelling of a 32-hex trace id: 16 hex digits when the upper half is zero."""
    return trace_id[16:] if len(trace_id) == 32 and trace_id[:16] == "0" * 16 else trace_id


def tag(key: str, text: str, kind: str) -> KeyValue:
    """One stored attribute (text and type digit) as a typed Jaeger tag."""
    try:
        if kind == BOOL:
            return KeyValue(key, "bool", text == "true")
        if kind == INT:
            return KeyValue(key, "int64", int(text))
        if kind == DOUBLE:
            return KeyValue(key, "float64", float(text))
    except ValueError:
        return KeyValue(key, "string", text)
    if kind == BYTES:
        return KeyValue(key, "binary", text)
    if kind in (ARRAY, KVLIST):
        return KeyValue(
            key, "string", json.dumps(decode_value(text, kind), ensure_ascii=False, separators=(",", ":"))
        )
    return KeyValue(key, "string", text)


def tags(attributes: AttributeSet, skip: str = "") -> list[KeyValue]:
    """Typed tags of an attribute set in stored order (a key without a type digit is a string)."""
    types = attributes.types
    return [
        tag(key, text, types[i] if i < len(types) else "1")
        for i, (key, text) in enumerate(zip(attributes.keys, attributes.texts, strict=False))
        if key != skip
    ]


def span_tags(span: SourceSpan) -> list[KeyValue]:
    out: list[KeyValue] = []
    if span.scope_name:
        out.append(KeyValue("otel.scope.name", "string", span.scope_name))
    if span.scope_version:
        out.append(KeyValue("otel.scope.version", "string", span.scope_version))
    out.extend(tags(span.attributes))
    if span.kind in KIND_TAGS:
        out.append(KeyValue("span.kind", "string", KIND_TAGS[span.kind]))
    if span.status_code in STATUS_TAGS:
        out.append(KeyValue("otel.status_code", "string", STATUS_TAGS[span.status_code]))
    if span.status_code == "Error":
        out.append(KeyValue("error", "bool", True))
    if span.status_message:
        out.append(KeyValue("otel.status_description", "string", span.status_message))
    if span.trace_state:
        out.append(KeyValue("w3c.tracestate", "string", span.trace_state))
    return out


def _link_ref_type(link: SourceLink) -> RefType:
    return "CHILD_OF" if link.attributes.text("opentracing.ref_type") == "child_of" else "FOLLOWS_FROM"


def references(span: SourceSpan) -> list[Reference]:
    out: list[Reference] = []
    if span.parent_span_id:
        out.append(Reference("CHILD_OF", jaeger_trace_id(span.trace_id), span.parent_span_id))
    for link in span.links:
        ref_type = _link_ref_type(link)
        if span.parent_span_id and (link.trace_id, link.span_id) == (span.trace_id, span.parent_span_id):
            out[0] = Reference(ref_type, out[0].trace_id, out[0].span_id)
            continue
        out.append(Reference(ref_type, jaeger_trace_id(link.trace_id), link.span_id))
    return out


def logs(span: SourceSpan) -> list[Log]:
    out = []
    for event in span.events:
        fields = []
        if event.name and event.attributes.text("event") is None:
            fields.append(KeyValue("event", "string", event.name))
        fields.extend(tags(event.attributes))
        out.append(Log(event.time_ns // 1000, fields))
    return out


def process(span: SourceSpan) -> Process:
    return Process(span.service_name or NO_SERVICE_NAME, tags(span.resource, skip="service.name"))


def to_trace(spans: Sequence[SourceSpan]) -> Trace:
    """One trace (all spans share a trace id; at least one span), spans by start then id."""
    ordered = sorted(spans, key=lambda s: (s.start_ns, s.span_id))
    keys: dict[tuple[str, tuple[KeyValue, ...]], str] = {}
    processes: dict[str, Process] = {}
    out: list[Span] = []
    for source in ordered:
        proc = process(source)
        identity = (proc.service_name, tuple(proc.tags))
        if identity not in keys:
            keys[identity] = f"p{len(keys) + 1}"
            processes[keys[identity]] = proc
        out.append(
            Span(
                trace_id=jaeger_trace_id(source.trace_id),
                span_id=source.span_id,
                operation_name=source.name,
                references=references(source),
                start_time=source.start_ns // 1000,
                duration=source.duration_ns // 1000,
                tags=span_tags(source),
                logs=logs(source),
                process_id=keys[identity],
            )
        )
    return Trace(jaeger_trace_id(ordered[0].trace_id), out, processes)


def service_label(stored: str) -> str:
    """The service name Jaeger shows for a stored ``ServiceName``."""
    return stored or NO_SERVICE_NAME


def stored_service(label: str) -> str:
    """Inverse of ``service_label``."""
    return "" if label == NO_SERVICE_NAME else label
