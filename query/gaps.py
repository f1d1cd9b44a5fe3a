"""The ``gaps[]`` entries of a trace: one per client request and server span it reached (pure).

A request that never reached the backend gets one entry with a null server; a request answered
several times (retries through one client span, or a duplicated delivery) gets one entry per
server span, each naming its attempt and the retry count. OkHttp-style instrumentation that makes
one client span per attempt carries ``http.request.resend_count``; it is reported as ``resend_count``
and ``attempt`` (resend count + server index + 1, so OkHttp's attempts number 1, 2, 3...).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from tracebridge.query.pairing import RequestPair
from tracebridge.query.skew import estimate_skew
from tracebridge.query.timing import timing_breakdown
from tracebridge.store.rows import StoredSpan


def route_of(client: StoredSpan, server: StoredSpan | None) -> str:
    """The server span's ``http.route``, else the templated client URL path, else the span name."""
    if server is not None:
        declared = server.attributes.get("http.route")
        if isinstance(declared, str) and declared:
            return declared
    if client.http_route:
        return client.http_route
    if server is not None and server.http_route:
        return server.http_route
    return client.name


def resend_count(client: StoredSpan) -> int:
    """OkHttp's ``http.request.resend_count`` (or the older ``http.resend_count``); 0 when absent."""
    value = client.attributes.get("http.request.resend_count", client.attributes.get("http.resend_count", 0))
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def is_error(span: StoredSpan) -> bool:
    return span.status_code == "error" or span.http_status >= 500


def gap_entries(pairs: Sequence[RequestPair], spans: Sequence[StoredSpan]) -> list[dict[str, Any]]:
    """Contract ``gaps[]`` of one trace (client start order), with tracebridge's extra fields."""
    children: dict[str, list[StoredSpan]] = defaultdict(list)
    for span in spans:
        if span.parent_span_id:
            children[span.parent_span_id].append(span)
    out: list[dict[str, Any]] = []
    for pair in pairs:
        client = pair.client
        skew = estimate_skew(client, pair.servers)
        resends = resend_count(client)
        servers: Sequence[StoredSpan | None] = pair.servers or (None,)
        for index, server in enumerate(servers):
            server_ns = None if server is None else server.duration_ns
            out.append(
                {
                    "trace_id": client.trace_id,
                    "client_span_id": client.span_id,
                    "server_span_id": None if server is None else server.span_id,
                    "route": route_of(client, server),
                    "client_duration_ns": client.duration_ns,
                    "server_duration_ns": server_ns,
                    "gap_ns": None if server_ns is None else client.duration_ns - server_ns,
                    "clock_skew_ns": None if server is None else skew,
                    "client_name": client.name,
                    "server_name": None if server is None else server.name,
                    "service_name": None if server is None else server.service_name,
                    "http_method": client.http_method or (server.http_method if server else ""),
                    "http_status_code": client.http_status or (server.http_status if server else 0) or None,
                    "client_start_time_unix_nano": client.start_time_unix_nano,
                    "server_start_time_unix_nano": None if server is None else server.start_time_unix_nano,
                    "adjusted_server_start_time_unix_nano": None
                    if server is None
                    else server.start_time_unix_nano - skew,
                    "reached_backend": server is not None,
                    "server_count": len(pair.servers),
                    "retry_count": max(len(pair.servers) - 1, 0),
                    "attempt": resends + index + 1,
                    "resend_count": resends,
                    "has_error": is_error(client) or (server is not None and is_error(server)),
                    "timing": timing_breakdown(client, children.get(client.span_id, []), server_ns),
                }
            )
    return out
