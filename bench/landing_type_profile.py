"""Would a narrower landing type make inserts cheaper in CPU or memory? (issue 12)

The landing table ``otlp_traces_in`` parses every attribute value one level nested (an array's or
key-value list's values are columns of their own, so that the flattening view can write them as
JSON text). This bench adds, in a fresh embedded store in this process, a second landing table
whose attribute values are parsed in the leaf form (``LeafValue`` of otlp_wire.proto: an array or
key-value list kept as the raw bytes of its OTLP message) and a copy of the flattening view that
reads it, identical but for a map function that renders composites as the base64 markers the
reader decodes. Then it:

1. inserts the same few requests through each landing table and prints a hash of every
   otel_traces column (the bench's requests carry no composite value, so the two must match);
2. inserts batches of ``--sizes`` MiB of the ingest bench's requests through each, alternating
   which goes first, ``--rounds`` times, merges stopped, and prints per insert this process's CPU
   per span, the engine's CPU per span, the insert's peak memory (``memory_usage`` of
   ``system.query_log``, switched on for this store) and its query planning (the views' queries,
   planned again for every insert); with ``--parse-only`` the views are detached first, leaving
   ClickHouse's protobuf parse into each landing table.

    python bench/landing_type_profile.py --rounds 4 --sizes 8,16,32

Results and what was decided: docs/ingest.md ("What was tried", "Memory").
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.engine_logs import open_store_with_logs  # noqa: E402
from bench.ingest_stages import truncate  # noqa: E402
from bench.payloads import PayloadStream  # noqa: E402
from tracebridge.store.client import LockedClient  # noqa: E402
from tracebridge.store.migrator import migrate  # noqa: E402
from tracebridge.store.wire import Signal, frame, protobuf_settings, wire_proto, write_schema_file  # noqa: E402

WIDE, NARROW = "otlp_traces_in", "otlp_traces_in_narrow"
MIGRATION = ROOT / "tracebridge" / "store" / "migrations" / "0002_traces.sql"
LEAF_TYPE = (
    "Tuple(value Enum8('none' = 0, 'string_value' = 1, 'bool_value' = 2, 'int_value' = 3, "
    "'double_value' = 4, 'array_value' = 5, 'kvlist_value' = 6, 'bytes_value' = 7), string_value String, "
    "bool_value Bool, int_value Int64, double_value Float64, array_value String, kvlist_value String, "
    "bytes_value String)"
)
# Scalars as tracebridge_log_value_text renders them; composites as tracebridge_leaf_json's markers.
NARROW_FUNCTIONS = (
    """CREATE OR REPLACE FUNCTION bench_narrow_text AS (nv_v) ->
    multiIf(tupleElement(nv_v, 'value') = 'string_value', tupleElement(nv_v, 'string_value'),
            tupleElement(nv_v, 'value') IN ('array_value', 'kvlist_value'), tracebridge_leaf_json(nv_v),
            tupleElement(nv_v, 'value') = 'int_value', toString(tupleElement(nv_v, 'int_value')),
            tupleElement(nv_v, 'value') = 'double_value', toString(tupleElement(nv_v, 'double_value')),
            tupleElement(nv_v, 'value') = 'bool_value', if(tupleElement(nv_v, 'bool_value'), 'true', 'false'),
            tupleElement(nv_v, 'value') = 'bytes_value', base64Encode(tupleElement(nv_v, 'bytes_value')), '')""",
    """CREATE OR REPLACE FUNCTION bench_narrow_map AS (nm_kvs) ->
    mapFromArrays(arrayMap(nm_k -> tupleElement(nm_k, 'key'), nm_kvs),
                  arrayMap(nm_v -> bench_narrow_text(tupleElement(nm_v, 'value')), nm_kvs))""",
)
SELECT_ROWS_HASH = """
SELECT count(), sum(cityHash64(TraceId, SpanId, SpanAttributes, ResourceAttributes, ScopeAttributes,
       `Events.Attributes`, SessionId, Side, NetworkType, HttpRoute, AppVersion, SpanAttributeTypes,
       ResourceAttributeTypes))
FROM otel_traces
"""
SELECT_LAST_INSERT = """
SELECT max(memory_usage), sum(ProfileEvents['OSCPUVirtualTimeMicroseconds']) / 1e6,
       sum(ProfileEvents['QueryAnalysisMicroseconds'] + ProfileEvents['QueryPlanBuildMicroseconds']
           + ProfileEvents['QueryPlanOptimizeMicroseconds'] + ProfileEvents['QueryPipelineBuildMicroseconds']) / 1e3
FROM system.query_log
WHERE type = 'QueryFinish' AND query_kind = 'Insert' AND event_time_microseconds >= {since:DateTime64(6)}
"""


def matching_paren(text: str, opening: int) -> int:
    depth = 0
    for i in range(opening, len(text)):
        if text[i] == "(":
            depth += 1
        elif text[i] == ")":
            depth -= 1
            if depth == 0:
                return i
    raise ValueError("unbalanced parentheses")


def add_narrow_landing(client: LockedClient, schema_dir: Path) -> Path:
    """Create the narrow landing table, its view into otel_traces and its .proto; returns the
    .proto's path."""
    proto = wire_proto().replace("package tracebridge.wire;", "package tracebridge.wirenarrow;")
    nested_kv = "message KeyValue {\n  string key = 1;\n  LogAnyValue value = 2;\n}"
    if nested_kv not in proto:
        raise SystemExit("otlp_wire.proto's KeyValue changed; update this bench")
    path = schema_dir / "otlp_wire_narrow.proto"
    path.write_text(proto.replace(nested_kv, nested_kv.replace("LogAnyValue", "LeafValue")), encoding="utf-8")

    ddl = client.query(
        "SELECT create_table_query FROM system.tables WHERE database = currentDatabase() AND name = {t:String}",
        parameters={"t": WIDE},
    ).result_rows[0][0]
    opening = ddl.index("Tuple(", ddl.index("value Tuple(value Enum8"))
    nested_type = ddl[opening : matching_paren(ddl, opening) + 1]
    client.command(ddl.replace(nested_type, LEAF_TYPE).replace(f".{WIDE} ", f".{NARROW} ", 1))
    for statement in NARROW_FUNCTIONS:
        client.command(statement)

    sql = MIGRATION.read_text(encoding="utf-8")
    view = sql[sql.index("CREATE MATERIALIZED VIEW IF NOT EXISTS otlp_traces_in_mv") :]
    view = view[: view.index(");", view.index("ARRAY JOIN ss.spans AS s")) + 1]
    client.command(
        view.replace("otlp_traces_in_mv{{on_cluster}}", f"{NARROW}_mv")
        .replace(f"FROM {WIDE}", f"FROM {NARROW}")
        .replace("tracebridge_attr_map(", "bench_narrow_map(")
    )
    return path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--sizes", default="8,16,32", help="insert sizes in MiB, comma-separated")
    parser.add_argument("--parse-only", action="store_true", help="the protobuf parse alone (views detached)")
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="tracebridge-landing-"))
    client = open_store_with_logs(data_dir, ["query_log"])
    migrate(client)
    schemas = {WIDE: write_schema_file(data_dir / "format_schemas")}
    schemas[NARROW] = add_narrow_landing(client, data_dir / "format_schemas")
    stream = PayloadStream(500)
    request_bytes = len(stream.body(0))
    counter = 0

    def insert(table: str, requests: int) -> float:
        nonlocal counter
        body = frame([stream.body(counter + i) for i in range(requests)])
        counter += requests
        settings = protobuf_settings(Signal.TRACES, schemas[table])
        started = time.process_time()
        client.raw_insert(table, body, "Protobuf", settings)
        return time.process_time() - started

    for table in (WIDE, NARROW):
        truncate(client)
        counter = 0
        insert(table, 4)
        count, digest = client.query(SELECT_ROWS_HASH).result_rows[0]
        print(f"rows through {table}: {count}, hash {digest}")
    truncate(client)
    client.command("SYSTEM STOP MERGES")
    if args.parse_only:
        client.command(f"DETACH TABLE {WIDE}_mv")
        client.command(f"DETACH TABLE {NARROW}_mv")
    print("insert                         CPU/span (process)  CPU/span (engine)  peak  planning")
    for round_ in range(args.rounds):
        for mib in (int(s) for s in args.sizes.split(",")):
            requests = max(1, mib * 1024 * 1024 // request_bytes)
            for table in (WIDE, NARROW) if round_ % 2 == 0 else (NARROW, WIDE):
                client.command("SYSTEM FLUSH LOGS")
                since = client.query("SELECT now64(6)").result_rows[0][0]
                cpu = insert(table, requests)
                client.command("SYSTEM FLUSH LOGS")
                row = client.query(SELECT_LAST_INSERT, parameters={"since": since}).result_rows[0]
                peak, engine_cpu, planning = row
                spans = requests * stream.spans_per_request
                name = "narrow" if table == NARROW else "today's"
                print(
                    f"round {round_ + 1} {mib:>3} MiB {name:<8} {spans:>7} spans  "
                    f"{cpu / spans * 1e6:8.2f} us  {engine_cpu / spans * 1e6:14.2f} us  {peak / 2**20:8.1f} MiB"
                    f"  {planning:8.1f} ms",
                    flush=True,
                )
        truncate(client)
    print("The first round warms the process up; compare the later ones.")


if __name__ == "__main__":
    main()
