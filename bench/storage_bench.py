"""Storage benchmark: bytes on disk per span, per table, for the ingest benchmark's realistic spans.

Writes the ingest benchmark's requests (mobile client spans with ~15 attributes and their backend
server spans) straight into a fresh embedded store through the store writer, merges every table
(OPTIMIZE FINAL, as background merges would in time), and prints each table's compressed bytes on
disk (system.parts) per stored span. The sizing table of docs/architecture.md uses these figures.

    python bench/storage_bench.py [--spans 200000] [--batch 1000]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.ingest_bench import build_requests  # noqa: E402
from tracebridge.settings import Settings  # noqa: E402
from tracebridge.store.client import LockedClient, open_client, store_layout  # noqa: E402
from tracebridge.store.migrator import migrate  # noqa: E402
from tracebridge.store.wire import Signal, write_schema_file  # noqa: E402
from tracebridge.store.writer import StoreWriter  # noqa: E402

TABLE_BYTES = """
SELECT table, sum(bytes_on_disk) AS bytes, sum(data_uncompressed_bytes) AS raw
FROM system.parts
WHERE database = currentDatabase() AND active
GROUP BY table
ORDER BY bytes DESC
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--spans", type=int, default=200_000)
    parser.add_argument("--batch", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tb-storage-") as tmp:
        settings = Settings(data_dir=Path(tmp))
        client = LockedClient(open_client(settings))
        migrate(client, store_layout(settings))
        writer = StoreWriter(client, write_schema_file(Path(tmp) / "schemas"))
        bodies = build_requests(args.spans // args.batch, args.batch, "protobuf", seed=1)
        for start in range(0, len(bodies), 10):
            writer.insert(Signal.TRACES, bodies[start : start + 10])
        spans = client.query("SELECT count() FROM otel_traces").result_rows[0][0]
        tables = [row[0] for row in client.query(TABLE_BYTES).result_rows]
        for table in tables:
            client.command(f"OPTIMIZE TABLE {table} FINAL")
        rows = client.query(TABLE_BYTES).result_rows
        total = sum(row[1] for row in rows)
        wire = sum(len(body) for body in bodies)
        print(f"spans stored:              {spans}")
        print(f"OTLP protobuf received:    {wire / spans:,.0f} bytes per span")
        for table, stored, raw in rows:
            print(
                f"{table:32} {stored / spans:8,.1f} bytes per span on disk ({raw / max(stored, 1):.1f}x compressed)"
            )
        print(f"{'all tables':32} {total / spans:8,.1f} bytes per span on disk")


if __name__ == "__main__":
    main()
