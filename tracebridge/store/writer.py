"""The store writer: inserts batches of serialized OTLP export requests into ClickHouse.

ClickHouse parses the protobuf itself (a Null-engine landing table and a materialized view that
flattens, normalizes and derives the correlation columns), so Python never walks attributes.
Inserts are idempotent at read time: rows are keyed by (TraceId, SpanId) or LogId and readers
de-duplicate, so a batch inserted twice (a replay after a crash) never shows twice.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path

from tracebridge.domain import Signal
from tracebridge.store.client import LockedClient
from tracebridge.store.wire import INPUT_TABLE, frame, protobuf_settings

PURGE_ALLOCATOR = "SYSTEM JEMALLOC PURGE"

log = logging.getLogger("tracebridge.store")


def resident_bytes() -> int | None:
    """This process's resident set size (Linux /proc), or None where it cannot be read."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


class StoreWriter:
    def __init__(
        self, client: LockedClient, schema_file: Path | None = None, purge_above_bytes: int | None = None
    ) -> None:
        """``schema_file``: the wire schema's absolute path for embedded chDB; None for a server.

        ``purge_above_bytes`` (embedded chDB only): after an insert, when this process's resident
        size is above it, the engine's allocator returns its free pages to the system. ClickHouse's
        allocator keeps the pages an insert freed for reuse, so without this the resident size only
        grows (~0.5 GiB more after a few 50,000-span inserts, of which ~15 MiB in use)."""
        self._client = client
        self._schema_file = schema_file
        self._purge_above = purge_above_bytes

    def insert(self, signal: Signal, payloads: Sequence[bytes]) -> None:
        """Insert serialized Export*ServiceRequest messages; raises on any store error."""
        if not payloads:
            return
        self._client.raw_insert(
            INPUT_TABLE[signal], frame(payloads), "Protobuf", protobuf_settings(signal, self._schema_file)
        )
        if self._purge_above is not None:
            self._purge_if_large(self._purge_above)

    def _purge_if_large(self, limit: int) -> None:
        """Never raises: the insert is already stored, and a purge is only an optimization."""
        resident = resident_bytes()
        if resident is None or resident <= limit:
            return
        try:
            self._client.command(PURGE_ALLOCATOR)
        except Exception as exc:  # an engine without jemalloc: stop trying
            log.warning("the store's allocator cannot be purged (%s); resident memory is not trimmed", exc)
            self._purge_above = None
