"""The store's memory settings for an embedded process: engine caches and the allocator's purge
threshold sized by tracebridge, and the writer returning the chDB library's idle code pages after
inserts without changing what is stored."""

from __future__ import annotations

import random

import pytest

from tests.store.conftest import Store
from tests.telemetry import BASE_TIME, MS, android_resource, span, traces_request
from tracebridge.domain import Signal
from tracebridge.store.client import ENGINE_DIRTY_PAGES_MAX_BYTES, embedded_engine_options
from tracebridge.store.wire import write_schema_file
from tracebridge.store.writer import StoreWriter, resident_bytes


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
    second_id, second = _one_trace()
    writer.insert(Signal.TRACES, [second])  # the engine maps the code it needs again
    assert _stored(store, second_id) == 3
