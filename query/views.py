"""JSON shapes of the query API (the contract's field names), built from stored records."""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi.responses import Response

from tracebridge.store.rows import StoredSpan


def span_json(span: StoredSpan, adjusted_start: int | None = None) -> dict[str, Any]:
    return {
        "trace_id": span.trace_id,
        "span_id": span.span_id,
        "parent_span_id": span.parent_span_id,
        "name": span.name,
        "kind": span.kind,
        "side": span.side,
        "service_name": span.service_name,
        "session_id": span.session_id,
        "start_time_unix_nano": span.start_time_unix_nano,
        "end_time_unix_nano": span.end_time_unix_nano,
        "duration_ns": span.duration_ns,
        "adjusted_start_time_unix_nano": span.start_time_unix_nano
        if adjusted_start is None
        else adjusted_start,
        "status_code": span.status_code,
        "status_message": span.status_message,
        "trace_state": span.trace_state,
        "scope": {"name": span.scope_name, "version": span.scope_version},
        "attributes": span.attributes,
        "resource_attributes": span.resource_attributes,
        "events": [
            {"name": e.name, "time_unix_nano": e.time_unix_nano, "attributes": e.attributes}
            for e in span.events
        ],
        "links": [
            {
                "trace_id": link.trace_id,
                "span_id": link.span_id,
                "trace_state": link.trace_state,
                "attributes": link.attributes,
            }
            for link in span.links
        ],
    }


def _finite(value: Any) -> Any:
    """``value`` with non-finite floats as the strings OTLP/JSON uses for them."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def json_response(document: Any, status_code: int = 200) -> Response:
    """The document as strict JSON, without FastAPI's per-field re-encoding (documents are
    JSON-ready). A double attribute that is NaN or infinite becomes "NaN"/"Infinity"/"-Infinity",
    as in OTLP/JSON, instead of failing the whole answer."""
    try:
        body = json.dumps(document, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    except ValueError:
        body = json.dumps(_finite(document), ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return Response(body.encode("utf-8"), status_code=status_code, media_type="application/json")


def span_tree_order(spans: Sequence[Mapping[str, Any]]) -> list[tuple[Mapping[str, Any], int]]:
    """Spans of a trace document depth-first from the roots (a span whose parent is not stored is a
    root), siblings by adjusted start, each with its depth. Spans caught in a parent cycle come
    last at depth 0: no span is ever dropped."""
    ids = {s["span_id"] for s in spans}
    children: dict[str | None, list[Mapping[str, Any]]] = defaultdict(list)
    for span in spans:
        parent = span.get("parent_span_id")
        children[parent if parent in ids else None].append(span)
    for siblings in children.values():
        siblings.sort(key=lambda s: (s["adjusted_start_time_unix_nano"], s["span_id"]))
    out: list[tuple[Mapping[str, Any], int]] = []
    stack: list[tuple[Mapping[str, Any], int]] = [(s, 0) for s in reversed(children[None])]
    seen: set[str] = set()
    while stack:
        span, depth = stack.pop()
        if span["span_id"] in seen:
            continue
        seen.add(span["span_id"])
        out.append((span, depth))
        stack.extend((c, depth + 1) for c in reversed(children.get(span["span_id"], [])))
    out.extend((s, 0) for s in spans if s["span_id"] not in seen)
    return out
