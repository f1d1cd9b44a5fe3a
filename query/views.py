"""Documents from stored records, and their JSON (the contract's byte format)."""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from fastapi.responses import Response
from pydantic import BaseModel

from tracebridge.query.models import Event, Link, Scope, Span
from tracebridge.store.rows import StoredSpan


def span_document(span: StoredSpan, adjusted_start: int | None = None) -> Span:
    """The trace document's span, with its derived facts (``error``, adjusted start)."""
    return Span(
        trace_id=span.trace_id,
        span_id=span.span_id,
        parent_span_id=span.parent_span_id,
        name=span.name,
        kind=span.kind,  # type: ignore[arg-type]  # rows.KIND_NAMES values
        side=span.side,  # type: ignore[arg-type]  # 'client' | 'backend' (the store's joining rule)
        service_name=span.service_name,
        session_id=span.session_id,
        start_time_unix_nano=span.start_time_unix_nano,
        end_time_unix_nano=span.end_time_unix_nano,
        duration_ns=span.duration_ns,
        adjusted_start_time_unix_nano=span.start_time_unix_nano if adjusted_start is None else adjusted_start,
        status_code=span.status_code,  # type: ignore[arg-type]  # rows.STATUS_NAMES values
        status_message=span.status_message,
        error=span.error,
        trace_state=span.trace_state,
        scope=Scope(name=span.scope_name, version=span.scope_version),
        attributes=span.attributes,
        resource_attributes=span.resource_attributes,
        events=[
            Event(name=e.name, time_unix_nano=e.time_unix_nano, attributes=e.attributes) for e in span.events
        ],
        links=[
            Link(trace_id=k.trace_id, span_id=k.span_id, trace_state=k.trace_state, attributes=k.attributes)
            for k in span.links
        ],
    )


def _finite(value: Any) -> Any:
    """``value`` with non-finite floats as the strings OTLP/JSON uses for them."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def json_response(document: BaseModel | Any, status_code: int = 200) -> Response:
    """The document as strict compact JSON (fields in declaration order). A double attribute that
    is NaN or infinite becomes "NaN"/"Infinity"/"-Infinity", as in OTLP/JSON, instead of failing
    the whole answer. The routers return this Response themselves, so FastAPI's per-field
    re-encoding is skipped; their ``response_model`` still describes the body in /openapi.json."""
    if isinstance(document, BaseModel) and document.model_config.get("ser_json_inf_nan") == "strings":
        # pydantic's own encoder: ~5x faster than model_dump + json.dumps for a 1,000-span session.
        return Response(document.model_dump_json(), status_code=status_code, media_type="application/json")
    if isinstance(document, BaseModel):
        document = document.model_dump(mode="python")
    try:
        body = json.dumps(document, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    except ValueError:
        body = json.dumps(_finite(document), ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return Response(body.encode("utf-8"), status_code=status_code, media_type="application/json")


def span_tree_order(spans: Sequence[Span]) -> list[tuple[Span, int]]:
    """Spans of a trace document depth-first from the roots (a span whose parent is not stored is a
    root), siblings by adjusted start, each with its depth. Spans caught in a parent cycle come
    last at depth 0: no span is ever dropped."""
    ids = {s.span_id for s in spans}
    children: dict[str | None, list[Span]] = defaultdict(list)
    for span in spans:
        parent = span.parent_span_id
        children[parent if parent in ids else None].append(span)
    for siblings in children.values():
        siblings.sort(key=lambda s: (s.adjusted_start_time_unix_nano, s.span_id))
    out: list[tuple[Span, int]] = []
    stack: list[tuple[Span, int]] = [(s, 0) for s in reversed(children[None])]
    seen: set[str] = set()
    while stack:
        span, depth = stack.pop()
        if span.span_id in seen:
            continue
        seen.add(span.span_id)
        out.append((span, depth))
        stack.extend((c, depth + 1) for c in reversed(children.get(span.span_id, [])))
    out.extend((s, 0) for s in spans if s.span_id not in seen)
    return out
