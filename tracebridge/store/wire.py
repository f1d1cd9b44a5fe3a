"""The OTLP signals tracebridge stores, and how a batch of export requests is framed for ClickHouse."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from importlib import resources
from pathlib import Path

from tracebridge.domain import Signal as Signal  # re-exported for older imports

INPUT_TABLE: dict[Signal, str] = {Signal.TRACES: "otlp_traces_in", Signal.LOGS: "otlp_logs_in"}
WIRE_MESSAGE: dict[Signal, str] = {
    Signal.TRACES: "ExportTraceServiceRequest",
    Signal.LOGS: "ExportLogsServiceRequest",
}


@cache
def wire_proto() -> str:
    """Text of otlp_wire.proto, passed to ClickHouse as the format schema (no server-side file)."""
    return resources.files("tracebridge.store").joinpath("otlp_wire.proto").read_text(encoding="utf-8")


def protobuf_settings(signal: Signal, schema_file: Path | None = None) -> dict[str, object]:
    """Insert settings for one signal. A ClickHouse server gets the schema text itself
    (``format_schema_source='string'``); embedded chDB reads it from ``schema_file``, an absolute
    path, because chDB caches string schemas under the process's working directory.

    ``optimize_on_insert`` is off: by default ClickHouse runs a merge over every new block of a
    Replacing/AggregatingMergeTree (a sort-merge pass copying every column), which cost a third of
    the store's ingest CPU; readers de-duplicate before merges anyway (docs/ingest.md)."""
    common: dict[str, object] = {"input_format_protobuf_oneof_presence": 1, "optimize_on_insert": 0}
    if schema_file is not None:
        return {**common, "format_schema": f"{schema_file}:{WIRE_MESSAGE[signal]}"}
    return {
        **common,
        "format_schema_source": "string",
        "format_schema": wire_proto(),
        "format_schema_message_name": WIRE_MESSAGE[signal],
    }


def write_schema_file(directory: Path) -> Path:
    """Put otlp_wire.proto where embedded chDB can read it; returns its absolute path."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory.resolve() / "otlp_wire.proto"
    if not path.exists() or path.read_text(encoding="utf-8") != wire_proto():
        path.write_text(wire_proto(), encoding="utf-8")
    return path


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
