"""HTML pages on the api port, behind the read token (the dashboards issue fills these in)."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse

from tracebridge.runtime import require_read_token

router = APIRouter(tags=["pages"], dependencies=[Depends(require_read_token)], include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def home() -> str:
    """Search by trace or session id."""
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>tracebridge</title></head><body>"
        "<h1>tracebridge</h1><form action='/api/v1/sessions' method='get'>"
        "<input name='q' placeholder='trace or session id'></form></body></html>"
    )
