"""GET /api/v1/stats over real HTTP: the pipeline's counters and the store's background work."""

from __future__ import annotations

from tests.conftest import LiveServer
from tests.ingest.faults import trace_export


def test_stats_report_the_store_parts_once_an_export_is_stored(server: LiveServer) -> None:
    before = server.get("/api/v1/stats").json()["items_stored"]  # the server is shared with other tests
    body, trace_id, count = trace_export(3)
    assert server.post("/v1/traces", body).status_code == 200
    # the trace can be read while its insert is still applied; the counter moves once it returned
    server.wait_for(lambda: server.get("/api/v1/stats").json()["items_stored"] >= before + count)
    assert server.get(f"/api/v1/traces/{trace_id}").status_code == 200
    stats = server.get("/api/v1/stats").json()
    assert stats["store_active_parts"] >= 1  # otel_traces at least holds this export's part
    assert stats["store_merges_running"] >= 0
