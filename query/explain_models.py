"""Typed shapes of issue 14's fields and documents (pydantic; they feed ``/openapi.json``).

``Phases`` and ``Edge`` are the fields ``gaps[].phases`` / ``gaps[].edge``; ``QueuedMessage`` an
entry of a trace's or session's ``queued[]``; ``PhaseStats`` a value of a latency row's
``phases`` (``?phases=true``); ``Flags`` and ``Screens`` the whole answers of ``/api/v1/flags`` and
``/api/v1/screens``. Field names and order are the JSON the API writes; null where the contract
says a value may be missing. The documents are checked against these models in the tests.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Shape(BaseModel):
    # Non-finite doubles serialize as OTLP/JSON's "NaN"/"Infinity"/"-Infinity" (views.json_response).
    model_config = ConfigDict(frozen=True, extra="forbid", ser_json_inf_nan="strings")


class Phases(Shape):
    """Network phases of one request in ns (null: the SDK did not record that phase)."""

    source: str
    stall_ns: int | None
    dns_ns: int | None
    connect_ns: int | None
    tls_ns: int | None
    request_ns: int | None
    wait_ns: int | None
    download_ns: int | None
    after_response_ns: int | None


class Edge(Shape):
    """The edge tier between the client span and the origin."""

    service_name: str
    span_id: str
    client_to_edge_ns: int
    edge_to_origin_ns: int | None
    served_at_edge: bool


class QueuedMessage(Shape):
    """A message produced while handling a trace or session; consumer fields null until processed."""

    producer_span_id: str
    producer_trace_id: str
    producer_name: str
    producer_service_name: str
    produced_time_unix_nano: int
    consumer_trace_id: str | None
    consumer_span_id: str | None
    consumer_name: str | None
    consumer_service_name: str | None
    queue_wait_ns: int | None
    processing_ns: int | None
    status_code: str | None


class PhaseStats(Shape):
    """One phase over a latency row's requests that recorded it."""

    count: int
    p50_ms: float | None
    p99_ms: float | None


class LatencyPhases(Shape):
    """What ``?phases=true`` adds to a latency row."""

    phases: dict[str, PhaseStats]
    edge_served_share: float


class FlagVariant(Shape):
    key: str
    variant: str
    evaluations: int
    sessions: int
    crash_free_sessions: float | None
    requests: int
    client_p50_ms: float | None
    client_p99_ms: float | None
    server_p99_ms: float | None
    gap_p99_ms: float | None
    first_seen_unix_nano: int
    last_seen_unix_nano: int


class StaleFlag(Shape):
    key: str
    variant: str
    single_variant_since_unix_nano: int


class Flags(Shape):
    flags: list[FlagVariant]
    stale: list[StaleFlag]


class ScreenRow(Shape):
    screen: str
    count: int
    time_to_usable_p50_ms: float
    time_to_usable_p99_ms: float
    request_wait_p50_ms: float
    request_wait_p99_ms: float
    server_p50_ms: float
    server_p99_ms: float
    request_share: float
    server_share: float


class Screens(Shape):
    screens: list[ScreenRow]
    screen_spans_limit: int  # at most this many screen spans, the newest, are measured
    truncated: bool  # more screen spans matched the filters than the limit
