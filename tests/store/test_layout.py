"""Rendering the migrations for a single server and for a cluster (tracebridge/store/layout.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.store.scripts import run_store_script
from tracebridge.store.layout import Layout, TemplateError
from tracebridge.store.migrator import schema_statements

PLAIN = Layout()
CLUSTER = Layout(database="tracebridge", cluster="tb", replicated=True)


def rendered(layout: Layout) -> list[str]:
    return schema_statements(layout)


def created_tables(statements: list[str]) -> dict[str, str]:
    """name -> statement of every CREATE TABLE."""
    out = {}
    for statement in statements:
        match = re.match(r"CREATE TABLE IF NOT EXISTS (\w+)", statement)
        if match:
            out[match.group(1)] = statement
    return out


def views(statements: list[str]) -> dict[str, tuple[str, str]]:
    """name -> (target table, every table the view body reads) of every materialized view."""
    out = {}
    for statement in statements:
        match = re.match(r"CREATE MATERIALIZED VIEW IF NOT EXISTS (\w+).*? TO (\w+) AS", statement, re.DOTALL)
        if match:
            sources = " ".join(re.findall(r"\bFROM\s+(\w+)", statement))
            out[match.group(1)] = (match.group(2), sources)
    return out


def test_plain_layout_has_no_cluster_objects() -> None:
    statements = rendered(PLAIN)
    text = "\n".join(statements)
    assert "{{" not in text and "_local" not in text
    assert "ON CLUSTER" not in text and "Distributed(" not in text and "Replicated" not in text
    assert "otel_traces" in created_tables(statements)


def test_cluster_layout_local_tables_distributed_tables_and_views_per_shard() -> None:
    statements = rendered(CLUSTER)
    assert "{{" not in "\n".join(statements)
    tables = created_tables(statements)
    locals_ = {name for name in tables if name.endswith("_local")}
    assert {"otel_traces_local", "otel_logs_local", "tracebridge_request_pairs_local"} <= locals_
    for local in locals_:
        ddl = tables[local]
        assert " ON CLUSTER `tb`" in ddl
        assert re.search(
            r"ENGINE = Replicated\w*MergeTree\('/clickhouse/tables/\{shard\}/\{database\}/\{table\}', '\{replica\}'",
            ddl,
        )
        plain = local.removesuffix("_local")
        distributed = tables[plain]
        assert f"AS {local}\nENGINE = Distributed('tb', 'tracebridge', '{local}', " in distributed
    for by_trace in ("otel_traces", "tracebridge_trace_index", "tracebridge_request_pairs"):
        assert tables[by_trace].endswith(", cityHash64(TraceId))")
    # Only the protobuf landing tables are plain (Null engine, on every node).
    plain_only = {name for name in tables if not name.endswith("_local") and name + "_local" not in tables}
    assert plain_only == {"otlp_traces_in", "otlp_logs_in"}
    for view, (target, sources) in views(statements).items():
        if view.startswith("otlp_"):
            # The flattening views write through the Distributed tables: rows reach their shard.
            assert target in ("otel_traces", "otel_logs") and sources.split()[-1].startswith("otlp_")
        else:
            assert target.endswith("_local"), view
            assert all(name.endswith("_local") for name in sources.split()), (view, sources)


def test_replicated_needs_a_cluster_and_bad_names_are_refused() -> None:
    with pytest.raises(ValueError):
        Layout(replicated=True)
    with pytest.raises(ValueError):
        Layout(cluster="tb; DROP")
    with pytest.raises(TemplateError):
        PLAIN.render("SELECT {{nonsense}}")
    assert Layout(cluster="c", on_cluster_ddl=False).render("CREATE TABLE {{local t}}{{on_cluster}}") == (
        "CREATE TABLE t_local"
    )
    assert CLUSTER.engine("ReplacingMergeTree(IngestTime)") == (
        "ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}', IngestTime)"
    )


FORMAT_ALL = """
import json, sys
import clickhouse_connect
client = clickhouse_connect.get_client(dsn="chdb://" + sys.argv[1])
failed = []
for statement in json.loads(open(sys.argv[2]).read()):
    try:
        client.query("SELECT formatQuery({q:String})", parameters={"q": statement})
    except Exception as exc:
        failed.append([statement[:200], str(exc)[:300]])
print(json.dumps(failed))
"""


def test_on_cluster_ddl_parses(tmp_path: Path) -> None:
    """ClickHouse's own parser accepts every rendered statement of the replicated ON CLUSTER form
    (embedded chDB refuses to run ON CLUSTER DDL, so parsing is what can be checked here)."""
    import json

    statements = rendered(CLUSTER)
    (tmp_path / "ddl.json").write_text(json.dumps(statements))
    assert run_store_script(FORMAT_ALL, tmp_path / "chdb", str(tmp_path / "ddl.json"), env={}) == []


def test_schema_command_prints_node_local_ddl_for_a_new_shard() -> None:
    import subprocess
    import sys

    args = ["schema", "--clickhouse-cluster", "tb", "--clickhouse-replicated", "--node-local"]
    out = subprocess.run(
        [sys.executable, "-m", "tracebridge.cli", *args], capture_output=True, text=True, check=True
    ).stdout
    assert "CREATE TABLE IF NOT EXISTS otel_traces_local\n" in out
    assert "ENGINE = Distributed('tb', 'tracebridge', 'otel_traces_local', cityHash64(TraceId))" in out
    assert "ON CLUSTER" not in out and "\nINSERT" not in out
