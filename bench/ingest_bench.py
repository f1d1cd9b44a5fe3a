"""Ingest benchmark: end-to-end spans per server CPU-second (HTTP -> durable -> queryable).

Starts ``tracebridge serve`` as its own process on a fresh data directory, builds realistic
export requests (mobile client spans with ~15 attributes, backend server spans) in a separate
load process, posts them over keep-alive HTTP connections, and waits until the server's
counters say every span is stored in ClickHouse (queryable). It reads the server's CPU time
(user + system, all threads, chDB included) and peak RSS from /proc.

    python bench/ingest_bench.py [--spans 400000] [--batch 1000] [--connections 4] [--encoding protobuf|json]

Figures are printed as a ratio (spans per server CPU-second), which is stable on a noisy machine.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import re
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.conftest import start_server  # noqa: E402
from tests.telemetry import (  # noqa: E402
    BASE_TIME,
    MS,
    android_resource,
    backend_resource,
    ios_resource,
    span,
    to_otlp_json,
    traces_request,
)


def build_requests(count: int, spans_per_request: int, encoding: str, seed: int) -> list[bytes]:
    rng = random.Random(seed)
    bodies = []
    for r in range(count):
        client_spans = []
        server_spans = []
        for i in range(spans_per_request // 2):
            trace_id = rng.randbytes(16)
            client_id = rng.randbytes(8)
            start = BASE_TIME + (r * spans_per_request + i) * MS
            duration = rng.randint(40, 900) * MS
            order = rng.randint(1, 99999)
            client_spans.append(
                span(
                    trace_id,
                    client_id,
                    "GET",
                    start,
                    start + duration,
                    kind="client",
                    attributes={
                        "http.request.method": "GET",
                        "url.full": f"https://api.example.com/orders/{order}",
                        "http.response.status_code": 200,
                        "server.address": "api.example.com",
                        "server.port": 443,
                        "network.connection.type": rng.choice(["wifi", "cell"]),
                        "network.connection.subtype": "lte",
                        "session.id": f"session-{r}-{i % 7}",
                        "screen.name": "OrderDetails",
                        "http.request.resend_count": 0,
                        "thread.name": "OkHttp Dispatcher",
                        "app.build": 4211,
                        "sampled.ratio": 1.0,
                        "user.premium": False,
                    },
                )
            )
            server_spans.append(
                span(
                    trace_id,
                    rng.randbytes(8),
                    "GET /orders/{id}",
                    start + 20 * MS,
                    start + duration - 20 * MS,
                    parent=client_id,
                    kind="server",
                    attributes={
                        "http.request.method": "GET",
                        "http.route": "/orders/{id}",
                        "url.path": f"/orders/{order}",
                        "http.response.status_code": 200,
                        "server.address": "orders",
                        "network.peer.address": "10.0.3.7",
                        "user_agent.original": "okhttp/4.12.0",
                        "client.address": "203.0.113.9",
                    },
                )
            )
        resource = android_resource(device_id=f"d{r}") if r % 2 else ios_resource(device_id=f"d{r}")
        request = traces_request([(resource, client_spans), (backend_resource("orders"), server_spans)])
        bodies.append(to_otlp_json(request) if encoding == "json" else request.SerializeToString())
    return bodies


def load(url: str, args: argparse.Namespace, results: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    requests = args.spans // args.batch
    bodies = build_requests(requests, args.batch, args.encoding, seed=1)
    content_type = "application/json" if args.encoding == "json" else "application/x-protobuf"
    next_index = iter(range(requests))
    lock = threading.Lock()
    refused = [0]

    def worker() -> None:
        with httpx.Client(timeout=120) as client:
            while True:
                with lock:
                    index = next(next_index, None)
                if index is None:
                    return
                body = bodies[index]
                while True:
                    response = client.post(url, content=body, headers={"Content-Type": content_type})
                    if response.status_code == 200:
                        break
                    if response.status_code in (429, 503):
                        refused[0] += 1
                        time.sleep(float(response.headers.get("Retry-After", "1")) / 4)
                        continue
                    raise RuntimeError(f"unexpected {response.status_code}: {response.text[:200]}")

    results.put({"ready": True})
    started = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(args.connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    results.put({"send_seconds": time.monotonic() - started, "refused": refused[0]})


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mib(pid: int) -> float:
    match = re.search(r"VmHWM:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text())
    return int(match.group(1)) / 1024 if match else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--spans", type=int, default=400_000)
    parser.add_argument("--batch", type=int, default=1000, help="spans per export request")
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--encoding", choices=["protobuf", "json"], default="protobuf")
    parser.add_argument("--durability", choices=["fsync", "none"], default="fsync")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="tb-bench-") as data_dir:
        live = start_server(Path(data_dir), env={"TRACEBRIDGE_DURABILITY": args.durability})
        server = live.process
        try:
            results: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
            loader = multiprocessing.Process(target=load, args=(live.otlp_http + "/v1/traces", args, results))
            loader.start()
            results.get()  # request bodies are built before the clock starts
            cpu_before = cpu_seconds(server.pid)
            started = time.monotonic()
            sent = results.get()
            loader.join()
            total = (args.spans // args.batch) * args.batch
            while httpx.get(live.api + "/api/v1/stats").json()["items_stored"] < total:
                time.sleep(0.05)
            wall = time.monotonic() - started
            cpu = cpu_seconds(server.pid) - cpu_before
            print(f"spans:                     {total}")
            print(
                f"encoding / durability:     {args.encoding} / {args.durability}, {args.batch} spans per request, "
                f"{args.connections} connections"
            )
            print(f"wall time to queryable:    {wall:.2f} s  ({total / wall:,.0f} spans/s)")
            print(f"server CPU:                {cpu:.2f} s  ({total / cpu:,.0f} spans per server CPU-second)")
            print(f"server peak RSS:           {peak_rss_mib(server.pid):.0f} MiB")
            print(f"retryable refusals (429):  {sent['refused']}")
        finally:
            live.stop()


if __name__ == "__main__":
    main()
