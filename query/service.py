"""The query service: traces, sessions, session search and latency as typed documents.

The API routers, the pages and the dashboards call these functions (the terminal reads the same
documents through the API). They take a ``StoreReader`` and validated inputs, and raise
``BadRequest`` for bad filters and ``NotFound`` for an unknown id. Every read goes through the
trace index (otel_traces is ordered by TraceId) or the session index (tracebridge_session_spans,
ordered by SessionId), and de-duplicates re-sent spans; no time window is guessed from "now".
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor

from tracebridge.query.crashes.lookup import crash_counts_by_session, crashes_in_session, crashes_in_trace
from tracebridge.query.crashes.sessions import sessions_with_inferred_crashes
from tracebridge.query.edge_answers import edge_origins
from tracebridge.query.errors import BadRequest, NotFound
from tracebridge.query.explain import (
    GapContext,
    GapExplainer,
    queued_messages,
    session_context,
    session_gap_facts,
    session_timing_records,
    timing_records,
    trace_context,
)
from tracebridge.query.filters import (
    GROUP_BY_CHOICES,
    LatencyFilters,
    SessionFilters,
    latency_filters_of,
    parse_session_filters,
)
from tracebridge.query.gaps import gap_entries
from tracebridge.query.models import (
    CrashSummary,
    Latency,
    LatencyBucket,
    LatencyRow,
    Session,
    SessionSummary,
    Trace,
    TraceSummary,
)
from tracebridge.query.pairing import pair_requests
from tracebridge.query.skew import adjusted_starts
from tracebridge.query.views import span_document
from tracebridge.store.reader import SESSION_FILTERS
from tracebridge.store.reader import StoreReader as StoreReader  # the type the stages above pass in
from tracebridge.store.rows import LatencyGroup as LatencyGroup  # the latency groups the dashboards pass on
from tracebridge.store.rows import Screen, SessionCounts, StoredSpan

# Crash lookups run next to the span reads of the same request (the reader holds a client pool).
_LOOKUPS = ThreadPoolExecutor(max_workers=4, thread_name_prefix="tracebridge-lookup")

# ---------------------------------------------------------------- traces


def trace_document(reader: StoreReader, trace_id: str) -> Trace:
    """GET /api/v1/traces/{id}; NotFound when the store holds no span of the trace.

    Spans carry ``adjusted_start_time_unix_nano`` and ``error``; the trace's start/end are the
    adjusted (device-clock) extent of its spans; ``gaps[]`` has one entry per client request.
    """
    # The reads that need only the id run concurrently with the span read.
    crashes = _LOOKUPS.submit(crashes_in_trace, reader, trace_id)
    records = _LOOKUPS.submit(timing_records, reader, [trace_id])
    spans = reader.trace_spans(trace_id)
    if not spans:
        crashes.cancel()
        records.cancel()
        raise NotFound(f"trace {trace_id} not found")
    return build_trace(trace_id, spans, crashes.result(), trace_context(reader, spans, records.result()))


def build_trace(
    trace_id: str,
    spans: Sequence[StoredSpan],
    crashes: Sequence[CrashSummary] = (),
    context: GapContext | None = None,
) -> Trace:
    """The trace document from its stored spans (pure); with a ``context`` its gaps are explained
    and its ``queued[]`` set (issue 14)."""
    explainer = None if context is None else GapExplainer(spans, context)
    pairs = pair_requests(spans)
    adjusted = adjusted_starts(spans, pairs)
    start, end = _extent(spans, adjusted)
    ordered = sorted(spans, key=lambda s: (adjusted[s.span_id], s.span_id))
    return Trace(
        trace_id=trace_id,
        session_id=trace_session(spans),
        start_time_unix_nano=start,
        end_time_unix_nano=end,
        duration_ns=end - start,
        span_count=len(spans),
        has_error=any(s.error for s in spans),
        spans=[span_document(s, adjusted[s.span_id]) for s in ordered],
        gaps=gap_entries(pairs, explainer),
        crashes=list(crashes),
        queued=[] if context is None else queued_messages(spans, context),
    )


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


def session_document(reader: StoreReader, session_id: str) -> Session:
    """GET /api/v1/sessions/{id}; NotFound when neither spans nor crashes of the session are stored.

    Traces are those with a span carrying the session id (client spans, or backend spans that got
    ``session.id`` through baggage); each trace brings all its spans, backend ones joining by
    trace id. Traces come in start order (device clock), each with its gaps.
    """
    # The reads that need only the session id run concurrently with the trace ids and span read.
    pending_crashes = _LOOKUPS.submit(crashes_in_session, reader, session_id)
    facts = _LOOKUPS.submit(session_gap_facts, reader, session_id)
    records = _LOOKUPS.submit(session_timing_records, reader, session_id)
    spans = reader.indexed_spans(reader.session_trace_ids(session_id))
    crashes = pending_crashes.result()
    if not spans and not crashes:
        raise NotFound(f"session {session_id!r} not found")
    return build_session(
        session_id, spans, crashes, session_context(reader, spans, facts.result(), records.result())
    )


def build_session(
    session_id: str,
    spans: Sequence[StoredSpan],
    crashes: Sequence[CrashSummary],
    context: GapContext | None = None,
) -> Session:
    """The session document from the spans of its traces and its crashes (pure); with a
    ``context`` its gaps are explained and its ``queued[]`` set (issue 14)."""
    explainer = None if context is None else GapExplainer(spans, context)
    by_trace: dict[str, list[StoredSpan]] = defaultdict(list)
    for span in spans:
        by_trace[span.trace_id].append(span)
    traces = [trace_summary(tid, trace_spans, explainer) for tid, trace_spans in by_trace.items()]
    traces.sort(key=lambda t: (t.start_time_unix_nano, t.trace_id))
    own = [s for s in spans if s.session_id == session_id]
    client = sorted([s for s in own if s.side == "client"] or own, key=lambda s: s.start_time_unix_nano)
    crash_times = [c.time_unix_nano for c in crashes]
    starts = [t.start_time_unix_nano for t in traces] + crash_times
    ends = [t.start_time_unix_nano + t.duration_ns for t in traces] + crash_times
    return Session(
        session_id=session_id,
        start_time_unix_nano=min(starts) if starts else None,
        end_time_unix_nano=max(ends) if ends else None,
        app_version=_fact(client, "app_version"),
        os_name=_fact(client, "os_name"),
        os_version=_fact(client, "os_version"),
        device_model=_fact(client, "device_model"),
        device_id=_fact(client, "device_id"),
        service_name=_fact(client, "service_name"),
        network_types=sorted({s.network_type for s in client if s.network_type}),
        trace_count=len(traces),
        span_count=len(spans),
        has_error=any(t.has_error for t in traces),
        crash_count=len(crashes),
        traces=traces,
        crashes=list(crashes),
        queued=[] if context is None else queued_messages(spans, context),
    )


def trace_summary(
    trace_id: str, spans: Sequence[StoredSpan], explainer: GapExplainer | None = None
) -> TraceSummary:
    """One entry of a session's ``traces[]``: extent, counts, errors, root name and gaps (one pass
    over the spans: a session has ~500 traces)."""
    pairs = pair_requests(spans)
    adjusted = adjusted_starts(spans, pairs)
    ids = {s.span_id for s in spans}
    start, end = _extent(spans, adjusted)
    clients = backends = errors = 0
    roots = []
    for span in spans:
        if span.side == "client":
            clients += 1
        elif span.side == "backend":
            backends += 1
        if span.error:
            errors += 1
        if not span.parent_span_id or span.parent_span_id not in ids:
            roots.append(span)
    root = min(roots, key=lambda s: (s.side != "client", adjusted[s.span_id])) if roots else None
    return TraceSummary.model_validate(
        {
            "trace_id": trace_id,
            "name": root.name if root else "",
            "start_time_unix_nano": start,
            "duration_ns": end - start,
            "span_count": len(spans),
            "client_span_count": clients,
            "backend_span_count": backends,
            "has_error": errors > 0,
            "error_count": errors,
            "gaps": gap_entries(pairs, explainer),
        }
    )


def _fact(spans_by_start: Sequence[StoredSpan], name: str) -> str | None:
    """A device/app fact: the value of the earliest span having one (the session search's rule);
    ``spans_by_start`` in start order."""
    for span in spans_by_start:
        value: str = getattr(span, name)
        if value:
            return value
    return None


def search_sessions(reader: StoreReader, filters: SessionFilters | Mapping[str, str]) -> list[SessionSummary]:
    """GET /api/v1/sessions: sessions matching the filters, newest start first.

    ``filters`` is a ``SessionFilters`` or raw query parameters (validated here: unknown names and
    bad values raise BadRequest naming them). ``trace_count`` and ``span_count`` cover the spans
    that carry the session id; ``has_error`` covers every span of those traces, as the session
    document does.
    """
    parsed = filters if isinstance(filters, SessionFilters) else parse_session_filters(filters)
    inferred = sessions_with_inferred_crashes(reader) if parsed.has_crash is not None else set()
    rows = reader.sessions(
        {name: getattr(parsed, name) for name in SESSION_FILTERS},
        parsed.has_crash,
        inferred,
        parsed.limit,
    )
    session_ids = [r.session_id for r in rows]
    counts = reader.session_counts(session_ids)
    crashes = crash_counts_by_session(reader, session_ids)
    out = []
    for row in rows:
        count = counts.get(row.session_id, SessionCounts())
        out.append(
            SessionSummary(
                session_id=row.session_id,
                start_time_unix_nano=row.start_ns,
                end_time_unix_nano=row.end_ns,
                app_version=row.app_version,
                os_name=row.os_name,
                os_version=row.os_version,
                device_model=row.device_model,
                device_id=row.device_id,
                trace_count=count.trace_count,
                span_count=count.span_count,
                has_error=count.has_error,
                crash_count=crashes.get(row.session_id, 0),
            )
        )
    return out


# ---------------------------------------------------------------- latency

MAX_BUCKET_SECONDS = 366 * 86_400


def latency_groups(
    reader: StoreReader, dimensions: Sequence[str], filters: LatencyFilters, bucket_ns: int = 1
) -> list[LatencyGroup]:
    """The one latency query of the API and the dashboards (exact percentiles, the answering
    attempt of each request, proxies crossed, the origin behind an edge tier)."""
    return reader.latency(dimensions, vars(filters), bucket_ns, edge_origins(reader, vars(filters)))


def latency_rows(reader: StoreReader, group_by: str, filters: LatencyFilters | Mapping[str, str]) -> Latency:
    """GET /api/v1/latency: client, server and gap percentiles per group.

    One row per client request that reached the backend (the attempt that ended last answers it);
    durations in milliseconds; groups ordered by request count, then key.
    """
    if group_by not in GROUP_BY_CHOICES:
        raise BadRequest(
            f"invalid parameter 'group_by': {group_by!r} is not one of {', '.join(GROUP_BY_CHOICES)}"
        )
    return latency_document(group_by, latency_groups(reader, [group_by], latency_filters_of(filters)))


def latency_document(group_by: str, groups: Sequence[LatencyGroup]) -> Latency:
    """The latency document of ``group_by`` from the latency query's groups (those of other
    dimensions are left out; the query's order is kept)."""
    return Latency(
        group_by=group_by,
        rows=[
            LatencyRow.model_validate({"key": g.key, **percentile_fields(g)})
            for g in groups
            if g.dimension == group_by
        ],
    )


def latency_over_time(
    reader: StoreReader, bucket_seconds: int, filters: LatencyFilters | Mapping[str, str]
) -> list[LatencyBucket]:
    """Latency per route and time bucket of the client start, ordered by route, then bucket.
    ``filters`` are the latency filters (a ``group_by`` in them is ignored)."""
    if not isinstance(bucket_seconds, int) or not 1 <= bucket_seconds <= MAX_BUCKET_SECONDS:
        raise BadRequest(
            f"invalid parameter 'bucket_seconds': {bucket_seconds!r} (1 to {MAX_BUCKET_SECONDS})"
        )
    groups = latency_groups(
        reader, ["route_time"], latency_filters_of(filters), bucket_seconds * 1_000_000_000
    )
    groups.sort(key=lambda g: (g.key, g.bucket_ns))
    return [
        LatencyBucket.model_validate(
            {
                "route": g.key,
                "bucket_start_unix_nano": g.bucket_ns,
                "bucket_seconds": bucket_seconds,
                **percentile_fields(g),
            }
        )
        for g in groups
    ]


def percentile_fields(group: LatencyGroup) -> dict[str, int | float]:
    """``count`` and ``client_/server_/gap_p50|p95|p99_ms`` of a group (ms, rounded to µs)."""
    out: dict[str, int | float] = {"count": group.count}
    for prefix, values in (("client", group.client_q), ("server", group.server_q), ("gap", group.gap_q)):
        for pct, value in zip(("p50", "p95", "p99"), values, strict=True):
            out[f"{prefix}_{pct}_ms"] = round(value / 1_000_000, 3)
    return out


def request_extent(reader: StoreReader, filters: LatencyFilters) -> tuple[int | None, int | None]:
    """First and last start of the client requests under the client-side filters (cheap: for
    choosing a window and bucket size before ``latency_groups``)."""
    return reader.request_extent(vars(filters))


def gap_histogram(
    reader: StoreReader, filters: LatencyFilters, bins: int
) -> list[tuple[float, float, float]]:
    """(lower ms, upper ms, requests) bins of the gaps of the requests ``latency_groups`` counts."""
    return reader.gap_histogram(vars(filters), bins, edge_origins(reader, vars(filters)))


# ---------------------------------------------------------------- lookups for the pages


def trace_exists(reader: StoreReader, trace_id: str) -> bool:
    return reader.trace_exists(trace_id)


def session_exists(reader: StoreReader, session_id: str) -> bool:
    """Whether any span or crash carries this session id."""
    return reader.session_exists(session_id)


def session_screens(reader: StoreReader, session: Session) -> list[Screen]:
    """The screens (``screen.name`` of client spans) seen in the session's traces, in time order."""
    return reader.session_screens(session.session_id, [t.trace_id for t in session.traces])


def last_client_activity(reader: StoreReader) -> int | None:
    """The latest device time of any client span (None when there is none)."""
    return reader.last_client_activity()
