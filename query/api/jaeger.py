"""The Jaeger-compatible query API under /jaeger (for Grafana's Jaeger data source and the Jaeger
UI), with the same read auth as /api/*:

- ``GET /jaeger/api/services`` -> service names
- ``GET /jaeger/api/services/{service}/operations`` -> operation (span) names
- ``GET /jaeger/api/operations?service=&spanKind=`` -> ``[{name, spanKind}]`` (the newer UI call)
- ``GET /jaeger/api/traces?service=&operation=&tags=&minDuration=&maxDuration=&limit=&start=&end=``
  (or ``traceID=`` repeated) -> matching traces
- ``GET /jaeger/api/traces/{trace_id}`` -> that trace, 404 when no span of it is stored

Every answer is Jaeger's envelope (``data``, ``total``, ``limit``, ``offset``, ``errors``); a bad
parameter is a 400 whose ``errors`` says which, as Jaeger's query service does.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from tracebridge.query.api.deps import ReaderDep, require_read_token
from tracebridge.query.jaeger import reader as jaeger_reader
from tracebridge.query.jaeger.convert import jaeger_trace_id
from tracebridge.query.jaeger.model import Envelope, Error
from tracebridge.query.jaeger.params import ParamError, parse_search, parse_trace_id
from tracebridge.query.views import json_response

router = APIRouter(prefix="/jaeger/api", tags=["jaeger"], dependencies=[Depends(require_read_token)])


def _answer(envelope: Envelope, status: int = 200) -> Response:
    return json_response(envelope.to_json(), status)


def _error(status: int, message: str, trace_id: str = "") -> Response:
    return _answer(Envelope(None, [Error(message, status, trace_id)]), status)


@router.get("/services")
def services(reader: ReaderDep) -> Response:
    return _answer(Envelope(list(jaeger_reader.services(reader))))


@router.get("/services/{service:path}/operations")
def service_operations(service: str, reader: ReaderDep) -> Response:
    names = sorted({op.name for op in jaeger_reader.operations(reader, service)})
    return _answer(Envelope(list(names)))


@router.get("/operations")
def operations(request: Request, reader: ReaderDep) -> Response:
    service = request.query_params.get("service", "")
    if not service:
        return _error(400, "parameter 'service' is required")
    kind = request.query_params.get("spanKind", "")
    return _answer(Envelope(list(jaeger_reader.operations(reader, service, kind))))


@router.get("/traces")
def search(request: Request, reader: ReaderDep) -> Response:
    try:
        query = parse_search(list(request.query_params.multi_items()))
    except ParamError as error:
        return _error(400, str(error))
    if query.trace_ids:
        found = jaeger_reader.traces(reader, query.trace_ids)
        stored = {t.trace_id for t in found}
        missing = [
            Error("trace not found", trace_id=jaeger_trace_id(tid))
            for tid in dict.fromkeys(query.trace_ids)
            if jaeger_trace_id(tid) not in stored
        ]
        return _answer(Envelope(list(found), missing))
    ids = jaeger_reader.find_trace_ids(reader, query)
    return _answer(Envelope(list(jaeger_reader.traces(reader, ids))))


@router.get("/traces/{trace_id}")
def get_trace(trace_id: str, reader: ReaderDep) -> Response:
    try:
        tid = parse_trace_id(trace_id)
    except ParamError as error:
        return _error(400, str(error))
    found = jaeger_reader.traces(reader, [tid])
    if not found:
        return _error(404, "trace not found")
    return _answer(Envelope(list(found)))
