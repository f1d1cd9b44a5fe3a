"""The one place where ingest errors become transport answers.

OTLP/HTTP: permanent errors are 400/413/415 and retryable ones 408/429/503 with ``Retry-After``;
the body is a ``google.rpc.Status`` in the request's encoding. OTLP/gRPC: INVALID_ARGUMENT for
permanent errors, RESOURCE_EXHAUSTED (with RetryInfo, which makes it retryable per the OTLP
spec) and UNAVAILABLE for retryable ones.
"""

from __future__ import annotations

import grpc
from google.protobuf import duration_pb2, json_format
from google.rpc import code_pb2, error_details_pb2, status_pb2

from tracebridge.auth import AuthResult
from tracebridge.collector.decoding import JSON, PROTOBUF
from tracebridge.ingest.errors import (
    IngestError,
    MalformedRequest,
    Overloaded,
    PayloadTooLarge,
    RequestTimeout,
    UnsupportedMediaType,
)

HTTP_STATUS: list[tuple[type[IngestError], int]] = [
    (MalformedRequest, 400),
    (PayloadTooLarge, 413),
    (UnsupportedMediaType, 415),
    (Overloaded, 429),
    (RequestTimeout, 408),
]


def http_status(error: IngestError) -> int:
    for cls, status in HTTP_STATUS:
        if isinstance(error, cls):
            return status
    return 503 if error.retryable else 400


def grpc_code(error: IngestError) -> grpc.StatusCode:
    if isinstance(error, Overloaded):
        return grpc.StatusCode.RESOURCE_EXHAUSTED
    if error.retryable:
        return grpc.StatusCode.UNAVAILABLE
    if isinstance(error, PayloadTooLarge):
        return grpc.StatusCode.RESOURCE_EXHAUSTED
    return grpc.StatusCode.INVALID_ARGUMENT


def status_message(code: int, message: str, retry_after: int | None = None) -> status_pb2.Status:
    status = status_pb2.Status(code=code, message=message)
    if retry_after is not None:
        info = error_details_pb2.RetryInfo(retry_delay=duration_pb2.Duration(seconds=retry_after))
        status.details.add().Pack(info)
    return status


def encode_status(status: status_pb2.Status, encoding: str) -> tuple[bytes, str]:
    if encoding == PROTOBUF:
        return status.SerializeToString(), PROTOBUF
    return json_format.MessageToJson(status, indent=None).encode(), JSON


def http_error(error: IngestError, encoding: str) -> tuple[int, bytes, str, dict[str, str]]:
    """(status, body, content type, headers) for an ingest error."""
    status = http_status(error)
    code = code_pb2.UNAVAILABLE if error.retryable else code_pb2.INVALID_ARGUMENT
    retry_after = getattr(error, "retry_after", None) if error.retryable else None
    body, content_type = encode_status(status_message(code, error.message, retry_after), encoding)
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
    return status, body, content_type, headers


def http_auth_error(result: AuthResult, encoding: str) -> tuple[int, bytes, str, dict[str, str]]:
    if result is AuthResult.MISSING:
        status, code, message = (
            401,
            code_pb2.UNAUTHENTICATED,
            "missing credentials: send Authorization: Bearer <ingest key>",
        )
        headers = {"WWW-Authenticate": 'Bearer realm="tracebridge-ingest"'}
    else:
        status, code, message = 403, code_pb2.PERMISSION_DENIED, "the ingest key is not valid"
        headers = {}
    body, content_type = encode_status(status_message(code, message), encoding)
    return status, body, content_type, headers
