"""GET /api/v1/sessions (search) and GET /api/v1/sessions/{session_id} (one whole session)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response

from tracebridge.query.filters import SESSION_FILTER_NAMES, reject_unknown
from tracebridge.query.service import search_sessions, session_document
from tracebridge.query.views import json_response
from tracebridge.runtime import ReaderDep, require_read_token

router = APIRouter(prefix="/api/v1", tags=["sessions"], dependencies=[Depends(require_read_token)])
MAX_SESSION_ID = 1000


@router.get("/sessions")
def get_sessions(request: Request, reader: ReaderDep) -> Response:
    """Sessions matching the filters, newest first (400 naming an unknown filter or bad value)."""
    reject_unknown(request, SESSION_FILTER_NAMES)
    return json_response({"sessions": search_sessions(reader, dict(request.query_params))})


@router.get("/sessions/{session_id:path}")
def get_session(session_id: str, request: Request, reader: ReaderDep) -> Response:
    """The session with exactly this id (case-sensitive; may contain any character, URL-encoded)."""
    reject_unknown(request, ())
    if not session_id or len(session_id) > MAX_SESSION_ID:
        raise HTTPException(400, f"malformed session id: 1 to {MAX_SESSION_ID} characters expected")
    document = session_document(reader, session_id)
    if document is None:
        raise HTTPException(404, f"session {session_id!r} not found")
    return json_response(document)
