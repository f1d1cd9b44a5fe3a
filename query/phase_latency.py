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
    NetworkTimingRecord,
    request_phases,
    timing_records_by_span,
)
from tracebridge.query.units import ms
from tracebridge.store.attributes import from_stored
from tracebridge.store.queries import _PAIR_FILTERS as PAIR_FILTER_SQL
from tracebridge.store.queries import REQUEST_PAIRS
from tracebridge.store.reader import PAIR_FILTERS, StoreReader
from tracebridge.store.rows import SpanEvent, StoredSpan, origin_params

ROW_PHASES = ("stall", "dns", "connect", "tls", "request", "wait", "download", "after_response")


# Group-by name -> column of the store's request pairs (the latency API's requests).
GROUP_COLUMNS = {
    "route": "Route",
    "app_version": "AppVersion",
    "os_name": "OsName",
    "network_type": "NetworkType",
    "service_name": "ServiceName",
}
assert set(GROUP_COLUMNS) == set(GROUP_BY_CHOICES)


def _requests_sql(column: str) -> str:
    """The latency API's requests (``REQUEST_PAIRS`` under its filters) with the row key."""
    return (
        f"SELECT {column} AS Key, TraceId, ClientSpanId FROM ({REQUEST_PAIRS[True]}) WHERE {PAIR_FILTER_SQL}"
    )


def _client_spans_sql(requests: str) -> str:
    return f"""
SELECT TraceId, SpanId, toUnixTimestamp64Nano(Timestamp) AS StartNs, Duration,
       Events.Name AS EventNames, arrayMap(t -> toUnixTimestamp64Nano(t), Events.Timestamp) AS EventTimes,
       mapFilter((k, v) -> has({{names:Array(String)}}, k), SpanAttributes) AS PhaseAttributes
FROM otel_traces
WHERE Side = 'client' AND SpanKind = 'Client'
  AND (TraceId, SpanId) IN (SELECT TraceId, ClientSpanId FROM ({requests}))
LIMIT 1 BY TraceId, SpanId
"""


def _timing_sql(requests: str) -> str:
    return f"""
SELECT TraceId, SpanId,
       toUnixTimestamp64Nano(if(Timestamp > toDateTime64(0, 9), Timestamp, ObservedTimestamp)) AS TimeNs,
       mapKeys(LogAttributes) AS Keys, mapValues(LogAttributes) AS TextValues, LogAttributeTypes
FROM otel_logs
WHERE (EventName = {{event:String}} OR LogAttributes['event.name'] = {{event:String}})
  AND (TraceId, SpanId) IN (SELECT TraceId, ClientSpanId FROM ({requests}))
LIMIT 1 BY LogId
"""


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


def _client_span(row: Mapping[str, Any]) -> StoredSpan:
    start = int(row["StartNs"])
    return StoredSpan(
        trace_id=row["TraceId"],
        span_id=row["SpanId"],
        parent_span_id=None,
        trace_state="",
        name="",
        kind="client",
        side="client",
        service_name="",
        session_id=None,
        start_time_unix_nano=start,
        end_time_unix_nano=start + int(row["Duration"]),
        status_code="unset",
        status_message="",
        attributes=dict(row["PhaseAttributes"]),
        resource_attributes={},
        scope_name="",
        scope_version="",
        events=[SpanEvent(n, int(t), {}) for n, t in zip(row["EventNames"], row["EventTimes"], strict=False)],
    )


def add_phase_percentiles(
    reader: StoreReader, document: Latency, params: LatencyFilters | Mapping[str, str]
) -> Latency:
    """The latency document with ``phases`` and ``edge_served_share`` on every row."""
    filters = (
        params if isinstance(params, LatencyFilters) else parse_latency_filters(params, with_group_by=True)
    )
    hops = request_hops(reader, reader.edge_candidate_traces(vars(filters)))
    served = {request for request, (_, hop) in hops.items() if hop.served_at_edge}
    sql_params = {
        **{name: getattr(filters, name) for name in PAIR_FILTERS},
        **origin_params(origins_of(hops)),
    }
    requests_sql = _requests_sql(GROUP_COLUMNS[document.group_by])
    keys: dict[tuple[str, str], str] = {
        (r["TraceId"], r["ClientSpanId"]): r["Key"] for r in reader.rows(requests_sql, sql_params)
    }
    spans = {
        (r["TraceId"], r["SpanId"]): _client_span(r)
        for r in reader.rows(
            _client_spans_sql(requests_sql), {**sql_params, "names": list(OKHTTP_ATTRIBUTES)}
        )
    }
    records = timing_records_by_span(
        [
            NetworkTimingRecord(
                r["TraceId"],
                r["SpanId"],
                int(r["TimeNs"]),
                from_stored(r["Keys"], r["TextValues"], r["LogAttributeTypes"]),
            )
            for r in reader.rows(_timing_sql(requests_sql), {**sql_params, "event": NETWORK_TIMING_EVENT})
        ]
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
    return document.model_copy(update={"rows": rows})
