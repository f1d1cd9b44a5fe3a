"""Explain each gap of a trace or session (network phases, edge hop) and its queued work.

``read_gap_context`` fetches, for some traces, what the span reads of a trace or session
document do not carry: the OkHttp-style phase attributes of client request spans, the
``http.client.network_timing`` log records, and which backend spans run on an edge tier (their
resource attributes). ``explain_trace`` / ``explain_session`` then add ``phases`` and ``edge`` to
each gap and, behind an edge tier, make the origin span the gap's server (the contract's rule),
and set the document's ``queued[]`` (see ``queued.py``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from tracebridge.query.edge import SpanTree, edge_hop, is_edge_resource
from tracebridge.query.explain_models import Edge, Phases
from tracebridge.query.explain_models import QueuedMessage as QueuedModel
from tracebridge.query.models import Gap, Session, Trace
from tracebridge.query.phases import (
    NETWORK_TIMING_EVENT,
    OKHTTP_ATTRIBUTES,
    request_phases,
    timing_records_by_span,
)
from tracebridge.query.queued import ConsumerSpan, queued_work
from tracebridge.store.reader import StoreReader
from tracebridge.store.rows import STATUS_NAMES, NetworkTimingLog, StoredSpan


@dataclass(frozen=True)
class GapContext:
    """What explaining the gaps of some traces needs beyond their spans."""

    phase_attributes: Mapping[tuple[str, str], Mapping[str, Any]] = field(default_factory=dict)
    timing: Mapping[tuple[str, str], NetworkTimingLog] = field(default_factory=dict)
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
        (r.trace_id, r.span_id): r.attributes for r in reader.phase_attributes(ids, OKHTTP_ATTRIBUTES)
    }
    edge_ids = frozenset(r.span_id for r in reader.edge_resources(ids) if is_edge_resource(r.attributes))
    records = reader.network_timing(ids, NETWORK_TIMING_EVENT)
    consumers: dict[tuple[str, str], list[ConsumerSpan]] = defaultdict(list)
    if producer_ids:
        for r in reader.linked_consumers(ids, producer_ids):
            consumers[(r.linked_trace_id, r.linked_span_id)].append(
                ConsumerSpan(
                    r.trace_id,
                    r.span_id,
                    r.name,
                    r.service_name,
                    r.start_ns,
                    r.duration_ns,
                    STATUS_NAMES.get(r.status_code, "unset"),
                )
            )
    return GapContext(attributes, timing_records_by_span(records), edge_ids, consumers)


def _with_phase_attributes(span: StoredSpan, context: GapContext) -> StoredSpan:
    extra = context.phase_attributes.get((span.trace_id, span.span_id))
    if not extra or all(k in span.attributes for k in extra):
        return span
    return replace(span, attributes={**extra, **span.attributes})


def explain_gap(gap: Gap, tree: SpanTree, context: GapContext) -> Gap:
    """The gap with ``phases`` and ``edge``; behind an edge tier the origin span becomes its server
    (``server_span_id``, the same attempt in ``attempts``, durations, gap, name, service, route)."""
    client = tree.get(gap.trace_id, gap.client_span_id)
    if client is None:
        return gap
    client = _with_phase_attributes(client, context)
    phases = request_phases(client, context.timing.get((client.trace_id, client.span_id)))
    server = tree.get(gap.trace_id, gap.server_span_id)
    hop = None if server is None else edge_hop(client, server, tree, context.edge_ids)
    update: dict[str, Any] = {
        "phases": None if phases is None else Phases.model_validate(phases.to_json()),
        "edge": None if hop is None else Edge.model_validate(hop.to_json()),
    }
    origin = None if hop is None else hop.origin
    if origin is not None and origin.span_id != gap.server_span_id:
        route = origin.attributes.get("http.route")
        skew = gap.clock_skew_ns or 0
        update |= {
            "server_span_id": origin.span_id,
            "attempts": [origin.span_id if a == gap.server_span_id else a for a in gap.attempts],
            "server_duration_ns": origin.duration_ns,
            "gap_ns": client.duration_ns - origin.duration_ns,
            "server_name": origin.name,
            "service_name": origin.service_name,
            "server_start_time_unix_nano": origin.start_time_unix_nano,
            "adjusted_server_start_time_unix_nano": origin.start_time_unix_nano - skew,
        }
        if isinstance(route, str) and route:
            update["route"] = route
    return gap.model_copy(update=update)


def _queued(spans: Sequence[StoredSpan], context: GapContext) -> list[QueuedModel]:
    return [QueuedModel.model_validate(m.to_json()) for m in queued_work(spans, context.consumers)]


def explain_trace(trace: Trace, spans: Sequence[StoredSpan], context: GapContext) -> Trace:
    """A trace document with its gaps explained and its ``queued[]``."""
    tree = SpanTree(spans)
    return trace.model_copy(
        update={
            "gaps": [explain_gap(g, tree, context) for g in trace.gaps],
            "queued": _queued(spans, context),
        }
    )


def explain_session(session: Session, spans: Sequence[StoredSpan], context: GapContext) -> Session:
    """A session document with every trace's gaps explained and the session's ``queued[]``."""
    tree = SpanTree(spans)
    traces = [
        t.model_copy(update={"gaps": [explain_gap(g, tree, context) for g in t.gaps]}) for t in session.traces
    ]
    return session.model_copy(update={"traces": traces, "queued": _queued(spans, context)})


def read_document_context(reader: StoreReader, spans: Sequence[StoredSpan]) -> GapContext:
    """``read_gap_context`` for the traces of these spans and the messages they produced."""
    trace_ids = sorted({s.trace_id for s in spans})
    producers = [s.span_id for s in spans if s.kind == "producer"]
    return read_gap_context(reader, trace_ids, producers)
