"""GET /api/v1/traces/{trace_id}: the whole trace, client and backend spans, gaps and crashes."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from tracebridge.query.api.deps import ReaderDep, require_read_token
from tracebridge.query.api.errors import ERROR_RESPONSES, NOT_FOUND
from tracebridge.query.filters import reject_unknown
from tracebridge.query.ids import parse_trace_id
from tracebridge.query.models import Trace
from tracebridge.query.service import trace_document
from tracebridge.query.views import json_response

router = APIRouter(
    prefix="/api/v1", tags=["traces"], dependencies=[Depends(require_read_token)], responses=ERROR_RESPONSES
)


@router.get("/traces/{trace_id}", response_model=Trace, responses=NOT_FOUND)
def get_trace(trace_id: str, request: Request, reader: ReaderDep) -> Response:
    """400 for a malformed id or any query parameter, 404 when no span of the trace is stored."""
    reject_unknown(request, ())
    return json_response(trace_document(reader, parse_trace_id(trace_id)))
