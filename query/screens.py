"""``GET /api/v1/screens``: per screen, time to usable and how much of it went on requests.

A screen span is a client-side INTERNAL span naming a screen: ``activity.name`` or
``fragment.name`` (opentelemetry-android's lifecycle spans), ``view.name`` (iOS view
controllers), else ``app.screen.name`` / ``screen.name`` when it is the topmost span of that
screen in its trace (opentelemetry-android stamps ``screen.name`` on every span, so only the
outermost counts). opentelemetry-android's ``AppStart`` span is the app's start, not a screen.

Per screen span (device clock): ``time to usable`` = its duration; ``request wait`` = the union
of the client request spans below it (CLIENT spans of the device), clipped to it; ``server`` = the
union of their backend server spans (skew-adjusted to the device clock), clipped to it. Overlapping
requests count once. Per screen: count and exact p50/p99 (``domain.exact_percentile``) of each, and
``request_share`` = total request wait / total time to usable.

Bounded: the newest ``MAX_SCREEN_SPANS`` screen spans under the filters are measured (each needs
its trace's spans from the trace index); ``truncated`` says whether more matched, and
``screen_spans_limit`` is that bound.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tracebridge.domain import exact_percentile
from tracebridge.query.filters import check_mapping, parse_text, parse_time_range
from tracebridge.query.pairing import pair_requests
from tracebridge.query.skew import adjusted_starts
from tracebridge.query.units import ms
from tracebridge.store.reader import StoreReader
from tracebridge.store.rows import StoredSpan

SCREEN_PARAM_NAMES = ("app_version", "os_name", "since", "until")
# Each screen span costs a read of its trace from the trace index (~0.2 ms per trace, 1M spans):
# 10,000 keeps the answer near two seconds on any store.
MAX_SCREEN_SPANS = 10_000


@dataclass(frozen=True)
class ScreenSpan:
    trace_id: str
    span_id: str
    parent_span_id: str
    screen: str
    lifecycle: bool


@dataclass(frozen=True)
class ScreenVisit:
    screen: str
    time_to_usable_ns: int
    request_wait_ns: int
    server_ns: int


def union_ns(intervals: Sequence[tuple[int, int]], low: int, high: int) -> int:
    """Total length of the union of ``intervals`` clipped to [low, high]."""
    clipped = sorted((max(a, low), min(b, high)) for a, b in intervals if min(b, high) > max(a, low))
    total, end = 0, low
    for start, stop in clipped:
        if stop > end:
            total += stop - max(start, end)
            end = stop
    return total


def outermost(candidates: Sequence[ScreenSpan]) -> list[ScreenSpan]:
    """Lifecycle spans, and the topmost ``screen.name`` span of each screen in its trace."""
    by_id = {(c.trace_id, c.span_id): c for c in candidates}
    out = []
    for candidate in candidates:
        parent = by_id.get((candidate.trace_id, candidate.parent_span_id))
        if candidate.lifecycle or parent is None or parent.screen != candidate.screen:
            out.append(candidate)
    return out


def screen_visits(screens: Sequence[ScreenSpan], spans: Sequence[StoredSpan]) -> list[ScreenVisit]:
    """Each screen span with its request wait and server time (pure; ``spans`` of its traces)."""
    by_trace: dict[str, list[StoredSpan]] = defaultdict(list)
    for span in spans:
        by_trace[span.trace_id].append(span)
    screens_by_trace: dict[str, list[ScreenSpan]] = defaultdict(list)
    for screen in screens:
        screens_by_trace[screen.trace_id].append(screen)
    visits = []
    for trace_id, trace_spans in by_trace.items():
        wanted = screens_by_trace.get(trace_id)
        if not wanted:
            continue
        pairs = pair_requests(trace_spans)
        adjusted = adjusted_starts(trace_spans, pairs)
        by_id = {s.span_id: s for s in trace_spans}
        for screen in wanted:
            found = by_id.get(screen.span_id)
            if found is None:
                continue
            below = [p for p in pairs if _is_below(p.client, found.span_id, by_id)]
            low, high = found.start_time_unix_nano, found.end_time_unix_nano
            wait = union_ns(
                [(p.client.start_time_unix_nano, p.client.end_time_unix_nano) for p in below], low, high
            )
            server = union_ns(
                [
                    (adjusted[s.span_id], adjusted[s.span_id] + s.duration_ns)
                    for p in below
                    for s in p.servers
                ],
                low,
                high,
            )
            visits.append(ScreenVisit(screen.screen, found.duration_ns, wait, server))
    return visits


def _is_below(span: StoredSpan, ancestor_id: str, by_id: Mapping[str, StoredSpan]) -> bool:
    seen = 0
    parent = span.parent_span_id
    while parent and seen < 64:
        if parent == ancestor_id:
            return True
        node = by_id.get(parent)
        parent = None if node is None else node.parent_span_id
        seen += 1
    return False


def screen_rows(visits: Sequence[ScreenVisit]) -> list[dict[str, Any]]:
    """One row per screen, most visited first."""
    per: dict[str, list[ScreenVisit]] = defaultdict(list)
    for visit in visits:
        per[visit.screen].append(visit)
    rows: list[dict[str, Any]] = []
    for screen, found in per.items():
        row: dict[str, Any] = {"screen": screen, "count": len(found)}
        for name, values in (
            ("time_to_usable", [v.time_to_usable_ns for v in found]),
            ("request_wait", [v.request_wait_ns for v in found]),
            ("server", [v.server_ns for v in found]),
        ):
            row[f"{name}_p50_ms"] = ms(exact_percentile(values, 0.5))
            row[f"{name}_p99_ms"] = ms(exact_percentile(values, 0.99))
        total = sum(v.time_to_usable_ns for v in found)
        row["request_share"] = round(sum(v.request_wait_ns for v in found) / total, 6) if total else 0.0
        row["server_share"] = round(sum(v.server_ns for v in found) / total, 6) if total else 0.0
        rows.append(row)
    rows.sort(key=lambda r: (-r["count"], r["screen"]))
    return rows


def screens_document(reader: StoreReader, params: Mapping[str, str]) -> dict[str, Any]:
    """GET /api/v1/screens (400 for unknown parameters or bad values)."""
    check_mapping(params, SCREEN_PARAM_NAMES)
    times = parse_time_range(params)
    rows = reader.screen_spans(
        app_version=parse_text(params, "app_version") or "",
        os_name=parse_text(params, "os_name") or "",
        since=times.since or 0,
        until=times.until or 0,
        limit=MAX_SCREEN_SPANS + 1,
    )
    truncated = len(rows) > MAX_SCREEN_SPANS
    rows = rows[:MAX_SCREEN_SPANS]
    candidates = [
        ScreenSpan(
            r.trace_id, r.span_id, r.parent_span_id, r.lifecycle_name or r.screen_name, bool(r.lifecycle_name)
        )
        for r in rows
    ]
    screens = outermost(candidates)
    spans = reader.indexed_spans(sorted({s.trace_id for s in screens}))
    return {
        "screens": screen_rows(screen_visits(screens, spans)),
        "screen_spans_limit": MAX_SCREEN_SPANS,
        "truncated": truncated,
    }
