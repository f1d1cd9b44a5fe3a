"""HTML pages (behind the read token)."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from tracebridge.runtime import require_read_token

router = APIRouter(tags=["pages"], dependencies=[Depends(require_read_token)], include_in_schema=False)
