"""Terminal views for on-call use: ``tracebridge trace ID`` and ``tracebridge session ID``.

Both fetch the JSON API (the same reconstruction as the API and pages) with httpx, read it into
the query stage's typed documents (``query.models``, so the derived facts are the API's) and draw it
with rich: a waterfall with a client lane and a backend lane on the device clock (skew-corrected
starts), each request's client/server/gap times, errors and crashes, then where each request's gap
went (``gaps[].phases``, the edge hop of ``gaps[].edge``) and the queued work (``queued[]``): the
facts of the pages' sections. Layout fits 100 columns.
Exit codes: 0 shown, 1 not found or rejected (400/401/403/404), 2 API unreachable or failing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

import httpx
from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from tracebridge.query.explain_models import QueuedMessage
from tracebridge.query.models import CrashSummary, Gap, Session, Span, Trace
from tracebridge.query.views import span_tree_order

BAR_WIDTH = 30
NAME_WIDTH = 28
CLIENT_STYLE = "cyan"
BACKEND_STYLE = "magenta"
ERROR_STYLE = "bold red"
TIMEOUT_SECONDS = 30.0
PHASES = ("stall", "dns", "connect", "tls", "request", "wait", "download", "after_response")
PHASE_HEADINGS = ("stall", "dns", "conn", "tls", "req", "wait", "down", "after")


# ---------------------------------------------------------------- entry points (called by cli.py)


def print_trace(api_url: str, trace_id: str, token: str | None, console: Console | None = None) -> int:
    """Fetch ``/api/v1/traces/{id}`` and draw it; the exit code of the command."""
    out = console or Console()
    document, code = _fetch(
        out, api_url, f"/api/v1/traces/{quote(trace_id, safe='')}", token, f"trace {trace_id}"
    )
    if document is None:
        return code
    out.print(trace_view(Trace.model_validate(document)))
    return 0


def print_session(api_url: str, session_id: str, token: str | None, console: Console | None = None) -> int:
    """Fetch ``/api/v1/sessions/{id}`` and draw it; the exit code of the command."""
    out = console or Console()
    path = f"/api/v1/sessions/{quote(session_id, safe='')}"
    document, code = _fetch(out, api_url, path, token, f"session {session_id!r}")
    if document is None:
        return code
    out.print(session_view(Session.model_validate(document)))
    return 0


def _fetch(
    console: Console, api_url: str, path: str, token: str | None, what: str
) -> tuple[dict[str, Any] | None, int]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    url = api_url.rstrip("/") + path
    try:
        response = httpx.get(url, headers=headers, timeout=TIMEOUT_SECONDS)
    except httpx.HTTPError as error:
        console.print(
            Text(f"error: cannot reach the tracebridge API at {api_url}: {error}", style=ERROR_STYLE)
        )
        console.print("Start it with `tracebridge serve`, or pass --api URL (or set TRACEBRIDGE_API).")
        return None, 2
    if response.status_code == 200:
        return response.json(), 0
    detail = _detail(response)
    if response.status_code == 404:
        console.print(Text(f"error: {what} not found ({detail})", style=ERROR_STYLE))
        return None, 1
    if response.status_code in (401, 403):
        hint = (
            "set TRACEBRIDGE_READ_TOKEN to a read token"
            if response.status_code == 401
            else "check TRACEBRIDGE_READ_TOKEN"
        )
        console.print(
            Text(
                f"error: the API refused the request ({response.status_code}: {detail}); {hint}",
                style=ERROR_STYLE,
            )
        )
        return None, 1
    if response.status_code == 400:
        console.print(Text(f"error: bad request: {detail}", style=ERROR_STYLE))
        return None, 1
    console.print(Text(f"error: the API answered {response.status_code}: {detail}", style=ERROR_STYLE))
    return None, 2


def _detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    return str(body.get("detail", body)) if isinstance(body, dict) else str(body)


# ---------------------------------------------------------------- formatting helpers (pure)


def fmt_ns(nanos: int | float | None) -> str:
    """A duration for people: ``850µs``, ``12.3ms``, ``4.56s``, ``3m05s``; ``-`` when unknown."""
    if nanos is None:
        return "-"
    sign = "-" if nanos < 0 else ""
    value = abs(float(nanos))
    if value == 0:
        return "0s"
    if value < 1_000_000:
        return f"{sign}{value / 1000:.0f}µs"
    if value < 1_000_000_000:
        ms = value / 1_000_000
        return f"{sign}{ms:.1f}ms" if ms < 100 else f"{sign}{ms:.0f}ms"
    seconds = value / 1_000_000_000
    if seconds < 60:
        return f"{sign}{seconds:.2f}s"
    minutes, rest = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{sign}{minutes}m{rest:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{sign}{hours}h{minutes:02d}m"


def bar(start: int, duration: int, origin: int, total: int, width: int = BAR_WIDTH) -> str:
    """A waterfall bar: spaces up to the start, then at least one block for the duration."""
    if total <= 0:
        return "█".ljust(width)
    left = min(width - 1, max(0, int((start - origin) * width / total)))
    length = max(1, min(width - left, round(duration * width / total)))
    return (" " * left + "█" * length).ljust(width)


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


# ---------------------------------------------------------------- trace view (pure)


def trace_view(document: Trace) -> RenderableType:
    """The waterfall of one trace document, its gaps and its crashes."""
    origin = int(document.start_time_unix_nano)
    total = int(document.end_time_unix_nano) - origin
    spans = document.spans
    header = Text.assemble(
        ("trace ", "bold"),
        (document.trace_id, "bold"),
        f"  {fmt_ns(total)}  {len(spans)} spans",
        ("  session " + str(document.session_id)) if document.session_id else "",
    )
    gaps_by_client: dict[str, list[Gap]] = defaultdict(list)
    for gap in document.gaps:
        gaps_by_client[gap.client_span_id].append(gap)

    table = Table(box=None, pad_edge=False, padding=(0, 1), show_edge=False, expand=False)
    table.add_column("lane", width=7, no_wrap=True)
    table.add_column("span", width=NAME_WIDTH, no_wrap=True, overflow="ellipsis")
    table.add_column(f"0 … {fmt_ns(total)}", width=BAR_WIDTH, no_wrap=True)
    table.add_column("dur", width=7, justify="right", no_wrap=True)
    table.add_column("note", width=18, no_wrap=True, overflow="ellipsis")
    for span, depth in span_tree_order(spans):
        client = span.side == "client"
        style = CLIENT_STYLE if client else BACKEND_STYLE
        error = span.error
        name = _clip("  " * min(depth, 6) + span.name, NAME_WIDTH)
        note = ""
        gaps = gaps_by_client.get(span.span_id, [])
        if gaps:
            reached = [g for g in gaps if g.server_span_id]
            note = f"gap {fmt_ns(reached[0].gap_ns)}" if reached else "no backend"
        elif span.adjusted_start_time_unix_nano != span.start_time_unix_nano:
            note = "skew-adj"
        table.add_row(
            Text("app" if client else "backend", style=style),
            Text(name, style=ERROR_STYLE if error else ""),
            Text(
                bar(int(span.adjusted_start_time_unix_nano), int(span.duration_ns), origin, total),
                style=ERROR_STYLE if error else style,
            ),
            fmt_ns(span.duration_ns),
            Text(("ERROR " if error else "") + note, style=ERROR_STYLE if error else "yellow"),
        )
    parts: list[RenderableType] = [header, table]
    if document.gaps:
        parts += [Text(""), gaps_table(document.gaps, document.spans)]
    parts += explain_parts(document.gaps, document.queued)
    parts += crash_lines(document.crashes, origin)
    return Group(*parts)


def gaps_table(gaps: Sequence[Gap], spans: Sequence[Span] = ()) -> Table:
    """One row per request: client, server (the attempt that answered), network gap, clock skew;
    with ``spans`` (the trace's), one more row per earlier attempt of a retried request."""
    by_id = {s.span_id: s for s in spans}
    table = Table(
        title="requests: client vs server (gap = network + queueing)",
        title_justify="left",
        box=None,
        padding=(0, 1),
        pad_edge=False,
    )
    table.add_column("route", width=28, no_wrap=True, overflow="ellipsis")
    table.add_column("http", width=5, justify="right")
    table.add_column("client", width=8, justify="right")
    table.add_column("server", width=8, justify="right")
    table.add_column("gap", width=8, justify="right")
    table.add_column("skew", width=8, justify="right")
    table.add_column("note", width=22, no_wrap=True, overflow="ellipsis")
    for gap in gaps:
        reached = gap.server_span_id is not None
        notes = []
        if not reached:
            notes.append("never reached backend")
        if gap.server_count > 1:
            notes.append(f"attempt {gap.attempt}/{gap.server_count} answered")
        elif gap.resend_count:
            notes.append(f"attempt {gap.attempt} (resend)")
        error = gap.has_error
        table.add_row(
            Text(gap.route, style=ERROR_STYLE if error else ""),
            str(gap.http_status_code or "-"),
            fmt_ns(gap.client_duration_ns),
            fmt_ns(gap.server_duration_ns),
            Text(fmt_ns(gap.gap_ns), style="bold yellow"),
            fmt_ns(gap.clock_skew_ns) if reached else "-",
            Text(", ".join(notes), style=ERROR_STYLE if (error or not reached) else ""),
        )
        for index, span_id in enumerate(gap.attempts[:-1], start=1):
            earlier = by_id.get(span_id)
            table.add_row(
                Text("  earlier attempt", style="dim"),
                "",
                "",
                fmt_ns(earlier.duration_ns if earlier else None),
                "",
                "",
                Text(
                    f"attempt {index}/{gap.server_count}",
                    style=ERROR_STYLE if earlier and earlier.error else "dim",
                ),
            )
    return table


def explain_parts(gaps: Sequence[Gap], queued: Sequence[QueuedMessage]) -> list[RenderableType]:
    """Where the gaps went and the queued work (nothing for a document without requests or
    messages): the sections the trace and session pages show."""
    parts: list[RenderableType] = []
    if gaps:
        parts += [Text(""), phases_table(gaps)]
        parts += edge_lines(gaps)
    if queued:
        parts += [Text(""), queued_table(queued)]
    return parts


def phases_table(gaps: Sequence[Gap]) -> Table:
    """Per request: the gap and the network phases its SDK recorded (``-``: not recorded, never
    guessed; ``not recorded`` when the request has no phase data at all)."""
    table = Table(
        title="where the gap went (phases as the SDK recorded them)",
        title_justify="left",
        box=None,
        padding=(0, 1, 0, 0),
        pad_edge=False,
    )
    table.add_column("route", width=16, no_wrap=True, overflow="ellipsis")
    table.add_column("gap", width=6, justify="right", no_wrap=True)
    table.add_column("source", width=15, no_wrap=True, overflow="ellipsis")
    for heading in PHASE_HEADINGS:
        table.add_column(heading, width=6, justify="right", no_wrap=True)
    for gap in gaps:
        phases = gap.phases
        if phases is None:
            cells = ["not recorded"] + [""] * len(PHASES)
        else:
            cells = [phases.source] + [fmt_ns(getattr(phases, f"{p}_ns")) for p in PHASES]
        table.add_row(gap.route, Text(fmt_ns(gap.gap_ns), style="bold yellow"), *cells)
    return table


def edge_lines(gaps: Sequence[Gap]) -> list[RenderableType]:
    """One line per request through an edge tier: forwarded (client→edge, edge→origin) or served
    at the edge."""
    lines: list[RenderableType] = []
    for gap in gaps:
        edge = gap.edge
        if edge is None:
            continue
        if edge.served_at_edge:
            what = f"served at edge {edge.service_name}: client→edge {fmt_ns(edge.client_to_edge_ns)}"
        else:
            what = (
                f"via edge {edge.service_name}: client→edge {fmt_ns(edge.client_to_edge_ns)}, "
                f"edge→origin {fmt_ns(edge.edge_to_origin_ns)}, origin {gap.service_name or '-'} "
                f"{fmt_ns(gap.server_duration_ns)}"
            )
        lines.append(Text(_clip(f"  {gap.route}  {what}", 98), style=BACKEND_STYLE))
    return [Text("edge hops", style="bold"), *lines] if lines else []


def queued_table(queued: Sequence[QueuedMessage]) -> Table:
    """The messages produced, their consumer, queue wait, processing time and status."""
    table = Table(title="queued work", title_justify="left", box=None, padding=(0, 1), pad_edge=False)
    table.add_column("message", width=24, no_wrap=True, overflow="ellipsis")
    table.add_column("consumer", width=28, no_wrap=True, overflow="ellipsis")
    table.add_column("trace", width=8, no_wrap=True)
    table.add_column("queue wait", width=10, justify="right", no_wrap=True)
    table.add_column("processing", width=10, justify="right", no_wrap=True)
    table.add_column("status", width=8, no_wrap=True)
    for message in queued:
        failed = message.status_code == "error"
        consumer = (
            f"{message.consumer_name} ({message.consumer_service_name})"
            if message.consumer_name
            else "not processed yet"
        )
        table.add_row(
            f"{message.producer_name} ({message.producer_service_name})",
            Text(consumer, style="" if message.consumer_name else "yellow"),
            Text((message.consumer_trace_id or "")[:8], style="dim"),
            fmt_ns(message.queue_wait_ns),
            fmt_ns(message.processing_ns),
            Text(message.status_code or "-", style=ERROR_STYLE if failed else ""),
        )
    return table


def crash_lines(crashes: Sequence[CrashSummary], origin: int | None) -> list[RenderableType]:
    if not crashes:
        return []
    lines: list[RenderableType] = [Text(""), Text(f"crashes ({len(crashes)})", style=ERROR_STYLE)]
    for crash in crashes:
        when = crash.time_unix_nano
        offset = f"+{fmt_ns(int(when) - origin)}" if when is not None and origin is not None else ""
        message = crash.exception_message or crash.title or ""
        lines.append(
            Text(
                _clip(
                    f"  ✖ {offset} {crash.exception_type or 'crash'}: {message}  [{crash.crash_id}]",
                    98,
                ),
                style=ERROR_STYLE,
            )
        )
    return lines


# ---------------------------------------------------------------- session view (pure)


def session_view(document: Session) -> RenderableType:
    """A session: device and app facts, then each trace in order on the session's timeline with
    its requests' gaps, then its crashes."""
    traces = document.traces
    start = document.start_time_unix_nano
    end = document.end_time_unix_nano
    origin = int(start) if start is not None else 0
    total = (int(end) - origin) if end is not None else 0
    facts = "  ".join(
        str(v)
        for v in (
            document.app_version and f"app {document.app_version}",
            document.os_name and f"{document.os_name} {document.os_version or ''}".strip(),
            document.device_model,
        )
        if v
    )
    header = Text.assemble(
        ("session ", "bold"),
        (_clip(str(document.session_id), 60), "bold"),
        f"  {fmt_ns(total)}  {len(traces)} traces  {len(document.crashes)} crashes\n",
        facts,
    )
    table = Table(box=None, padding=(0, 1), pad_edge=False)
    table.add_column("at", width=8, justify="right", no_wrap=True)
    table.add_column("trace / request", width=32, no_wrap=True, overflow="ellipsis")
    table.add_column(f"0 … {fmt_ns(total)}", width=24, no_wrap=True, overflow="ellipsis")
    table.add_column("client", width=8, justify="right")
    table.add_column("server", width=8, justify="right")
    table.add_column("gap", width=8, justify="right")
    for trace in traces:
        error = bool(trace.has_error)
        t_start = int(trace.start_time_unix_nano)
        label = f"{trace.name or trace.trace_id[:16]} ({trace.span_count} spans)"
        table.add_row(
            f"+{fmt_ns(t_start - origin)}",
            Text(label + (" ✖ error" if error else ""), style=ERROR_STYLE if error else "bold"),
            Text(
                bar(t_start, int(trace.duration_ns), origin, total, 24),
                style=ERROR_STYLE if error else CLIENT_STYLE,
            ),
            fmt_ns(trace.duration_ns),
            "",
            Text(trace.trace_id[:8], style="dim"),
        )
        for gap in trace.gaps:
            reached = gap.server_span_id is not None
            notes = []
            if not reached:
                notes.append("✗ never reached backend")
            else:
                if gap.http_status_code:
                    notes.append(f"HTTP {gap.http_status_code}")
                if gap.server_count > 1:
                    notes.append(f"attempt {gap.attempt}/{gap.server_count}")
                elif gap.resend_count:
                    notes.append(f"attempt {gap.attempt}")
            bad = bool(gap.has_error) or not reached
            table.add_row(
                "",
                Text(
                    f"  {gap.http_method or ''} {gap.route or ''}".rstrip(),
                    style=ERROR_STYLE if bad else "",
                ),
                Text(" ".join(notes), style=ERROR_STYLE if bad else "dim"),
                fmt_ns(gap.client_duration_ns),
                Text(fmt_ns(gap.server_duration_ns), style=BACKEND_STYLE),
                Text(fmt_ns(gap.gap_ns), style="bold yellow"),
            )
    parts: list[RenderableType] = [header, table]
    parts += explain_parts([g for t in traces for g in t.gaps], document.queued)
    parts += crash_lines(document.crashes, origin if start is not None else None)
    return Group(*parts)
