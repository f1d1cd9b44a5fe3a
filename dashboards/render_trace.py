"""The trace page (waterfall) and the session page (timeline), from the query service's documents."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

import polars as pl

from tracebridge.dashboards import charts
from tracebridge.dashboards.html import (
    Column,
    Markup,
    badge,
    esc,
    figure_html,
    fmt_ms,
    fmt_time,
    join,
    link,
    page,
    session_href,
    table,
    trace_href,
)
from tracebridge.dashboards.render_explain import gap_breakdown_section, queued_section
from tracebridge.query.models import CrashSummary, Session, Span, Trace
from tracebridge.query.views import span_tree_order


def _facts(pairs: Sequence[tuple[str, Any]]) -> Markup:
    items = "".join(f"<div><span>{esc(k)}</span>{esc(v)}</div>" for k, v in pairs if v not in (None, ""))
    return Markup(f'<div class="facts">{items}</div>')


def _crash_table(crashes: Sequence[CrashSummary], css_id: str) -> Markup:
    rows = [
        (
            fmt_time(c.time_unix_nano),
            c.exception_type or "",
            c.exception_message or "",
            Markup(f'<span class="mono">{esc(c.group_id or "")}</span>'),
            link(trace_href(str(c.trace_id)), str(c.trace_id)[:16] + "…", "mono") if c.trace_id else "",
            link("/api/v1/crashes/" + quote(str(c.crash_id), safe=""), c.crash_id, "mono")
            if c.crash_id
            else "",
        )
        for c in crashes
    ]
    columns = (
        Column("time"),
        Column("exception"),
        Column("message"),
        Column("group"),
        Column("trace"),
        Column("crash id"),
    )
    return table(columns, rows, css_id=css_id)


def trace_page(document: Trace) -> str:
    """Facts, the waterfall, the requests with their gaps, crashes, and every span's details."""
    spans = list(document.spans or [])
    by_id = {s.span_id: s for s in spans}
    session_id = document.session_id
    errors = [s for s in spans if s.error]
    facts = _facts(
        (
            ("session", link(session_href(str(session_id)), session_id, "mono") if session_id else "none"),
            ("start", fmt_time(document.start_time_unix_nano)),
            (
                "duration",
                f"{fmt_ms(int(document.end_time_unix_nano) - int(document.start_time_unix_nano))} ms",
            ),
            ("spans", len(spans)),
            ("client spans", sum(1 for s in spans if s.side == "client")),
            ("backend spans", sum(1 for s in spans if s.side != "client")),
            ("errors", badge(len(errors), "error") if errors else "0"),
            (
                "crashes",
                badge(len(document.crashes or []), "crash") if document.crashes else "0",
            ),
        )
    )
    gap_rows = []
    for gap in document.gaps or []:
        client = by_id.get(gap.client_span_id)
        gap_rows.append(
            (
                gap.route or "",
                client.name if client else "",
                fmt_ms(gap.client_duration_ns),
                fmt_ms(gap.server_duration_ns),
                fmt_ms(gap.gap_ns),
                fmt_ms(gap.clock_skew_ns),
            )
        )
    gap_columns = (
        Column("route"),
        Column("client span"),
        Column("client ms", True),
        Column("server ms", True),
        Column("gap ms", True),
        Column("clock skew ms", True),
    )
    span_rows, classes = [], []
    for s, depth in span_tree_order(spans):
        span_rows.append(
            (
                Markup("&nbsp;&nbsp;" * min(depth, 12) + esc(s.name)),
                s.side,
                s.kind,
                s.service_name,
                fmt_ms(int(s.adjusted_start_time_unix_nano) - int(document.start_time_unix_nano)),
                fmt_ms(s.duration_ns),
                join((s.status_code, " ", s.status_message or "")),
                _attributes(s),
            )
        )
        classes.append("error" if s.error else "")
    span_columns = (
        Column("span"),
        Column("side"),
        Column("kind"),
        Column("service"),
        Column("start ms", True),
        Column("duration ms", True),
        Column("status"),
        Column("attributes"),
    )
    body = Markup(
        f'<h1>Trace <span class="mono">{esc(document.trace_id)}</span></h1>{facts}'
        f"{figure_html('waterfall', charts.waterfall(document))}"
        f"<h2>Requests and their gaps</h2>{table(gap_columns, gap_rows, css_id='gaps')}"
        f"{gap_breakdown_section([g.model_dump() for g in document.gaps])}"
        f"{queued_section([q.model_dump() for q in document.queued])}"
        f"<h2>Crashes</h2>{_crash_table(document.crashes or [], 'crashes')}"
        f"<h2>Spans</h2>{table(span_columns, span_rows, classes, css_id='spans')}"
    )
    return page(f"Trace {document.trace_id}", body, charts=True)


def _attributes(span: Span) -> Markup:
    attrs = span.attributes or {}
    if not attrs:
        return Markup("")
    lines = "\n".join(f"{k} = {v!r}" for k, v in sorted(attrs.items()))
    return Markup(f"<details><summary>{len(attrs)}</summary><pre>{esc(lines)}</pre></details>")


def session_page(document: Session, screens: pl.DataFrame) -> str:
    """Facts, the timeline (screens, requests, crashes) and each request's client/server/gap time."""
    traces = list(document.traces or [])
    crashes = list(document.crashes or [])
    facts = _facts(
        (
            ("start", fmt_time(document.start_time_unix_nano)),
            ("end", fmt_time(document.end_time_unix_nano)),
            ("app version", document.app_version),
            ("OS", " ".join(str(v) for v in (document.os_name, document.os_version) if v)),
            ("device", document.device_model),
            ("traces", len(traces)),
            ("screens", screens.height),
            ("crashes", badge(len(crashes), "crash") if crashes else "0"),
        )
    )
    rows, classes = [], []
    for t in traces:
        trace_cell = link(trace_href(str(t.trace_id)), str(t.trace_id), "mono")
        head = (
            trace_cell,
            fmt_time(t.start_time_unix_nano),
            t.name or "",
            fmt_ms(t.duration_ns),
            badge("error", "error") if t.has_error else "",
        )
        gaps = list(t.gaps or [])
        if not gaps:
            rows.append((*head, "", "", "", ""))
            classes.append("error" if t.has_error else "")
        for gap in gaps:
            rows.append(
                (
                    *head,
                    gap.route or "",
                    fmt_ms(gap.client_duration_ns),
                    fmt_ms(gap.server_duration_ns),
                    fmt_ms(gap.gap_ns),
                )
            )
            classes.append("error" if t.has_error else "")
    columns = (
        Column("trace"),
        Column("start"),
        Column("name"),
        Column("duration ms", True),
        Column("errors"),
        Column("request route"),
        Column("client ms", True),
        Column("server ms", True),
        Column("gap ms", True),
    )
    screen_rows = [(s, fmt_time(a)) for s, a in zip(screens["screen"], screens["start_ns"], strict=True)]
    body = Markup(
        f'<h1>Session <span class="mono">{esc(document.session_id)}</span></h1>{facts}'
        f"{figure_html('timeline', charts.session_timeline(document, screens))}"
        f"<h2>Requests</h2>{table(columns, rows, classes, css_id='requests')}"
        f"{gap_breakdown_section([g.model_dump() for t in traces for g in t.gaps])}"
        f"{queued_section([q.model_dump() for q in document.queued])}"
        f"<h2>Screens</h2>{table((Column('screen'), Column('entered')), screen_rows, css_id='screens')}"
        f"<h2>Crashes</h2>{_crash_table(crashes, 'crashes')}"
    )
    return page(f"Session {document.session_id}", body, charts=True)
