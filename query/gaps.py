"""The ``gaps[]`` entries of a trace: one per client request (pure).

A request that never reached the backend has a null server. A request answered several times
(retries through one client span, or a duplicated delivery) has several attempts: the gap is
measured against the attempt that ended last (``RequestPair.server``), and ``attempts`` lists every
attempt's server span id in end-time order. OkHttp-style instrumentation that makes one client
span per attempt carries ``http.request.resend_count``; it is reported as ``resend_count``, and
``attempt`` numbers the answering attempt (resend count + number of server attempts, so OkHttp's
attempts number 1, 2, 3...).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from tracebridge.query.models import Gap
from tracebridge.query.pairing import RequestPair
from tracebridge.query.skew import estimate_skew
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


def pair_has_error(pair: RequestPair) -> bool:
    """A request is in error when its client span or its answering attempt is."""
    return pair.client.error or (pair.server is not None and pair.server.error)


def http_status_of(pair: RequestPair) -> int | None:
    """The status the client saw, else the answering attempt's; None when neither recorded one."""
    server = pair.server
    return pair.client.http_status or (server.http_status if server else 0) or None


def gap_entries(
    pairs: Sequence[RequestPair], explain: Callable[[dict[str, Any]], dict[str, Any]] | None = None
) -> list[Gap]:
    """Contract ``gaps[]`` of one trace (client start order), with tracebridge's extra fields;
    ``explain`` (``explain.GapExplainer``) adds ``phases`` and ``edge`` to each entry's fields.
    A session builds ~500: each is one dict literal, validated once (``model_validate``)."""
    out: list[Gap] = []
    for pair in pairs:
        client, servers, server = pair.client, pair.servers, pair.server
        skew = estimate_skew(client, servers)
        resends = resend_count(client)
        fields = {
            "trace_id": client.trace_id,
            "client_span_id": client.span_id,
            "server_span_id": server.span_id if server else None,
            "route": route_of(client, server),
            "client_duration_ns": client.duration_ns,
            "server_duration_ns": server.duration_ns if server else None,
            "gap_ns": pair.gap_ns,
            "clock_skew_ns": skew if server else None,
            "attempts": [s.span_id for s in servers],
            "client_name": client.name,
            "server_name": server.name if server else None,
            "service_name": server.service_name if server else None,
            "http_method": client.http_method or (server.http_method if server else ""),
            "http_status_code": http_status_of(pair),
            "client_start_time_unix_nano": client.start_time_unix_nano,
            "server_start_time_unix_nano": server.start_time_unix_nano if server else None,
            "adjusted_server_start_time_unix_nano": server.start_time_unix_nano - skew if server else None,
            "reached_backend": server is not None,
            "server_count": len(servers),
            "retry_count": max(len(servers) - 1, 0),
            "attempt": resends + max(len(servers), 1),
            "resend_count": resends,
            "has_error": pair_has_error(pair),
        }
        out.append(Gap.model_validate(explain(fields) if explain else fields))
    return out
