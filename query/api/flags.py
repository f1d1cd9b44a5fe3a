"""GET /api/v1/flags: feature-flag variants with sessions, crash-free sessions, latency; stale flags."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from tracebridge.query.api.deps import ReaderDep, require_read_token
from tracebridge.query.api.errors import ERROR_RESPONSES
from tracebridge.query.explain_models import Flags
from tracebridge.query.filters import query_params
from tracebridge.query.flags import flags_document
from tracebridge.query.views import json_response

router = APIRouter(
    prefix="/api/v1", tags=["flags"], dependencies=[Depends(require_read_token)], responses=ERROR_RESPONSES
)


@router.get("/flags", response_model=Flags)
def get_flags(request: Request, reader: ReaderDep) -> Response:
    return json_response(flags_document(reader, query_params(request)))
