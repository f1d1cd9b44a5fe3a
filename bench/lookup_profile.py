"""Where a trace or session lookup spends its time on a store with young parts (issue 12).

Loads ``--spans`` spans of the ingest bench's payloads (bench/payloads.py, OTLP/HTTP protobuf
through a live ``tracebridge serve``), stops that server, then opens the store in this process
with background merges stopped (so the parts stay as young as the load left them, run after
run) and runs ``--traces`` trace and ``--sessions`` session lookups exactly as the API does
(``trace_document`` / ``session_document`` + ``json_response``). Prints per lookup: wall p50/p99,
the CPU of this process per lookup (Python and chDB's threads), Python's garbage collections per
lookup and their time, and per query the calls per lookup and wall time; ``--profile
trace|session`` adds the cProfile top of the Python side. Like ``tracebridge serve``, it freezes
what start-up allocated out of the collector's reach before the lookups (``--no-gc-freeze``: not).

    python bench/lookup_profile.py --spans 300000
    python bench/lookup_profile.py --spans 1000000 --profile session --keep /tmp/tb-1m

``--keep DIR`` loads into DIR once and reuses it on later runs (``--reuse``). Per-query figures are
wall times around each call of the reader's client pool, and, from ClickHouse's own
``system.query_log`` (switched on for this store, bench/engine_logs.py), each query's engine CPU and
the part of it spent planning (analysis, plan build, plan optimization, pipeline build).
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import multiprocessing
import pstats
import random
import statistics
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.engine_logs import open_store_with_logs  # noqa: E402
from bench.ingest_bench import load  # noqa: E402
from bench.payloads import PayloadStream  # noqa: E402
from tests.conftest import start_server  # noqa: E402
from tracebridge.query import service  # noqa: E402
from tracebridge.query.views import json_response  # noqa: E402
from tracebridge.settings import Settings  # noqa: E402
from tracebridge.store.client import ClientPool, open_client  # noqa: E402
from tracebridge.store.reader import StoreReader  # noqa: E402

SPANS_PER_REQUEST = 500


class TimedPool(ClientPool):
    """The API's reader pool, timing every query (wall ms by the query's first words)."""

    def __init__(self, clients: list[Any]) -> None:
        super().__init__(clients)
        self.times: dict[str, list[float]] = defaultdict(list)
        self._lock = threading.Lock()

    def query(self, sql: str, parameters: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        started = time.perf_counter()
        result = super().query(sql, parameters=parameters, **kwargs)
        with self._lock:
            self.times[" ".join(sql.split())[:100]].append((time.perf_counter() - started) * 1000)
        return result


class GcTimer:
    """A ``gc.callbacks`` hook: collections and their wall ms, per generation."""

    def __init__(self) -> None:
        self.per_gen: list[list[float]] = [[0, 0.0], [0, 0.0], [0, 0.0]]
        self._started = 0.0

    def reset(self) -> None:
        self.per_gen = [[0, 0.0], [0, 0.0], [0, 0.0]]

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            entry = self.per_gen[info["generation"]]
            entry[0] += 1
            entry[1] += (time.perf_counter() - self._started) * 1000


def fill(data_dir: Path, spans: int) -> None:
    """``spans`` bench spans stored through a live server on ``data_dir``, which is then stopped."""
    live = start_server(data_dir)
    try:
        results: Any = multiprocessing.Queue()
        requests = spans // SPANS_PER_REQUEST
        url = live.otlp_http + "/v1/traces"
        loader = multiprocessing.Process(
            target=load, args=(url, 0, requests, 4, None, SPANS_PER_REQUEST, results)
        )
        loader.start()
        results.get()
        while (
            int(httpx.get(live.api + "/api/v1/stats", timeout=30).json()["items_stored"])
            < requests * SPANS_PER_REQUEST
        ):
            time.sleep(0.5)
        results.get()
        loader.join()
    finally:
        live.stop()


# Per statement shape since a moment: calls, engine CPU and planning (ms in all).
SELECT_QUERY_PROFILE = """
SELECT any(substring(replaceRegexpAll(query, '\\s+', ' '), 1, 90)) AS sql, count() AS calls,
       sum(ProfileEvents['OSCPUVirtualTimeMicroseconds']) / 1e3 AS cpu_ms,
       sum(ProfileEvents['QueryAnalysisMicroseconds'] + ProfileEvents['QueryPlanBuildMicroseconds']
           + ProfileEvents['QueryPlanOptimizeMicroseconds'] + ProfileEvents['QueryPipelineBuildMicroseconds'])
         / 1e3 AS planning_ms
FROM system.query_log
WHERE type = 'QueryFinish' AND query_kind = 'Select' AND event_time_microseconds >= {since:DateTime64(6)}
  AND query NOT LIKE '%system.%' AND query NOT LIKE 'SELECT now64(6)%'
GROUP BY normalized_query_hash
ORDER BY cpu_ms DESC
"""


def print_engine_profile(admin: Any, since: Any, lookups: int) -> None:
    """The lookups' queries by the engine's query_log: CPU and planning per lookup."""
    admin.command("SYSTEM FLUSH LOGS")
    rows = admin.query(SELECT_QUERY_PROFILE, parameters={"since": since}).result_rows
    cpu = sum(float(r[2]) for r in rows) / lookups
    planning = sum(float(r[3]) for r in rows) / lookups
    print(
        f"  by the engine's query_log: {cpu:.1f} ms engine CPU per lookup, {planning:.1f} ms of it"
        f" planning ({planning / cpu:.0%})"
        if cpu
        else "  by the engine's query_log: no queries"
    )
    for sql, calls, cpu_ms, planning_ms in rows:
        print(
            f"  {calls / lookups:4.2f} per lookup, CPU {cpu_ms / calls:6.2f} ms, planning"
            f" {planning_ms / calls:5.2f} ms per call  {sql}"
        )


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--spans", type=int, default=300_000)
    parser.add_argument("--traces", type=int, default=200)
    parser.add_argument("--sessions", type=int, default=40)
    parser.add_argument("--profile", choices=["trace", "session"], default=None)
    parser.add_argument("--keep", type=Path, default=None, help="load into this directory and keep it")
    parser.add_argument("--reuse", action="store_true", help="use --keep's directory as loaded before")
    parser.add_argument("--no-gc-freeze", action="store_true", help="do not gc.freeze() before the lookups")
    args = parser.parse_args()

    temp = None
    if args.keep is None:
        temp = tempfile.TemporaryDirectory(prefix="tb-lookups-")
        data_dir = Path(temp.name)
    else:
        data_dir = args.keep
    if not args.reuse:
        fill(data_dir, args.spans)

    settings = Settings(data_dir=data_dir)
    admin = open_store_with_logs(data_dir, ["query_log"])  # the engine's first client: its config
    admin.command("SYSTEM STOP MERGES")  # keep the parts as the load left them
    parts = admin.query(
        "SELECT table, count() FROM system.parts WHERE active AND database = currentDatabase() "
        "AND table IN ('otel_traces', 'tracebridge_trace_index', 'tracebridge_session_spans') GROUP BY table"
    ).result_rows
    print("parts:", ", ".join(f"{table} {count}" for table, count in sorted(parts)))
    pool = TimedPool([open_client(settings) for _ in range(settings.read_clients)])
    reader = StoreReader(pool)
    stream = PayloadStream(SPANS_PER_REQUEST)
    requests = args.spans // SPANS_PER_REQUEST
    rng = random.Random(3)

    def lookup(kind: str) -> None:
        n = rng.randrange(requests)
        if kind == "trace":
            json_response(service.trace_document(reader, rng.choice(stream.trace_ids(n))))
        else:
            json_response(service.session_document(reader, stream.session_id(n - n % 2)))

    for _ in range(5):
        lookup("trace")
        lookup("session")
    if not args.no_gc_freeze:
        gc.freeze()  # as tracebridge serve does once started
    collections = GcTimer()
    gc.callbacks.append(collections)
    for kind, count in (("trace", args.traces), ("session", args.sessions)):
        pool.times.clear()
        admin.command("SYSTEM FLUSH LOGS")
        since = admin.query("SELECT now64(6)").result_rows[0][0]
        collections.reset()
        profiler = cProfile.Profile() if args.profile == kind else None
        wall: list[float] = []
        cpu0 = time.process_time()
        for _ in range(count):
            started = time.perf_counter()
            if profiler:
                profiler.enable()
            lookup(kind)
            if profiler:
                profiler.disable()
            wall.append((time.perf_counter() - started) * 1000)
        cpu = (time.process_time() - cpu0) / count * 1000
        print(
            f"\n{kind} ({count}): p50 {statistics.median(wall):.1f} ms, p99 {percentile(wall, 0.99):.1f} ms, "
            f"CPU {cpu:.1f} ms per lookup (this process, all threads)"
        )
        print(
            "  garbage collections per lookup (generation: count, ms): "
            + ", ".join(
                f"{g}: {n / count:.2f}, {ms / count:.2f}" for g, (n, ms) in enumerate(collections.per_gen)
            )
        )
        for sql, times in sorted(pool.times.items(), key=lambda kv: -sum(kv[1])):
            print(f"  {len(times) / count:4.2f} per lookup, p50 {statistics.median(times):6.2f} ms  {sql}")
        print_engine_profile(admin, since, count)
        if profiler:
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(30)
            print(out.getvalue())
    pool.close()
    admin.close()
    if temp is not None:
        temp.cleanup()


if __name__ == "__main__":
    main()
