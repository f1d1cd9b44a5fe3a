"""Stored rows as typed records (pure ``from_row`` functions, one per table)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tracebridge.domain import span_in_error
from tracebridge.store.attributes import from_stored

KIND_NAMES = {
    "Unspecified": "unspecified",
    "Internal": "internal",
    "Server": "server",
    "Client": "client",
    "Producer": "producer",
    "Consumer": "consumer",
}
STATUS_NAMES = {"Unset": "unset", "Ok": "ok", "Error": "error"}


@dataclass(frozen=True)
class SpanEvent:
    name: str
    time_unix_nano: int
    attributes: dict[str, Any]


@dataclass(frozen=True)
class SpanLink:
    trace_id: str
    span_id: str
    trace_state: str
    attributes: dict[str, Any]


@dataclass(slots=True)
class StoredSpan:
    """One span as stored, with typed attributes; times are exact unix nanoseconds as sent.

    Read-only by convention, not ``frozen``: a frozen dataclass sets each of these 28 fields
    through ``object.__setattr__`` (3.7 instead of 0.8 us per span), ~3 ms of a 1,000-span
    session lookup (docs/query.md). Derive changed copies with ``dataclasses.replace``."""

    trace_id: str
    span_id: str
    parent_span_id: str | None
    trace_state: str
    name: str
    kind: str
    side: str
    service_name: str
    session_id: str | None
    start_time_unix_nano: int
    end_time_unix_nano: int
    status_code: str
    status_message: str
    attributes: dict[str, Any]
    resource_attributes: dict[str, Any]
    scope_name: str
    scope_version: str
    events: list[SpanEvent] = field(default_factory=list)
    links: list[SpanLink] = field(default_factory=list)
    app_version: str = ""
    os_name: str = ""
    os_version: str = ""
    device_model: str = ""
    device_id: str = ""
    network_type: str = ""
    http_method: str = ""
    http_route: str = ""
    http_status: int = 0

    @property
    def duration_ns(self) -> int:
        return self.end_time_unix_nano - self.start_time_unix_nano

    @property
    def error(self) -> bool:
        """The contract's "span in error" (``tracebridge.domain.span_in_error``)."""
        return span_in_error(self.status_code, self.kind, self.http_status)


def from_span_row(row: Mapping[str, Any]) -> StoredSpan:
    start = int(row["StartNs"])
    events = [
        SpanEvent(name, int(ts), from_stored(keys, texts, types))
        for ts, name, keys, texts, types in zip(
            row["EventTimes"],
            row["EventNames"],
            row["EventAttributeKeys"],
            row["EventAttributeValues"],
            row["EventAttributeTypes"],
            strict=False,
        )
    ]
    links = [
        SpanLink(tid, sid, state, from_stored(keys, texts, types))
        for tid, sid, state, keys, texts, types in zip(
            row["LinkTraceIds"],
            row["LinkSpanIds"],
            row["LinkTraceStates"],
            row["LinkAttributeKeys"],
            row["LinkAttributeValues"],
            row["LinkAttributeTypes"],
            strict=False,
        )
    ]
    return StoredSpan(
        trace_id=row["TraceId"],
        span_id=row["SpanId"],
        parent_span_id=row["ParentSpanId"] or None,
        trace_state=row["TraceState"],
        name=row["SpanName"],
        kind=KIND_NAMES.get(row["SpanKind"], "unspecified"),
        side=row["Side"],
        service_name=row["ServiceName"],
        session_id=row["SessionId"] or None,
        start_time_unix_nano=start,
        end_time_unix_nano=start + int(row["Duration"]),
        status_code=STATUS_NAMES.get(row["StatusCode"], "unset"),
        status_message=row["StatusMessage"],
        attributes=from_stored(
            row["SpanAttributeKeys"], row["SpanAttributeValues"], row["SpanAttributeTypes"]
        ),
        resource_attributes=from_stored(
            row["ResourceAttributeKeys"], row["ResourceAttributeValues"], row["ResourceAttributeTypes"]
        ),
        scope_name=row["ScopeName"],
        scope_version=row["ScopeVersion"],
        events=events,
        links=links,
        app_version=row["AppVersion"],
        os_name=row["OsName"],
        os_version=row["OsVersion"],
        device_model=row["DeviceModel"],
        device_id=row["DeviceId"],
        network_type=row["NetworkType"],
        http_method=row["HttpMethod"],
        http_route=row["HttpRoute"],
        http_status=int(row["HttpStatus"]),
    )


@dataclass(frozen=True)
class SessionRow:
    """One session of a search, from the session summary; empty facts are None."""

    session_id: str
    start_ns: int
    end_ns: int
    app_version: str | None
    os_name: str | None
    os_version: str | None
    device_model: str | None
    device_id: str | None


@dataclass(frozen=True)
class SessionCounts:
    """Traces and spans carrying the session id, and whether any span of its traces is in error."""

    trace_count: int = 0
    span_count: int = 0
    has_error: bool = False


@dataclass(frozen=True)
class LatencyGroup:
    """One group of the latency query: exact (p50, p95, p99) in ns of client, server and gap."""

    dimension: str
    key: str
    bucket_ns: int
    count: int
    client_q: tuple[float, float, float]
    server_q: tuple[float, float, float]
    gap_q: tuple[float, float, float]
    first_ns: int
    last_ns: int


@dataclass(frozen=True)
class Screen:
    """A client span's ``screen.name`` and its extent (device clock)."""

    start_ns: int
    end_ns: int
    screen: str


@dataclass(frozen=True)
class CrashTrendRow:
    bucket_ns: int
    app_version: str
    crashes: int


@dataclass(frozen=True)
class AnsweredRequest:
    """A client request that reached the backend, with the attempt that answered it (the request
    pairs table; durations in ns)."""

    trace_id: str
    client_span_id: str
    server_span_id: str
    route: str
    service_name: str
    client_ns: int
    server_ns: int


@dataclass(frozen=True)
class SpanOperation:
    """A span name of one service with its stored kind (``Server``, ``Unspecified``, ...)."""

    name: str
    kind: str


@dataclass(frozen=True)
class FlagEvaluationRow:
    """A feature-flag evaluation as stored: a span event or a log record (``kind`` 'Log')."""

    trace_id: str
    span_id: str
    session_id: str
    side: str
    kind: str
    app_version: str
    os_name: str
    time_ns: int
    key: str
    variant: str


@dataclass(frozen=True)
class TraceClientFacts:
    """The session, app version and OS of a trace's client requests (the request pairs)."""

    trace_id: str
    session_id: str
    app_version: str
    os_name: str


@dataclass(frozen=True)
class SessionCrashKind:
    """A crash of the session index with its kind (``session_id`` '' for a session-less crash)."""

    session_id: str
    crash_id: str
    kind: str


@dataclass(frozen=True)
class ScreenSpanRow:
    """A client lifecycle span (``lifecycle_name``) or a span carrying a screen name."""

    trace_id: str
    span_id: str
    parent_span_id: str
    lifecycle_name: str
    screen_name: str


@dataclass(frozen=True)
class GapFacts:
    """What explaining a gap needs of one span beyond the trace index (``tracebridge_gap_facts``):
    a client request span's ``http.*_ms`` attributes, a backend span's edge-rule resource
    attributes; values as stored text."""

    trace_id: str
    span_id: str
    phase_attributes: dict[str, str]
    tier_attributes: dict[str, str]


@dataclass(frozen=True)
class NetworkTimingLog:
    """One ``http.client.network_timing`` log record of a span (attributes typed as sent)."""

    trace_id: str
    span_id: str
    time_unix_nano: int
    attributes: dict[str, Any]


@dataclass(frozen=True)
class LinkedConsumer:
    """A span linking to a producer span (the links table); ``status_code`` as stored (``Error``)."""

    linked_trace_id: str
    linked_span_id: str
    trace_id: str
    span_id: str
    name: str
    service_name: str
    start_ns: int
    duration_ns: int
    status_code: str


@dataclass(frozen=True)
class KeyedRequest:
    """A latency API request (trace, client span) with its row key under each group-by (``keys``,
    by group-by name)."""

    trace_id: str
    client_span_id: str
    keys: Mapping[str, str]


@dataclass(frozen=True)
class EdgeOrigin:
    """The origin server span that answers a client request forwarded by an edge tier (durations
    in ns; ``route`` is the origin's declared http.route, '' when it declares none)."""

    trace_id: str
    client_span_id: str
    server_span_id: str
    route: str
    service_name: str
    server_ns: int


def origin_params(origins: Sequence[EdgeOrigin]) -> dict[str, list[str] | list[int]]:
    """The request-pairs queries' origin parameters (``queries._PAIR_COLUMNS``)."""
    return {
        "origin_keys": [f"{o.trace_id}/{o.client_span_id}" for o in origins],
        "origin_span_ids": [o.server_span_id for o in origins],
        "origin_routes": [o.route for o in origins],
        "origin_services": [o.service_name for o in origins],
        "origin_ns": [o.server_ns for o in origins],
    }
