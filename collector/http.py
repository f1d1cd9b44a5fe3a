"""OTLP/HTTP receiver: POST /v1/traces and /v1/logs (protobuf or JSON, optionally gzip).

The route only moves bytes: limits and decompression here, decoding and validation in pure
functions (collector/decoding.py), durability in the ingest pipeline, error mapping in
collector/responses.py. A 200 is sent only after the pipeline reports the data durable.

Intake is bounded (collector/limits.py): past ``intake_max_concurrent`` exports in progress the
answer is a 429 before the body is read; a body not received within ``body_timeout_seconds`` is
a 408. A client that drops its upload mid-body is a closed connection, logged at debug level
(mobile networks do that all the time), never an error with a traceback.
"""

from __future__ import annotations

import asyncio
import logging

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from tracebridge.auth import AuthResult, check_bearer
from tracebridge.collector.decoding import JSON, decode, encode_response, gunzip_bounded, media_type
from tracebridge.collector.deps import IntakeDep, PipelineDep, SettingsDep
from tracebridge.collector.responses import http_auth_error, http_error
from tracebridge.domain import Signal
from tracebridge.ingest.errors import (
    IngestError,
    Overloaded,
    PayloadTooLarge,
    RequestTimeout,
    UnsupportedMediaType,
)

router = APIRouter()
log = logging.getLogger("tracebridge.collector")


async def read_body_bounded(request: Request, limit: int) -> bytes:
    """Read a body sent with Content-Length or chunked, refusing past ``limit`` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"body is larger than {limit} bytes")
    chunks: list[bytes] = []
    total = 0
    async for chunk in request.stream():
        total += len(chunk)
        if total > limit:
            raise PayloadTooLarge(f"body is larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def answer_encoding(content_type: str | None) -> str:
    """The encoding to answer in, even when the request's own is unsupported (then JSON)."""
    try:
        return media_type(content_type)
    except UnsupportedMediaType:
        return JSON


def content_coding(request: Request) -> str:
    coding = request.headers.get("content-encoding", "identity").strip().lower()
    if coding not in ("identity", "gzip", "x-gzip", ""):
        raise UnsupportedMediaType(f"unsupported Content-Encoding {coding!r}: use gzip or none")
    return "gzip" if coding in ("gzip", "x-gzip") else "identity"


async def export(
    signal: Signal, request: Request, settings: SettingsDep, pipeline: PipelineDep, intake: IntakeDep
) -> Response:
    encoding = answer_encoding(request.headers.get("content-type"))
    auth = check_bearer(request.headers.get("authorization"), settings.ingest_key_set)
    if auth is not AuthResult.OK:
        status, body, content_type, headers = http_auth_error(auth, encoding)
        return Response(body, status, headers=headers, media_type=content_type)
    if not intake.try_acquire():
        pipeline.counters.refused_overloaded += 1
        busy = Overloaded(f"too many exports in progress (limit {intake.limit}); retry later", retry_after=1)
        status, body, content_type, headers = http_error(busy, encoding)
        return Response(body, status, headers={**headers, "Connection": "close"}, media_type=content_type)
    try:
        encoding = media_type(request.headers.get("content-type"))
        coding = content_coding(request)
        try:
            raw = await asyncio.wait_for(
                read_body_bounded(request, settings.max_body_bytes), settings.body_timeout_seconds
            )
        except TimeoutError:
            raise RequestTimeout(
                f"the body was not received within {settings.body_timeout_seconds:g} s", retry_after=1
            ) from None
        if coding == "gzip":
            raw = await run_in_threadpool(gunzip_bounded, raw, settings.max_body_bytes)
        validated = await run_in_threadpool(decode, signal, raw, encoding)
        del raw
        if validated.accepted:
            await asyncio.wrap_future(pipeline.submit(signal, validated.payload, validated.accepted))
        return Response(encode_response(signal, validated, encoding), 200, media_type=encoding)
    except IngestError as error:
        status, body, content_type, headers = http_error(error, encoding)
        return Response(body, status, headers=headers, media_type=content_type)
    except ClientDisconnect:
        pipeline.counters.aborted_uploads += 1
        log.debug(
            "client closed the connection during an upload to %s (nothing acknowledged)", request.url.path
        )
        return Response(status_code=400)
    finally:
        intake.release()


@router.post("/v1/traces")
async def export_traces(
    request: Request, settings: SettingsDep, pipeline: PipelineDep, intake: IntakeDep
) -> Response:
    return await export(Signal.TRACES, request, settings, pipeline, intake)


@router.post("/v1/logs")
async def export_logs(
    request: Request, settings: SettingsDep, pipeline: PipelineDep, intake: IntakeDep
) -> Response:
    return await export(Signal.LOGS, request, settings, pipeline, intake)
