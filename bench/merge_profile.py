"""Where background merges spend their CPU, table by table, as the store grows (issue 12).

Loads ``--spans`` spans of the ingest bench's payloads (bench/payloads.py) into a fresh embedded
store in this process, as the server's writer inserts them (the server's 8 MiB batches, merges
running), waits until no merge has run for 3 s, then reads ClickHouse's ``system.part_log``
(enabled for this run through a chDB config file) and prints per table: merges, rows written by
merges per row inserted (the write amplification), and the merges' CPU per span stored (user +
system time of each merge, from its ProfileEvents). Also prints this process's CPU per span with
merges (the request bodies are built before the clock starts), and, with ``--stop-merges``, the
same load with merges stopped, for the difference.

    python bench/merge_profile.py --spans 3000000
    python bench/merge_profile.py --spans 1000000 --alter "ALTER TABLE otel_traces MODIFY SETTING ..."

``--alter`` statements run after the migrations, before the load (to try a table setting).
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.engine_logs import open_store_with_logs  # noqa: E402
from bench.ingest_stages import wait_for_merges  # noqa: E402
from bench.payloads import PayloadStream  # noqa: E402
from tracebridge.settings import Settings  # noqa: E402
from tracebridge.store.migrator import migrate  # noqa: E402
from tracebridge.store.wire import Signal, frame, protobuf_settings, write_schema_file  # noqa: E402

# Per table: parts written by inserts, merges, rows in and rows written by merges, merge CPU.
SELECT_MERGE_COST = """
SELECT table,
       countIf(event_type = 'NewPart') AS inserted_parts,
       sumIf(rows, event_type = 'NewPart') AS inserted_rows,
       countIf(event_type = 'MergeParts') AS merges,
       sumIf(rows, event_type = 'MergeParts') AS merged_rows,
       sumIf(ProfileEvents['UserTimeMicroseconds'] + ProfileEvents['SystemTimeMicroseconds'],
             event_type = 'MergeParts') / 1e6 AS merge_cpu
FROM system.part_log
WHERE database = currentDatabase() AND table != 'tracebridge_schema_migrations'
GROUP BY table
ORDER BY merge_cpu DESC
"""

SELECT_ACTIVE_PARTS = """
SELECT table, count() FROM system.parts
WHERE database = currentDatabase() AND active AND table != 'tracebridge_schema_migrations'
GROUP BY table
"""


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--spans", type=int, default=1_000_000)
    parser.add_argument("--spans-per-request", type=int, default=500)
    parser.add_argument("--alter", action="append", default=[], help="a statement to run before the load")
    parser.add_argument("--stop-merges", action="store_true", help="load with merges stopped")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="tb-merges-") as tmp:
        data_dir = Path(tmp)
        client = open_store_with_logs(data_dir, ["part_log"])
        migrate(client)
        for statement in args.alter:
            client.command(statement)
        settings = Settings(data_dir=data_dir)
        stream = PayloadStream(args.spans_per_request)
        per_insert = max(1, settings.batch_max_bytes // len(stream.body(0)))
        requests = max(per_insert, args.spans // args.spans_per_request)
        inserts = [
            frame([stream.body(n) for n in range(first, min(first + per_insert, requests))])
            for first in range(0, requests, per_insert)
        ]
        spans = requests * args.spans_per_request
        wire = protobuf_settings(Signal.TRACES, write_schema_file(data_dir / "format_schemas"))
        if args.stop_merges:
            client.command("SYSTEM STOP MERGES")
        started, wall = cpu_seconds(), time.monotonic()
        for body in inserts:
            client.raw_insert("otlp_traces_in", body, "Protobuf", wire)
        inserted = cpu_seconds() - started
        wait_for_merges(client)
        total = cpu_seconds() - started
        client.command("SYSTEM FLUSH LOGS")
        rows = client.query(SELECT_MERGE_COST).result_rows
        parts = dict(client.query(SELECT_ACTIVE_PARTS).result_rows)

        print(
            f"{spans:,} spans, {per_insert * args.spans_per_request:,} per insert, merges "
            f"{'stopped' if args.stop_merges else 'running'}; {', '.join(args.alter) or 'default settings'}"
        )
        print(
            f"  CPU of this process: {total:.1f} s = {total / spans * 1e6:.1f} us per span "
            f"({inserted:.1f} s until the last insert returned; wall {time.monotonic() - wall:.0f} s)"
        )
        print(
            f"  {'table':<30} {'parts in':>8} {'merges':>7} {'rewritten':>9} {'merge CPU':>10} {'us/span':>8} {'parts now':>9}"
        )
        merge_total = 0.0
        for table, inserted_parts, inserted_rows, merges, merged_rows, merge_cpu in rows:
            merge_total += merge_cpu
            amplification = merged_rows / inserted_rows if inserted_rows else 0.0
            print(
                f"  {table:<30} {inserted_parts:>8} {merges:>7} {amplification:>8.1f}x {merge_cpu:>9.1f}s "
                f"{merge_cpu / spans * 1e6:>8.2f} {parts.get(table, 0):>9}"
            )
        print(
            f"  {'all merges':<30} {'':>8} {'':>7} {'':>9} {merge_total:>9.1f}s {merge_total / spans * 1e6:>8.2f}"
        )
        client.close()


if __name__ == "__main__":
    main()
