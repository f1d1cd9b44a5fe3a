"""The Jaeger API's reads, through the store reader's ``jaeger_*`` methods."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

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
    return sorted({service_label(name) for name in reader.jaeger_services()})


def operations(reader: StoreReader, service: str, span_kind: str = "") -> list[Operation]:
    """The operations (span names) of a service with their kind ("" for unspecified); with
    ``span_kind``, only those of that kind."""
    found = [
        Operation(op.name, KIND_TAGS.get(op.kind, ""))
        for op in reader.jaeger_operations(stored_service(service))
    ]
    return [op for op in found if not span_kind or op.span_kind == span_kind]


def traces(reader: StoreReader, trace_ids: Sequence[str]) -> list[Trace]:
    """The stored traces among ``trace_ids`` (32 lowercase hex), in that order; missing ones left out."""
    if not trace_ids:
        return []
    grouped: dict[str, list[SourceSpan]] = defaultdict(list)
    for row in reader.jaeger_trace_spans(trace_ids):
        span = source_span(row)
        grouped[span.trace_id].append(span)
    return [to_trace(grouped[tid]) for tid in dict.fromkeys(trace_ids) if grouped.get(tid)]


def find_trace_ids(reader: StoreReader, query: SearchQuery) -> list[str]:
    """Trace ids where one span meets every condition of ``query``, most recent first."""
    return reader.jaeger_find_trace_ids(stored_service(query.service), query)
