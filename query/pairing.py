"""Pair each client request span with the backend server span(s) that answered it (pure).

The contract's rule: a gap pairs a client-side span of kind CLIENT with the backend SERVER span
whose parent it is (the W3C traceparent link), or, when a proxy or edge span sits between them,
the backend SERVER spans one hop below it. A request that never reached the backend has no server
span; one that reached it several times (retries through one client span, or duplicated
delivery) has several attempts, all kept in end-time order; the last one answers the request
(``tracebridge.domain.attempt_order``). The store's request pairs (migration 0008) apply the same
two rules in SQL.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from tracebridge.domain import attempt_order
from tracebridge.store.rows import StoredSpan

MAX_PROXY_HOPS = 1


@dataclass(frozen=True)
class RequestPair:
    client: StoredSpan
    servers: tuple[StoredSpan, ...]  # every attempt, by attempt_order (the answering one last)

    @property
    def server(self) -> StoredSpan | None:
        """The attempt that answers the request (the one that ended last); None if never reached."""
        return self.servers[-1] if self.servers else None

    @property
    def gap_ns(self) -> int | None:
        """Client duration minus the answering attempt's duration: independent of either clock."""
        server = self.server
        return None if server is None else self.client.duration_ns - server.duration_ns


def is_client_request(span: StoredSpan) -> bool:
    return span.side == "client" and span.kind == "client"


def pair_requests(spans: Sequence[StoredSpan]) -> list[RequestPair]:
    """Every client request span of the given spans (any order, any traces), with its attempts;
    in client start order."""
    children: dict[tuple[str, str], list[StoredSpan]] = defaultdict(list)
    for span in spans:
        if span.parent_span_id:
            children[(span.trace_id, span.parent_span_id)].append(span)
    pairs = []
    for span in spans:
        if is_client_request(span):
            found = _servers_below(span, children, MAX_PROXY_HOPS)
            found.sort(key=lambda s: attempt_order(s.end_time_unix_nano, s.span_id))
            pairs.append(RequestPair(span, tuple(found)))
    pairs.sort(key=lambda p: (p.client.start_time_unix_nano, p.client.span_id))
    return pairs


def _servers_below(
    span: StoredSpan, children: dict[tuple[str, str], list[StoredSpan]], hops_left: int
) -> list[StoredSpan]:
    found = []
    for child in children.get((span.trace_id, span.span_id), []):
        if child.side != "backend":
            continue
        if child.kind == "server":
            found.append(child)
        elif hops_left > 0:
            found.extend(_servers_below(child, children, hops_left - 1))
    return found
