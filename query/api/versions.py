"""Query API router for /api/v1/versions (per-version health over the last 7 days)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from tracebridge.query.crashes.lookup import version_health
from tracebridge.query.filters import query_params
from tracebridge.query.views import json_response
from tracebridge.runtime import ReaderDep, require_read_token

router = APIRouter(prefix="/api/v1", tags=["versions"], dependencies=[Depends(require_read_token)])


@router.get("/versions")
def get_versions(request: Request, reader: ReaderDep) -> Response:
    return json_response({"versions": version_health(reader, query_params(request))})
