"""A 200 means durable, and retries never duplicate: kill -9, restarts and re-sent exports."""

from __future__ import annotations

from collections.abc import Callable

from tests.conftest import LiveServer
from tests.ingest.faults import trace_export

HOLD = {"TRACEBRIDGE_BATCH_MAX_WAIT_MS": "600000", "TRACEBRIDGE_BATCH_MAX_ITEMS": "1000000"}


def export_body(spans_per_trace: int = 3) -> tuple[bytes, str, int]:
    return trace_export(spans_per_trace, session="s-durable")


def span_count(live: LiveServer, trace_id: str) -> int:
    response = live.get(f"/api/v1/traces/{trace_id}")
    if response.status_code == 404:
        return 0
    spans = response.json()["spans"]
    assert len({s["span_id"] for s in spans}) == len(spans), "a span shows twice"
    return len(spans)


def test_same_export_three_times_shows_once(server: LiveServer) -> None:
    body, trace_id, count = export_body(4)
    assert server.post("/v1/traces", body).status_code == 200
    assert server.post("/v1/traces", body, gzip_body=True).status_code == 200
    assert server.post("/v1/traces", body).status_code == 200
    server.wait_for(lambda: span_count(server, trace_id) == count)
    assert span_count(server, trace_id) == count


def test_kill_9_after_ack_loses_nothing_and_replays_once(
    server_factory: Callable[..., LiveServer], tmp_path
) -> None:  # type: ignore[no-untyped-def]
    data_dir = tmp_path / "durable"
    live = server_factory(env=HOLD, data_dir=data_dir)
    sent = []
    for i in range(20):
        body, trace_id, count = export_body(2 + i % 3)
        response = live.post("/v1/traces", body, gzip_body=bool(i % 2))
        assert response.status_code == 200
        sent.append((trace_id, count))
    # the writer is holding its batch: nothing is in ClickHouse yet, only in the write-ahead log
    assert span_count(live, sent[0][0]) == 0
    live.kill()

    restarted = server_factory(data_dir=data_dir)
    for trace_id, count in sent:
        restarted.wait_for(lambda t=trace_id, c=count: span_count(restarted, t) == c)  # type: ignore[misc]
    restarted.stop()

    again = server_factory(data_dir=data_dir)
    for trace_id, count in sent:
        assert span_count(again, trace_id) == count


def test_sigterm_flushes_what_was_acknowledged(server_factory: Callable[..., LiveServer], tmp_path) -> None:  # type: ignore[no-untyped-def]
    data_dir = tmp_path / "graceful"
    live = server_factory(env=HOLD, data_dir=data_dir)
    body, trace_id, count = export_body(3)
    assert live.post("/v1/traces", body).status_code == 200
    live.stop()
    assert live.process.returncode == 0
    assert not any((data_dir / "wal").glob("*.tmp"))
    restarted = server_factory(data_dir=data_dir)
    restarted.wait_for(lambda: span_count(restarted, trace_id) == count)
