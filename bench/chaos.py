"""Chaos run: kill -9 under load, and an overload of big bodies; prints what was acknowledged,
lost and duplicated, and the server's peak RSS.

    python bench/chaos.py [--kills 10] [--clients 4] [--overload-clients 48] [--overload-seconds 30]

Kills: retrying clients (at least once, like OTel SDKs) export small traces while the server is
killed with SIGKILL at random moments and restarted on the same data directory; afterwards
every acknowledged trace is read back through the API: lost = acknowledged spans not readable,
duplicated = spans shown more than once. Overload: ``--overload-clients`` clients post 2-4 MiB
protobuf bodies as fast as they are answered; only 200/429/503 are expected, and the server's
peak RSS (VmHWM, default settings) is reported.
"""

from __future__ import annotations

import argparse
import collections
import random
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.conftest import LiveServer, start_server  # noqa: E402
from tests.ingest.test_recovery import kill_under_load  # noqa: E402
from tests.telemetry import BASE_TIME, MS, android_resource, span, traces_request  # noqa: E402


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def shown(live: LiveServer, trace_id: str) -> tuple[int, int]:
    """(distinct spans, spans shown) of a trace through the API."""
    response = live.get(f"/api/v1/traces/{trace_id}")
    if response.status_code != 200:
        return 0, 0
    ids = [s["span_id"] for s in response.json()["spans"]]
    return len(set(ids)), len(ids)


def kill_run(args: argparse.Namespace, data_dir: Path) -> None:
    live, acknowledged = kill_under_load(lambda: start_server(data_dir), args.kills, args.clients, (0.5, 3.0))
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and live.get("/healthz").json()["backlog_items"] > 0:
        time.sleep(0.5)
    lost = duplicated = 0
    for trace_id, count in acknowledged:
        distinct, total = shown(live, trace_id)
        lost += max(0, count - distinct)
        duplicated += total - distinct
    live.stop()
    spans = sum(count for _t, count in acknowledged)
    print(f"kill -9 run: {args.kills} kills, {len(acknowledged)} acknowledged exports ({spans} spans)")
    print(f"  lost spans: {lost}   duplicated spans: {duplicated}")


def big_body(size: int) -> bytes:
    trace_id = random.randbytes(16)
    pad = "x" * 2000
    spans = []
    per_span = 2200
    for _ in range(max(1, size // per_span)):
        spans.append(
            span(trace_id, random.randbytes(8), "upload", BASE_TIME, BASE_TIME + MS, attributes={"pad": pad})
        )
    return traces_request([(android_resource(), spans)]).SerializeToString()


def overload_run(args: argparse.Namespace, data_dir: Path) -> None:
    live = start_server(data_dir)
    bodies = [big_body(random.randint(2, 4) * 1024 * 1024) for _ in range(6)]
    statuses: collections.Counter[int] = collections.Counter()
    lock = threading.Lock()
    stop = time.monotonic() + args.overload_seconds

    def client() -> None:
        with httpx.Client(timeout=120) as http:
            while time.monotonic() < stop:
                try:
                    code = http.post(
                        live.otlp_http + "/v1/traces",
                        content=random.choice(bodies),
                        headers={"Content-Type": "application/x-protobuf"},
                    ).status_code
                except httpx.HTTPError:
                    code = -1
                with lock:
                    statuses[code] += 1
                if code != 200:
                    time.sleep(0.2)

    threads = [threading.Thread(target=client) for _ in range(args.overload_clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    rss = peak_rss_mib(live.process.pid)
    live.stop()
    print(f"overload run: {args.overload_clients} clients, 2-4 MiB bodies, {args.overload_seconds} s")
    print(f"  answers: {dict(sorted(statuses.items()))}   peak RSS: {rss:.0f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--overload-clients", type=int, default=48)
    parser.add_argument("--overload-seconds", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tracebridge-chaos-") as tmp:
        overload_run(args, Path(tmp) / "overload")
        kill_run(args, Path(tmp) / "kills")


if __name__ == "__main__":
    main()
