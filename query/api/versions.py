"""Query API router for /api/v1/versions (filled in by its issue)."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from tracebridge.runtime import require_read_token

router = APIRouter(prefix="/api/v1", tags=["versions"], dependencies=[Depends(require_read_token)])
