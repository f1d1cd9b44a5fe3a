"""``GET /api/v1/latency?phases=true``: phase percentiles and edge-served share per latency row.

The requests of a row are the latency API's (client requests that reached the backend, same
filters, same group key). For each, the phases come from ``phases.request_phases`` (the one
mapping the trace view uses) and the edge hop from ``edge.edge_hop``; a phase's ``count``,
``p50_ms`` and ``p99_ms`` are over the requests of the row that recorded it (exact, linear
interpolation between closest ranks: ``domain.exact_percentile``, the rule of ClickHouse's
``quantilesExactInclusive`` that the latency columns use). ``edge_served_share`` is the fraction
of the row's requests answered at an edge tier with no origin span below it.

Cost: one read of the newest requests with their key under every group-by (so one sample serves
several group-bys: ``phase_sample`` then ``with_phases``); their client request spans from the
narrow trace index, their gap facts (the OkHttp attributes) and their network-timing log records,
all by the requests' ids, the way a session's gaps read them; and the lean spans of the traces
that touched an edge tier.

Bounded: the phases and ``edge_served_share`` are over the newest ``MAX_PHASE_REQUESTS`` requests
under the filters (each is a span built in Python: ~50 us, so 1M requests would take a minute);
the document's ``phases_truncated`` says whether more matched, ``phase_requests_limit`` is the
bound. The latency columns themselves are always over every request.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tracebridge.domain import exact_percentile
from tracebridge.query.edge_answers import edge_candidates, origins_of, request_hops
from tracebridge.query.errors import BadRequest
from tracebridge.query.explain import gap_facts, session_context, with_phase_attributes
from tracebridge.query.explain_models import PhaseStats
from tracebridge.query.filters import GROUP_BY_CHOICES, LatencyFilters, latency_filters_of
from tracebridge.query.models import Latency
from tracebridge.query.phases import NETWORK_TIMING_EVENT, Phases, request_phases
from tracebridge.query.units import ms
from tracebridge.store.reader import PHASE_GROUPS, StoreReader
from tracebridge.store.rows import KeyedRequest

MAX_PHASE_REQUESTS = 20_000
ROW_PHASES = ("stall", "dns", "connect", "tls", "request", "wait", "download", "after_response")
# The latency API's group-bys are the ones the store keys phases by.
assert set(PHASE_GROUPS) == set(GROUP_BY_CHOICES)


def parse_phases_flag(value: str | None) -> bool:
    """``phases=true|false`` (also 1/0); absent is false; anything else a 400 naming it."""
    if value is None:
        return False
    lowered = value.strip().lower()
    if lowered in ("true", "1"):
        return True
    if lowered in ("false", "0"):
        return False
    raise BadRequest(f"invalid parameter 'phases': {value!r} is not true or false")


def phase_stats(values: Sequence[int]) -> dict[str, Any]:
    if not values:
        return {"count": 0, "p50_ms": None, "p99_ms": None}
    return {
        "count": len(values),
        "p50_ms": ms(exact_percentile(values, 0.5)),
        "p99_ms": ms(exact_percentile(values, 0.99)),
    }


@dataclass(frozen=True)
class PhaseSample:
    """The phases of the newest ``MAX_PHASE_REQUESTS`` requests under some latency filters, read
    once and grouped by any group-by (``with_phases``): the requests with their keys, each one's
    phases (None: no client span or no phase recorded), those served at an edge tier, and whether
    more requests matched than the bound."""

    requests: Sequence[KeyedRequest]
    phases: Mapping[tuple[str, str], Phases | None]
    served: frozenset[tuple[str, str]]
    truncated: bool


def phase_sample(reader: StoreReader, filters: LatencyFilters) -> PhaseSample:
    """Read the sample: the requests (one read, every group-by's key), their client spans, gap
    facts and network-timing records (by the requests' ids), and the edge hops of the candidate
    traces."""
    hops = request_hops(reader, edge_candidates(reader, vars(filters)))
    # One more than the bound, to know whether it cut anything (the newest come first).
    found = reader.phase_requests(vars(filters), origins_of(hops), limit=MAX_PHASE_REQUESTS + 1)
    requests = found[:MAX_PHASE_REQUESTS]
    ids = [(r.trace_id, r.client_span_id) for r in requests]
    # The client spans from the trace index with their gap facts, as a session's gaps get them.
    spans = reader.indexed_request_spans(ids)
    trace_ids = sorted({trace_id for trace_id, _ in ids})
    records = reader.network_timing(trace_ids, NETWORK_TIMING_EVENT) if ids else []
    context = session_context(reader, spans, gap_facts(reader, trace_ids), records)
    by_id = {(s.trace_id, s.span_id): with_phase_attributes(s, context) for s in spans}
    phases = {
        request: None
        if (span := by_id.get(request)) is None
        else request_phases(span, context.timing.get(request))
        for request in ids
    }
    served = frozenset(request for request, (_, hop) in hops.items() if hop.served_at_edge)
    return PhaseSample(requests, phases, served, len(found) > MAX_PHASE_REQUESTS)


def with_phases(document: Latency, sample: PhaseSample) -> Latency:
    """The latency document with ``phases`` and ``edge_served_share`` on every row, from the
    sample's requests keyed by the document's group-by (pure)."""
    group_by = document.group_by
    values: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    counts: dict[str, int] = defaultdict(int)
    served_counts: dict[str, int] = defaultdict(int)
    for request in sample.requests:
        key = request.keys[group_by]
        ids = (request.trace_id, request.client_span_id)
        counts[key] += 1
        served_counts[key] += ids in sample.served
        phases = sample.phases.get(ids)
        if phases is None:
            continue
        for phase in ROW_PHASES:
            value = phases.get(phase)
            if value is not None:
                values[key][phase].append(value)
    rows = []
    for row in document.rows:
        key = row.key
        share = round(served_counts[key] / counts[key], 6) if counts.get(key) else 0.0
        stats = {phase: PhaseStats.model_validate(phase_stats(values[key][phase])) for phase in ROW_PHASES}
        rows.append(row.model_copy(update={"phases": stats, "edge_served_share": share}))
    return document.model_copy(
        update={
            "rows": rows,
            "phase_requests_limit": MAX_PHASE_REQUESTS,
            "phases_truncated": sample.truncated,
        }
    )


def add_phase_percentiles(
    reader: StoreReader, document: Latency, params: LatencyFilters | Mapping[str, str]
) -> Latency:
    """The latency document with ``phases`` and ``edge_served_share`` on every row."""
    return with_phases(document, phase_sample(reader, latency_filters_of(params)))
