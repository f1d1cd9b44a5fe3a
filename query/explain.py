"""Explain each gap of a trace or session (network phases, edge hop) and its queued work.

A ``GapContext`` holds, for some traces, what explaining their gaps needs beyond the spans: the
OkHttp-style phase attributes of client request spans, the ``http.client.network_timing`` log
records, which backend spans run on an edge tier, and the spans that consumed their messages.
``trace_context`` builds it for a trace document, whose full spans already carry every attribute
(only the log records, read concurrently by the caller, and the consumers are read);
``session_context`` for lean spans of the trace index, with the gap facts table (migration 0016)
read concurrently by the caller. A ``GapExplainer`` then adds ``phases`` and ``edge`` to each gap
as it is built and, behind an edge tier, makes the origin span the gap's server (the contract's
rule); ``queued_messages`` is the document's ``queued[]`` (see ``queued.py``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from tracebridge.query.edge import SpanTree, edge_hop, is_edge_resource
from tracebridge.query.explain_models import Edge, Phases
from tracebridge.query.explain_models import QueuedMessage as QueuedModel
from tracebridge.query.phases import (
    NETWORK_TIMING_EVENT,
    OKHTTP_ATTRIBUTES,
    request_phases,
    timing_records_by_span,
)
from tracebridge.query.queued import ConsumerSpan, queued_work
from tracebridge.store.reader import StoreReader
from tracebridge.store.rows import STATUS_NAMES, GapFacts, NetworkTimingLog, StoredSpan


@dataclass(frozen=True)
class GapContext:
    """What explaining the gaps of some traces needs beyond their spans."""

    phase_attributes: Mapping[tuple[str, str], Mapping[str, Any]] = field(default_factory=dict)
    timing: Mapping[tuple[str, str], NetworkTimingLog] = field(default_factory=dict)
    edge_ids: frozenset[str] = frozenset()
    consumers: Mapping[tuple[str, str], Sequence[ConsumerSpan]] = field(default_factory=dict)


def timing_records(reader: StoreReader, trace_ids: Sequence[str]) -> list[NetworkTimingLog]:
    """The network-timing log records of these traces (otel_logs has a bloom index on TraceId)."""
    return reader.network_timing(list(trace_ids), NETWORK_TIMING_EVENT) if trace_ids else []


def gap_facts(reader: StoreReader, trace_ids: Sequence[str]) -> list[GapFacts]:
    """The gap facts of these traces' spans (only spans that have some are stored)."""
    return reader.gap_facts(list(trace_ids)) if trace_ids else []


def session_timing_records(reader: StoreReader, session_id: str) -> list[NetworkTimingLog]:
    """``timing_records`` of the traces of a session (read by session id, no trace-id list)."""
    return reader.session_network_timing(session_id, NETWORK_TIMING_EVENT)


def session_gap_facts(reader: StoreReader, session_id: str) -> list[GapFacts]:
    """``gap_facts`` of the traces of a session (read by session id, no trace-id list)."""
    return reader.session_gap_facts(session_id)


def edge_span_ids(facts: Sequence[GapFacts]) -> frozenset[str]:
    """The backend spans whose resource the edge-tier rule calls edge."""
    return frozenset(f.span_id for f in facts if f.tier_attributes and is_edge_resource(f.tier_attributes))


def _consumers(reader: StoreReader, spans: Sequence[StoredSpan]) -> dict[tuple[str, str], list[ConsumerSpan]]:
    """The spans linking to the PRODUCER spans among ``spans`` (one read, only when there are any;
    the links table is ordered by the span linked to)."""
    producers = [s for s in spans if s.kind == "producer"]
    consumers: dict[tuple[str, str], list[ConsumerSpan]] = defaultdict(list)
    if not producers:
        return consumers
    trace_ids = sorted({s.trace_id for s in producers})
    for r in reader.linked_consumers(trace_ids, [s.span_id for s in producers]):
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
    return consumers


def trace_context(
    reader: StoreReader, spans: Sequence[StoredSpan], records: Sequence[NetworkTimingLog]
) -> GapContext:
    """The context of a trace document from its full spans (their span attributes hold the phase
    attributes, their resource attributes the edge-tier keys) and its ``timing_records``."""
    edge_ids = frozenset(
        s.span_id for s in spans if s.side == "backend" and is_edge_resource(s.resource_attributes)
    )
    return GapContext({}, timing_records_by_span(records), edge_ids, _consumers(reader, spans))


def session_context(
    reader: StoreReader,
    spans: Sequence[StoredSpan],
    facts: Sequence[GapFacts],
    records: Sequence[NetworkTimingLog],
) -> GapContext:
    """The context of lean spans (the trace index) from their ``gap_facts`` and ``timing_records``."""
    attributes: dict[tuple[str, str], dict[str, str]] = {}
    for f in facts:
        phase = {k: v for k, v in f.phase_attributes.items() if k in OKHTTP_ATTRIBUTES}
        if phase:
            attributes[(f.trace_id, f.span_id)] = phase
    return GapContext(
        attributes,
        timing_records_by_span(records),
        edge_span_ids(facts),
        _consumers(reader, spans),
    )


def with_phase_attributes(span: StoredSpan, context: GapContext) -> StoredSpan:
    """A lean client span with the phase attributes its gap facts hold (the trace index has none)."""
    extra = context.phase_attributes.get((span.trace_id, span.span_id))
    if not extra or all(k in span.attributes for k in extra):
        return span
    return replace(span, attributes={**extra, **span.attributes})


class GapExplainer:
    """Explains the gaps of some spans as they are built (``gaps.gap_entries``), so a document's
    gaps are made once, not built and then copied: ``phases`` and ``edge``, and behind an edge tier
    the origin span as the gap's server (``server_span_id``, the same attempt in ``attempts``,
    durations, gap, name, service, route)."""

    def __init__(self, spans: Sequence[StoredSpan], context: GapContext) -> None:
        self.tree = SpanTree(spans)
        self.context = context

    def __call__(self, gap: dict[str, Any]) -> dict[str, Any]:
        """The fields of one ``Gap`` (as ``gap_entries`` makes them) with the explanation added;
        ``gap`` itself when there is none (``phases`` and ``edge`` default to None)."""
        tree, context = self.tree, self.context
        client = tree.get(gap["trace_id"], gap["client_span_id"])
        if client is None:
            return gap
        client = with_phase_attributes(client, context)
        phases = request_phases(client, context.timing.get((client.trace_id, client.span_id)))
        server = tree.get(gap["trace_id"], gap["server_span_id"])
        hop = None if server is None else edge_hop(client, server, tree, context.edge_ids)
        if phases is None and hop is None:
            return gap
        out = {
            **gap,
            "phases": None if phases is None else Phases.model_validate(phases.to_json()),
            "edge": None if hop is None else Edge.model_validate(hop.to_json()),
        }
        origin = None if hop is None else hop.origin
        if origin is not None and origin.span_id != gap["server_span_id"]:
            route = origin.attributes.get("http.route")
            skew = gap["clock_skew_ns"] or 0
            out |= {
                "server_span_id": origin.span_id,
                "attempts": [origin.span_id if a == gap["server_span_id"] else a for a in gap["attempts"]],
                "server_duration_ns": origin.duration_ns,
                "gap_ns": client.duration_ns - origin.duration_ns,
                "server_name": origin.name,
                "service_name": origin.service_name,
                "server_start_time_unix_nano": origin.start_time_unix_nano,
                "adjusted_server_start_time_unix_nano": origin.start_time_unix_nano - skew,
            }
            if isinstance(route, str) and route:
                out["route"] = route
        return out


def queued_messages(spans: Sequence[StoredSpan], context: GapContext) -> list[QueuedModel]:
    """The document's ``queued[]``: the messages these spans produced and their consumers."""
    return [QueuedModel.model_validate(m.to_json()) for m in queued_work(spans, context.consumers)]
