"""Query API router for /api/v1/crashes and /api/v1/crash-groups."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response

from tracebridge.query.crashes.lookup import crash_document, crash_groups, list_crashes
from tracebridge.query.filters import check_names, parse_limit, query_params
from tracebridge.query.views import json_response
from tracebridge.runtime import ReaderDep, require_read_token

router = APIRouter(prefix="/api/v1", tags=["crashes"], dependencies=[Depends(require_read_token)])


@router.get("/crashes")
def get_crashes(request: Request, reader: ReaderDep) -> Response:
    return json_response({"crashes": list_crashes(reader, query_params(request))})


@router.get("/crash-groups")
def get_crash_groups(request: Request, reader: ReaderDep) -> Response:
    return json_response({"groups": crash_groups(reader, query_params(request))})


@router.get("/crashes/{crash_id}")
def get_crash(crash_id: str, request: Request, reader: ReaderDep) -> Response:
    params = query_params(request)
    check_names(list(params.items()), {"last_requests"})
    normalized = crash_id.strip().lower()
    if not normalized or len(normalized) > 64 or any(c not in "0123456789abcdef" for c in normalized):
        raise HTTPException(400, f"invalid crash id {crash_id!r}: expected lowercase hex")
    last_n = parse_limit(params.get("last_requests"), 10, 1000, "last_requests")
    document = crash_document(reader, normalized, last_n)
    if document is None:
        raise HTTPException(404, f"crash {normalized} not found")
    return json_response(document)
