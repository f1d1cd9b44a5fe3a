"""The OTLP signals tracebridge stores, and how a batch of export requests is framed for ClickHouse."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from functools import cache
from importlib import resources


class Signal(enum.StrEnum):
    TRACES = "traces"
    LOGS = "logs"


INPUT_TABLE: dict[Signal, str] = {Signal.TRACES: "otlp_traces_in", Signal.LOGS: "otlp_logs_in"}
WIRE_MESSAGE: dict[Signal, str] = {
    Signal.TRACES: "ExportTraceServiceRequest",
    Signal.LOGS: "ExportLogsServiceRequest",
}


@cache
def wire_proto() -> str:
    """Text of otlp_wire.proto, passed to ClickHouse as the format schema (no server-side file)."""
    return resources.files("tracebridge.store").joinpath("otlp_wire.proto").read_text(encoding="utf-8")


def protobuf_settings(signal: Signal) -> dict[str, object]:
    return {
        "format_schema_source": "string",
        "format_schema": wire_proto(),
        "format_schema_message_name": WIRE_MESSAGE[signal],
        "input_format_protobuf_oneof_presence": 1,
    }


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        low = n & 0x7F
        n >>= 7
        if n:
            out.append(low | 0x80)
        else:
            out.append(low)
            return bytes(out)


def frame(payloads: Sequence[bytes]) -> bytes:
    """Length-delimited concatenation: ClickHouse's ``Protobuf`` format reads one message per row."""
    return b"".join(_varint(len(p)) + p for p in payloads)
