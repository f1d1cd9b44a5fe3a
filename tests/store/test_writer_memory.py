"""The store's memory settings for an embedded process: engine caches and the allocator's purge
threshold sized by tracebridge, the chDB library's idle code pages returned to the kernel, and the
writer purging after inserts without ever failing an insert for it."""

from __future__ import annotations

import random
from typing import Any

import pytest
from clickhouse_connect.driver.exceptions import DatabaseError

from tests.store.conftest import Store
from tests.telemetry import BASE_TIME, MS, android_resource, span, traces_request
from tracebridge.domain import Signal
from tracebridge.store.client import ENGINE_DIRTY_PAGES_MAX_BYTES, LockedClient, embedded_engine_options
from tracebridge.store.wire import write_schema_file
from tracebridge.store.writer import PURGE_ALLOCATOR, StoreWriter, resident_bytes


def _embedded_only(store: Store) -> None:
    if store.settings.clickhouse_url:
        pytest.skip("engine options and allocator purges apply to the embedded store only")


def _one_trace() -> tuple[str, bytes]:
    rng = random.Random()
    trace_id = rng.randbytes(16)
    spans = [
        span(trace_id, rng.randbytes(8), f"op-{i}", BASE_TIME + i * MS, BASE_TIME + (i + 5) * MS)
        for i in range(3)
    ]
    return trace_id.hex(), traces_request([(android_resource(), spans)]).SerializeToString()


def _stored(store: Store, trace_id: str) -> int:
    rows = store.client.query(
        "SELECT uniqExact(SpanId) FROM otel_traces WHERE TraceId = {t:String}", parameters={"t": trace_id}
    ).result_rows
    return int(rows[0][0])


def test_embedded_engine_caches_are_sized_for_a_shared_process(store: Store) -> None:
    _embedded_only(store)
    options = embedded_engine_options()
    rows = store.client.query(
        "SELECT name, value FROM system.server_settings WHERE name IN {names:Array(String)}",
        parameters={"names": list(options)},
    ).result_rows
    assert {name: float(value) for name, value in rows} == pytest.approx(options)
    # The memory worker returns freed pages past 64 MiB, not past 20% of the memory limit.
    limit = store.client.query(
        "SELECT toFloat64(value) FROM system.server_settings WHERE name = 'max_server_memory_usage'"
    ).result_rows[0][0]
    ratio = options["memory_worker_purge_dirty_pages_threshold_ratio"]
    assert ratio * limit <= 1.25 * ENGINE_DIRTY_PAGES_MAX_BYTES


def test_a_purging_writer_stores_everything(store: Store) -> None:
    _embedded_only(store)
    assert (resident_bytes() or 0) > 0
    writer = StoreWriter(
        store.client,
        write_schema_file(store.settings.data_dir / "schemas"),
        purge_above_bytes=0,
        purge_interval_seconds=0,
    )
    trace_id, payload = _one_trace()
    writer.insert(Signal.TRACES, [payload])
    writer.insert(Signal.TRACES, [payload])  # a re-sent request, purged after again
    assert _stored(store, trace_id) == 3


class _NoPurge(LockedClient):
    """The real store, except that it refuses the purge statement (an engine without jemalloc)."""

    def __init__(self, inner: LockedClient) -> None:
        self._inner = inner
        self.purges = 0

    def raw_insert(self, table: str, data: bytes, fmt: str, settings: dict[str, Any]) -> Any:
        return self._inner.raw_insert(table, data, fmt, settings)

    def command(self, sql: str, parameters: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        if sql == PURGE_ALLOCATOR:
            self.purges += 1
            raise DatabaseError("Code: 1. DB::Exception: jemalloc is not used. (SUPPORT_IS_DISABLED)")
        return self._inner.command(sql, parameters, **kwargs)


def test_a_refused_purge_never_fails_an_insert(store: Store) -> None:
    _embedded_only(store)
    client = _NoPurge(store.client)
    writer = StoreWriter(
        client,
        write_schema_file(store.settings.data_dir / "schemas"),
        purge_above_bytes=0,
        purge_interval_seconds=0,
    )
    first_id, first = _one_trace()
    second_id, second = _one_trace()
    writer.insert(Signal.TRACES, [first])
    writer.insert(Signal.TRACES, [second])
    assert _stored(store, first_id) == 3 and _stored(store, second_id) == 3
    assert client.purges == 1  # refused once, then not tried again
