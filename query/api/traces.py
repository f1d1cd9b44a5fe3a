"""GET /api/v1/traces/{trace_id}: the whole trace, client and backend spans, gaps and crashes.

The query routers answer with views.json_response directly: the service's documents are JSON-ready, and
FastAPI's per-field re-encoding would cost more than the store read for a large session.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response

from tracebridge.query.filters import reject_unknown
from tracebridge.query.ids import parse_trace_id
from tracebridge.query.service import trace_document
from tracebridge.query.views import json_response
from tracebridge.runtime import ReaderDep, require_read_token

router = APIRouter(prefix="/api/v1", tags=["traces"], dependencies=[Depends(require_read_token)])


@router.get("/traces/{trace_id}")
def get_trace(trace_id: str, request: Request, reader: ReaderDep) -> Response:
    """400 for a malformed id or any query parameter, 404 when no span of the trace is stored."""
    reject_unknown(request, ())
    tid = parse_trace_id(trace_id)
    document = trace_document(reader, tid)
    if document is None:
        raise HTTPException(404, f"trace {tid} not found")
    return json_response(document)
