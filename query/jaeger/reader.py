"""The Jaeger API's reads, through the store reader (``sql`` constants only)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from tracebridge.query.jaeger import sql
from tracebridge.query.jaeger.convert import (
    KIND_TAGS,
    SourceSpan,
    service_label,
    source_span,
    stored_service,
    to_trace,
)
from tracebridge.query.jaeger.model import Operation, Trace
from tracebridge.query.jaeger.params import SearchQuery
from tracebridge.store.reader import StoreReader


def services(reader: StoreReader) -> list[str]:
    return sorted({service_label(r["name"]) for r in reader.rows(sql.SERVICES)})


def operations(reader: StoreReader, service: str, span_kind: str = "") -> list[Operation]:
    """The operations (span names) of a service with their kind ("" for unspecified); with
    ``span_kind``, only those of that kind."""
    rows = reader.rows(sql.OPERATIONS, {"service": stored_service(service)})
    found = [Operation(r["name"], KIND_TAGS.get(r["kind"], "")) for r in rows]
    return [op for op in found if not span_kind or op.span_kind == span_kind]


def traces(reader: StoreReader, trace_ids: Sequence[str]) -> list[Trace]:
    """The stored traces among ``trace_ids`` (32 lowercase hex), in that order; missing ones left out."""
    if not trace_ids:
        return []
    grouped: dict[str, list[SourceSpan]] = defaultdict(list)
    for row in reader.rows(sql.TRACE_SPANS, {"trace_ids": list(trace_ids)}):
        span = source_span(row)
        grouped[span.trace_id].append(span)
    return [to_trace(grouped[tid]) for tid in dict.fromkeys(trace_ids) if grouped.get(tid)]


def find_trace_ids(reader: StoreReader, query: SearchQuery) -> list[str]:
    """Trace ids where one span meets every condition of ``query``, most recent first."""
    rows = reader.rows(
        sql.FIND_TRACE_IDS_WITH_TAGS if query.tags else sql.FIND_TRACE_IDS,
        {
            "service": stored_service(query.service),
            "operation": query.operation,
            "min_duration_us": query.min_duration_us,
            "max_duration_us": query.max_duration_us,
            "start_us": query.start_us,
            "end_us": query.end_us,
            "tag_keys": list(query.tags),
            "tag_values": list(query.tags.values()),
            "limit": query.limit,
        },
    )
    return [r["TraceId"] for r in rows]
