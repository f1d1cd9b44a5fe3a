"""GET /api/v1/latency: client, server and gap percentiles per route, app version, OS, network or
service, with time and attribute filters (400 naming an unknown parameter or value)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from tracebridge.query.api.deps import ReaderDep, require_read_token
from tracebridge.query.api.errors import ERROR_RESPONSES
from tracebridge.query.filters import LATENCY_FILTER_NAMES, parse_group_by, parse_limit, reject_unknown
from tracebridge.query.models import Latency, LatencyOverTime
from tracebridge.query.phase_latency import add_phase_percentiles, parse_phases_flag
from tracebridge.query.service import MAX_BUCKET_SECONDS, latency_over_time, latency_rows
from tracebridge.query.views import json_response

router = APIRouter(
    prefix="/api/v1", tags=["latency"], dependencies=[Depends(require_read_token)], responses=ERROR_RESPONSES
)
Text = Annotated[str | None, Query()]
Time = Annotated[str | None, Query(description="RFC 3339 or unix nanoseconds (the client request's start)")]


def latency_filters(
    since: Time = None,
    until: Time = None,
    app_version: Text = None,
    os_name: Text = None,
    os_version: Text = None,
    device_model: Text = None,
    network_type: Text = None,
    service_name: Text = None,
    route: Text = None,
) -> None:
    """Declares the latency filters (LATENCY_FILTER_NAMES) once, for /openapi.json; the routes read
    and check them from the query string (``reject_unknown``, ``parse_latency_filters``)."""


Filters = Depends(latency_filters)


@router.get("/latency", response_model=Latency, dependencies=[Filters])
def get_latency(
    request: Request,
    reader: ReaderDep,
    group_by: Annotated[
        str | None, Query(description="route (default), app_version, os_name, network_type or service_name")
    ] = None,
    phases: Annotated[
        str | None, Query(description="true: add per-phase count/p50/p99 and edge_served_share to each row")
    ] = None,
) -> Response:
    """Exact p50/p95/p99 per group over the client requests that reached the backend."""
    reject_unknown(request, (*LATENCY_FILTER_NAMES, "group_by", "phases"))
    params = dict(request.query_params)
    with_phases = parse_phases_flag(params.pop("phases", None))
    document = latency_rows(reader, parse_group_by(params), params)
    if with_phases:  # issue 14: network phases and the edge-served share per row
        document = add_phase_percentiles(reader, document, params)
    return json_response(document)  # LatencyRow leaves the two fields out unless they were computed


@router.get("/latency/over-time", response_model=LatencyOverTime, dependencies=[Filters])
def get_latency_over_time(
    request: Request,
    reader: ReaderDep,
    bucket_seconds: Annotated[str | None, Query(description="bucket width, default 300")] = None,
) -> Response:
    """Percentiles per route and time bucket of the client start (``bucket_seconds``, default 300)."""
    reject_unknown(request, (*LATENCY_FILTER_NAMES, "bucket_seconds"))
    params = dict(request.query_params)
    bucket = parse_limit(params.pop("bucket_seconds", None), 300, MAX_BUCKET_SECONDS, "bucket_seconds")
    return json_response(
        LatencyOverTime(bucket_seconds=bucket, rows=latency_over_time(reader, bucket, params))
    )
