"""HTML for issue 14: where a gap went (phases, edge), queued work, phase p99s, flags and screens.

Sections for the trace and session pages (built from their API documents) and for the latency
dashboard (from ``/api/v1/latency?phases=true`` rows and ``/api/v1/screens``), and the whole
``/dashboards/flags`` page. Telemetry text only reaches HTML through ``esc``/``table``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import plotly.graph_objects as go

from tracebridge.dashboards.charts import LAYOUT, label
from tracebridge.dashboards.html import (
    Column,
    Markup,
    badge,
    esc,
    figure_html,
    fmt_ms,
    fmt_pct,
    fmt_time,
    link,
    page,
    table,
    trace_href,
)

PHASES = ("stall", "dns", "connect", "tls", "request", "wait", "download", "after_response")
ROW_PHASES = ("dns", "connect", "tls", "request", "wait", "download", "after_response")


def _phase_cells(phases: Mapping[str, Any] | None) -> list[str]:
    if phases is None:
        return ["not recorded"] + [""] * len(PHASES)
    return [str(phases.get("source") or "")] + [fmt_ms(phases.get(f"{p}_ns")) for p in PHASES]


def _edge_cell(edge: Mapping[str, Any] | None) -> Markup | str:
    if edge is None:
        return ""
    if edge.get("served_at_edge"):
        return badge(
            f"served at edge {edge.get('service_name')} · client→edge {fmt_ms(edge.get('client_to_edge_ns'))} ms"
        )
    return esc(
        f"via {edge.get('service_name')} · client→edge {fmt_ms(edge.get('client_to_edge_ns'))} ms · "
        f"edge→origin {fmt_ms(edge.get('edge_to_origin_ns'))} ms"
    )


def gap_breakdown_section(gaps: Sequence[Mapping[str, Any]], css_id: str = "phases") -> Markup:
    """Per request: where the gap went, phase by phase (ms), and the edge hop."""
    columns = (
        Column("route"),
        Column("gap ms", True),
        Column("source"),
        *(Column(p.replace("_", " "), True) for p in PHASES),
        Column("edge"),
    )
    rows = [
        (
            gap.get("route") or "",
            fmt_ms(gap.get("gap_ns")),
            *_phase_cells(gap.get("phases")),
            _edge_cell(gap.get("edge")),
        )
        for gap in gaps
    ]
    return Markup(f"<h2>Where the gap went (ms)</h2>{table(columns, rows, css_id=css_id)}")


def queued_section(queued: Sequence[Mapping[str, Any]], css_id: str = "queued") -> Markup:
    """The messages produced, with their consumer, queue wait, processing and status."""
    columns = (
        Column("message"),
        Column("produced"),
        Column("consumer"),
        Column("consumer trace"),
        Column("queue wait ms", True),
        Column("processing ms", True),
        Column("status"),
    )
    rows, classes = [], []
    for message in queued:
        consumer_trace = message.get("consumer_trace_id")
        rows.append(
            (
                message.get("producer_name") or "",
                fmt_time(message.get("produced_time_unix_nano")),
                message.get("consumer_name") or "not processed yet",
                link(trace_href(str(consumer_trace)), str(consumer_trace), "mono") if consumer_trace else "",
                fmt_ms(message.get("queue_wait_ns")),
                fmt_ms(message.get("processing_ns")),
                message.get("status_code") or "",
            )
        )
        classes.append("error" if message.get("status_code") == "error" else "")
    return Markup(f"<h2>Queued work</h2>{table(columns, rows, classes, css_id=css_id)}")


def _phase_table(rows: Sequence[Mapping[str, Any]], title: str, css_id: str) -> Markup:
    columns = (
        Column("key"),
        Column("requests", True),
        Column("edge served", True),
        *(Column(f"{p.replace('_', ' ')} p99", True) for p in ROW_PHASES),
    )
    cells = [
        (
            row.get("key") or "(unknown)",
            row.get("count"),
            fmt_pct(row.get("edge_served_share"), 1),
            *(_p99(row, p) for p in ROW_PHASES),
        )
        for row in rows
    ]
    return Markup(f"<h2>{esc(title)}</h2>{table(columns, cells, css_id=css_id)}")


def _p99(row: Mapping[str, Any], phase: str) -> str:
    stats = (row.get("phases") or {}).get(phase) or {}
    value = stats.get("p99_ms")
    return "" if value is None else f"{value:,.1f} ({stats.get('count')})"


def phase_chart(rows: Sequence[Mapping[str, Any]]) -> go.Figure:
    """Stacked phase p50s per route (ms): where a typical request's time goes."""
    keys = [label(r.get("key") or "(unknown)", 40) for r in rows[:20]]
    fig = go.Figure()
    for phase in ROW_PHASES:
        fig.add_trace(
            go.Bar(
                name=phase.replace("_", " "),
                x=keys,
                y=[((r.get("phases") or {}).get(phase) or {}).get("p50_ms") for r in rows[:20]],
                hovertemplate="%{x}<br>" + phase + " p50 %{y:.1f} ms<extra></extra>",
            )
        )
    fig.update_layout(
        **LAYOUT, barmode="stack", height=340, title="Network phases per route (p50, ms)", yaxis_title="ms"
    )
    return fig


def latency_phase_section(
    by_route: Sequence[Mapping[str, Any]],
    by_network: Sequence[Mapping[str, Any]],
    screens: Sequence[Mapping[str, Any]],
    bounds: Sequence[str] = (),
) -> Markup:
    """Latency dashboard additions: phase p99s (with request counts) per route and network type,
    edge-served share, and the per-screen table; ``bounds``: a line each for a section that
    measured only the newest part of the window."""
    screen_columns = (
        Column("screen"),
        Column("visits", True),
        Column("time to usable p50", True),
        Column("p99", True),
        Column("waiting on requests p50", True),
        Column("p99", True),
        Column("in the server p50", True),
        Column("p99", True),
        Column("request share", True),
    )
    screen_rows = [
        (
            s["screen"],
            s["count"],
            s["time_to_usable_p50_ms"],
            s["time_to_usable_p99_ms"],
            s["request_wait_p50_ms"],
            s["request_wait_p99_ms"],
            s["server_p50_ms"],
            s["server_p99_ms"],
            fmt_pct(s["request_share"], 1),
        )
        for s in screens
    ]
    notes = "".join(f'<p class="bound">{esc(line)}</p>' for line in bounds)
    return Markup(
        f"{notes}{figure_html('phases-by-route', phase_chart(by_route))}"
        f"{_phase_table(by_route, 'Network phase p99 per route (ms, requests that recorded it)', 'phases-by-route-table')}"
        f"{_phase_table(by_network, 'Network phase p99 per network type (ms)', 'phases-by-network')}"
        f"<h2>Screens: time to usable (ms)</h2>{table(screen_columns, screen_rows, css_id='screens')}"
    )


def flags_page(document: Mapping[str, Any], raw: Mapping[str, str]) -> str:
    """/dashboards/flags: each variant's sessions, crash-free sessions and latency; stale flags."""
    flags = list(document.get("flags") or [])
    columns = (
        Column("flag"),
        Column("variant"),
        Column("evaluations", True),
        Column("sessions", True),
        Column("crash-free sessions", True),
        Column("requests", True),
        Column("client p50", True),
        Column("client p99", True),
        Column("server p99", True),
        Column("gap p99", True),
        Column("first seen"),
        Column("last seen"),
    )
    worst: dict[str, Mapping[str, Any]] = {}
    for row in flags:  # the variant of each flag with the fewest crash-free sessions stands out
        current = worst.get(row["key"])
        if row.get("crash_free_sessions") is not None and (
            current is None or row["crash_free_sessions"] < current["crash_free_sessions"]
        ):
            worst[row["key"]] = row
    rows: list[tuple[Any, ...]] = []
    classes: list[str] = []
    for row in flags:
        rows.append(
            (
                row["key"],
                row["variant"],
                row["evaluations"],
                row["sessions"],
                fmt_pct(row.get("crash_free_sessions"), 1),
                row.get("requests", ""),
                row.get("client_p50_ms"),
                row.get("client_p99_ms"),
                row.get("server_p99_ms"),
                row.get("gap_p99_ms"),
                fmt_time(row.get("first_seen_unix_nano")),
                fmt_time(row.get("last_seen_unix_nano")),
            )
        )
        spread = sum(1 for r in flags if r["key"] == row["key"]) > 1
        crash_free = row.get("crash_free_sessions")
        flagged = spread and worst.get(row["key"]) is row and crash_free is not None and crash_free < 1
        classes.append("error" if flagged else "")
    stale_rows = [
        (s["key"], s["variant"], fmt_time(s["single_variant_since_unix_nano"]))
        for s in document.get("stale") or []
    ]
    body = Markup(
        "<h1>Feature flags</h1>"
        f'<p class="muted">Per flag and variant: sessions that evaluated it, the share of them without a fatal crash, '
        f"and latency of the requests whose client span carries the evaluation. Filters: {esc(dict(raw) or 'none')}.</p>"
        f"{figure_html('flag-variants', _flag_chart(flags))}"
        f"<h2>Variants</h2>{table(columns, rows, classes, css_id='flags')}"
        "<h2>Stale flags (one variant for more than 90 days)</h2>"
        f"{table((Column('flag'), Column('variant'), Column('single variant since')), stale_rows, css_id='stale')}"
    )
    return page("Feature flags", body, charts=True)


def _flag_chart(flags: Sequence[Mapping[str, Any]]) -> go.Figure:
    labels = [label(f"{r['key']} = {r['variant']}", 50) for r in flags[:30]]
    fig = go.Figure()
    fig.add_trace(go.Bar(name="client p99 ms", x=labels, y=[r.get("client_p99_ms") for r in flags[:30]]))
    fig.add_trace(
        go.Scatter(
            name="crash-free sessions %",
            x=labels,
            y=[
                None if r.get("crash_free_sessions") is None else r["crash_free_sessions"] * 100
                for r in flags[:30]
            ],
            yaxis="y2",
            mode="markers",
            marker={"size": 12},
        )
    )
    fig.update_layout(
        **LAYOUT,
        height=360,
        title="Client p99 and crash-free sessions per variant",
        yaxis={"title": "ms"},
        yaxis2={"title": "%", "overlaying": "y", "side": "right", "range": [0, 100]},
    )
    return fig
