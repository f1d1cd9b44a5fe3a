"""OTLP request decoding: pure functions, chosen by content type, out of the transport code.

OTLP/JSON differs from protobuf's canonical JSON mapping in a few ways the specification
lists: trace and span ids are hex (either case), not base64; enums may be integers; keys are
lowerCamelCase (the original snake_case names are accepted too); unknown fields are ignored;
64-bit integers come as strings or numbers. Bodies are decoded into the official OTLP
messages, validated (ingest/validate.py), and stored as protobuf whatever their encoding.
"""

from __future__ import annotations

import base64
import binascii
import json
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from google.protobuf import json_format
from google.protobuf.message import DecodeError, Message
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsServiceRequest,
    ExportLogsServiceResponse,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from tracebridge.domain import Signal
from tracebridge.ingest.errors import MalformedRequest, PayloadTooLarge, UnsupportedMediaType
from tracebridge.ingest.validate import Validated, validate_logs, validate_traces

PROTOBUF = "application/x-protobuf"
JSON = "application/json"

_ID_KEYS = frozenset({"traceId", "spanId", "parentSpanId", "trace_id", "span_id", "parent_span_id"})
_BAD_ID = base64.b64encode(b"\x00").decode()  # one byte: fails validation as an invalid id


def media_type(content_type: str | None) -> str:
    """The encoding named by a Content-Type header; raises UnsupportedMediaType otherwise."""
    base = (content_type or "").split(";", 1)[0].strip().lower()
    if base in (PROTOBUF, "application/protobuf", "application/vnd.google.protobuf"):
        return PROTOBUF
    if base == JSON:
        return JSON
    raise UnsupportedMediaType(f"unsupported Content-Type {content_type!r}: use {PROTOBUF} or {JSON}")


def gunzip_bounded(body: bytes, limit: int) -> bytes:
    """Inflate a gzip body, refusing as soon as the output would pass ``limit`` bytes,
    so a gzip bomb never inflates in memory."""
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(body, limit + 1)
        if len(out) > limit or inflater.unconsumed_tail:
            raise PayloadTooLarge(f"body is larger than {limit} bytes after decompression")
        out += inflater.flush()
    except zlib.error as exc:
        raise MalformedRequest(f"body is not valid gzip: {exc}") from exc
    if len(out) > limit:
        raise PayloadTooLarge(f"body is larger than {limit} bytes after decompression")
    if not inflater.eof:
        raise MalformedRequest("gzip body is truncated")
    return out


def _hex_ids_to_base64(node: Any) -> None:
    """Rewrite OTLP/JSON hex ids in place into the base64 protobuf's JSON mapping expects."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in _ID_KEYS and isinstance(value, str):
                try:
                    node[key] = base64.b64encode(bytes.fromhex(value)).decode() if value else ""
                except ValueError:
                    node[key] = _BAD_ID
            elif isinstance(value, dict | list):
                _hex_ids_to_base64(value)
    elif isinstance(node, list):
        for item in node:
            if isinstance(item, dict | list):
                _hex_ids_to_base64(item)


def parse_json(body: bytes, message: Message) -> None:
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise MalformedRequest(f"body is not valid JSON: {exc}") from exc
    if not isinstance(document, dict):
        raise MalformedRequest("OTLP/JSON body must be a JSON object")
    _hex_ids_to_base64(document)
    try:
        json_format.ParseDict(document, message, ignore_unknown_fields=True)
    except (json_format.ParseError, ValueError, TypeError, binascii.Error) as exc:
        raise MalformedRequest(f"body is not a valid OTLP/JSON {message.DESCRIPTOR.name}: {exc}") from exc


def parse_protobuf(body: bytes, message: Message) -> None:
    try:
        message.ParseFromString(body)
    except (DecodeError, RuntimeError, ValueError) as exc:
        raise MalformedRequest(f"body is not a valid protobuf {message.DESCRIPTOR.name}: {exc}") from exc


@dataclass(frozen=True)
class SignalCodec:
    request: Callable[[], Message]
    response: Callable[[], Message]
    validate: Callable[[Any, bytes | None], Validated]
    rejected_field: str


CODECS: dict[Signal, SignalCodec] = {
    Signal.TRACES: SignalCodec(
        ExportTraceServiceRequest, ExportTraceServiceResponse, validate_traces, "rejected_spans"
    ),
    Signal.LOGS: SignalCodec(
        ExportLogsServiceRequest, ExportLogsServiceResponse, validate_logs, "rejected_log_records"
    ),
}


def decode(signal: Signal, body: bytes, encoding: str) -> Validated:
    """Decode and validate one export request body (already decompressed)."""
    codec = CODECS[signal]
    message = codec.request()
    if encoding == JSON:
        parse_json(body, message)
        return codec.validate(message, None)
    parse_protobuf(body, message)
    return codec.validate(message, body)


def encode_response(signal: Signal, validated: Validated, encoding: str) -> bytes:
    """The Export*ServiceResponse for an accepted request, with partial_success when items were rejected."""
    response = CODECS[signal].response()
    if validated.rejected:
        setattr(response.partial_success, CODECS[signal].rejected_field, validated.rejected)
        response.partial_success.error_message = validated.error_message
    if encoding == JSON:
        text: str = json_format.MessageToJson(response, indent=None)
        return text.encode()
    serialized: bytes = response.SerializeToString()
    return serialized
