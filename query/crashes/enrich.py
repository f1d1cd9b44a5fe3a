"""Enrichment of one crash from the spans around it (pure functions over stored spans).

``last_requests`` are the crashed session's client requests that started at or before the crash,
oldest first, each with the backend SERVER span that answered it (the contract's pairing rule,
via ``tracebridge.query.pairing``) and the gap. ``backend_errors`` are the backend spans of those
traces (and of the crash's own trace) in error (the contract's rule). Everything is computed at
read time, so the answer does not depend on whether the crash or its spans arrived first.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from tracebridge.query.gaps import http_status_of, pair_has_error, route_of
from tracebridge.query.models import ActiveSpan, BackendError, LastRequest
from tracebridge.query.pairing import RequestPair, pair_requests
from tracebridge.store.rows import StoredSpan


def request_entry(pair: RequestPair) -> LastRequest:
    """The request with the attempt that answered it; its route is the gap's (the server's
    ``http.route`` when paired)."""
    client, server = pair.client, pair.server
    return LastRequest(
        trace_id=client.trace_id,
        client_span_id=client.span_id,
        name=client.name,
        route=route_of(client, server) if server is not None else (client.http_route or None),
        http_method=client.http_method or None,
        start_time_unix_nano=client.start_time_unix_nano,
        client_duration_ns=client.duration_ns,
        client_status_code=client.status_code,  # type: ignore[arg-type]  # rows.STATUS_NAMES values
        server_span_id=server.span_id if server else None,
        server_service_name=server.service_name if server else None,
        server_duration_ns=server.duration_ns if server else None,
        gap_ns=pair.gap_ns,
        http_status_code=http_status_of(pair),
        error=pair_has_error(pair),
    )


def last_requests(
    spans: Sequence[StoredSpan], client_span_ids: Collection[str] | None, crash_time_ns: int, limit: int
) -> list[LastRequest]:
    """The last ``limit`` client requests started at or before the crash, oldest first.
    ``client_span_ids`` restricts them to the session's requests (None: every client request)."""
    pairs = [
        p
        for p in pair_requests(spans)
        if p.client.start_time_unix_nano <= crash_time_ns
        and (client_span_ids is None or p.client.span_id in client_span_ids)
    ]
    return [request_entry(p) for p in pairs[-limit:]] if limit > 0 else []


def backend_errors(spans: Sequence[StoredSpan], trace_ids: Collection[str]) -> list[BackendError]:
    """Backend spans in error (the contract's rule) in the given traces, in time order."""
    found = [s for s in spans if s.trace_id in trace_ids and s.side == "backend" and s.error]
    found.sort(key=lambda s: (s.start_time_unix_nano, s.span_id))
    return [
        BackendError.model_validate(
            {
                "trace_id": s.trace_id,
                "span_id": s.span_id,
                "parent_span_id": s.parent_span_id,
                "service_name": s.service_name,
                "name": s.name,
                "kind": s.kind,
                "route": s.http_route or None,
                "start_time_unix_nano": s.start_time_unix_nano,
                "duration_ns": s.duration_ns,
                "status_code": s.status_code,
                "status_message": s.status_message,
                "http_status_code": s.http_status or None,
            }
        )
        for s in found
    ]


def active_span(spans: Sequence[StoredSpan], trace_id: str, span_id: str) -> ActiveSpan | None:
    """The span the record names (the one active at crash time), if it is stored yet."""
    for s in spans:
        if s.trace_id == trace_id and s.span_id == span_id:
            return ActiveSpan.model_validate(
                {
                    "trace_id": s.trace_id,
                    "span_id": s.span_id,
                    "parent_span_id": s.parent_span_id,
                    "name": s.name,
                    "kind": s.kind,
                    "side": s.side,
                    "service_name": s.service_name,
                    "start_time_unix_nano": s.start_time_unix_nano,
                    "end_time_unix_nano": s.end_time_unix_nano,
                    "status_code": s.status_code,
                    "status_message": s.status_message,
                }
            )
    return None
