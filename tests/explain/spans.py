"""StoredSpan factories for the pure explain tests (the shapes the store hands the query stage)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tracebridge.store.rows import SpanEvent, SpanLink, StoredSpan

MS = 1_000_000
T0 = 1_764_000_000_000_000_000


def stored(
    span_id: str,
    start: int,
    duration: int,
    *,
    trace_id: str = "ab" * 16,
    parent: str | None = None,
    kind: str = "client",
    side: str = "client",
    service: str = "shop-web",
    name: str = "HTTP GET",
    attributes: dict[str, Any] | None = None,
    resource: dict[str, Any] | None = None,
    events: Sequence[tuple[str, int, dict[str, Any]]] = (),
    links: Sequence[tuple[str, str]] = (),
    session_id: str | None = None,
    status: str = "unset",
) -> StoredSpan:
    return StoredSpan(
        trace_id=trace_id,
        span_id=span_id,
        parent_span_id=parent,
        trace_state="",
        name=name,
        kind=kind,
        side=side,
        service_name=service,
        session_id=session_id,
        start_time_unix_nano=start,
        end_time_unix_nano=start + duration,
        status_code=status,
        status_message="",
        attributes=attributes or {},
        resource_attributes=resource or {},
        scope_name="",
        scope_version="",
        events=[SpanEvent(n, t, a) for n, t, a in events],
        links=[SpanLink(t, s, "", {}) for t, s in links],
    )
