"""Per-stage CPU profile of the store side of ingest (run by ingest_bench.py).

Runs in its own process (chDB allows one data path per process) on a fresh embedded store with
the real migrations, and inserts the same framed export requests the server's writer inserts
(``StoreWriter``, as many requests per insert as fit in the server's ``batch_max_bytes``, 8 MiB:
~18,500 of these spans; ``--batch`` to override) several times with a different set of materialized
views attached each time, measuring this process's CPU time (all threads, chDB's included), then
once more read from the engine's own per-query and per-view logs:

- ``parse``: only the Null landing table (ClickHouse parsing the OTLP protobuf);
- ``flatten``: + the view that flattens into otel_traces and the otel_traces part writes;
- ``all``: everything attached, as the server runs;
- ``by_view``: one more run with everything attached, read from ClickHouse's own logs (this
  store has ``system.query_log`` and ``system.query_views_log`` on, bench/engine_logs.py): each
  view's CPU (its query planned for the inserted block, run, and its part written), the insert's
  CPU outside the views (the protobuf parse, the landing), and the insert's query planning by phase
  (analysis, plan build, plan optimization, pipeline build), which is inside the views' CPU;
- ``fixed``: one insert of a single request with everything attached (the lowest of 8): the cost
  every insert pays whatever its size (ClickHouse plans each view's query once per insert and
  writes one part per table), which is why the batch size trades CPU for memory.

Merges are stopped while inserting. Then ``--merge-spans`` spans are inserted into empty tables
twice, with merges stopped and with merges running (until none has run for 3 s): the difference,
scaled to ``--spans``, is the ``merges`` figure (what background merges cost per span stored).
Prints one JSON object on stdout.

    python bench/ingest_stages.py DATA_DIR --spans 200000 --spans-per-request 500
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.engine_logs import open_store_with_logs  # noqa: E402
from bench.payloads import PayloadStream  # noqa: E402
from tracebridge.settings import Settings  # noqa: E402
from tracebridge.store.client import LockedClient  # noqa: E402
from tracebridge.store.migrator import migrate  # noqa: E402
from tracebridge.store.wire import Signal, write_schema_file  # noqa: E402
from tracebridge.store.writer import StoreWriter  # noqa: E402

FLATTEN = "otlp_traces_in_mv"


def dependents(client: LockedClient, table: str) -> list[str]:
    """The materialized views that read ``table`` (in this database)."""
    rows = client.query(
        "SELECT dependencies_table FROM system.tables WHERE database = currentDatabase() AND name = {t:String}",
        parameters={"t": table},
    ).result_rows
    return sorted(rows[0][0]) if rows else []


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--spans", type=int, default=200_000)
    parser.add_argument(
        "--batch", type=int, default=0, help="spans per insert (default: the server's batch bytes)"
    )
    parser.add_argument("--spans-per-request", type=int, default=500)
    parser.add_argument(
        "--repeat", type=int, default=2, help="runs per configuration; the lowest CPU is kept"
    )
    parser.add_argument("--merge-spans", type=int, default=1_000_000, help="spans of the merges measurement")
    args = parser.parse_args()

    settings = Settings(data_dir=args.data_dir)
    client = open_store_with_logs(args.data_dir, ["query_log", "query_views_log"])
    migrate(client)
    writer = StoreWriter(client, write_schema_file(args.data_dir / "format_schemas"))
    stream = PayloadStream(args.spans_per_request)
    if args.batch:
        per_insert = max(1, args.batch // args.spans_per_request)
    else:
        per_insert = max(1, settings.batch_max_bytes // len(stream.body(0)))
    requests = max(per_insert, args.spans // args.spans_per_request)
    spans = requests * args.spans_per_request
    trace_views = dependents(client, "otel_traces") + dependents(client, "tracebridge_crashes")
    counter = [0]

    def run(count: int = requests) -> float:
        started = time.process_time()
        for first in range(0, count, per_insert):
            n0 = counter[0]
            writer.insert(Signal.TRACES, [stream.body(n0 + k) for k in range(min(per_insert, count - first))])
            counter[0] += per_insert
        return time.process_time() - started

    def attach(wanted: set[str]) -> None:
        for view in [FLATTEN, *trace_views]:
            exists = client.query(
                "SELECT count() FROM system.tables WHERE database = currentDatabase() AND name = {n:String}",
                parameters={"n": view},
            ).result_rows[0][0]
            if view in wanted and not exists:
                client.command(f"ATTACH TABLE {view}")
            elif view not in wanted and exists:
                client.command(f"DETACH TABLE {view}")

    def measure(wanted: set[str]) -> float:
        attach(wanted)
        return min(run() for _ in range(args.repeat))

    # Body production (bytes.replace) is part of run(); measured on its own and subtracted.
    started = time.process_time()
    for n in range(requests):
        stream.body(n)
    produce = time.process_time() - started

    client.command("SYSTEM STOP MERGES")
    results: dict[str, float] = {}
    results["parse"] = measure(set()) - produce
    results["flatten"] = measure({FLATTEN}) - produce
    results["all"] = measure({FLATTEN, *trace_views}) - produce
    by_view = logged_run(client, run)
    fixed = []
    for _ in range(8):
        body = stream.body(counter[0])
        counter[0] += 1
        started = time.process_time()
        writer.insert(Signal.TRACES, [body])
        fixed.append(time.process_time() - started)
    results["fixed"] = min(fixed)

    # Merges: --merge-spans inserted into empty tables with merges stopped, then again with merges
    # running (waiting until none has run for 3 s); the difference is the merges' CPU.
    merge_requests = max(per_insert, args.merge_spans // args.spans_per_request)

    truncate(client)
    without = run(merge_requests)
    parts_before = part_counts(client)
    truncate(client)
    client.command("SYSTEM START MERGES")
    started = time.process_time()
    run(merge_requests)
    wait_for_merges(client)
    with_merges = time.process_time() - started
    results["merges"] = (with_merges - without) * requests / merge_requests  # per `spans` spans
    print(
        json.dumps(
            {
                "spans": spans,
                "per_insert_spans": per_insert * args.spans_per_request,
                "cpu": results,
                "by_view": by_view,
                "parts_before_merges": parts_before,
                "parts_after_merges": part_counts(client),
            }
        )
    )


# The engine's CPU and planning time of the inserts since a moment (seconds).
SELECT_INSERT_PROFILE = """
SELECT count(),
       sum(ProfileEvents['OSCPUVirtualTimeMicroseconds']) / 1e6,
       sum(ProfileEvents['QueryAnalysisMicroseconds']) / 1e6,
       sum(ProfileEvents['QueryPlanBuildMicroseconds']) / 1e6,
       sum(ProfileEvents['QueryPlanOptimizeMicroseconds']) / 1e6,
       sum(ProfileEvents['QueryPipelineBuildMicroseconds']) / 1e6
FROM system.query_log
WHERE type = 'QueryFinish' AND query_kind = 'Insert' AND event_time_microseconds >= {since:DateTime64(6)}
"""

# Each materialized view's CPU for those inserts (seconds), the costliest first.
SELECT_VIEW_PROFILE = """
SELECT view_name, sum(ProfileEvents['OSCPUVirtualTimeMicroseconds']) / 1e6 AS cpu
FROM system.query_views_log
WHERE event_time_microseconds >= {since:DateTime64(6)}
GROUP BY view_name
ORDER BY cpu DESC
"""


def logged_run(client: LockedClient, run: Callable[[], float]) -> dict[str, Any]:
    """One more ``run()``, profiled from the engine's query_log and query_views_log.

    The views' CPU includes their own query planning (ClickHouse plans each view's query for the
    inserted block), so the planning phases are a breakdown of part of it, not an addition."""
    client.command("SYSTEM FLUSH LOGS")
    since = client.query("SELECT now64(6)").result_rows[0][0]
    run()
    client.command("SYSTEM FLUSH LOGS")
    inserts, cpu, analysis, build, optimize, pipeline = client.query(
        SELECT_INSERT_PROFILE, parameters={"since": since}
    ).result_rows[0]
    views = {
        str(name).split(".", 1)[-1]: float(seconds)
        for name, seconds in client.query(SELECT_VIEW_PROFILE, parameters={"since": since}).result_rows
    }
    return {
        "inserts": int(inserts),
        "cpu": float(cpu),
        "outside_views": float(cpu) - sum(views.values()),
        "views": views,
        "planning": {
            "analysis": float(analysis),
            "plan_build": float(build),
            "plan_optimize": float(optimize),
            "pipeline_build": float(pipeline),
        },
    }


def truncate(client: LockedClient) -> None:
    """Empty every table of the store but the migrations' record (views and schema stay)."""
    for (table,) in client.query(
        "SELECT name FROM system.tables WHERE database = currentDatabase() AND engine LIKE '%MergeTree' "
        "AND name != 'tracebridge_schema_migrations'"
    ).result_rows:
        client.command(f"TRUNCATE TABLE {table}")


def wait_for_merges(client: LockedClient, quiet_seconds: float = 3.0) -> None:
    """Return once no merge has run in the store for ``quiet_seconds``."""
    quiet_since = time.monotonic()
    while time.monotonic() - quiet_since < quiet_seconds:
        if client.query("SELECT count() FROM system.merges").result_rows[0][0]:
            quiet_since = time.monotonic()
        time.sleep(0.2)


def part_counts(client: LockedClient) -> dict[str, int]:
    rows = client.query(
        "SELECT table, count() FROM system.parts WHERE database = currentDatabase() AND active "
        "AND rows > 0 GROUP BY table"
    ).result_rows
    return {str(table): int(count) for table, count in rows}


if __name__ == "__main__":
    main()
