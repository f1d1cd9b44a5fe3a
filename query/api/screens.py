"""GET /api/v1/screens: per screen, p50/p99 time to usable, request wait and server time."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from tracebridge.query.api.deps import ReaderDep, require_read_token
from tracebridge.query.api.errors import ERROR_RESPONSES
from tracebridge.query.explain_models import Screens
from tracebridge.query.filters import query_params
from tracebridge.query.screens import screens_document
from tracebridge.query.views import json_response

router = APIRouter(
    prefix="/api/v1", tags=["screens"], dependencies=[Depends(require_read_token)], responses=ERROR_RESPONSES
)


@router.get("/screens", response_model=Screens)
def get_screens(request: Request, reader: ReaderDep) -> Response:
    return json_response(screens_document(reader, query_params(request)))
