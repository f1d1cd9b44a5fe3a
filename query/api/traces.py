"""GET /api/v1/traces/{trace_id}: the whole trace, client and backend spans together."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException

from tracebridge.query.ids import parse_trace_id
from tracebridge.query.views import span_json
from tracebridge.runtime import ReaderDep, require_read_token

router = APIRouter(prefix="/api/v1", tags=["traces"], dependencies=[Depends(require_read_token)])


@router.get("/traces/{trace_id}")
def get_trace(trace_id: str, reader: ReaderDep) -> dict[str, Any]:
    tid = parse_trace_id(trace_id)
    spans = reader.trace_spans(tid)
    if not spans:
        raise HTTPException(404, f"trace {tid} not found")
    session_ids = [s.session_id for s in spans if s.side == "client" and s.session_id]
    return {
        "trace_id": tid,
        "session_id": session_ids[0] if session_ids else None,
        "start_time_unix_nano": min(s.start_time_unix_nano for s in spans),
        "end_time_unix_nano": max(s.end_time_unix_nano for s in spans),
        "spans": [span_json(s) for s in spans],
        "gaps": [],
        "crashes": [],
    }
