"""``GET /api/v1/latency?phases=true``: phase percentiles and edge-served share per latency row.

The requests of a row are the latency API's (client requests that reached the backend, same
filters, same group key). For each, the phases come from ``phases.request_phases`` (the one
mapping the trace view uses) and the edge hop from ``edge.edge_hop``; a phase's ``count``,
``p50_ms`` and ``p99_ms`` are over the requests of the row that recorded it (exact, linear
interpolation between closest ranks: ``domain.exact_percentile``, the rule of ClickHouse's
``quantilesExactInclusive`` that the latency columns use). ``edge_served_share`` is the fraction
of the row's requests answered at an edge tier with no origin span below it.

Cost: one read of the row's client request spans (events and OkHttp attributes only),
one of the network-timing log records, and the lean spans of the traces that touched an edge
tier; all restricted to the row's requests by (TraceId, SpanId).

Bounded: the phases and ``edge_served_share`` are over the newest ``MAX_PHASE_REQUESTS`` requests
under the filters (each is a span built in Python: ~50 us, so 1M requests would take a minute);
the document's ``phases_truncated`` says whether more matched, ``phase_requests_limit`` is the
bound. The latency columns themselves are always over every request.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from tracebridge.domain import exact_percentile
from tracebridge.query.edge_answers import origins_of, request_hops
from tracebridge.query.errors import BadRequest
from tracebridge.query.explain_models import PhaseStats
from tracebridge.query.filters import GROUP_BY_CHOICES, LatencyFilters, parse_latency_filters
from tracebridge.query.models import Latency
from tracebridge.query.phases import (
    NETWORK_TIMING_EVENT,
    OKHTTP_ATTRIBUTES,
    request_phases,
    timing_records_by_span,
)
from tracebridge.query.units import ms
from tracebridge.store.reader import PAIR_FILTERS, PHASE_GROUPS, StoreReader

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


def add_phase_percentiles(
    reader: StoreReader, document: Latency, params: LatencyFilters | Mapping[str, str]
) -> Latency:
    """The latency document with ``phases`` and ``edge_served_share`` on every row."""
    filters = (
        params if isinstance(params, LatencyFilters) else parse_latency_filters(params, with_group_by=True)
    )
    hops = request_hops(reader, reader.edge_candidate_traces(vars(filters)))
    served = {request for request, (_, hop) in hops.items() if hop.served_at_edge}
    origins = origins_of(hops)
    sql_params = {name: getattr(filters, name) for name in PAIR_FILTERS}
    group_by = document.group_by
    # One more than the bound, to know whether it cut anything (the newest come first).
    requests = reader.phase_requests(group_by, sql_params, origins, limit=MAX_PHASE_REQUESTS + 1)
    truncated = len(requests) > MAX_PHASE_REQUESTS
    keys: dict[tuple[str, str], str] = {
        (r.trace_id, r.client_span_id): r.key for r in requests[:MAX_PHASE_REQUESTS]
    }
    spans = {
        (span.trace_id, span.span_id): span
        for span in reader.phase_client_spans(
            group_by, sql_params, OKHTTP_ATTRIBUTES, origins, limit=MAX_PHASE_REQUESTS
        )
    }
    records = timing_records_by_span(
        reader.phase_network_timing(
            group_by, sql_params, NETWORK_TIMING_EVENT, origins, limit=MAX_PHASE_REQUESTS
        )
    )

    values: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    counts: dict[str, int] = defaultdict(int)
    served_counts: dict[str, int] = defaultdict(int)
    for request, key in keys.items():
        counts[key] += 1
        served_counts[key] += request in served
        span = spans.get(request)
        phases = None if span is None else request_phases(span, records.get(request))
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
        update={"rows": rows, "phase_requests_limit": MAX_PHASE_REQUESTS, "phases_truncated": truncated}
    )
