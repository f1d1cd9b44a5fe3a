"""Query API router for /api/v1/crashes and /api/v1/crash-groups."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from tracebridge.query.api.deps import ReaderDep, require_read_token
from tracebridge.query.api.errors import ERROR_RESPONSES, NOT_FOUND
from tracebridge.query.crashes.lookup import crash_document, crash_groups, list_crashes
from tracebridge.query.filters import check_names, parse_limit, query_params
from tracebridge.query.ids import parse_crash_id
from tracebridge.query.models import Crash, CrashGroupList, CrashList
from tracebridge.query.views import json_response

router = APIRouter(
    prefix="/api/v1", tags=["crashes"], dependencies=[Depends(require_read_token)], responses=ERROR_RESPONSES
)
Text = Annotated[str | None, Query()]
Time = Annotated[str | None, Query(description="RFC 3339 or unix nanoseconds (the crash time)")]
Kind = Annotated[str | None, Query(description="crash, native_crash, anr, hang or exception")]


@router.get("/crashes", response_model=CrashList)
def get_crashes(
    request: Request,
    reader: ReaderDep,
    session_id: Text = None,
    group_id: Text = None,
    app_version: Text = None,
    os_name: Text = None,
    kind: Kind = None,
    since: Time = None,
    until: Time = None,
    limit: Annotated[str | None, Query(description="1 to 10000, default 100")] = None,
) -> Response:
    return json_response(CrashList(crashes=list_crashes(reader, query_params(request))))


@router.get("/crash-groups", response_model=CrashGroupList)
def get_crash_groups(
    request: Request,
    reader: ReaderDep,
    app_version: Text = None,
    os_name: Text = None,
    kind: Kind = None,
    since: Time = None,
    until: Time = None,
    limit: Annotated[str | None, Query(description="1 to 10000, default 1000")] = None,
) -> Response:
    return json_response(CrashGroupList(groups=crash_groups(reader, query_params(request))))


@router.get("/crashes/{crash_id}", response_model=Crash, responses=NOT_FOUND)
def get_crash(
    crash_id: str,
    request: Request,
    reader: ReaderDep,
    last_requests: Annotated[str | None, Query(description="1 to 1000, default 10")] = None,
) -> Response:
    params = query_params(request)
    check_names(list(params.items()), {"last_requests"})
    last_n = parse_limit(params.get("last_requests"), 10, 1000, "last_requests")
    return json_response(crash_document(reader, parse_crash_id(crash_id), last_n))
