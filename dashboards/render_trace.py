"""The trace page (waterfall) and the session page (timeline), from the query service's documents."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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
from tracebridge.query.views import span_tree_order


def _facts(pairs: Sequence[tuple[str, Any]]) -> Markup:
    items = "".join(f"<div><span>{esc(k)}</span>{esc(v)}</div>" for k, v in pairs if v not in (None, ""))
    return Markup(f'<div class="facts">{items}</div>')


def _crash_table(crashes: Sequence[Mapping[str, Any]], css_id: str) -> Markup:
    rows = [
        (
            fmt_time(c.get("time_unix_nano")),
            c.get("exception_type") or "",
            c.get("exception_message") or "",
            Markup(f'<span class="mono">{esc(c.get("group_id") or "")}</span>'),
            link(trace_href(str(c["trace_id"])), str(c["trace_id"])[:16] + "…", "mono")
            if c.get("trace_id")
            else "",
            link("/api/v1/crashes/" + quote(str(c["crash_id"]), safe=""), c["crash_id"], "mono")
            if c.get("crash_id")
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


def trace_page(document: Mapping[str, Any]) -> str:
    """Facts, the waterfall, the requests with their gaps, crashes, and every span's details."""
    spans = list(document.get("spans") or [])
    by_id = {s["span_id"]: s for s in spans}
    session_id = document.get("session_id")
    errors = [s for s in spans if s.get("status_code") == "error"]
    facts = _facts(
        (
            ("session", link(session_href(str(session_id)), session_id, "mono") if session_id else "none"),
            ("start", fmt_time(document.get("start_time_unix_nano"))),
            (
                "duration",
                f"{fmt_ms(int(document['end_time_unix_nano']) - int(document['start_time_unix_nano']))} ms",
            ),
            ("spans", len(spans)),
            ("client spans", sum(1 for s in spans if s.get("side") == "client")),
            ("backend spans", sum(1 for s in spans if s.get("side") != "client")),
            ("errors", badge(len(errors), "error") if errors else "0"),
            (
                "crashes",
                badge(len(document.get("crashes") or []), "crash") if document.get("crashes") else "0",
            ),
        )
    )
    gap_rows = []
    for gap in document.get("gaps") or []:
        client = by_id.get(gap.get("client_span_id"), {})
        gap_rows.append(
            (
                gap.get("route") or "",
                client.get("name", ""),
                fmt_ms(gap.get("client_duration_ns")),
                fmt_ms(gap.get("server_duration_ns")),
                fmt_ms(gap.get("gap_ns")),
                fmt_ms(gap.get("clock_skew_ns")),
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
                Markup("&nbsp;&nbsp;" * min(depth, 12) + esc(s.get("name"))),
                s.get("side", ""),
                s.get("kind", ""),
                s.get("service_name", ""),
                fmt_ms(int(s["adjusted_start_time_unix_nano"]) - int(document["start_time_unix_nano"])),
                fmt_ms(s.get("duration_ns")),
                join((s.get("status_code", ""), " ", s.get("status_message") or "")),
                _attributes(s),
            )
        )
        classes.append("error" if s.get("status_code") == "error" else "")
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
        f'<h1>Trace <span class="mono">{esc(document["trace_id"])}</span></h1>{facts}'
        f"{figure_html('waterfall', charts.waterfall(document))}"
        f"<h2>Requests and their gaps</h2>{table(gap_columns, gap_rows, css_id='gaps')}"
        f"{gap_breakdown_section(document.get('gaps') or [])}{queued_section(document.get('queued') or [])}"
        f"<h2>Crashes</h2>{_crash_table(document.get('crashes') or [], 'crashes')}"
        f"<h2>Spans</h2>{table(span_columns, span_rows, classes, css_id='spans')}"
    )
    return page(f"Trace {document['trace_id']}", body, charts=True)


def _attributes(span: Mapping[str, Any]) -> Markup:
    attrs = span.get("attributes") or {}
    if not attrs:
        return Markup("")
    lines = "\n".join(f"{k} = {v!r}" for k, v in sorted(attrs.items()))
    return Markup(f"<details><summary>{len(attrs)}</summary><pre>{esc(lines)}</pre></details>")


def session_page(document: Mapping[str, Any], screens: pl.DataFrame) -> str:
    """Facts, the timeline (screens, requests, crashes) and each request's client/server/gap time."""
    traces = list(document.get("traces") or [])
    crashes = list(document.get("crashes") or [])
    facts = _facts(
        (
            ("start", fmt_time(document.get("start_time_unix_nano"))),
            ("end", fmt_time(document.get("end_time_unix_nano"))),
            ("app version", document.get("app_version")),
            ("OS", " ".join(str(v) for v in (document.get("os_name"), document.get("os_version")) if v)),
            ("device", document.get("device_model")),
            ("traces", len(traces)),
            ("screens", screens.height),
            ("crashes", badge(len(crashes), "crash") if crashes else "0"),
        )
    )
    rows, classes = [], []
    for t in traces:
        trace_cell = link(trace_href(str(t["trace_id"])), str(t["trace_id"]), "mono")
        head = (
            trace_cell,
            fmt_time(t.get("start_time_unix_nano")),
            t.get("name") or "",
            fmt_ms(t.get("duration_ns")),
            badge("error", "error") if t.get("has_error") else "",
        )
        gaps = list(t.get("gaps") or [])
        if not gaps:
            rows.append((*head, "", "", "", ""))
            classes.append("error" if t.get("has_error") else "")
        for gap in gaps:
            rows.append(
                (
                    *head,
                    gap.get("route") or "",
                    fmt_ms(gap.get("client_duration_ns")),
                    fmt_ms(gap.get("server_duration_ns")),
                    fmt_ms(gap.get("gap_ns")),
                )
            )
            classes.append("error" if t.get("has_error") else "")
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
        f'<h1>Session <span class="mono">{esc(document["session_id"])}</span></h1>{facts}'
        f"{figure_html('timeline', charts.session_timeline(document, screens))}"
        f"<h2>Requests</h2>{table(columns, rows, classes, css_id='requests')}"
        f"{gap_breakdown_section([g for t in traces for g in t.get('gaps') or []])}"
        f"{queued_section(document.get('queued') or [])}"
        f"<h2>Screens</h2>{table((Column('screen'), Column('entered')), screen_rows, css_id='screens')}"
        f"<h2>Crashes</h2>{_crash_table(crashes, 'crashes')}"
    )
    return page(f"Session {document['session_id']}", body, charts=True)
