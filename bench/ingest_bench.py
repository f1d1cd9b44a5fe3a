"""Ingest benchmark: spans per server CPU-second, its ratio to upb, memory, lookups during ingest.

One run prints, for realistic OTLP/HTTP protobuf export requests (bench/payloads.py: mobile client
spans and the backend spans answering them, ``--spans-per-request`` 500, ``--threads`` 4 keep-alive
client threads in a separate load process):

1. references, measured in this process on the same request bodies: upb ``ParseFromString``
   (the ``protobuf`` package's upb backend), tracebridge's decode + validate, and the write-ahead
   log append + fsync (CPU per span; fsync wall time per group);
2. throughput: a fresh ``tracebridge serve``; ``--spans`` spans posted as fast as the server takes
   them; spans per server CPU-second (user + system of the whole server process tree, chDB's threads
   included, from /proc), the ratio to upb, wall rate, peak RSS, the rate in the first and last
   fifth of the run (growth), trace and session lookups through the API *during* the load, and the
   same lookups right after it (no OPTIMIZE);
3. sustained: a fresh server fed at a fixed ``--sustain-rate`` (50,000 spans/s) for
   ``--sustain-seconds`` (60) with default settings: peak RSS (the 512 MiB goal), the rate reached,
   lookups during;
4. stages: the store side (bench/ingest_stages.py, its own process): ClickHouse's protobuf parse
   and the flattening view + otel_traces writes by subtraction, merges, then each view's CPU and
   the query planning by phase from ClickHouse's own query_log and query_views_log.

    python bench/ingest_bench.py                      # ~4 minutes: 300k spans, 60 s sustained, stages
    python bench/ingest_bench.py --spans 1000000 --repeat 3
    python bench/ingest_bench.py --spans 10000000 --sustain-seconds 0 --no-stages
    python bench/ingest_bench.py --load-lookups-per-second 4 --engine-log   # + lookup queries' engine time

``--engine-log``: the throughput run's server keeps ClickHouse's query_log
(bench/server_hook/sitecustomize.py); per lookup query, its calls, p50/p99 engine time, CPU and
time waiting for a core, during the load and right after it.

The CPU of the machine is shared: every figure that matters is a ratio or CPU-seconds, not wall
time; repeat runs (``--repeat``) and read the spread.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.payloads import PayloadStream  # noqa: E402
from bench.query_bench import Api, percentile  # noqa: E402
from tests.conftest import LiveServer, start_server  # noqa: E402
from tracebridge.store.priority import MERGE_THREAD_NAME, thread_ids_named  # noqa: E402

# ------------------------------------------------------------------ /proc


def _tree(pid: int) -> list[int]:
    """``pid`` and its descendants."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        current = todo.pop()
        out.append(current)
        todo.extend(children.get(current, []))
    return out


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU of a process tree (threads included)."""
    total = 0
    for member in _tree(pid):
        try:
            fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def merge_thread_cpu_seconds(pid: int) -> float:
    """User + system CPU of the process's live background-merge threads (by thread name)."""
    total = 0
    for thread_id in thread_ids_named(MERGE_THREAD_NAME, pid):
        try:
            fields = Path(f"/proc/{pid}/task/{thread_id}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def _status_kib(pid: int, key: str) -> int:
    total = 0
    for member in _tree(pid):
        try:
            match = re.search(rf"{key}:\s+(\d+) kB", Path(f"/proc/{member}/status").read_text())
        except OSError:
            continue
        total += int(match.group(1)) if match else 0
    return total


def rss_mib(pid: int) -> float:
    return _status_kib(pid, "VmRSS") / 1024


def anon_rss_mib(pid: int) -> float:
    """Anonymous resident memory (heap, stacks; not the libraries' file-backed code pages)."""
    return _status_kib(pid, "RssAnon") / 1024


def file_rss_mib(pid: int) -> float:
    """File-backed resident memory: mapped library code and read-only data (clean page-cache pages)."""
    return _status_kib(pid, "RssFile") / 1024


def peak_rss_mib(pid: int) -> float:
    return _status_kib(pid, "VmHWM") / 1024


# ------------------------------------------------------------------ references (this process)


def reference_rates(stream: PayloadStream, seconds: float = 2.0) -> dict[str, float]:
    """Spans per CPU-second of upb parse, decode + validate, and WAL append (+ fsync wall)."""
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

    from tracebridge.collector.decoding import PROTOBUF, decode
    from tracebridge.ingest.wal import WriteAheadLog
    from tracebridge.store.wire import Signal

    bodies = [stream.body(n) for n in range(stream.pool * 2)]
    spans = stream.spans_per_request

    def rate(work: Any) -> float:
        done = 0
        started = time.process_time()
        while time.process_time() - started < seconds:
            for body in bodies:
                work(body)
            done += len(bodies) * spans
        return done / (time.process_time() - started)

    def upb(body: bytes) -> None:
        ExportTraceServiceRequest().ParseFromString(body)

    out = {
        "upb": rate(upb),
        "decode_validate": rate(lambda body: decode(Signal.TRACES, body, PROTOBUF)),
    }
    with tempfile.TemporaryDirectory(prefix="tb-bench-wal-") as wal_dir:
        wal = WriteAheadLog(Path(wal_dir), 64 * 1024 * 1024, fsync=True)
        groups = [bodies[i : i + 4] for i in range(0, len(bodies), 4)]
        cpu_started, wall_started = time.process_time(), time.perf_counter()
        for group in groups:
            wal.append([(Signal.TRACES, b) for b in group])
        cpu, wall = time.process_time() - cpu_started, time.perf_counter() - wall_started
        wal.close()
    out["wal_append_cpu"] = len(bodies) * spans / cpu
    out["wal_group_ms"] = wall / len(groups) * 1000
    return out


# ------------------------------------------------------------------ load process


def load(url: str, first: int, count: int, threads: int, rate: float | None, spr: int, results: Any) -> None:
    """Post requests ``first .. first+count`` from ``threads`` keep-alive clients, as fast as the
    server takes them or paced at ``rate`` spans/s; retries 429/503 as an OTLP exporter would."""
    stream = PayloadStream(spr)
    lock = threading.Lock()
    state = {"next": first, "refused": 0, "sent": 0}
    results.put({"ready": True})
    started = time.monotonic()

    def worker() -> None:
        with httpx.Client(timeout=120) as client:
            while True:
                with lock:
                    n = state["next"]
                    if n >= first + count:
                        return
                    state["next"] = n + 1
                if rate:
                    delay = started + (n - first) * spr / rate - time.monotonic()
                    if delay > 0:
                        time.sleep(delay)
                body = stream.body(n)
                while True:
                    response = client.post(
                        url, content=body, headers={"Content-Type": "application/x-protobuf"}
                    )
                    if response.status_code == 200:
                        break
                    if response.status_code in (429, 503):
                        with lock:
                            state["refused"] += 1
                        time.sleep(float(response.headers.get("Retry-After", "1")) / 4)
                        continue
                    raise RuntimeError(f"unexpected {response.status_code}: {response.text[:200]}")
                with lock:
                    state["sent"] += 1

    workers = [threading.Thread(target=worker) for _ in range(threads)]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    results.put({"send_seconds": time.monotonic() - started, "refused": state["refused"]})


# ------------------------------------------------------------------ lookups


@dataclass
class Lookups:
    """Trace-by-id and session lookups through the API, for data already stored."""

    api: str
    stream: PayloadStream
    first: int = 0  # first request index of this server's data
    trace_ms: list[float] = field(default_factory=list)
    session_ms: list[float] = field(default_factory=list)
    session_spans: list[int] = field(default_factory=list)
    missing: int = 0

    def stored_requests(self) -> int:
        stored = int(httpx.get(self.api + "/api/v1/stats", timeout=30).json()["items_stored"])
        # Requests are stored in about the order they were sent; keep clear of the last few.
        return max(0, stored // self.stream.spans_per_request - 16)

    def once(self, client: Api, rng: random.Random, stored: int, session: bool) -> None:
        if stored < 2:
            return
        n = self.first + rng.randrange(stored)
        if session:
            pair = n - (n % 2)
            if pair + 1 >= self.first + stored:
                return
            elapsed, document = self._get(client, f"/api/v1/sessions/{self.stream.session_id(pair)}")
            if document is not None:
                self.session_ms.append(elapsed)
                self.session_spans.append(sum(t.get("span_count", 0) for t in document.get("traces", [])))
        else:
            trace_id = rng.choice(self.stream.trace_ids(n))
            elapsed, document = self._get(client, f"/api/v1/traces/{trace_id}")
            if document is not None:
                self.trace_ms.append(elapsed)

    def _get(self, client: Api, path: str) -> tuple[float, dict[str, Any] | None]:
        try:
            return client.get(path)
        except RuntimeError as exc:
            if " 404 " in str(exc):
                self.missing += 1
                return 0.0, None
            raise

    def run_until(self, stop: threading.Event, per_second: float, seed: int) -> None:
        """In the background: one lookup every 1/per_second s, one in five a session."""
        client, rng, k = Api(self.api, fresh=False), random.Random(seed), 0
        while not stop.wait(1 / per_second):
            self.once(client, rng, self.stored_requests(), session=k % 5 == 4)
            k += 1

    def burst(self, traces: int, sessions: int, seed: int) -> None:
        client, rng, stored = Api(self.api, fresh=False), random.Random(seed), self.stored_requests() + 16
        for k in range(traces + sessions):
            self.once(client, rng, stored, session=k >= traces)

    def summary(self) -> str:
        def figs(values: list[float]) -> str:
            if not values:
                return "n/a"
            return (
                f"p50 {percentile(values, 0.5):.1f} ms, p99 {percentile(values, 0.99):.1f} ms ({len(values)})"
            )

        spans = f", ~{statistics.mean(self.session_spans):.0f} spans each" if self.session_spans else ""
        missing = f"; {self.missing} not found" if self.missing else ""
        return f"trace by id {figs(self.trace_ms)}; session {figs(self.session_ms)}{spans}{missing}"


# ------------------------------------------------------------------ runs


@dataclass
class RunResult:
    spans: int
    cpu: float
    wall: float
    peak_rss: float
    peak_anon: float
    peak_file: float
    idle_rss: float
    refused: int
    first_fifth: float
    last_fifth: float
    during: Lookups
    after: Lookups | None
    after_cpu_per_lookup_ms: float
    settled_cpu: float = float("nan")  # server CPU from the first request until merges went quiet
    settle_seconds: float = float("nan")  # wall time from "stored" until merges went quiet
    engine_log: dict[str, list[list[str]]] = field(default_factory=dict)  # --engine-log: phase -> rows


ENGINE_LOG_FILE = "engine-log"  # in the server's data directory: bench/server_hook/sitecustomize.py

# Per lookup statement (by its shape, as bench/lookup_profile.py groups them: bound values are
# inlined in the logged text): calls, p50/p99 engine time, mean CPU and mean time waiting for a
# core, between two wall-clock times; the bench's own queries are left out.
LOOKUP_QUERIES = """
SELECT any(substring(replaceRegexpAll(query, '\\s+', ' '), 1, 60)) AS q, count() AS n,
       quantileExact(0.5)(query_duration_ms) AS p50, quantileExact(0.99)(query_duration_ms) AS p99,
       round(avg(ProfileEvents['UserTimeMicroseconds'] + ProfileEvents['SystemTimeMicroseconds']) / 1000, 1),
       round(avg(ProfileEvents['OSCPUWaitMicroseconds']) / 1000, 1)
FROM system.query_log
WHERE type = 'QueryFinish' AND query_kind = 'Select' AND query NOT LIKE '%system.%'
  AND event_time_microseconds >= fromUnixTimestamp64Micro({lo})
  AND event_time_microseconds < fromUnixTimestamp64Micro({hi})
GROUP BY normalized_query_hash ORDER BY n * p50 DESC LIMIT 12
"""


def engine_log_env(data_dir: Path) -> dict[str, str]:
    """Environment that starts the server with ClickHouse's query_log on, answered through
    bench/server_hook/sitecustomize.py (``--engine-log``; the server never does this itself)."""
    path = [str(ROOT / "bench" / "server_hook"), str(ROOT), os.environ.get("PYTHONPATH", "")]
    return {
        "PYTHONPATH": os.pathsep.join(p for p in path if p),
        "TRACEBRIDGE_BENCH_ENGINE_LOG": str(data_dir / ENGINE_LOG_FILE),
        "TRACEBRIDGE_DATA_DIR": str(data_dir),  # the hook opens the server's store by its settings
    }


def lookup_queries(data_dir: Path, lo: float, hi: float, timeout: float = 60.0) -> list[list[str]]:
    """The server's lookup queries between wall-clock times ``lo`` and ``hi``, from its query_log
    (rows of ``LOOKUP_QUERIES``); a row ``["error", ...]`` if the server could not answer."""
    base = data_dir / ENGINE_LOG_FILE
    asked, answer = base.with_suffix(".sql"), base.with_suffix(".json")
    answer.unlink(missing_ok=True)
    asked.write_text(LOOKUP_QUERIES.format(lo=int(lo * 1e6), hi=int(hi * 1e6)), encoding="utf-8")
    deadline = time.monotonic() + timeout
    while not answer.exists():
        if time.monotonic() > deadline:
            return [["error", "the server's engine-log hook did not answer"]]
        time.sleep(0.2)
    reply: dict[str, Any] = json.loads(answer.read_text(encoding="utf-8"))
    return reply.get("rows") or [["error", str(reply.get("error", "no rows"))]]


def run_load(
    args: argparse.Namespace, requests: int, rate: float | None, lookups_per_second: float, after: bool
) -> RunResult:
    spr = args.spans_per_request
    stream = PayloadStream(spr)
    with tempfile.TemporaryDirectory(prefix="tb-bench-") as data_dir:
        env = {"TRACEBRIDGE_DURABILITY": args.durability}
        engine_logged = args.engine_log and after  # the throughput runs only: not the memory run
        if engine_logged:
            env.update(engine_log_env(Path(data_dir)))
        live: LiveServer = start_server(Path(data_dir), env=env)
        pid = live.process.pid
        idle = rss_mib(pid)
        try:
            results: Any = multiprocessing.Queue()
            url = live.otlp_http + "/v1/traces"
            loader = multiprocessing.Process(
                target=load, args=(url, 0, requests, args.threads, rate, spr, results)
            )
            loader.start()
            results.get()
            during = Lookups(live.api, stream)
            stop = threading.Event()
            looker = threading.Thread(
                target=during.run_until, args=(stop, lookups_per_second, 7), daemon=True
            )
            cpu0, wall0 = tree_cpu_seconds(pid), time.monotonic()
            marks = [time.time()]  # wall clock: the engine log's event times
            if lookups_per_second > 0:
                looker.start()
            total = requests * spr
            samples: list[tuple[int, float]] = [(0, cpu0)]
            peak = peak_anon = peak_file = 0.0
            while True:
                stored = int(httpx.get(live.api + "/api/v1/stats", timeout=30).json()["items_stored"])
                samples.append((stored, tree_cpu_seconds(pid)))
                peak = max(peak, rss_mib(pid))
                peak_anon = max(peak_anon, anon_rss_mib(pid))
                peak_file = max(peak_file, file_rss_mib(pid))
                if stored >= total:
                    break
                time.sleep(0.25)
            wall = time.monotonic() - wall0
            cpu = tree_cpu_seconds(pid) - cpu0
            marks.append(time.time())
            stop.set()
            if lookups_per_second > 0:
                looker.join()
            sent = results.get()
            loader.join()
            after_lookups = None
            per_lookup = float("nan")
            lookup_cpu = 0.0
            if after:
                after_lookups = Lookups(live.api, stream)
                c0, m0 = tree_cpu_seconds(pid), merge_thread_cpu_seconds(pid)
                after_lookups.burst(args.after_traces, args.after_sessions, seed=11)
                count = len(after_lookups.trace_ms) + len(after_lookups.session_ms)
                # the load's merges keep running during the lookups: they are the load's cost
                lookup_cpu = tree_cpu_seconds(pid) - c0 - (merge_thread_cpu_seconds(pid) - m0)
                per_lookup = lookup_cpu / max(1, count) * 1000
            marks.append(time.time())
            engine_log = {}
            if engine_logged:
                phases = {"during the load": (marks[0], marks[1]), "right after": (marks[1], marks[2])}
                engine_log = {
                    name: lookup_queries(Path(data_dir), lo, hi) for name, (lo, hi) in phases.items()
                }
            settled_cpu, settle_seconds = float("nan"), float("nan")
            if args.settle and after:  # after the lookups, which must see the parts the load left
                settle_seconds = wait_for_merges(live.api, args.settle_timeout)
                settled_cpu = tree_cpu_seconds(pid) - cpu0 - lookup_cpu
            return RunResult(
                spans=total,
                cpu=cpu,
                wall=wall,
                peak_rss=max(peak, peak_rss_mib(pid)),
                peak_anon=peak_anon,
                peak_file=peak_file,
                idle_rss=idle,
                refused=sent["refused"],
                first_fifth=_window_rate(samples, 0.0, 0.2, total),
                last_fifth=_window_rate(samples, 0.8, 1.0, total),
                during=during,
                after=after_lookups,
                after_cpu_per_lookup_ms=per_lookup,
                settled_cpu=settled_cpu,
                settle_seconds=settle_seconds,
                engine_log=engine_log,
            )
        finally:
            live.stop()


def wait_for_merges(api: str, timeout: float, quiet_samples: int = 6) -> float:
    """Wait until the server reports no merge running for ``quiet_samples`` samples in a row
    (0.5 s apart; ``store_merges_running`` of /api/v1/stats); returns the seconds waited (nan past
    ``timeout``). A rate that stopped counting at "stored" would leave out the merges still running
    then (docs/ingest.md, "Growth: merges")."""
    started = time.monotonic()
    quiet = 0
    while time.monotonic() - started < timeout:
        merges = httpx.get(api + "/api/v1/stats", timeout=30).json().get("store_merges_running")
        quiet = quiet + 1 if merges == 0 else 0
        if quiet >= quiet_samples:
            return time.monotonic() - started - quiet_samples * 0.5
        time.sleep(0.5)
    return float("nan")


def _window_rate(samples: list[tuple[int, float]], lo: float, hi: float, total: int) -> float:
    """Spans per server CPU-second between the samples nearest lo*total and hi*total stored."""

    def at(fraction: float) -> tuple[int, float]:
        return min(samples, key=lambda s: abs(s[0] - fraction * total))

    (s0, c0), (s1, c1) = at(lo), at(hi)
    return (s1 - s0) / (c1 - c0) if c1 > c0 else float("nan")


def _split(r: RunResult) -> str:
    """The peak's parts (each sampled every 0.25 s, so they need not add up to the peak)."""
    return f"anonymous {r.peak_anon:,.0f} + file-backed {r.peak_file:,.0f} MiB; idle before the load {r.idle_rss:,.0f} MiB"


def run_stages(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="tb-bench-stages-") as data_dir:
        out = subprocess.run(
            [
                sys.executable,
                str(ROOT / "bench" / "ingest_stages.py"),
                data_dir,
                "--spans",
                str(args.stage_spans),
                "--spans-per-request",
                str(args.spans_per_request),
                "--merge-spans",
                str(args.merge_spans),
            ],
            check=True,
            capture_output=True,
            text=True,
        )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


# ------------------------------------------------------------------ report


def _per_second(spans: int, seconds: float) -> str:
    return f"{spans / seconds:>12,.0f}" if seconds > 0 else f"{'~0':>12}"


def _print_by_view(by_view: dict[str, Any], spans: int) -> None:
    """The insert's CPU by view and its query planning, from the engine's logs (ingest_stages)."""
    total = by_view["cpu"]
    print(
        f"  the same inserts by the engine's logs ({by_view['inserts']} inserts, query_log and"
        f" query_views_log; {total:.2f} s):"
    )
    rows = [("outside the views (protobuf parse, landing)", by_view["outside_views"])]
    rows += [(f"  {name}", seconds) for name, seconds in by_view["views"].items()]
    for name, seconds in rows:
        print(f"  {name:<44} {seconds:>7.2f} s {_per_second(spans, seconds)}  {seconds / total:>4.0%}")
    planning = by_view["planning"]
    phases = ", ".join(f"{phase.replace('_', ' ')} {seconds:.2f} s" for phase, seconds in planning.items())
    print(
        f"  of which query planning (inside the views): {sum(planning.values()):.2f} s,"
        f" {sum(planning.values()) / total:.0%} of the insert CPU ({phases})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--spans", type=int, default=300_000, help="spans in the throughput run")
    parser.add_argument("--spans-per-request", type=int, default=500)
    parser.add_argument("--threads", type=int, default=4, help="client threads (keep-alive connections)")
    parser.add_argument("--repeat", type=int, default=1, help="throughput runs, each on a fresh server")
    parser.add_argument("--durability", choices=["fsync", "none"], default="fsync")
    parser.add_argument(
        "--lookups-per-second", type=float, default=4.0, help="API lookups during the sustained run"
    )
    parser.add_argument(
        "--load-lookups-per-second",
        type=float,
        default=0.0,
        help="API lookups during the throughput run (their CPU counts as server CPU; 0 keeps it clean)",
    )
    parser.add_argument(
        "--no-settle",
        dest="settle",
        action="store_false",
        help="skip waiting for merges after the load (the 'with its merges settled' rate)",
    )
    parser.add_argument("--settle-timeout", type=float, default=900.0, help="seconds to wait for merges")
    parser.add_argument("--after-traces", type=int, default=300)
    parser.add_argument("--after-sessions", type=int, default=40)
    parser.add_argument("--sustain-seconds", type=int, default=60, help="0 skips the sustained run")
    parser.add_argument("--sustain-rate", type=int, default=50_000, help="spans/s of the sustained run")
    parser.add_argument("--stage-spans", type=int, default=200_000)
    parser.add_argument(
        "--merge-spans", type=int, default=500_000, help="spans of the stage run's merge measurement"
    )
    parser.add_argument("--no-stages", action="store_true")
    parser.add_argument(
        "--engine-log",
        action="store_true",
        help="throughput run: the server's lookup queries during and after the load, from its query_log",
    )
    args = parser.parse_args()
    spr = args.spans_per_request

    refs = reference_rates(PayloadStream(spr))
    print(f"payloads: OTLP/HTTP protobuf, {spr} spans per request, {args.threads} client threads")
    print("references in the bench process (spans per CPU-second, same request bodies):")
    print(f"  upb ParseFromString:         {refs['upb']:>12,.0f}")
    print(f"  decode + validate (Python):  {refs['decode_validate']:>12,.0f}")
    print(
        f"  WAL append (CPU):            {refs['wal_append_cpu']:>12,.0f}   fsync group of 4: {refs['wal_group_ms']:.1f} ms wall"
    )

    requests = max(1, args.spans // spr)
    rates = []
    for k in range(args.repeat):
        r = run_load(args, requests, None, args.load_lookups_per_second, after=True)
        per_cpu = r.spans / r.cpu
        rates.append(per_cpu)
        print(f"\nthroughput run {k + 1}/{args.repeat}: {r.spans:,} spans, durability {args.durability}")
        print(
            f"  spans per server CPU-second: {per_cpu:>10,.0f}   ratio to upb {per_cpu / refs['upb']:.3f} (goal >= 0.15)"
        )
        print(f"  server CPU:                  {r.cpu:>10.1f} s  (whole process tree)")
        print(
            f"  wall rate:                   {r.spans / r.wall:>10,.0f} spans/s  ({r.wall:.1f} s to stored)"
        )
        print(f"  peak RSS:                    {r.peak_rss:>10,.0f} MiB  ({_split(r)})")
        if r.spans >= 1_000_000:  # the stored counter moves by whole batches: short runs are too coarse
            print(
                f"  first / last fifth:          {r.first_fifth:>10,.0f} / {r.last_fifth:,.0f} spans per CPU-second"
            )
        if args.settle:
            print(
                f"  with its merges settled:     {r.spans / r.settled_cpu:>10,.0f} spans per server CPU-second"
                f"  ({r.settled_cpu:.1f} s CPU; merges quiet {r.settle_seconds:.0f} s after stored)"
            )
        print(f"  retryable refusals (429):    {r.refused:>10}")
        if args.load_lookups_per_second > 0:
            print(f"  lookups during ingest:       {r.during.summary()}")
        if r.after is not None:
            print(f"  lookups right after:         {r.after.summary()}")
            print(f"  server CPU per lookup after: {r.after_cpu_per_lookup_ms:>10.1f} ms")
        for phase, rows in r.engine_log.items():
            print(f"  engine, {phase} (calls, p50 / p99 ms, CPU ms, waiting for a core ms; query):")
            for row in rows:
                print(
                    "    "
                    + (
                        " ".join(row)
                        if row[0] == "error"
                        else f"{row[1]:>5} {row[2]:>5} / {row[3]:<5} {row[4]:>6} {row[5]:>6}  {row[0]}"
                    )
                )
    if args.repeat > 1:
        print(
            f"\nspans per server CPU-second over {args.repeat} runs: median {statistics.median(rates):,.0f}, "
            f"min {min(rates):,.0f}, max {max(rates):,.0f}"
        )

    if args.sustain_seconds > 0:
        sustain_requests = args.sustain_rate * args.sustain_seconds // spr
        r = run_load(args, sustain_requests, args.sustain_rate, args.lookups_per_second, after=False)
        print(
            f"\nsustained: {args.sustain_rate:,} spans/s offered for {args.sustain_seconds} s, default settings"
        )
        print(
            f"  rate reached (wall):         {r.spans / r.wall:>10,.0f} spans/s  ({r.wall:.1f} s to stored)"
        )
        print(f"  spans per server CPU-second: {r.spans / r.cpu:>10,.0f}")
        print(f"  peak RSS:                    {r.peak_rss:>10,.0f} MiB  ({_split(r)}; goal <= 512)")
        print(f"  retryable refusals (429):    {r.refused:>10}")
        print(f"  lookups during ingest:       {r.during.summary()}")

    if not args.no_stages:
        st = run_stages(args)
        spans = st["spans"]
        cpu = st["cpu"]
        print(
            f"\nstore stages (bench/ingest_stages.py, {spans:,} spans, {st['per_insert_spans']:,} per insert;"
            " CPU-seconds, spans per CPU-second):"
        )
        rows = [
            ("ClickHouse protobuf parse", cpu["parse"]),
            ("flatten view + otel_traces", cpu["flatten"] - cpu["parse"]),
            ("all views attached (sum)", cpu["all"]),
            ("background merges", cpu["merges"]),
        ]
        for name, value in rows:
            print(f"  {name:<44} {value:>7.2f} s {_per_second(spans, value)}")
        python_side = 1 / refs["decode_validate"] + 1 / refs["wal_append_cpu"]
        print(
            f"  {'python decode + validate + WAL':<44} {spans * python_side:>7.2f} s {1 / python_side:>12,.0f}"
        )
        print(f"  parts before / after merges: {st['parts_before_merges']} / {st['parts_after_merges']}")
        _print_by_view(st["by_view"], spans)
        fixed_ms = cpu["fixed"] * 1000
        share = cpu["fixed"] * spans / st["per_insert_spans"] / cpu["all"]
        print(
            f"  fixed cost of one insert (any size):  {fixed_ms:.0f} ms CPU, {share:.0%} of the insert CPU"
            f" at {st['per_insert_spans']:,} spans per insert"
        )


if __name__ == "__main__":
    main()
