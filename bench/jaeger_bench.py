"""Jaeger-compatible API benchmark: the calls Grafana's Jaeger data source makes, over a large store.

Preloads the query benchmark's synthetic store (``bench/query_bench.py``'s ``preload``: 8 spans per
trace, mobile app + backend services, session.id on client spans), starts ``tracebridge serve``
and times, over one keep-alive connection: ``/jaeger/api/services``, a service's operations, a
search by service (limit 20), by ``session.id`` tag, by tag + minDuration, and trace by id.

    python bench/jaeger_bench.py [--spans 1000000] [--data-dir DIR] [--skip-preload] [--keep]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.query_bench import percentile, preload  # noqa: E402
from tests.conftest import LiveServer, start_server  # noqa: E402


def timed(
    client: httpx.Client, path: str, rounds: int, **params: str
) -> tuple[float, float, dict[str, object]]:
    """p50 and max milliseconds of ``rounds`` calls, and the last answer."""
    elapsed: list[float] = []
    body: dict[str, object] = {}
    for _ in range(rounds):
        started = time.perf_counter()
        answer = client.get(path, params=params or None)
        elapsed.append((time.perf_counter() - started) * 1000)
        assert answer.status_code == 200, answer.text
        body = answer.json()
    return percentile(elapsed, 0.5), max(elapsed), body


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--spans", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--skip-preload", action="store_true")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="tracebridge-jaeger-bench-"))
    live: LiveServer | None = None
    try:
        loaded = preload(data_dir, args.spans, not args.skip_preload, True, 120, 100, 7)
        print(f"store: {json.dumps(loaded['counts'])}")
        live = start_server(data_dir, timeout=300)
        trace_ids = list(loaded["trace_ids"])  # type: ignore[call-overload]
        session = str(loaded["session_ids"][0])  # type: ignore[index]
        with httpx.Client(base_url=live.api + "/jaeger/api", timeout=120) as client:
            p50, worst, body = timed(client, "/services", args.rounds)
            services = list(body["data"])  # type: ignore[call-overload]
            print(f"services ({len(services)}): p50 {p50:.1f} ms, max {worst:.1f} ms")
            service = "orders" if "orders" in services else services[0]
            p50, worst, _ = timed(client, f"/services/{service}/operations", args.rounds)
            print(f"operations of {service}: p50 {p50:.1f} ms, max {worst:.1f} ms")
            app = next(s for s in services if s not in ("orders", "cart"))
            for label, params in (
                ("search by service, limit 20", {"service": app}),
                ("search by session.id", {"service": app, "tags": json.dumps({"session.id": session})}),
                (
                    "search by tag + minDuration",
                    {
                        "service": "orders",
                        "tags": '{"http.response.status_code":"500"}',
                        "minDuration": "100ms",
                    },
                ),
            ):
                p50, worst, body = timed(client, "/traces", args.rounds, **params)
                print(f"{label}: {len(body['data'])} traces, p50 {p50:.1f} ms, max {worst:.1f} ms")  # type: ignore[arg-type]
            elapsed = []
            for tid in trace_ids[:100]:
                started = time.perf_counter()
                assert client.get(f"/traces/{tid}").status_code == 200
                elapsed.append((time.perf_counter() - started) * 1000)
            print(
                f"trace by id ({len(elapsed)}): p50 {percentile(elapsed, 0.5):.1f} ms, "
                f"p99 {percentile(elapsed, 0.99):.1f} ms"
            )
    finally:
        if live is not None:
            live.stop()
        if not args.keep and args.data_dir is None:
            shutil.rmtree(data_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
