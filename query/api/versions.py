"""Query API router for /api/v1/versions (per-version health over the last 7 days)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request

from tracebridge.query.crashes.lookup import version_health
from tracebridge.query.filters import check_names
from tracebridge.runtime import ReaderDep, require_read_token

router = APIRouter(prefix="/api/v1", tags=["versions"], dependencies=[Depends(require_read_token)])


@router.get("/versions")
def get_versions(request: Request, reader: ReaderDep) -> dict[str, Any]:
    items = list(request.query_params.multi_items())
    check_names(items, {name for name, _ in items})
    return {"versions": version_health(reader, dict(items))}
