"""The query service: traces, sessions, session search and latency as contract JSON documents.

The API routers, the terminal views and the dashboards all call these functions. They take a
``StoreReader`` and validated inputs, raise ``fastapi.HTTPException(400)`` for bad filters, and
return None where the API answers 404. Every read goes through the trace index (otel_traces is
ordered by TraceId) or the session index (tracebridge_session_spans, ordered by SessionId), and
de-duplicates re-sent spans; no time window is guessed from "now".
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from fastapi import HTTPException

from tracebridge.query.crashes.lookup import crash_counts_by_session, crashes_in_session, crashes_in_trace
from tracebridge.query.crashes.sessions import sessions_with_inferred_crashes
from tracebridge.query.explain import explain_document, read_document_context
from tracebridge.query.filters import (
    LatencyFilters,
    SessionFilters,
    parse_latency_filters,
    parse_session_filters,
)
from tracebridge.query.gaps import gap_entries, is_error
from tracebridge.query.latency import group_column, latency_over_time_query, latency_query
from tracebridge.query.pairing import pair_requests
from tracebridge.query.sessions import (
    SELECT_SESSION_COUNTS,
    SELECT_SESSION_TRACE_IDS,
    session_search_query,
)
from tracebridge.query.skew import adjusted_starts
from tracebridge.query.spans import full_trace_spans, lean_spans_of_traces
from tracebridge.query.views import span_json
from tracebridge.store.reader import StoreReader
from tracebridge.store.rows import StoredSpan

# Crash lookups run next to the span reads of the same request (the reader holds a client pool).
_LOOKUPS = ThreadPoolExecutor(max_workers=4, thread_name_prefix="tracebridge-lookup")

# ---------------------------------------------------------------- traces


def trace_document(reader: StoreReader, trace_id: str) -> dict[str, Any] | None:
    """GET /api/v1/traces/{id}: None when the store holds no span of the trace (404).

    Spans carry ``adjusted_start_time_unix_nano``; the trace's start/end are the adjusted
    (device-clock) extent of its spans; ``gaps[]`` has one entry per client request and server.
    """
    crashes = _LOOKUPS.submit(crashes_in_trace, reader, trace_id)  # concurrently with the spans
    spans = full_trace_spans(reader, trace_id)
    if not spans:
        return None
    document = build_trace(trace_id, spans)
    document["crashes"] = crashes.result()
    explain_document(document, spans, read_document_context(reader, spans))  # issue 14
    return document


def build_trace(trace_id: str, spans: Sequence[StoredSpan]) -> dict[str, Any]:
    """The trace document from its stored spans (pure; ``crashes`` left empty)."""
    pairs = pair_requests(spans)
    adjusted = adjusted_starts(spans, pairs)
    start, end = _extent(spans, adjusted)
    ordered = sorted(spans, key=lambda s: (adjusted[s.span_id], s.span_id))
    return {
        "trace_id": trace_id,
        "session_id": trace_session(spans),
        "start_time_unix_nano": start,
        "end_time_unix_nano": end,
        "duration_ns": end - start,
        "span_count": len(spans),
        "has_error": any(is_error(s) for s in spans),
        "spans": [span_json(s, adjusted[s.span_id]) for s in ordered],
        "gaps": gap_entries(pairs, spans),
        "crashes": [],
    }


def trace_session(spans: Sequence[StoredSpan]) -> str | None:
    """The session of a trace: its client spans' session, else one carried to the backend."""
    for side in ("client", "backend"):
        found = Counter(s.session_id for s in spans if s.side == side and s.session_id)
        if found:
            return found.most_common(1)[0][0]
    return None


def _extent(spans: Sequence[StoredSpan], adjusted: Mapping[str, int]) -> tuple[int, int]:
    start = min(adjusted[s.span_id] for s in spans)
    end = max(adjusted[s.span_id] + s.duration_ns for s in spans)
    return start, end


# ---------------------------------------------------------------- sessions


def session_document(reader: StoreReader, session_id: str) -> dict[str, Any] | None:
    """GET /api/v1/sessions/{id}: None when neither spans nor crashes of the session are stored.

    Traces are those with a span carrying the session id (client spans, or backend spans that got
    ``session.id`` through baggage); each trace brings all its spans, backend ones joining by
    trace id. Traces come in start order (device clock), each with its gaps.
    """
    pending_crashes = _LOOKUPS.submit(crashes_in_session, reader, session_id)  # concurrently
    trace_ids = [r["TraceId"] for r in reader.rows(SELECT_SESSION_TRACE_IDS, {"session_id": session_id})]
    spans = lean_spans_of_traces(reader, trace_ids)
    crashes = pending_crashes.result()
    if not spans and not crashes:
        return None
    document = build_session(session_id, spans, crashes)
    explain_document(document, spans, read_document_context(reader, spans))  # issue 14
    return document


def build_session(
    session_id: str, spans: Sequence[StoredSpan], crashes: list[dict[str, Any]]
) -> dict[str, Any]:
    """The session document from the spans of its traces and its crashes (pure)."""
    by_trace: dict[str, list[StoredSpan]] = defaultdict(list)
    for span in spans:
        by_trace[span.trace_id].append(span)
    traces = [trace_summary(tid, trace_spans) for tid, trace_spans in by_trace.items()]
    traces.sort(key=lambda t: (t["start_time_unix_nano"], t["trace_id"]))
    own = [s for s in spans if s.session_id == session_id]
    client = [s for s in own if s.side == "client"] or own
    crash_times = [int(c["time_unix_nano"]) for c in crashes if c.get("time_unix_nano") is not None]
    starts = [t["start_time_unix_nano"] for t in traces] + crash_times
    ends = [t["start_time_unix_nano"] + t["duration_ns"] for t in traces] + crash_times
    return {
        "session_id": session_id,
        "start_time_unix_nano": min(starts) if starts else None,
        "end_time_unix_nano": max(ends) if ends else None,
        "app_version": _fact(client, "app_version"),
        "os_name": _fact(client, "os_name"),
        "os_version": _fact(client, "os_version"),
        "device_model": _fact(client, "device_model"),
        "device_id": _fact(client, "device_id"),
        "service_name": _fact(client, "service_name"),
        "network_types": sorted({s.network_type for s in client if s.network_type}),
        "trace_count": len(traces),
        "span_count": len(spans),
        "has_error": any(t["has_error"] for t in traces),
        "crash_count": len(crashes),
        "traces": traces,
        "crashes": crashes,
    }


def trace_summary(trace_id: str, spans: Sequence[StoredSpan]) -> dict[str, Any]:
    """One entry of a session's ``traces[]``: extent, counts, errors, root name and gaps."""
    pairs = pair_requests(spans)
    adjusted = adjusted_starts(spans, pairs)
    start, end = _extent(spans, adjusted)
    ids = {s.span_id for s in spans}
    roots = sorted(
        (s for s in spans if not s.parent_span_id or s.parent_span_id not in ids),
        key=lambda s: (s.side != "client", adjusted[s.span_id]),
    )
    return {
        "trace_id": trace_id,
        "name": roots[0].name if roots else "",
        "start_time_unix_nano": start,
        "duration_ns": end - start,
        "span_count": len(spans),
        "client_span_count": sum(1 for s in spans if s.side == "client"),
        "backend_span_count": sum(1 for s in spans if s.side == "backend"),
        "has_error": any(is_error(s) for s in spans),
        "error_count": sum(1 for s in spans if is_error(s)),
        "gaps": gap_entries(pairs, spans),
    }


def _fact(spans: Sequence[StoredSpan], name: str) -> str | None:
    """A device/app fact: the value of the earliest span having one (the session search's rule)."""
    for span in sorted(spans, key=lambda s: s.start_time_unix_nano):
        value: str = getattr(span, name)
        if value:
            return value
    return None


def search_sessions(reader: StoreReader, filters: SessionFilters | Mapping[str, str]) -> list[dict[str, Any]]:
    """GET /api/v1/sessions: sessions matching the filters, newest start first.

    ``filters`` is a ``SessionFilters`` or raw query parameters (validated here: unknown names and
    bad values raise a 400 naming them). ``trace_count``, ``span_count`` and ``has_error``
    cover the spans that carry the session id (client spans, and backend spans that got it through
    baggage); the session document counts every span of its traces.
    """
    parsed = filters if isinstance(filters, SessionFilters) else parse_session_filters(filters)
    inferred = sessions_with_inferred_crashes(reader) if parsed.has_crash is not None else set()
    sql, params = session_search_query(parsed, inferred)
    rows = reader.rows(sql, params)
    session_ids = [r["SessionId"] for r in rows]
    counts = (
        {r["SessionId"]: r for r in reader.rows(SELECT_SESSION_COUNTS, {"session_ids": session_ids})}
        if session_ids
        else {}
    )
    crashes = crash_counts_by_session(reader, session_ids)
    out = []
    for row in rows:
        count = counts.get(row["SessionId"], {"TraceCount": 0, "SpanCount": 0, "HasError": 0})
        crash_count = crashes.get(row["SessionId"], 0)
        out.append(
            {
                "session_id": row["SessionId"],
                "start_time_unix_nano": int(row["StartNs"]),
                "end_time_unix_nano": int(row["EndNs"]),
                "app_version": row["AppVersion"] or None,
                "os_name": row["OsName"] or None,
                "os_version": row["OsVersion"] or None,
                "device_model": row["DeviceModel"] or None,
                "device_id": row["DeviceId"] or None,
                "trace_count": int(count["TraceCount"]),
                "span_count": int(count["SpanCount"]),
                "has_error": bool(count["HasError"]),
                "crash_count": crash_count,
            }
        )
    return out


# ---------------------------------------------------------------- latency


def latency_rows(
    reader: StoreReader, group_by: str, filters: LatencyFilters | Mapping[str, str]
) -> dict[str, Any]:
    """GET /api/v1/latency: client, server and gap percentiles per group, computed in ClickHouse.

    One row per client request that reached the backend (the last server attempt answers it);
    durations in milliseconds; groups ordered by request count, then key.
    """
    group_column(group_by)
    parsed = (
        filters if isinstance(filters, LatencyFilters) else parse_latency_filters(filters, with_group_by=True)
    )
    sql, params = latency_query(group_by, parsed)
    rows = [{"key": row["Key"], **_percentiles(row)} for row in reader.rows(sql, params)]
    return {"group_by": group_by, "rows": rows}


MAX_BUCKET_SECONDS = 366 * 86_400


def latency_over_time(
    reader: StoreReader, bucket_seconds: int, params: Mapping[str, str]
) -> list[dict[str, Any]]:
    """Latency per route and time bucket of the client start, for the dashboards.

    Each row: ``route``, ``bucket_start_unix_nano``, ``bucket_seconds``, ``count`` and the same
    ``client_/server_/gap_p50|p95|p99_ms`` fields as a latency row; ordered by route, then bucket.
    ``params`` are the latency filters (a ``group_by`` in them is ignored); 400 for bad ones.
    """
    if not isinstance(bucket_seconds, int) or not 1 <= bucket_seconds <= MAX_BUCKET_SECONDS:
        raise HTTPException(
            400, f"invalid parameter 'bucket_seconds': {bucket_seconds!r} (1 to {MAX_BUCKET_SECONDS})"
        )
    parsed = (
        params if isinstance(params, LatencyFilters) else parse_latency_filters(params, with_group_by=True)
    )
    sql, sql_params = latency_over_time_query(bucket_seconds, parsed)
    return [
        {
            "route": row["Route"],
            "bucket_start_unix_nano": int(row["BucketNs"]),
            "bucket_seconds": bucket_seconds,
            **_percentiles(row),
        }
        for row in reader.rows(sql, sql_params)
    ]


def _percentiles(row: Mapping[str, Any]) -> dict[str, Any]:
    client_q, server_q, gap_q = row["ClientQ"], row["ServerQ"], row["GapQ"]
    return {
        "count": int(row["Count"]),
        "client_p50_ms": _ms(client_q[0]),
        "client_p95_ms": _ms(client_q[1]),
        "client_p99_ms": _ms(client_q[2]),
        "server_p50_ms": _ms(server_q[0]),
        "server_p95_ms": _ms(server_q[1]),
        "server_p99_ms": _ms(server_q[2]),
        "gap_p50_ms": _ms(gap_q[0]),
        "gap_p95_ms": _ms(gap_q[1]),
        "gap_p99_ms": _ms(gap_q[2]),
    }


def _ms(nanos: float) -> float:
    return round(float(nanos) / 1_000_000, 3)
