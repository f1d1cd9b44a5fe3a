"""Explain each gap of a trace or session (network phases, edge hop) and its queued work.

``read_gap_context`` fetches, for some traces, what the span reads of a trace or session
document do not carry: the OkHttp-style phase attributes of client request spans, the
``http.client.network_timing`` log records, and which backend spans run on an edge tier (their
resource attributes). ``explain_gaps`` then adds ``phases`` and ``edge`` to each gap entry and,
behind an edge tier, makes the origin span the gap's server (the contract's rule);
``explain_document`` also sets the document's ``queued[]`` (see ``queued.py``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tracebridge.query.edge import SpanTree, edge_hop, is_edge_resource
from tracebridge.query.phases import (
    NETWORK_TIMING_EVENT,
    OKHTTP_ATTRIBUTES,
    NetworkTimingRecord,
    request_phases,
    timing_records_by_span,
)
from tracebridge.query.queued import ConsumerSpan, queued_work
from tracebridge.store.attributes import from_stored
from tracebridge.store.reader import StoreReader
from tracebridge.store.rows import STATUS_NAMES, StoredSpan

SELECT_PHASE_ATTRIBUTES = """
SELECT TraceId, SpanId, mapFilter((k, v) -> has({names:Array(String)}, k), SpanAttributes) AS PhaseAttributes
FROM otel_traces
WHERE TraceId IN {trace_ids:Array(String)} AND Side = 'client' AND SpanKind = 'Client'
  AND hasAny(mapKeys(SpanAttributes), {names:Array(String)})
LIMIT 1 BY TraceId, SpanId
"""

SELECT_EDGE_RESOURCES = """
SELECT TraceId, SpanId,
       mapFilter((k, v) -> k IN ('tracebridge.tier', 'cloud.platform') OR startsWith(k, 'faas.'),
                 ResourceAttributes) AS TierAttributes
FROM otel_traces
WHERE TraceId IN {trace_ids:Array(String)} AND Side = 'backend'
  AND (has(mapKeys(ResourceAttributes), 'tracebridge.tier') OR has(mapKeys(ResourceAttributes), 'cloud.platform')
       OR arrayExists(k -> startsWith(k, 'faas.'), mapKeys(ResourceAttributes)))
LIMIT 1 BY TraceId, SpanId
"""

SELECT_LINKED_CONSUMERS = """
SELECT LinkedTraceId, LinkedSpanId, TraceId, SpanId, SpanName, ServiceName,
       toUnixTimestamp64Nano(Timestamp) AS StartNs, Duration, StatusCode
FROM tracebridge_span_links
WHERE LinkedTraceId IN {trace_ids:Array(String)} AND LinkedSpanId IN {span_ids:Array(String)}
LIMIT 1 BY LinkedTraceId, LinkedSpanId, TraceId, SpanId
"""

SELECT_NETWORK_TIMING = """
SELECT TraceId, SpanId,
       toUnixTimestamp64Nano(if(Timestamp > toDateTime64(0, 9), Timestamp, ObservedTimestamp)) AS TimeNs,
       mapKeys(LogAttributes) AS Keys, mapValues(LogAttributes) AS TextValues, LogAttributeTypes
FROM otel_logs
WHERE TraceId IN {trace_ids:Array(String)} AND SpanId != ''
  AND (EventName = {event:String} OR LogAttributes['event.name'] = {event:String})
LIMIT 1 BY LogId
"""


@dataclass(frozen=True)
class GapContext:
    """What explaining the gaps of some traces needs beyond their spans."""

    phase_attributes: Mapping[tuple[str, str], Mapping[str, Any]] = field(default_factory=dict)
    timing: Mapping[tuple[str, str], NetworkTimingRecord] = field(default_factory=dict)
    edge_ids: frozenset[str] = frozenset()
    consumers: Mapping[tuple[str, str], Sequence[ConsumerSpan]] = field(default_factory=dict)


def read_gap_context(
    reader: StoreReader, trace_ids: Sequence[str], producer_ids: Sequence[str] = ()
) -> GapContext:
    """Three reads keyed by trace id (otel_traces is ordered by it; otel_logs has a bloom index),
    and one of the spans linking to the ``producer_ids`` (the links table is ordered by them)."""
    if not trace_ids:
        return GapContext()
    ids = list(trace_ids)
    attributes = {
        (r["TraceId"], r["SpanId"]): dict(r["PhaseAttributes"])
        for r in reader.rows(SELECT_PHASE_ATTRIBUTES, {"trace_ids": ids, "names": list(OKHTTP_ATTRIBUTES)})
    }
    edge_ids = frozenset(
        r["SpanId"]
        for r in reader.rows(SELECT_EDGE_RESOURCES, {"trace_ids": ids})
        if is_edge_resource(r["TierAttributes"])
    )
    records = [
        NetworkTimingRecord(
            r["TraceId"],
            r["SpanId"],
            int(r["TimeNs"]),
            from_stored(r["Keys"], r["TextValues"], r["LogAttributeTypes"]),
        )
        for r in reader.rows(SELECT_NETWORK_TIMING, {"trace_ids": ids, "event": NETWORK_TIMING_EVENT})
    ]
    consumers: dict[tuple[str, str], list[ConsumerSpan]] = defaultdict(list)
    if producer_ids:
        for r in reader.rows(SELECT_LINKED_CONSUMERS, {"trace_ids": ids, "span_ids": list(producer_ids)}):
            consumers[(r["LinkedTraceId"], r["LinkedSpanId"])].append(
                ConsumerSpan(
                    r["TraceId"],
                    r["SpanId"],
                    r["SpanName"],
                    r["ServiceName"],
                    int(r["StartNs"]),
                    int(r["Duration"]),
                    STATUS_NAMES.get(r["StatusCode"], "unset"),
                )
            )
    return GapContext(attributes, timing_records_by_span(records), edge_ids, consumers)


def _with_phase_attributes(span: StoredSpan, context: GapContext) -> StoredSpan:
    extra = context.phase_attributes.get((span.trace_id, span.span_id))
    if not extra or all(k in span.attributes for k in extra):
        return span
    from dataclasses import replace

    return replace(span, attributes={**extra, **span.attributes})


def explain_gaps(
    gaps: Sequence[MutableMapping[str, Any]], spans: Sequence[StoredSpan], context: GapContext
) -> None:
    """Add ``phases`` and ``edge`` to every gap entry (in place); behind an edge tier the origin
    span becomes the gap's server (``server_span_id``, durations, name, service)."""
    tree = SpanTree(spans)
    for gap in gaps:
        client = tree.get(gap["trace_id"], gap["client_span_id"])
        if client is None:
            gap.setdefault("phases", None)
            gap.setdefault("edge", None)
            continue
        client = _with_phase_attributes(client, context)
        record = context.timing.get((client.trace_id, client.span_id))
        phases = request_phases(client, record)
        gap["phases"] = None if phases is None else phases.to_json()
        server = tree.get(gap["trace_id"], gap.get("server_span_id"))
        hop = None if server is None else edge_hop(client, server, tree, context.edge_ids)
        gap["edge"] = None if hop is None else hop.to_json()
        if hop is not None and hop.origin is not None and hop.origin.span_id != gap["server_span_id"]:
            _serve_from(gap, client, hop.origin)


def _serve_from(gap: MutableMapping[str, Any], client: StoredSpan, origin: StoredSpan) -> None:
    gap["server_span_id"] = origin.span_id
    gap["server_duration_ns"] = origin.duration_ns
    gap["gap_ns"] = client.duration_ns - origin.duration_ns
    if "server_name" in gap:
        gap["server_name"] = origin.name
    if "service_name" in gap:
        gap["service_name"] = origin.service_name
    route = origin.attributes.get("http.route")
    if isinstance(route, str) and route:
        gap["route"] = route


def explain_document(
    document: MutableMapping[str, Any], spans: Sequence[StoredSpan], context: GapContext
) -> None:
    """``explain_gaps`` over a trace document's ``gaps`` or every trace of a session document,
    and the document's ``queued[]`` (the messages its spans produced)."""
    if "gaps" in document:
        explain_gaps(document["gaps"], spans, context)
    for trace in document.get("traces", []):
        explain_gaps(trace["gaps"], spans, context)
    document["queued"] = [m.to_json() for m in queued_work(spans, context.consumers)]


def read_document_context(reader: StoreReader, spans: Sequence[StoredSpan]) -> GapContext:
    """``read_gap_context`` for the traces of these spans and the messages they produced."""
    trace_ids = sorted({s.trace_id for s in spans})
    producers = [s.span_id for s in spans if s.kind == "producer"]
    return read_gap_context(reader, trace_ids, producers)
