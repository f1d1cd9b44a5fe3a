"""GET /api/v1/sessions (search) and GET /api/v1/sessions/{session_id} (one whole session)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from tracebridge.query.api.deps import ReaderDep, require_read_token
from tracebridge.query.api.errors import ERROR_RESPONSES, NOT_FOUND
from tracebridge.query.filters import SESSION_FILTER_NAMES, reject_unknown
from tracebridge.query.ids import parse_session_id
from tracebridge.query.models import Session, SessionList
from tracebridge.query.service import search_sessions, session_document
from tracebridge.query.views import json_response

router = APIRouter(
    prefix="/api/v1", tags=["sessions"], dependencies=[Depends(require_read_token)], responses=ERROR_RESPONSES
)
Text = Annotated[str | None, Query()]


@router.get("/sessions", response_model=SessionList)
def get_sessions(
    request: Request,
    reader: ReaderDep,
    app_version: Text = None,
    os_name: Text = None,
    os_version: Text = None,
    device_model: Text = None,
    device_id: Text = None,
    has_crash: Annotated[str | None, Query(description="true or false")] = None,
    since: Annotated[str | None, Query(description="RFC 3339 or unix nanoseconds")] = None,
    until: Annotated[str | None, Query(description="RFC 3339 or unix nanoseconds")] = None,
    limit: Annotated[str | None, Query(description="1 to 1000, default 50")] = None,
) -> Response:
    """Sessions matching the filters, newest first (400 naming an unknown filter or bad value).
    The declared parameters document the API; values are parsed by the query service."""
    reject_unknown(request, SESSION_FILTER_NAMES)
    return json_response(SessionList(sessions=search_sessions(reader, dict(request.query_params))))


@router.get("/sessions/{session_id:path}", response_model=Session, responses=NOT_FOUND)
def get_session(session_id: str, request: Request, reader: ReaderDep) -> Response:
    """The session with exactly this id (case-sensitive; may contain any character, URL-encoded)."""
    reject_unknown(request, ())
    return json_response(session_document(reader, parse_session_id(session_id)))
