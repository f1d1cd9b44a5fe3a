"""The cluster layout on embedded chDB's one-shard in-process cluster, and several ingest nodes on
one store: migrations racing, the same payloads written by two pipelines, read back once."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import TEST_CLICKHOUSE_URL, LiveServer
from tests.store.scripts import run_store_script
from tests.telemetry import (
    BASE_TIME,
    MS,
    android_resource,
    backend_resource,
    new_span_id,
    new_trace_id,
    span,
    traces_request,
)

CLUSTER_FACTS = """
import json, sys
from pathlib import Path
from tracebridge.settings import Settings
from tracebridge.store.client import LockedClient, open_client, store_layout
from tracebridge.store.migrator import migrate
settings = Settings(data_dir=Path(sys.argv[1]))
client = LockedClient(open_client(settings))
migrate(client, store_layout(settings))
clusters = client.query("SELECT cluster, shard_num, is_local FROM system.clusters WHERE cluster = {c:String}",
                        parameters={"c": settings.clickhouse_cluster}).result_rows
tables = client.query("SELECT name, engine, engine_full FROM system.tables WHERE database = currentDatabase()").result_rows
print(json.dumps({"clusters": clusters, "tables": {n: [e, f] for n, e, f in tables}}))
"""


@pytest.mark.skipif(bool(TEST_CLICKHOUSE_URL), reason="checks the embedded one-shard cluster")
def test_embedded_one_shard_cluster(tmp_path: Path) -> None:
    facts = run_store_script(CLUSTER_FACTS, tmp_path, env={"TRACEBRIDGE_CLICKHOUSE_CLUSTER": "tb_one"})
    assert facts["clusters"] == [["tb_one", 1, 1]]  # one shard, and it is this process
    tables = facts["tables"]
    engine, full = tables["otel_traces"]
    assert engine == "Distributed"
    assert full == "Distributed('tb_one', 'tracebridge', 'otel_traces_local', cityHash64(TraceId))"
    assert tables["otel_traces_local"][0] == "ReplacingMergeTree"
    assert tables["otlp_traces_in"][0] == "Null"
    assert tables["tracebridge_schema_migrations"][0] == "Distributed"


# Two ingest nodes at once on one store: both migrate concurrently, then each runs its own
# pipeline with its own write-ahead log, and both receive the same payloads (a client retried
# against the other node). Reads through the query service see every span once.
TWO_NODES = """
import json, sys, threading
from pathlib import Path
from tracebridge.ingest.pipeline import IngestPipeline
from tracebridge.ingest.wal import WriteAheadLog
from tracebridge.query.service import session_document, trace_document
from tracebridge.settings import Settings
from tracebridge.store.client import LockedClient, open_client, store_layout
from tracebridge.store.migrator import SELECT_APPLIED, load_migrations, migrate
from tracebridge.store.reader import StoreReader
from tracebridge.store.wire import Signal, write_schema_file
from tracebridge.store.writer import StoreWriter

root = Path(sys.argv[1])
payloads = [bytes.fromhex(line) for line in Path(sys.argv[2]).read_text().split()]
settings = Settings(data_dir=root / "store")
layout = store_layout(settings)
clients = [LockedClient(open_client(settings)) for _ in range(2)]
errors = []
def run_migrations(client):
    try:
        migrate(client, layout)
    except Exception as exc:
        errors.append(repr(exc))
threads = [threading.Thread(target=run_migrations, args=(c,)) for c in clients]
for t in threads: t.start()
for t in threads: t.join()
versions = sorted(row[0] for row in clients[0].query(SELECT_APPLIED).result_rows)
schema = None if settings.clickhouse_url else write_schema_file(root / "schemas")
pipelines = [
    IngestPipeline(settings, StoreWriter(client, schema), WriteAheadLog(root / f"wal-{i}", 1 << 20))
    for i, client in enumerate(clients)
]
for p in pipelines: p.start()
futures = [p.submit(Signal.TRACES, payload, 1) for payload in payloads for p in pipelines]
for f in futures: f.result(60)
for p in pipelines: p.stop()
reader = StoreReader(clients[0])
trace = trace_document(reader, sys.argv[3])
session = session_document(reader, sys.argv[4])
print(json.dumps({
    "errors": errors, "versions": versions, "expected": [m.version for m in load_migrations()],
    "trace_spans": sorted(s.span_id for s in trace.spans),
    "session_traces": [t.trace_id for t in session.traces],
}))
"""


def test_two_ingest_nodes_share_one_store(tmp_path: Path) -> None:
    session_id = "two-nodes-" + os.urandom(4).hex()
    trace_id, client_id, server_id, other_trace = new_trace_id(), new_span_id(), new_span_id(), new_trace_id()
    t0 = BASE_TIME
    mobile = traces_request(
        [
            (
                android_resource(session_id=session_id),
                [
                    span(trace_id, client_id, "GET", t0, t0 + 300 * MS, kind="client"),
                    span(other_trace, new_span_id(), "screen", t0 + 400 * MS, t0 + 500 * MS),
                ],
            )
        ]
    )
    backend = traces_request(
        [
            (
                backend_resource(),
                [
                    span(
                        trace_id,
                        server_id,
                        "GET /orders",
                        t0 + 50 * MS,
                        t0 + 250 * MS,
                        parent=client_id,
                        kind="server",
                    )
                ],
            )
        ]
    )
    payloads = tmp_path / "payloads.txt"
    payloads.write_text("\n".join(r.SerializeToString().hex() for r in (mobile, backend)))
    out = run_store_script(TWO_NODES, tmp_path, str(payloads), trace_id.hex(), session_id)
    assert out["errors"] == []
    assert out["versions"] == out["expected"]  # each version recorded, read once
    assert out["trace_spans"] == sorted([client_id.hex(), server_id.hex()])  # sent twice, read once
    assert sorted(out["session_traces"]) == sorted([trace_id.hex(), other_trace.hex()])


@pytest.mark.skipif(
    not TEST_CLICKHOUSE_URL, reason="needs a ClickHouse server: set TRACEBRIDGE_TEST_CLICKHOUSE_URL"
)
def test_two_tracebridge_processes_on_one_server(
    server_factory: Callable[..., LiveServer], tmp_path: Path
) -> None:
    """Two ``tracebridge serve`` processes, each with its own data dir and WAL, one database."""
    shared = {"TRACEBRIDGE_DATABASE": "tbtest_two_" + os.urandom(4).hex()}
    first = server_factory(env=shared, data_dir=tmp_path / "node-1")
    second = server_factory(env=shared, data_dir=tmp_path / "node-2")
    trace_id, span_id = new_trace_id(), new_span_id()
    body = traces_request([(android_resource(), [span(trace_id, span_id, "GET", BASE_TIME, BASE_TIME + MS)])])
    for node in (first, second):
        assert node.post("/v1/traces", body.SerializeToString()).status_code == 200
    for node in (second, first):
        node.wait_for(lambda n=node: n.get(f"/api/v1/traces/{trace_id.hex()}").status_code == 200)
        assert [s["span_id"] for s in node.get(f"/api/v1/traces/{trace_id.hex()}").json()["spans"]] == [
            span_id.hex()
        ]
