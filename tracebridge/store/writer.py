"""The store writer: inserts batches of serialized OTLP export requests into ClickHouse.

ClickHouse parses the protobuf itself (a Null-engine landing table and a materialized view that
flattens, normalizes and derives the correlation columns), so Python never walks attributes.
Inserts are idempotent at read time: rows are keyed by (TraceId, SpanId) or LogId and readers
de-duplicate, so a batch inserted twice (a replay after a crash) never shows twice.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

from tracebridge.domain import Signal
from tracebridge.store.client import LockedClient
from tracebridge.store.memory import LibraryPages, resident_bytes
from tracebridge.store.priority import BackgroundPriority
from tracebridge.store.wire import INPUT_TABLE, frame, protobuf_settings

# Shortest time between two releases of the library's code pages: each costs ~3 ms, and the engine
# ~25 ms of CPU to map its hot code again (docs/ingest.md#memory).
PURGE_INTERVAL_SECONDS = 1.0


class StoreWriter:
    def __init__(
        self,
        client: LockedClient,
        schema_file: Path | None = None,
        purge_above_bytes: int | None = None,
        purge_interval_seconds: float = PURGE_INTERVAL_SECONDS,
        background_nice: int = 0,
    ) -> None:
        """``schema_file``: the wire schema's absolute path for embedded chDB; None for a server.

        ``purge_above_bytes`` (embedded chDB only): after an insert, at most once per
        ``purge_interval_seconds``, when this process's resident size is above it, the chDB
        library's code pages go back to the kernel (store/memory.py: those in use are mapped
        again at their next use). Also once at construction: the engine touches ~300 MiB of its
        code while it starts and little of it afterwards. The engine's freed heap is returned by
        its own memory worker (store/client.py), in its own thread, so nothing here delays the
        write-ahead log's checkpoint by more than the ~3 ms of a release.

        ``background_nice`` (embedded chDB only; 0 off): the thread that inserts and the engine's
        merge threads run at this nice value, so that lookups in the same process go first
        (store/priority.py)."""
        self._client = client
        self._schema_file = schema_file
        self._purge_above = purge_above_bytes
        self._purge_interval = purge_interval_seconds
        self._library = LibraryPages()
        self._purged_at = time.monotonic()
        self._priority = BackgroundPriority(background_nice)
        if purge_above_bytes is not None:
            self._library.release()

    def insert(self, signal: Signal, payloads: Sequence[bytes]) -> None:
        """Insert serialized Export*ServiceRequest messages; raises on any store error."""
        if not payloads:
            return
        self._client.raw_insert(
            INPUT_TABLE[signal], frame(payloads), "Protobuf", protobuf_settings(signal, self._schema_file)
        )
        if self._purge_above is not None:
            self._purge_if_large(self._purge_above)
        self._priority.apply()

    def _purge_if_large(self, limit: int) -> None:
        """Never raises (a release only reads /proc and advises the kernel): the insert is stored."""
        now = time.monotonic()
        if now - self._purged_at < self._purge_interval:
            return
        resident = resident_bytes()
        if resident is None or resident <= limit:
            return
        self._purged_at = now
        self._library.release()
