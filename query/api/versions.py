"""Query API router for /api/v1/versions (per-version health over the last 7 days)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from tracebridge.query.api.deps import ReaderDep, require_read_token
from tracebridge.query.api.errors import ERROR_RESPONSES
from tracebridge.query.crashes.lookup import version_health
from tracebridge.query.filters import query_params
from tracebridge.query.models import VersionList
from tracebridge.query.views import json_response

router = APIRouter(
    prefix="/api/v1", tags=["versions"], dependencies=[Depends(require_read_token)], responses=ERROR_RESPONSES
)


@router.get("/versions", response_model=VersionList)
def get_versions(
    request: Request,
    reader: ReaderDep,
    os_name: Annotated[str | None, Query()] = None,
    until: Annotated[str | None, Query(description="RFC 3339 or unix nanoseconds, default now")] = None,
) -> Response:
    return json_response(VersionList(versions=version_health(reader, query_params(request))))
