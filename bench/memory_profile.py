"""What the embedded store's resident memory is made of, idle and after inserts (docs/ingest.md#memory).

In its own process (chDB allows one data path per process): opens a fresh embedded store as the
server does (engine options, migrations, a ``StoreWriter`` with the server's purge settings unless
``--no-purge``), prints the resident set split by mapping (chDB library file pages, other files,
anonymous), jemalloc's allocated / active / resident bytes and the thread count; then inserts
``--spans`` bench spans in inserts of ``--batch`` spans (merges running) and prints the peak
(VmHWM, reset after start-up) and the same split again, right after and ``--settle`` seconds later.

    python bench/memory_profile.py --spans 300000 --batch 18000
    python bench/memory_profile.py --no-purge        # the engine as it starts, nothing released
"""

from __future__ import annotations

import argparse
import collections
import os
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.payloads import PayloadStream  # noqa: E402
from tracebridge.settings import Settings  # noqa: E402
from tracebridge.store.client import LockedClient, open_client, store_layout  # noqa: E402
from tracebridge.store.migrator import migrate  # noqa: E402
from tracebridge.store.wire import Signal, write_schema_file  # noqa: E402
from tracebridge.store.writer import StoreWriter  # noqa: E402

JEMALLOC = "SELECT stats FROM system.jemalloc_stats"


def mappings() -> collections.Counter[str]:
    """Resident KiB by kind: the chDB library's file pages, other files, anonymous."""
    out: collections.Counter[str] = collections.Counter()
    kind = ""
    for line in Path("/proc/self/smaps").read_text(encoding="utf-8", errors="replace").splitlines():
        if re.match(r"^[0-9a-f]+-[0-9a-f]+ ", line):
            parts = line.split()
            path = parts[5] if len(parts) > 5 else ""
            kind = (
                "chDB library" if "_chdb" in path else "other files" if path.startswith("/") else "anonymous"
            )
        elif line.startswith("Rss:"):
            out[kind] += int(line.split()[1])
        elif line.startswith("Anonymous:") and kind != "anonymous":
            out[kind] -= int(line.split()[1])  # copied-on-write pages of a file mapping
            out["anonymous"] += int(line.split()[1])
    return out


def status_kib(key: str) -> int:
    match = re.search(rf"{key}:\s+(\d+) kB", Path("/proc/self/status").read_text())
    return int(match.group(1)) if match else 0


def report(client: LockedClient, label: str) -> None:
    parts = mappings()
    split = ", ".join(f"{name} {kib / 1024:,.0f}" for name, kib in parts.most_common())
    print(f"{label}: RSS {status_kib('VmRSS') / 1024:,.0f} MiB ({split})")
    stats = client.query(JEMALLOC).result_rows[0][0]
    line = next((x for x in stats.splitlines() if x.startswith("Allocated:")), "")
    numbers = dict(re.findall(r"(\w+): (\d+)", line))
    print(
        "  jemalloc MiB: allocated {:,.0f}, active {:,.0f}, resident {:,.0f}; threads {}".format(
            int(numbers.get("Allocated", 0)) / 2**20,
            int(numbers.get("active", 0)) / 2**20,
            int(numbers.get("resident", 0)) / 2**20,
            len(os.listdir("/proc/self/task")),
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--spans", type=int, default=300_000)
    parser.add_argument("--batch", type=int, default=18_000, help="spans per insert (8 MiB batches: ~18k)")
    parser.add_argument("--settle", type=float, default=6.0)
    parser.add_argument("--no-purge", action="store_true", help="release nothing (the engine as it starts)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tb-memory-") as tmp:
        settings = Settings(data_dir=Path(tmp))
        client = LockedClient(open_client(settings))
        migrate(client, store_layout(settings))
        report(client, "opened and migrated")
        purge = None if args.no_purge else settings.store_purge_above_bytes
        writer = StoreWriter(client, write_schema_file(Path(tmp) / "schemas"), purge)
        if purge is not None:
            report(client, "after the writer's first release")
        Path("/proc/self/clear_refs").write_text("5")  # VmHWM from here on
        stream, per_insert, sent = PayloadStream(500), max(1, args.batch // 500), 0
        cpu = time.process_time()
        while sent * 500 < args.spans:
            writer.insert(Signal.TRACES, [stream.body(sent + k) for k in range(per_insert)])
            sent += per_insert
        cpu = time.process_time() - cpu
        print(
            f"inserted {sent * 500:,} spans ({per_insert * 500:,} per insert): {sent * 500 / cpu:,.0f} spans "
            f"per CPU-second (merges included), peak RSS {status_kib('VmHWM') / 1024:,.0f} MiB"
        )
        report(client, "right after")
        time.sleep(args.settle)
        report(client, f"{args.settle:.0f} s later")


if __name__ == "__main__":
    main()
