"""Validation of decoded export requests (pure functions).

Invalid items are removed and counted, never stored: a trace id that is not 16 bytes or is all
zero, a span id that is not 8 bytes or is all zero, a parent span id that is neither empty nor
8 bytes, an end before the start, a time past the year 2262 (not representable in nanoseconds).
The answer carries the count through OTLP ``partial_success``. Only ids and times are read here;
attributes are left to ClickHouse.
"""

from __future__ import annotations

from dataclasses import dataclass

from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

_ZERO_TRACE = bytes(16)
_ZERO_SPAN = bytes(8)
_MAX_NANOS = (1 << 63) - 1


@dataclass(frozen=True)
class Validated:
    """What survives validation: the serialized request to store and the counts for the answer."""

    payload: bytes
    accepted: int
    rejected: int
    error_message: str


def span_problem(trace_id: bytes, span_id: bytes, parent_span_id: bytes, start: int, end: int) -> str | None:
    if len(trace_id) != 16 or trace_id == _ZERO_TRACE:
        return "trace_id must be 16 bytes and not all zero"
    if len(span_id) != 8 or span_id == _ZERO_SPAN:
        return "span_id must be 8 bytes and not all zero"
    if len(parent_span_id) not in (0, 8):
        return "parent_span_id must be empty or 8 bytes"
    if end < start:
        return "end_time_unix_nano is before start_time_unix_nano"
    if end > _MAX_NANOS:
        return "timestamp out of range"
    return None


def log_problem(trace_id: bytes, span_id: bytes, time: int, observed: int) -> str | None:
    if len(trace_id) not in (0, 16):
        return "trace_id must be empty or 16 bytes"
    if len(span_id) not in (0, 8):
        return "span_id must be empty or 8 bytes"
    if time > _MAX_NANOS or observed > _MAX_NANOS:
        return "timestamp out of range"
    return None


def validate_traces(request: ExportTraceServiceRequest, original: bytes | None = None) -> Validated:
    """Drop invalid spans. ``original`` is the request's own protobuf bytes, reused when nothing
    was dropped (no re-serialization on the hot path)."""
    accepted = rejected = 0
    first_problem = ""
    for resource_spans in request.resource_spans:
        for scope_spans in resource_spans.scope_spans:
            bad: list[int] = []
            for index, span in enumerate(scope_spans.spans):
                problem = span_problem(
                    span.trace_id,
                    span.span_id,
                    span.parent_span_id,
                    span.start_time_unix_nano,
                    span.end_time_unix_nano,
                )
                if problem is None:
                    accepted += 1
                else:
                    bad.append(index)
                    first_problem = first_problem or f"{problem} (span {span.name!r})"
            if bad:
                rejected += len(bad)
                for index in reversed(bad):
                    del scope_spans.spans[index]
    payload = original if (original is not None and not rejected) else request.SerializeToString()
    message = f"{rejected} span(s) rejected; first: {first_problem}" if rejected else ""
    return Validated(payload, accepted, rejected, message)


def validate_logs(request: ExportLogsServiceRequest, original: bytes | None = None) -> Validated:
    accepted = rejected = 0
    first_problem = ""
    for resource_logs in request.resource_logs:
        for scope_logs in resource_logs.scope_logs:
            bad: list[int] = []
            for index, record in enumerate(scope_logs.log_records):
                problem = log_problem(
                    record.trace_id, record.span_id, record.time_unix_nano, record.observed_time_unix_nano
                )
                if problem is None:
                    accepted += 1
                else:
                    bad.append(index)
                    first_problem = first_problem or problem
            if bad:
                rejected += len(bad)
                for index in reversed(bad):
                    del scope_logs.log_records[index]
    payload = original if (original is not None and not rejected) else request.SerializeToString()
    message = f"{rejected} log record(s) rejected; first: {first_problem}" if rejected else ""
    return Validated(payload, accepted, rejected, message)
