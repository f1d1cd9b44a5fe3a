"""GET /api/v1/latency: client, server and gap percentiles per route, app version, OS, network or
service, with time and attribute filters (400 naming an unknown parameter or value)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request

from tracebridge.query.filters import LATENCY_FILTER_NAMES, parse_group_by, reject_unknown
from tracebridge.query.service import latency_rows
from tracebridge.runtime import ReaderDep, require_read_token

router = APIRouter(prefix="/api/v1", tags=["latency"], dependencies=[Depends(require_read_token)])


@router.get("/latency")
def get_latency(request: Request, reader: ReaderDep) -> dict[str, Any]:
    reject_unknown(request, (*LATENCY_FILTER_NAMES, "group_by"))
    params = dict(request.query_params)
    return latency_rows(reader, parse_group_by(params), params)
