"""Daily partitions on otel_traces: merges of a store grown over days, and what a trace read costs
(issue 12).

In a fresh embedded store in this process, a copy of otel_traces partitioned by day
(``PARTITION BY toDate(Timestamp)``) is fed the same rows as otel_traces by a view on it; the
other derived views are detached (``otel_traces_trace_id_ts`` stays: the two-step read needs it).
The ingest bench's requests are then loaded for ``--days`` days of ``--spans-per-day`` spans, each
day's spans dated that day (a product would partition by the server's ingest day: device clocks
are wrong), merges settled after every day. Per day it prints the merges of each table from
``system.part_log`` (CPU, rows merged) and the parts at rest. Then ``--reads`` trace ids from all
days are read (``SELECT *`` by id, query condition cache off) from otel_traces, from the
partitioned copy by id alone, and in two steps (the trace's time range from
``otel_traces_trace_id_ts``, then the copy within it), with each read's engine CPU, wall time and
parts probed from ``system.query_log``.

    python bench/partition_profile.py --days 10 --spans-per-day 1000000

Results and what was decided: docs/ingest.md ("Growth: merges").
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import bench.payloads as payloads  # noqa: E402
from bench.engine_logs import open_store_with_logs  # noqa: E402
from bench.ingest_stages import wait_for_merges  # noqa: E402
from tracebridge.store.client import LockedClient  # noqa: E402
from tracebridge.store.migrator import migrate  # noqa: E402
from tracebridge.store.wire import Signal, frame, protobuf_settings, write_schema_file  # noqa: E402

DAY_NS = 86_400 * 10**9
REQUESTS_PER_INSERT = 37  # the server's 8 MiB batch of these 500-span requests
TABLES = ("otel_traces", "otel_traces_p", "otel_traces_trace_id_ts")

SELECT_MERGES = """
SELECT table, count(), sum(rows),
       sum(ProfileEvents['UserTimeMicroseconds'] + ProfileEvents['SystemTimeMicroseconds']) / 1e6
FROM system.part_log
WHERE event_type = 'MergeParts' AND database = currentDatabase() AND event_time_microseconds >= {since:DateTime64(6)}
GROUP BY table
"""
SELECT_PARTS = """
SELECT table, count() FROM system.parts
WHERE active AND database = currentDatabase() AND table IN ('otel_traces', 'otel_traces_p')
GROUP BY table
"""
READ_FLAT = "SELECT * FROM otel_traces WHERE TraceId = {t:String}"
READ_PARTITIONED = "SELECT * FROM otel_traces_p WHERE TraceId = {t:String}"
READ_RANGE = "SELECT min(Start), max(End) FROM otel_traces_trace_id_ts WHERE TraceId = {t:String}"
READ_IN_RANGE = (
    "SELECT * FROM otel_traces_p WHERE TraceId = {t:String} "
    "AND Timestamp >= {a:DateTime} AND Timestamp <= {b:DateTime} + 1"
)
SELECT_READS = """
SELECT log_comment, count(),
       quantile(0.5)(ProfileEvents['OSCPUVirtualTimeMicroseconds']) / 1e3,
       quantile(0.5)(query_duration_ms), quantile(0.99)(query_duration_ms),
       avg(ProfileEvents['SelectedParts'])
FROM system.query_log
WHERE type = 'QueryFinish' AND log_comment LIKE 'read:%'
GROUP BY log_comment ORDER BY log_comment
"""


def add_partitioned_copy(client: LockedClient) -> None:
    for (view,) in client.query(
        "SELECT arrayJoin(dependencies_table) FROM system.tables "
        "WHERE database = currentDatabase() AND name = 'otel_traces'"
    ).result_rows:
        if view != "otel_traces_trace_id_ts_mv":
            client.command(f"DETACH TABLE {view}")
    ddl = client.query(
        "SELECT create_table_query FROM system.tables WHERE database = currentDatabase() AND name = 'otel_traces'"
    ).result_rows[0][0]
    client.command(
        ddl.replace(".otel_traces ", ".otel_traces_p ", 1).replace(
            "ORDER BY", "PARTITION BY toDate(Timestamp) ORDER BY", 1
        )
    )
    client.command("CREATE MATERIALIZED VIEW otel_traces_p_mv TO otel_traces_p AS SELECT * FROM otel_traces")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--days", type=int, default=10)
    parser.add_argument("--spans-per-day", type=int, default=1_000_000)
    parser.add_argument("--reads", type=int, default=400, help="trace ids read, spread over the days")
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="tracebridge-partitions-"))
    client = open_store_with_logs(data_dir, ["part_log", "query_log"])
    migrate(client)
    add_partitioned_copy(client)
    settings = protobuf_settings(Signal.TRACES, write_schema_file(data_dir / "format_schemas"))
    today = time.time_ns() // DAY_NS * DAY_NS
    requests_per_day = max(1, args.spans_per_day // 500)
    days: list[tuple[payloads.PayloadStream, int, int]] = []  # stream, first and end request number
    counter = 0
    print("day  merges CPU-s / rows merged: otel_traces | partitioned copy | trace_id_ts   parts at rest")
    for day in range(args.days):
        payloads.BASE_TIME = today - (args.days - 1 - day) * DAY_NS + 3_600 * 10**9
        stream = payloads.PayloadStream(500, seed=day + 1)
        first = counter
        since = client.query("SELECT now64(6)").result_rows[0][0]
        for start in range(0, requests_per_day, REQUESTS_PER_INSERT):
            count = min(REQUESTS_PER_INSERT, requests_per_day - start)
            client.raw_insert(
                "otlp_traces_in",
                frame([stream.body(counter + i) for i in range(count)]),
                "Protobuf",
                settings,
            )
            counter += count
        wait_for_merges(client)
        days.append((stream, first, counter))
        client.command("SYSTEM FLUSH LOGS")
        merges = {
            str(t): (float(cpu), int(rows))
            for t, _n, rows, cpu in client.query(SELECT_MERGES, parameters={"since": since}).result_rows
        }
        parts = dict(client.query(SELECT_PARTS).result_rows)
        cells = " | ".join(
            f"{merges.get(t, (0.0, 0))[0]:6.2f} / {merges.get(t, (0.0, 0))[1] / 1e6:4.2f}M" for t in TABLES
        )
        print(
            f"{day + 1:>3}  {cells}   {parts.get('otel_traces', 0)} / {parts.get('otel_traces_p', 0)}",
            flush=True,
        )

    rng = random.Random(7)
    trace_ids = []
    for stream, first, end in days:
        for _ in range(max(1, args.reads // args.days)):
            trace_ids.append(rng.choice(stream.trace_ids(rng.randrange(first, end))))
    rng.shuffle(trace_ids)
    off = {"use_query_condition_cache": 0}
    for trace_id in trace_ids:
        ids = {"t": trace_id}
        client.query(READ_FLAT, parameters=ids, settings={**off, "log_comment": "read:1 otel_traces"})
        client.query(
            READ_PARTITIONED, parameters=ids, settings={**off, "log_comment": "read:2 partitioned, by id"}
        )
        start, end = client.query(
            READ_RANGE, parameters=ids, settings={**off, "log_comment": "read:3 two steps: time range"}
        ).result_rows[0]
        client.query(
            READ_IN_RANGE,
            parameters={**ids, "a": start, "b": end},
            settings={**off, "log_comment": "read:4 two steps: partitioned, in range"},
        )
    client.command("SYSTEM FLUSH LOGS")
    print("read                                      n  engine CPU p50  wall p50 / p99  parts probed")
    for name, n, cpu, p50, p99, parts in client.query(SELECT_READS).result_rows:
        print(f"{name[5:]:<40} {n:>4}  {cpu:10.2f} ms  {p50:5.0f} / {p99:4.0f} ms  {parts:8.1f}")


if __name__ == "__main__":
    main()
