"""The store writer: inserts batches of serialized OTLP export requests into ClickHouse.

ClickHouse parses the protobuf itself (a Null-engine landing table and a materialized view that
flattens, normalizes and derives the correlation columns), so Python never walks attributes.
Inserts are idempotent at read time: rows are keyed by (TraceId, SpanId) or LogId and readers
de-duplicate, so a batch inserted twice (a replay after a crash) never shows twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from tracebridge.domain import Signal
from tracebridge.store.client import LockedClient
from tracebridge.store.wire import INPUT_TABLE, frame, protobuf_settings


class StoreWriter:
    def __init__(self, client: LockedClient, schema_file: Path | None = None) -> None:
        """``schema_file``: the wire schema's absolute path for embedded chDB; None for a server."""
        self._client = client
        self._schema_file = schema_file

    def insert(self, signal: Signal, payloads: Sequence[bytes]) -> None:
        """Insert serialized Export*ServiceRequest messages; raises on any store error."""
        if not payloads:
            return
        self._client.raw_insert(
            INPUT_TABLE[signal], frame(payloads), "Protobuf", protobuf_settings(signal, self._schema_file)
        )
