"""The store's background work as ``GET /api/v1/stats`` reports it: active parts, merges running."""

from __future__ import annotations

from tests.store.conftest import Store
from tracebridge.domain import Signal


def _tables_with_rows(store: Store) -> int:
    return int(
        store.client.query(
            "SELECT count() FROM system.tables WHERE database = currentDatabase() AND total_rows > 0"
        ).result_rows[0][0]
    )


def test_activity_counts_the_parts_each_insert_adds(store: Store) -> None:
    now = store.reader.activity()
    assert now is not None
    assert now.active_parts >= _tables_with_rows(store) > 0  # every table with rows has a part
    assert now.merges_running >= 0
    store.client.command("SYSTEM STOP MERGES")  # no merge removes parts between the two reads
    try:
        before = store.reader.activity()
        assert before is not None
        store.writer.insert(Signal.TRACES, store.data.payloads[:1])  # a re-sent batch: same answers
        store.writer.insert(Signal.TRACES, store.data.payloads[:1])
        after = store.reader.activity()
        assert after is not None
        assert after.active_parts >= before.active_parts + 2  # otel_traces alone gained two parts
    finally:
        store.client.command("SYSTEM START MERGES")
