"""The end of a demo run: what was generated (from the ledger), which sessions and traces are worth
opening, and the wait until the query API shows all of it."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx

from tracebridge.demo.ledger import Ledger, SpanFact
from tracebridge.demo.stories import EDGE_SERVICE


@dataclass(frozen=True)
class Highlights:
    sessions: int
    sessions_by_os: dict[str, int]
    app_versions: list[str]
    client_spans: int
    backend_spans: int
    traces: int
    crashes: int
    slowest_session: str | None
    slowest_session_wait_ms: float
    crashed_session: str | None
    crash_type: str
    large_gap_trace: str | None
    large_gap_ms: float
    skewed_trace: str | None
    skew_ms: int
    expected_spans: dict[str, int] = field(default_factory=dict)  # trace id -> span count, for the wait
    phases_trace: str | None = None  # issue 14: the slowest request with network phases
    phases_ms: float = 0.0
    edge_served_trace: str | None = None
    queued_session: str | None = None


def highlights(ledger: Ledger) -> Highlights:
    """Pick the interesting session and traces from what the demo generated (pure)."""
    spans = ledger.all_spans()
    per_trace = Counter(s.trace_id for s in spans)
    wait_by_session: Counter[str] = Counter()
    best_gap: tuple[int, str | None] = (-1, None)
    servers = {(s.trace_id, s.parent_span_id): s for s in spans if s.side == "backend" and s.kind == "server"}
    trace_session: dict[str, str] = {}
    edge_hops: dict[str, list[tuple[str, str]]] = {}  # edge server span -> its calls to the origin
    for fact in spans:
        if fact.service == EDGE_SERVICE and fact.kind == "client" and fact.parent_span_id:
            edge_hops.setdefault(fact.parent_span_id, []).append((fact.trace_id, fact.span_id))
    for fact in spans:
        if fact.side != "client":
            continue
        if fact.session_id:
            trace_session.setdefault(fact.trace_id, fact.session_id)
        if not fact.is_http:
            continue
        if fact.session_id:
            wait_by_session[fact.session_id] += fact.duration_ns
        server = servers.get((fact.trace_id, fact.span_id))
        if server is not None and server.service == EDGE_SERVICE:  # the gap is measured to the origin
            server = next((servers[k] for k in edge_hops.get(server.span_id, []) if k in servers), None)
        if server is not None and fact.duration_ns - server.duration_ns > best_gap[0]:
            best_gap = (fact.duration_ns - server.duration_ns, fact.trace_id)
    slowest = wait_by_session.most_common(1)
    crashes = list(ledger.crashes)
    # the most telling crash: one that names its session and trace and followed a failed request
    preferred = sorted(crashes, key=lambda c: (c.trace_id is None, not c.after_failed_request))
    sessions = dict(ledger.sessions)
    skewed = max(sessions.values(), key=lambda s: abs(s.clock_skew_ms), default=None)
    skewed_trace = None
    if skewed is not None:
        joined = {s.trace_id for s in spans if s.side == "backend"}
        skewed_trace = next(
            (t for t, sid in trace_session.items() if sid == skewed.session_id and t in joined), None
        )
    return Highlights(
        sessions=len(sessions),
        sessions_by_os=dict(Counter(s.os_name for s in sessions.values())),
        app_versions=sorted({s.app_version for s in sessions.values()}),
        client_spans=sum(1 for s in spans if s.side == "client"),
        backend_spans=sum(1 for s in spans if s.side == "backend"),
        traces=len(per_trace),
        crashes=len(crashes),
        slowest_session=slowest[0][0] if slowest else None,
        slowest_session_wait_ms=slowest[0][1] / 1e6 if slowest else 0.0,
        crashed_session=preferred[0].session_id if preferred else None,
        crash_type=preferred[0].exception_type if preferred else "",
        large_gap_trace=best_gap[1],
        large_gap_ms=max(best_gap[0], 0) / 1e6,
        skewed_trace=skewed_trace,
        skew_ms=skewed.clock_skew_ms if skewed is not None else 0,
        expected_spans=dict(per_trace),
        **_issue14(spans, servers, edge_hops, trace_session),
    )


def _issue14(
    spans: list[SpanFact],
    servers: dict[tuple[str, str | None], SpanFact],
    edge_hops: dict[str, list[tuple[str, str]]],
    trace_session: dict[str, str],
) -> dict[str, Any]:
    """The slowest answered request with network phases, a request served at the edge, and a
    session whose orders went through the queue."""
    phased = [s for s in spans if s.has_phases and (s.trace_id, s.span_id) in servers and not s.error]
    slowest = max(phased, key=lambda s: s.duration_ns, default=None)
    served = next(
        (
            s.trace_id
            for s in spans
            if s.side == "client"
            and (edge := servers.get((s.trace_id, s.span_id))) is not None
            and edge.service == EDGE_SERVICE
            and edge.span_id not in edge_hops
        ),
        None,
    )
    queued = next(
        (trace_session[s.trace_id] for s in spans if s.kind == "producer" and s.trace_id in trace_session),
        None,
    )
    return {
        "phases_trace": slowest.trace_id if slowest else None,
        "phases_ms": slowest.duration_ns / 1e6 if slowest else 0.0,
        "edge_served_trace": served,
        "queued_session": queued,
    }


class IngestWait:
    """Polls the query API until the demo's telemetry is queryable."""

    def __init__(self, api_url: str, token: str | None, timeout_s: float = 90.0) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.client = httpx.Client(base_url=api_url, headers=headers, timeout=30)
        self.deadline = time.monotonic() + timeout_s

    def close(self) -> None:
        self.client.close()

    def _until(self, check: Callable[[], bool], timeout_s: float | None = None) -> bool:
        deadline = self.deadline if timeout_s is None else min(self.deadline, time.monotonic() + timeout_s)
        while True:
            if check():
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.2)

    def session_stored(self, session_id: str) -> bool:
        return self.client.get(f"/api/v1/sessions/{quote(session_id, safe='')}").status_code == 200

    def pipeline_idle(self) -> bool:
        """Wait until the ingest pipeline has stored everything it accepted."""

        def idle() -> bool:
            response = self.client.get("/api/v1/stats")
            if response.status_code != 200:
                return True  # an older server without stats: rely on the per-trace checks
            stats = response.json()
            done = (
                stats.get("items_stored", 0) + stats.get("dead_lettered", 0) + stats.get("items_rejected", 0)
            )
            return bool(stats.get("queued_bytes", 0) == 0 and done >= stats.get("items_accepted", 0))

        return self._until(idle, 60)

    def trace_complete(self, trace_id: str, span_count: int) -> bool:
        """Wait until the trace shows at least every span the demo generated for it."""

        def complete() -> bool:
            response = self.client.get(f"/api/v1/traces/{trace_id}")
            return response.status_code == 200 and len(response.json().get("spans", [])) >= span_count

        return self._until(complete)

    def traces_complete(self, expected: dict[str, int]) -> list[str]:
        """Check every trace; returns the ids still incomplete at the deadline."""
        items = sorted(expected.items())
        with ThreadPoolExecutor(max_workers=4, thread_name_prefix="verify") as pool:
            complete = list(pool.map(lambda item: self.trace_complete(*item), items))
        return [trace_id for (trace_id, _count), ok in zip(items, complete, strict=True) if not ok]

    def crash_visible(self, session_id: str, timeout_s: float = 20.0) -> bool | None:
        """Wait until the session's crash is listed; None when the server cannot say (no crash API,
        or it fails)."""
        state: dict[str, bool | None] = {"found": None}

        def visible() -> bool:
            response = self.client.get("/api/v1/crashes", params={"session_id": session_id})
            if response.status_code != 200:
                state["found"] = None
                return True
            state["found"] = bool(response.json().get("crashes"))
            return bool(state["found"])

        self._until(visible, timeout_s)
        return state["found"]
