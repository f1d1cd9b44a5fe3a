"""Builders of realistic mobile and backend OTLP telemetry, shaped on what real SDKs send.

Mobile resources follow opentelemetry-android (os.name "Android", telemetry.sdk.language
"java", device.model.*, service.version = app version), opentelemetry-swift (os.name "iOS",
os.type "darwin", telemetry.sdk.language "swift", old HTTP semconv names by default) and
Embrace (os.name "android", emb.* attributes). Backend resources look like any OTel service.
Everything returns official opentelemetry-proto messages, so tests can send them as
protobuf, as OTLP/JSON (``to_otlp_json``) or over gRPC.
"""

from __future__ import annotations

import json
import os
import random
from collections.abc import Mapping, Sequence
from typing import Any

from google.protobuf import json_format
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

SECOND = 1_000_000_000
MS = 1_000_000
BASE_TIME = 1_764_000_000 * SECOND  # 2025-11-24T16:00:00Z

KIND = {"internal": 1, "server": 2, "client": 3, "producer": 4, "consumer": 5}


def new_trace_id(rng: random.Random | None = None) -> bytes:
    return (rng.randbytes(16) if rng else os.urandom(16)) or b"\x01" * 16


def new_span_id(rng: random.Random | None = None) -> bytes:
    return (rng.randbytes(8) if rng else os.urandom(8)) or b"\x01" * 8


def any_value(value: Any) -> AnyValue:
    """A Python value as an OTLP AnyValue (bytes stay bytes, lists are arrays, dicts kvlists)."""
    out = AnyValue()
    if isinstance(value, bool):
        out.bool_value = value
    elif isinstance(value, int):
        out.int_value = value
    elif isinstance(value, float):
        out.double_value = value
    elif isinstance(value, bytes):
        out.bytes_value = value
    elif isinstance(value, list | tuple):
        out.array_value.values.extend(any_value(v) for v in value)
    elif isinstance(value, dict):
        out.kvlist_value.values.extend(KeyValue(key=k, value=any_value(v)) for k, v in value.items())
    elif value is None:
        pass
    else:
        out.string_value = str(value)
    return out


def key_values(attributes: Mapping[str, Any]) -> list[KeyValue]:
    return [KeyValue(key=k, value=any_value(v)) for k, v in attributes.items()]


def android_resource(
    app_version: str = "3.2.1",
    os_version: str = "14",
    model: str = "Pixel 7",
    device_id: str = "android-device-1",
    session_id: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """Resource attributes as opentelemetry-android sets them."""
    attrs: dict[str, Any] = {
        "service.name": "shop-android",
        "service.version": app_version,
        "telemetry.sdk.name": "opentelemetry",
        "telemetry.sdk.language": "java",
        "telemetry.sdk.version": "1.45.0",
        "os.name": "Android",
        "os.type": "linux",
        "os.version": os_version,
        "os.description": f"Android Version {os_version}",
        "android.os.api_level": "34",
        "device.manufacturer": "Google",
        "device.model.name": model,
        "device.model.identifier": model,
        "device.id": device_id,
        "rum.sdk.version": "0.11.0",
    }
    if session_id:
        attrs["session.id"] = session_id
    attrs.update(extra)
    return attrs


def ios_resource(
    app_version: str = "3.2.1 (412)",
    os_version: str = "18.4.0",
    model: str = "iPhone15,2",
    device_id: str = "BEE3D3C8-D658-4E3F-813F-35EB083D1D2E",
    **extra: Any,
) -> dict[str, Any]:
    """Resource attributes as opentelemetry-swift sets them."""
    attrs: dict[str, Any] = {
        "service.name": "ShopApp",
        "service.version": app_version,
        "telemetry.sdk.name": "opentelemetry",
        "telemetry.sdk.language": "swift",
        "telemetry.sdk.version": "1.16.1",
        "os.type": "darwin",
        "os.name": "iOS",
        "os.version": os_version,
        "os.description": f"iOS Version {os_version}",
        "device.model.identifier": model,
        "device.id": device_id,
    }
    attrs.update(extra)
    return attrs


def backend_resource(service: str = "orders", **extra: Any) -> dict[str, Any]:
    attrs: dict[str, Any] = {
        "service.name": service,
        "service.version": "2024.11.3",
        "telemetry.sdk.name": "opentelemetry",
        "telemetry.sdk.language": "python",
        "telemetry.sdk.version": "1.27.0",
        "host.name": f"{service}-7f9c",
        "os.type": "linux",
        "deployment.environment.name": "production",
    }
    attrs.update(extra)
    return attrs


def span(
    trace_id: bytes,
    span_id: bytes,
    name: str,
    start: int,
    end: int,
    *,
    parent: bytes = b"",
    kind: str = "internal",
    attributes: Mapping[str, Any] | None = None,
    error: str | None = None,
    ok: bool = False,
    events: Sequence[tuple[str, int, Mapping[str, Any]]] = (),
    links: Sequence[tuple[bytes, bytes, Mapping[str, Any]]] = (),
    trace_state: str = "",
) -> Span:
    out = Span(
        trace_id=trace_id,
        span_id=span_id,
        parent_span_id=parent,
        name=name,
        kind=KIND[kind],  # type: ignore[arg-type]
        start_time_unix_nano=start,
        end_time_unix_nano=end,
        trace_state=trace_state,
        attributes=key_values(attributes or {}),
    )
    if error is not None:
        out.status.CopyFrom(Status(code=Status.STATUS_CODE_ERROR, message=error))
    elif ok:
        out.status.CopyFrom(Status(code=Status.STATUS_CODE_OK))
    for event_name, event_time, event_attrs in events:
        out.events.add(name=event_name, time_unix_nano=event_time, attributes=key_values(event_attrs))
    for link_trace, link_span, link_attrs in links:
        out.links.add(trace_id=link_trace, span_id=link_span, attributes=key_values(link_attrs))
    return out


def traces_request(
    groups: Sequence[tuple[Mapping[str, Any], Sequence[Span]]],
    scope: str = "io.opentelemetry.okhttp-3.0",
    scope_version: str = "2.10.0",
) -> ExportTraceServiceRequest:
    """One ResourceSpans per (resource attributes, spans) group."""
    request = ExportTraceServiceRequest()
    for resource_attrs, spans in groups:
        rs = request.resource_spans.add()
        rs.resource.CopyFrom(Resource(attributes=key_values(resource_attrs)))
        ss = rs.scope_spans.add()
        ss.scope.name = scope
        ss.scope.version = scope_version
        ss.spans.extend(spans)
    return request


def log_record(
    time: int,
    *,
    event_name: str = "",
    body: Any = None,
    attributes: Mapping[str, Any] | None = None,
    severity: int = 9,
    severity_text: str = "",
    trace_id: bytes = b"",
    span_id: bytes = b"",
    observed: int = 0,
) -> LogRecord:
    record = LogRecord(
        time_unix_nano=time,
        observed_time_unix_nano=observed or time,
        severity_number=severity,  # type: ignore[arg-type]
        severity_text=severity_text,
        event_name=event_name,
        trace_id=trace_id,
        span_id=span_id,
        attributes=key_values(attributes or {}),
    )
    if body is not None:
        record.body.CopyFrom(any_value(body))
    return record


def logs_request(
    groups: Sequence[tuple[Mapping[str, Any], Sequence[LogRecord]]],
    scope: str = "io.opentelemetry.crash",
) -> ExportLogsServiceRequest:
    request = ExportLogsServiceRequest()
    for resource_attrs, records in groups:
        rl = request.resource_logs.add()
        rl.resource.CopyFrom(Resource(attributes=key_values(resource_attrs)))
        sl = rl.scope_logs.add()
        sl.scope.name = scope
        sl.log_records.extend(records)
    return request


def to_otlp_json(message: Any, uppercase_ids: bool = False, ints_as_numbers: bool = False) -> bytes:
    """OTLP/JSON as the spec defines it: hex ids, lowerCamelCase keys, enums as integers."""
    document = json_format.MessageToDict(message, use_integers_for_enums=True)

    def fix(node: Any) -> Any:
        if isinstance(node, dict):
            out = {}
            for key, value in node.items():
                if key in ("traceId", "spanId", "parentSpanId") and isinstance(value, str):
                    import base64

                    hexed = base64.b64decode(value).hex()
                    out[key] = hexed.upper() if uppercase_ids else hexed
                elif (
                    ints_as_numbers
                    and isinstance(value, str)
                    and value.isdigit()
                    and key.endswith(("UnixNano", "intValue"))
                ):
                    out[key] = int(value)
                else:
                    out[key] = fix(value)
            return out
        if isinstance(node, list):
            return [fix(v) for v in node]
        return node

    return json.dumps(fix(document)).encode()
