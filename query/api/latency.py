"""GET /api/v1/latency: client, server and gap percentiles per route, app version, OS, network or
service, with time and attribute filters (400 naming an unknown parameter or value)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from tracebridge.query.filters import LATENCY_FILTER_NAMES, parse_group_by, parse_limit, reject_unknown
from tracebridge.query.phase_latency import add_phase_percentiles, parse_phases_flag
from tracebridge.query.service import MAX_BUCKET_SECONDS, latency_over_time, latency_rows
from tracebridge.query.views import json_response
from tracebridge.runtime import ReaderDep, require_read_token

router = APIRouter(prefix="/api/v1", tags=["latency"], dependencies=[Depends(require_read_token)])


@router.get("/latency")
def get_latency(request: Request, reader: ReaderDep) -> Response:
    reject_unknown(request, (*LATENCY_FILTER_NAMES, "group_by", "phases"))
    params = dict(request.query_params)
    with_phases = parse_phases_flag(params.pop("phases", None))
    document = latency_rows(reader, parse_group_by(params), params)
    if with_phases:  # issue 14: per-phase p50/p99 and edge-served share
        add_phase_percentiles(reader, document, params)
    return json_response(document)


@router.get("/latency/over-time")
def get_latency_over_time(request: Request, reader: ReaderDep) -> Response:
    """Percentiles per route and time bucket of the client start (``bucket_seconds``, default 300)."""
    reject_unknown(request, (*LATENCY_FILTER_NAMES, "bucket_seconds"))
    params = dict(request.query_params)
    bucket = parse_limit(params.pop("bucket_seconds", None), 300, MAX_BUCKET_SECONDS, "bucket_seconds")
    return json_response({"bucket_seconds": bucket, "rows": latency_over_time(reader, bucket, params)})
