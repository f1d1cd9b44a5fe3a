"""The query stage's typed documents (pydantic): what the API answers and pages, terminal,
dashboards and export draw.

Field names and order are the contract's JSON (``/work``'s contract.md "Query API"), plus
tracebridge's extensions; ``null`` where the contract says "or null". Attribute values keep their
OTLP type (``Any``: string, integer, float, boolean, list, object). The derived facts are fields:
a span's ``error``, a trace's and a gap's ``has_error``, a gap's answering attempt
(``server_span_id``, the last of ``attempts``), ``clock_skew_ns`` and adjusted starts. JSON is
written by ``tracebridge.query.views.json_response`` (non-finite doubles as OTLP/JSON strings).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, SerializerFunctionWrapHandler, model_serializer

from tracebridge.domain import SpanKind, SpanSide, StatusCode
from tracebridge.query.explain_models import Edge, Phases, PhaseStats, QueuedMessage


class Document(BaseModel):
    """Base of every query document: immutable, and no field outside the declared ones."""

    # Non-finite doubles serialize as OTLP/JSON's "NaN"/"Infinity"/"-Infinity" (views.json_response).
    model_config = ConfigDict(frozen=True, extra="forbid", ser_json_inf_nan="strings")


# ---------------------------------------------------------------- spans and gaps


class Event(Document):
    name: str
    time_unix_nano: int
    attributes: dict[str, Any]


class Link(Document):
    trace_id: str
    span_id: str
    trace_state: str
    attributes: dict[str, Any]


class Scope(Document):
    name: str
    version: str


class Span(Document):
    """One span of a trace document; ``error`` is the contract's "span in error"."""

    trace_id: str
    span_id: str
    parent_span_id: str | None
    name: str
    kind: SpanKind
    side: SpanSide
    service_name: str
    session_id: str | None
    start_time_unix_nano: int
    end_time_unix_nano: int
    duration_ns: int
    adjusted_start_time_unix_nano: int
    status_code: StatusCode
    status_message: str
    error: bool
    trace_state: str
    scope: Scope
    attributes: dict[str, Any]
    resource_attributes: dict[str, Any]
    events: list[Event]
    links: list[Link]


class Gap(Document):
    """One client request and the server attempt that answered it (the one that ended last;
    ``attempts`` lists every attempt's server span id in end-time order)."""

    trace_id: str
    client_span_id: str
    server_span_id: str | None
    route: str
    client_duration_ns: int
    server_duration_ns: int | None
    gap_ns: int | None
    clock_skew_ns: int | None
    attempts: list[str]
    client_name: str
    server_name: str | None
    service_name: str | None
    http_method: str
    http_status_code: int | None
    client_start_time_unix_nano: int
    server_start_time_unix_nano: int | None
    adjusted_server_start_time_unix_nano: int | None
    reached_backend: bool
    server_count: int
    retry_count: int
    attempt: int
    resend_count: int
    has_error: bool
    phases: Phases | None = None  # issue 14: network phases (explain_models)
    edge: Edge | None = None  # issue 14: the edge hop


# ---------------------------------------------------------------- crashes


class CrashSummary(Document):
    """A crash as listed in traces, sessions and ``/api/v1/crashes``."""

    crash_id: str
    time_unix_nano: int
    kind: str
    fatal: bool
    exception_type: str
    exception_message: str
    group_id: str
    title: str
    session_id: str | None
    session_inferred: bool
    trace_id: str | None
    span_id: str | None
    event_name: str | None
    source: str
    app_version: str
    os_name: str
    os_version: str
    device_model: str
    network_type: str | None


class LastRequest(Document):
    """One of a crashed session's last client requests with the attempt that answered it."""

    trace_id: str
    client_span_id: str
    name: str
    route: str | None
    http_method: str | None
    start_time_unix_nano: int
    client_duration_ns: int
    client_status_code: StatusCode
    server_span_id: str | None
    server_service_name: str | None
    server_duration_ns: int | None
    gap_ns: int | None
    http_status_code: int | None
    error: bool


class BackendError(Document):
    trace_id: str
    span_id: str
    parent_span_id: str | None
    service_name: str
    name: str
    kind: SpanKind
    route: str | None
    start_time_unix_nano: int
    duration_ns: int
    status_code: StatusCode
    status_message: str
    http_status_code: int | None


class ActiveSpan(Document):
    trace_id: str
    span_id: str
    parent_span_id: str | None
    name: str
    kind: SpanKind
    side: SpanSide
    service_name: str
    start_time_unix_nano: int
    end_time_unix_nano: int
    status_code: StatusCode
    status_message: str


class Crash(CrashSummary):
    """GET /api/v1/crashes/{crash_id}."""

    stacktrace: str
    device_id: str | None
    service_name: str
    scope_name: str
    frames: list[str]
    attributes: dict[str, Any]
    resource_attributes: dict[str, Any]
    last_requests: list[LastRequest]
    active_span: ActiveSpan | None
    backend_errors: list[BackendError]


class CrashList(Document):
    crashes: list[CrashSummary]


class CrashGroup(Document):
    group_id: str
    exception_type: str
    title: str
    frames: list[str]
    count: int
    first_seen_unix_nano: int
    last_seen_unix_nano: int
    app_versions: dict[str, int]
    sessions: int


class CrashGroupList(Document):
    groups: list[CrashGroup]


class VersionRow(Document):
    app_version: str
    os_name: str
    sessions: int
    devices: int
    share: float
    crashed_sessions: int
    crash_free_sessions: float


class VersionList(Document):
    versions: list[VersionRow]


# ---------------------------------------------------------------- traces and sessions


class Trace(Document):
    """GET /api/v1/traces/{trace_id}: extent on the device clock (adjusted starts)."""

    trace_id: str
    session_id: str | None
    start_time_unix_nano: int
    end_time_unix_nano: int
    duration_ns: int
    span_count: int
    has_error: bool
    spans: list[Span]
    gaps: list[Gap]
    crashes: list[CrashSummary]
    queued: list[QueuedMessage] = []  # issue 14: messages produced while handling it


class TraceSummary(Document):
    """One entry of a session's ``traces[]``."""

    trace_id: str
    name: str
    start_time_unix_nano: int
    duration_ns: int
    span_count: int
    client_span_count: int
    backend_span_count: int
    has_error: bool
    error_count: int
    gaps: list[Gap]


class Session(Document):
    """GET /api/v1/sessions/{session_id}."""

    session_id: str
    start_time_unix_nano: int | None
    end_time_unix_nano: int | None
    app_version: str | None
    os_name: str | None
    os_version: str | None
    device_model: str | None
    device_id: str | None
    service_name: str | None
    network_types: list[str]
    trace_count: int
    span_count: int
    has_error: bool
    crash_count: int
    traces: list[TraceSummary]
    crashes: list[CrashSummary]
    queued: list[QueuedMessage] = []  # issue 14: messages produced while handling it


class SessionSummary(Document):
    """One row of GET /api/v1/sessions; ``has_error`` covers every span of the session's traces
    (backend spans joined by trace id too), as in the session document."""

    session_id: str
    start_time_unix_nano: int
    end_time_unix_nano: int
    app_version: str | None
    os_name: str | None
    os_version: str | None
    device_model: str | None
    device_id: str | None
    trace_count: int
    span_count: int
    has_error: bool
    crash_count: int


class SessionList(Document):
    sessions: list[SessionSummary]


# ---------------------------------------------------------------- latency


def _leave_out_unasked(model: BaseModel, data: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    """``data`` without ``names`` when the model holds none of them (fields only some requests ask
    for, such as ``?phases=true``'s, so that the answer otherwise is exactly the contract's)."""
    if all(getattr(model, name) is None for name in names):
        for name in names:
            data.pop(name, None)
    return data


class LatencyRow(Document):
    key: str
    count: int
    client_p50_ms: float
    client_p95_ms: float
    client_p99_ms: float
    server_p50_ms: float
    server_p95_ms: float
    server_p99_ms: float
    gap_p50_ms: float
    gap_p95_ms: float
    gap_p99_ms: float
    phases: dict[str, PhaseStats] | None = None  # issue 14: only with ?phases=true
    edge_served_share: float | None = None  # issue 14: only with ?phases=true

    # The return stays unannotated: an annotation would replace the row's schema in /openapi.json.
    @model_serializer(mode="wrap")
    def _phases_only_when_asked(self, handler: SerializerFunctionWrapHandler):  # type: ignore[no-untyped-def]
        """Without ``?phases=true`` a row is exactly the contract's: the two fields are left out."""
        return _leave_out_unasked(self, handler(self), ("phases", "edge_served_share"))


class Latency(Document):
    """GET /api/v1/latency."""

    group_by: str
    rows: list[LatencyRow]
    # issue 14, only with ?phases=true: the phases are over the newest this-many requests ...
    phase_requests_limit: int | None = None
    # ... and whether more requests matched the filters than that
    phases_truncated: bool | None = None

    # As the row's: the return stays unannotated (the schema in /openapi.json stays the model's).
    @model_serializer(mode="wrap")
    def _phase_bound_only_when_asked(self, handler: SerializerFunctionWrapHandler):  # type: ignore[no-untyped-def]
        """Without ``?phases=true`` the document is exactly the contract's."""
        return _leave_out_unasked(self, handler(self), ("phase_requests_limit", "phases_truncated"))


class LatencyBucket(Document):
    route: str
    bucket_start_unix_nano: int
    bucket_seconds: int
    count: int
    client_p50_ms: float
    client_p95_ms: float
    client_p99_ms: float
    server_p50_ms: float
    server_p95_ms: float
    server_p99_ms: float
    gap_p50_ms: float
    gap_p95_ms: float
    gap_p99_ms: float


class LatencyOverTime(Document):
    """GET /api/v1/latency/over-time."""

    bucket_seconds: int
    rows: list[LatencyBucket]


class Problem(Document):
    """Every 4xx/5xx answer of the query API: ``detail`` says what is wrong."""

    detail: str
