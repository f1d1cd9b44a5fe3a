"""``tracebridge demo`` end to end: run it at small size as a subprocess (its own embedded server,
real loopback HTTP, the real OpenTelemetry SDK), then serve the same data directory and check
through the query API that what it printed exists and tells the stories it claims."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import LiveServer, start_server
from tracebridge.demo.fleet import plan_fleet

SESSIONS = 12
SEED = 7


@dataclass
class DemoRun:
    output: str
    server: LiveServer

    def link(self, label: str, kind: str) -> str:
        """The id in the ``page:`` link printed under the line starting with ``label``."""
        match = re.search(rf"^{re.escape(label)}.*\n\s+page: \S+/{kind}/(\S+)$", self.output, re.MULTILINE)
        assert match, f"no {label!r} link in the demo output:\n{self.output}"
        return match.group(1)

    def get(self, path: str, **params: Any) -> Any:
        response = self.server.get(path, **params)
        assert response.status_code == 200, (path, response.status_code, response.text)
        return response.json()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoRun]:
    data_dir: Path = tmp_path_factory.mktemp("demo")
    command = [
        sys.executable, "-m", "tracebridge.cli", "demo", "--sessions", str(SESSIONS), "--seed", str(SEED), "--exit",
        "--data-dir", str(data_dir), "--api-port", "0", "--otlp-http-port", "0", "--otlp-grpc-port", "0",
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stdout + done.stderr
    server = start_server(data_dir)
    try:
        yield DemoRun(done.stdout, server)
    finally:
        server.stop()


def test_prints_what_was_ingested_and_the_links(demo: DemoRun) -> None:
    summary = re.search(r"ingested: (\d+) sessions .*?(\d+) spans .*?(\d+) crash", demo.output)
    assert summary, demo.output
    assert int(summary.group(1)) == SESSIONS
    assert int(summary.group(2)) > 0 and int(summary.group(3)) >= 1
    for page in ("/dashboards/latency", "/dashboards/versions", "/dashboards/crashes", "/dashboards/flags"):
        assert page in demo.output
    assert "warning" not in demo.output  # every span and the crash were visible before it printed


def test_sessions_of_both_platforms_and_several_versions_are_the_planned_ones(demo: DemoRun) -> None:
    everything = demo.get("/api/v1/sessions", limit=500)["sessions"]
    listed = [s for s in everything if s["os_name"]]  # the web shop's browser sessions have no OS
    planned = {
        s.session_id
        for plan in plan_fleet(SESSIONS, SEED)
        for launch in plan.launches
        for s in launch.segments
    }
    assert {s["session_id"] for s in listed} == planned
    assert {s["os_name"] for s in listed} == {"Android", "iOS"}
    assert len({s["app_version"] for s in listed}) >= 3
    ios = next(s for s in listed if s["os_name"] == "iOS")
    assert re.fullmatch(r"[0-9A-F]{8}-[0-9A-F]{4}-4[0-9A-F]{3}-[0-9A-F]{4}-[0-9A-F]{12}", ios["session_id"])


def test_the_same_seed_plans_the_same_sessions() -> None:
    def ids(sessions: int, seed: int) -> list[str]:
        return [
            s.session_id for p in plan_fleet(sessions, seed) for launch in p.launches for s in launch.segments
        ]

    assert ids(SESSIONS, SEED) == ids(SESSIONS, SEED)
    assert len(ids(SESSIONS, SEED)) == SESSIONS
    assert ids(SESSIONS, SEED) != ids(SESSIONS, SEED + 1)
    assert len(ids(60, 3)) == 60


def test_large_gap_trace_joins_client_and_backend_spans(demo: DemoRun) -> None:
    trace_id = demo.link("trace with a large gap", "traces")
    trace = demo.get(f"/api/v1/traces/{trace_id}")
    sides = {s["side"] for s in trace["spans"]}
    services = {s["service_name"] for s in trace["spans"] if s["side"] == "backend"}
    assert sides == {"client", "backend"}
    assert "shop-gateway" in services and len(services) >= 2
    assert trace["session_id"]
    printed_ms = float(re.search(r"large gap \((\d+) ms", demo.output).group(1))  # type: ignore[union-attr]
    largest = max(trace["gaps"], key=lambda g: g["gap_ns"])
    assert largest["gap_ns"] > 0
    assert largest["gap_ns"] == largest["client_duration_ns"] - largest["server_duration_ns"]
    assert abs(largest["gap_ns"] / 1e6 - printed_ms) < 2


def test_device_clock_skew_is_corrected(demo: DemoRun) -> None:
    trace_id = demo.link("trace from a device clock", "traces")
    skew_s = float(re.search(r"device clock ([+-]\d+) s off", demo.output).group(1))  # type: ignore[union-attr]
    assert abs(skew_s) >= 60  # a small fleet still has a phone minutes off
    trace = demo.get(f"/api/v1/traces/{trace_id}")
    spans = {s["span_id"]: s for s in trace["spans"]}
    assert trace["gaps"]
    for gap in trace["gaps"]:
        client, server = spans[gap["client_span_id"]], spans[gap["server_span_id"]]
        # backend clock minus device clock = minus the device's skew, within network time
        assert abs(gap["clock_skew_ns"] / 1e9 + skew_s) < 3
        assert server["start_time_unix_nano"] != server["adjusted_start_time_unix_nano"]
        adjusted_end = server["adjusted_start_time_unix_nano"] + server["duration_ns"]
        assert client["start_time_unix_nano"] <= server["adjusted_start_time_unix_nano"]
        assert adjusted_end <= client["end_time_unix_nano"]
        assert gap["gap_ns"] > 0


def test_crash_is_enriched(demo: DemoRun) -> None:
    session_id = demo.link("crashed session", "sessions")
    exception_type = re.search(r"crashed session \(([^)]+)\)", demo.output).group(1)  # type: ignore[union-attr]
    crashes = demo.get("/api/v1/crashes", session_id=session_id)["crashes"]
    assert crashes
    crash = demo.get(f"/api/v1/crashes/{crashes[0]['crash_id']}")
    assert crash["session_id"] == session_id
    assert crash["exception_type"] == exception_type
    assert crash["stacktrace"]
    assert crash["app_version"] and crash["os_name"] in ("Android", "iOS") and crash["device_model"]
    assert crash["last_requests"], crash
    assert all(r["start_time_unix_nano"] <= crash["time_unix_nano"] for r in crash["last_requests"])
    assert any(r["server_span_id"] for r in crash["last_requests"])
    session = demo.get(f"/api/v1/sessions/{session_id}")
    assert any(c["crash_id"] == crash["crash_id"] for c in session["crashes"])


def test_latency_rows_per_route_and_per_network_type(demo: DemoRun) -> None:
    routes = {r["key"]: r for r in demo.get("/api/v1/latency", group_by="route")["rows"]}
    assert "/v1/config" in routes and "/v1/products" in routes
    config = routes["/v1/config"]
    assert config["count"] > 0 and config["client_p50_ms"] >= config["server_p50_ms"] > 0
    networks = {r["key"] for r in demo.get("/api/v1/latency", group_by="network_type")["rows"]}
    assert "wifi" in networks and len(networks) >= 2


def test_printed_pages_and_terminal_command_work(demo: DemoRun) -> None:
    pages = re.findall(
        r"(?:page: |^  )http://[^/\s]+(/(?:sessions|traces|dashboards)/\S+)$", demo.output, re.MULTILINE
    )
    assert len(pages) >= 7, demo.output  # four highlights and three dashboards
    for path in pages:
        response = demo.server.get(path)
        assert response.status_code == 200, (path, response.status_code)
        assert "text/html" in response.headers["content-type"]
    command = re.search(r"in the terminal: tracebridge (trace [0-9a-f]{32}) --api", demo.output)
    assert command, demo.output
    done = subprocess.run(
        [sys.executable, "-m", "tracebridge.cli", *command.group(1).split(), "--api", demo.server.api],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert command.group(1).split()[1] in done.stdout


@pytest.mark.parametrize(("sessions", "seed"), [(12, 7), (12, 8), (60, 7), (200, 3)])
def test_every_fleet_tells_every_story(sessions: int, seed: int) -> None:
    from tracebridge.demo.catalog import EIGHTEEN_MONTHS_DAYS
    from tracebridge.demo.fleet import _may_crash

    plans = plan_fleet(sessions, seed)
    assert sum(p.session_count for p in plans) == sessions
    assert {p.os_name for p in plans} == {"Android", "iOS"}
    assert any(p.release.age_days >= EIGHTEEN_MONTHS_DAYS for p in plans)
    assert any(abs(p.clock_skew_ms) >= 60_000 for p in plans)
    assert any(_may_crash(p) for p in plans)  # a crash that does not depend on luck
    for plan in plans:
        assert not plan.launches[-1].can_crash  # a crash is always reported by a later launch
        ago = [launch.minutes_ago for launch in plan.launches]
        assert ago == sorted(ago, reverse=True) and all(0 <= a <= 180 for a in ago)


def test_issue14_stories(demo: DemoRun) -> None:
    """The summary's links show a request phase by phase, an edge-served request, queued work, and
    the flags (a slower, crashier variant; a stale flag)."""
    slow = demo.get(f"/api/v1/traces/{demo.link('slow request, phase by phase', 'traces')}")
    assert any(g["phases"] and g["phases"]["wait_ns"] is not None for g in slow["gaps"])
    served = demo.get(f"/api/v1/traces/{demo.link('product read served by the edge cache', 'traces')}")
    assert any(g["edge"] and g["edge"]["served_at_edge"] for g in served["gaps"])
    session = demo.get(f"/api/v1/sessions/{demo.link('session whose order went through', 'sessions')}")
    assert session["queued"] and session["queued"][0]["producer_name"] == "send order-placed"
    assert session["queued"][0]["consumer_span_id"] and session["queued"][0]["queue_wait_ns"] > 0
    flags = demo.get("/api/v1/flags")
    assert {s["key"] for s in flags["stale"]} == {"legacy_search_ui"}
    variants = {r["variant"]: r for r in flags["flags"] if r["key"] == "new_checkout"}
    assert set(variants) == {"v1", "v2"}
    assert variants["v2"]["server_p99_ms"] > variants["v1"]["server_p99_ms"]  # the fraud check v2 adds
    phases = demo.get("/api/v1/latency", group_by="route", phases="true")["rows"]
    assert any(r["phases"]["dns"]["count"] for r in phases)
    assert any(r["edge_served_share"] > 0 for r in phases)
    web = [s for s in demo.get("/api/v1/sessions", limit=500)["sessions"] if not s["os_name"]]
    assert web  # the browsers' sessions, with resource-timing phases
    first = demo.get(f"/api/v1/sessions/{web[0]['session_id']}")["traces"][0]["trace_id"]
    web_trace = demo.get(f"/api/v1/traces/{first}")
    assert web_trace["gaps"][0]["phases"]["source"] == "resource_timing"
