"""Query benchmark: trace, session and latency answers through the HTTP API over a large store.

1. Preload (fast, not through OTLP): a child process opens the embedded store at the data
   directory, applies the migrations and runs ``bench/query_preload.sql``: an
   ``INSERT INTO otel_traces SELECT ... FROM numbers()`` generating realistic mobile + backend
   traces (8 spans each: a screen span, two HTTP requests from the app, each answered by a
   backend SERVER span with a database call; device clocks off by up to +-2 minutes). The
   materialized views fill the session index and the request-pairs table exactly as for
   ingested spans. Sessions hold ``--traces-per-session`` traces (120 -> 960 spans). Then
   ``OPTIMIZE TABLE ... FINAL`` on the tables the queries read merges their parts (and the client
   and server halves of the request pairs): the state background merges bring a running server
   to. ``--no-merge`` skips it, to measure right after the bulk insert (5 parts per table).
2. Starts ``tracebridge serve`` on that data directory and measures, over keep-alive HTTP:
   ``GET /api/v1/traces/{id}`` for random traces (p50/p99), ``GET /api/v1/sessions/{id}`` for
   random sessions (p50/p99), and ``GET /api/v1/latency`` (group_by=route over all data, and
   group_by=os_name over one day with an app_version filter).

    python bench/query_bench.py [--spans 10000000] [--traces-per-session 120] [--data-dir DIR]
                                [--keep] [--skip-preload] [--no-merge]

Targets: trace p50 <= 10 ms, p99 <= 50 ms; session p99 <= 100 ms; latency <= 500 ms.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.conftest import LiveServer, start_server  # noqa: E402

PRELOAD_SQL = ROOT / "bench" / "query_preload.sql"
BASE_NS = 1_764_000_000 * 1_000_000_000
SPANS_PER_TRACE = 8
CHUNK_SPANS = 2_000_000

# Runs in a child process: chDB allows one data path per process and the server needs it next.
PRELOAD_CHILD = r"""
import json, sys, time
from pathlib import Path
from tracebridge.settings import Settings
from tracebridge.store.client import LockedClient, open_client
from tracebridge.store.migrator import migrate

data_dir, spans, per_session, chunk, base_ns, sample_traces, sample_sessions = sys.argv[1:8]
spans, per_session, chunk = int(spans), int(per_session), int(chunk)
client = LockedClient(open_client(Settings(data_dir=Path(data_dir))))
migrate(client)
sql = Path(sys.argv[8]).read_text()
started = time.monotonic()
for first in range(0, spans if sys.argv[9] == "1" else 0, chunk):
    count = min(chunk, spans - first)
    client.command(sql, parameters={"first": first, "count": count, "traces_per_session": per_session,
                                    "base_ns": int(base_ns)},
                   settings={"max_insert_threads": 2, "max_threads": 2})
    print(f"preload: {first + count} spans in {time.monotonic() - started:.1f} s", file=sys.stderr, flush=True)
if sys.argv[10] == "1":
    merge_started = time.monotonic()
    for table in ("tracebridge_request_pairs", "tracebridge_request_hops", "tracebridge_session_summary",
                  "tracebridge_session_spans", "tracebridge_trace_index", "otel_traces"):
        client.command(f"OPTIMIZE TABLE {table} FINAL")
    print(f"preload: merged parts in {time.monotonic() - merge_started:.1f} s", file=sys.stderr, flush=True)
traces = [int(t) for t in sample_traces.split(",")]
sessions = [int(s) for s in sample_sessions.split(",")]
trace_ids = client.query(
    "SELECT arrayMap(t -> lower(concat(leftPad(hex(cityHash64(t, 'trace-a')), 16, '0'), "
    "leftPad(hex(cityHash64(t, 'trace-b')), 16, '0'))), {ts:Array(UInt64)})", parameters={"ts": traces}).result_rows[0][0]
session_ids = client.query(
    "SELECT arrayMap(s -> concat('bench-', lower(leftPad(hex(cityHash64(s, 'session')), 16, '0'))), {ss:Array(UInt64)})",
    parameters={"ss": sessions}).result_rows[0][0]
counts = {t: client.query(f"SELECT count() FROM {t}").result_rows[0][0]
          for t in ("otel_traces", "tracebridge_session_spans", "tracebridge_request_pairs", "tracebridge_trace_index")}
print(json.dumps({"trace_ids": trace_ids, "session_ids": session_ids, "counts": counts,
                  "seconds": time.monotonic() - started}))
"""


def preload(
    data_dir: Path, spans: int, insert: bool, merge: bool, per_session: int, samples: int, seed: int
) -> dict[str, object]:
    traces = spans // SPANS_PER_TRACE
    rng = random.Random(seed)
    sample_traces = [rng.randrange(traces) for _ in range(samples)]
    sessions = max(1, traces // per_session)
    full_sessions = max(1, sessions - 1)  # the last session may be partial
    sample_sessions = [rng.randrange(full_sessions) for _ in range(max(20, samples // 5))]
    command = [
        sys.executable,
        "-c",
        PRELOAD_CHILD,
        str(data_dir),
        str(spans),
        str(per_session),
        str(CHUNK_SPANS),
        str(BASE_NS),
        ",".join(map(str, sample_traces)),
        ",".join(map(str, sample_sessions)),
        str(PRELOAD_SQL),
        "1" if insert else "0",
        "1" if merge else "0",
    ]
    done = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=True, cwd=ROOT)
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p * (len(ordered) - 1))))]


class Api:
    """GET over loopback HTTP. ``fresh``: a new TCP connection per request (as the CLI makes);
    otherwise one keep-alive connection (exposes the server's Nagle/delayed-ACK stall, see docs)."""

    def __init__(self, api: str, fresh: bool) -> None:
        parsed = urlparse(api)
        self.host, self.port, self.fresh = parsed.hostname or "127.0.0.1", parsed.port or 80, fresh
        self.conn: http.client.HTTPConnection | None = None

    def get(self, path: str, **params: str) -> tuple[float, dict[str, Any]]:
        url = path + ("?" + urlencode(params) if params else "")
        started = time.perf_counter()
        if self.conn is None or self.fresh:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=120)
        self.conn.request("GET", url)
        response = self.conn.getresponse()
        body = response.read()
        elapsed = (time.perf_counter() - started) * 1000
        if self.fresh:
            self.conn.close()
        if response.status != 200:
            raise RuntimeError(f"{path}: {response.status} {body[:300]!r}")
        if path.startswith("/api/"):
            document: dict[str, Any] = json.loads(body)
            return elapsed, document
        return elapsed, {"html_bytes": len(body)}


# Whole pages and the aggregates behind them (server-side rendering included).
PAGES = (
    "/",
    "/dashboards/latency",
    "/dashboards/versions",
    "/dashboards/crashes",
    "/api/v1/versions",
    "/api/v1/crash-groups",
)


def measure(
    api_url: str, trace_ids: list[str], session_ids: list[str], rounds: int, fresh: bool
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    api = Api(api_url, fresh)
    for tid in trace_ids[:10]:  # warm up a little, as a running server is
        api.get(f"/api/v1/traces/{tid}")
    trace_ms, span_counts = [], []
    for tid in trace_ids:
        elapsed, document = api.get(f"/api/v1/traces/{tid}")
        trace_ms.append(elapsed)
        span_counts.append(len(document["spans"]))
    out["trace"] = {
        "n": len(trace_ms),
        "p50_ms": percentile(trace_ms, 0.5),
        "p99_ms": percentile(trace_ms, 0.99),
        "max_ms": max(trace_ms),
        "spans_each": statistics.median(span_counts),
    }
    session_ms, session_spans = [], []
    for sid in session_ids:
        elapsed, document = api.get(f"/api/v1/sessions/{sid}")
        session_ms.append(elapsed)
        session_spans.append(document.get("span_count", 0))
    out["session"] = {
        "n": len(session_ms),
        "p50_ms": percentile(session_ms, 0.5),
        "p99_ms": percentile(session_ms, 0.99),
        "max_ms": max(session_ms),
        "spans_each": statistics.median(session_spans),
    }
    latency, filtered, rows = [], [], 0
    for _ in range(rounds):
        elapsed, document = api.get("/api/v1/latency", group_by="route")
        latency.append(elapsed)
        rows = sum(r["count"] for r in document["rows"])
    for _ in range(rounds):
        elapsed, _document = api.get(
            "/api/v1/latency",
            group_by="os_name",
            app_version="3.2.1",
            since="2025-11-24T00:00:00Z",
            until="2025-11-25T00:00:00Z",
        )
        filtered.append(elapsed)
    search = []
    for _ in range(rounds):
        elapsed, _document = api.get("/api/v1/sessions", limit="50")
        search.append(elapsed)
        elapsed, _document = api.get("/api/v1/sessions", app_version="3.2.0", os_name="iOS", limit="20")
        search.append(elapsed)
    pages: dict[str, list[float]] = {}
    for _ in range(rounds):
        for page in PAGES:
            elapsed, _document = api.get(page)
            pages.setdefault(page, []).append(elapsed)
    out["pages"] = {page: statistics.median(times) for page, times in pages.items()}
    out["session_search"] = {"n": len(search), "median_ms": statistics.median(search), "max_ms": max(search)}
    out["latency_all_by_route"] = {
        "n": rounds,
        "median_ms": statistics.median(latency),
        "max_ms": max(latency),
        "requests": rows,
    }
    out["latency_filtered_by_os"] = {
        "n": rounds,
        "median_ms": statistics.median(filtered),
        "max_ms": max(filtered),
    }
    return out


def report(label: str, results: dict[str, Any]) -> None:
    t, s = results["trace"], results["session"]
    la, lf = results["latency_all_by_route"], results["latency_filtered_by_os"]
    print(f"[{label}]")
    print(
        f"  trace lookup  n={t['n']:<4} p50 {t['p50_ms']:7.1f} ms  p99 {t['p99_ms']:7.1f} ms  max {t['max_ms']:7.1f} ms"
        f"  ({t['spans_each']:.0f} spans each; target p50<=10 p99<=50)"
    )
    print(
        f"  session       n={s['n']:<4} p50 {s['p50_ms']:7.1f} ms  p99 {s['p99_ms']:7.1f} ms  max {s['max_ms']:7.1f} ms"
        f"  ({s['spans_each']:.0f} spans each; target p99<=100)"
    )
    print(
        f"  latency route n={la['n']:<4} median {la['median_ms']:7.1f} ms  max {la['max_ms']:7.1f} ms"
        f"  ({la['requests']} request pairs; target <=500)"
    )
    ss = results["session_search"]
    print(f"  session search n={ss['n']:<4} median {ss['median_ms']:7.1f} ms  max {ss['max_ms']:7.1f} ms")
    for page, median_ms in results["pages"].items():
        print(f"  page {page:<24} median {median_ms:7.1f} ms")
    print(
        f"  latency os+app_version+1 day  n={lf['n']:<4} median {lf['median_ms']:7.1f} ms  max {lf['max_ms']:7.1f} ms"
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--spans", type=int, default=10_000_000)
    parser.add_argument("--traces-per-session", type=int, default=120)
    parser.add_argument(
        "--samples", type=int, default=500, help="trace lookups (sessions: a fifth, at least 20)"
    )
    parser.add_argument("--rounds", type=int, default=5, help="runs of each latency query")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--data-dir", type=Path, help="default: a temporary directory")
    parser.add_argument("--skip-preload", action="store_true", help="reuse --data-dir as preloaded before")
    parser.add_argument("--keep", action="store_true", help="keep the data directory")
    parser.add_argument(
        "--no-merge",
        action="store_true",
        help="skip OPTIMIZE of the tables after the preload (measure before background merges)",
    )
    args = parser.parse_args()

    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="tracebridge-query-bench-"))
    live: LiveServer | None = None
    try:
        started = time.monotonic()
        loaded = preload(
            data_dir,
            args.spans,
            not args.skip_preload,
            not args.no_merge,
            args.traces_per_session,
            args.samples,
            args.seed,
        )
        print(
            f"preload: {json.dumps(loaded['counts'])} in {time.monotonic() - started:.1f} s "
            "(INSERT ... SELECT FROM numbers() into otel_traces; views fill the indexes)"
        )
        live = start_server(data_dir, timeout=300)
        api = live.api
        trace_ids, session_ids = list(loaded["trace_ids"]), list(loaded["session_ids"])  # type: ignore[call-overload]
        fresh = measure(api, trace_ids, session_ids, args.rounds, fresh=True)
        report("new connection per request", fresh)
        kept = measure(api, trace_ids, session_ids, args.rounds, fresh=False)
        report("one keep-alive connection", kept)
        print("json: " + json.dumps({"spans": args.spans, "fresh": fresh, "keep_alive": kept}))
    finally:
        if live is not None:
            live.stop()
        if not args.keep and args.data_dir is None:
            shutil.rmtree(data_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
