"""GET /api/v1/screens: time to usable, request wait (overlaps once) and server time per screen."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import LiveServer
from tests.explain.spans import T0, stored
from tests.query.builders import Request, build, ingest, poll_json, unique
from tests.telemetry import BASE_TIME, MS, SECOND, android_resource
from tracebridge.query.explain_models import Screens
from tracebridge.query.screens import MAX_SCREEN_SPANS, ScreenSpan, screen_visits, union_ns


def test_union_counts_overlaps_once_and_clips() -> None:
    assert union_ns([(0, 10), (5, 20), (30, 40)], 0, 100) == 30
    assert union_ns([(-5, 10), (90, 120)], 0, 100) == 20
    assert union_ns([], 0, 100) == 0


def test_screen_visits_keep_each_trace_to_its_own_screens() -> None:
    """Screens of many traces, interleaved and in no order: each visit measures the requests of its
    own trace only (the spans are grouped by trace once, so any store size is one pass)."""
    screens, spans = [], []
    for n in range(40):
        trace = f"{n:032x}"
        screens.append(ScreenSpan(trace, f"{n:014x}s1", "", f"Screen{n % 3}", True))
        spans.append(stored(f"{n:014x}s1", T0, 100 * MS, trace_id=trace, kind="internal", name="Screen"))
        spans.append(stored(f"{n:014x}c1", T0 + 10 * MS, (n + 1) * MS, trace_id=trace, parent=f"{n:014x}s1"))
    visits = screen_visits(list(reversed(screens)), spans)
    assert len(visits) == 40
    assert sorted(v.request_wait_ns for v in visits) == [(n + 1) * MS for n in range(40)]
    assert {v.time_to_usable_ns for v in visits} == {100 * MS}
    assert [v.screen for v in visits] == [f"Screen{n % 3}" for n in range(40)]


def test_screen_time_to_usable_and_request_wait(server: LiveServer) -> None:
    screen = unique("Checkout") + "Activity"
    app = unique("9.9")
    start = BASE_TIME + 9000 * SECOND
    durations = [1000, 2000, 3000]
    for index, total_ms in enumerate(durations):
        t0 = start + index * 10 * SECOND
        requests = [  # two overlapping requests: 100..500 and 300..700 -> 600 ms of waiting
            Request(t0 + 100 * MS, client_ns=400 * MS, server_ns=200 * MS, server_offset=100 * MS),
            Request(
                t0 + 300 * MS, client_ns=400 * MS, server_ns=100 * MS, server_offset=150 * MS, skew=2 * SECOND
            ),
        ]
        ingest(server, build(android_resource(app_version=app), t0, total_ms * MS, requests, screen=screen))

    def ready(doc: dict[str, Any]) -> bool:
        return any(r["screen"] == screen and r["count"] == 3 for r in doc["screens"])

    doc = poll_json(server, "/api/v1/screens", ready, app_version=app)
    Screens.model_validate(doc)
    (row,) = [r for r in doc["screens"] if r["screen"] == screen]
    assert row["time_to_usable_p50_ms"] == 2000.0 and row["time_to_usable_p99_ms"] == pytest.approx(2980.0)
    assert row["request_wait_p50_ms"] == 600.0 and row["request_wait_p99_ms"] == 600.0
    # server spans 200..400 and 450..550 on the device clock (skew removed): 300 ms
    assert row["server_p50_ms"] == 300.0
    assert row["request_share"] == pytest.approx(1800 / 6000)
    assert doc["truncated"] is False and doc["screen_spans_limit"] == MAX_SCREEN_SPANS
    assert server.get("/api/v1/screens", app_version=app, os_name="iOS").json()["screens"] == []
    assert server.get("/api/v1/screens", screen="x").status_code == 400
