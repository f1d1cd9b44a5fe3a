"""Plotly figures built server-side from query results (pure functions, no I/O).

Labels from telemetry are HTML-escaped before they reach plotly (plotly renders a subset of HTML
in text and decodes entities back for display). Series names are stable so that tests and users
can find them: see each builder's docstring.
"""

from __future__ import annotations

import html
from collections.abc import Iterator, Sequence
from typing import Any

import plotly.graph_objects as go
import polars as pl
from plotly.subplots import make_subplots

from tracebridge.dashboards.html import plot_time
from tracebridge.query.models import CrashGroup, Session, Trace, VersionRow
from tracebridge.query.views import span_tree_order

CLIENT = "#1f77b4"
BACKEND = "#2ca02c"
ERROR = "#d62728"
GAP = "#ff7f0e"
CRASH = "#9467bd"
RETIREMENT_SHARE = 0.005  # a version below 0.5% of weekly active sessions can be retired
PERCENTILES = ("p50", "p95", "p99")
# A small white template: plotly's built-in ones are large and copied into every figure.
_AXIS = {"gridcolor": "#ebf0f8", "zerolinecolor": "#ebf0f8", "linecolor": "#d1d9e0", "automargin": True}
TEMPLATE = go.layout.Template(
    layout={
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "colorway": ["#636efa", "#ef553b", "#00cc96", "#ab63fa", "#ffa15a", "#19d3f3", "#ff6692", "#b6e880"],
        "xaxis": _AXIS,
        "yaxis": _AXIS,
        "hovermode": "closest",
        "title": {"x": 0.01, "xanchor": "left", "font": {"size": 15}},
    }
)
LAYOUT: dict[str, Any] = {
    "template": TEMPLATE,
    "margin": {"l": 60, "r": 20, "t": 64, "b": 40},
    "legend": {"orientation": "h", "y": -0.15},
    "font": {"family": "system-ui, DejaVu Sans, sans-serif", "size": 12},
}


def label(text: Any, limit: int = 80) -> str:
    """Telemetry text made safe for a plotly label: truncated and HTML-escaped."""
    value = "" if text is None else str(text)
    if len(value) > limit:
        value = value[: limit - 1] + "…"
    return html.escape(value, quote=False)


def _ms(nanos: float) -> float:
    return round(float(nanos) / 1e6, 3)


# ---------------------------------------------------------------- trace waterfall


def waterfall(document: Trace) -> go.Figure:
    """The trace as horizontal bars on skew-corrected time (ms since the trace's start).

    Two lanes (rows): client spans above, backend spans below, each span one row keyed by its
    span id. Series: ``client``, ``backend`` (spans not in error), ``error`` (spans in error, in
    their own lane), ``gap`` (per paired request, the two legs of the client span not covered by
    its server span), ``crash`` (markers at crash time).
    """
    t0 = int(document.start_time_unix_nano)
    ordered = span_tree_order(document.spans or [])
    by_id = {s.span_id: s for s, _ in ordered}
    lanes = {
        "client": [(s, d) for s, d in ordered if s.side == "client"],
        "backend": [(s, d) for s, d in ordered if s.side != "client"],
    }
    rows = [lane for lane in ("client", "backend") if lanes[lane]] or ["client"]
    counts = [max(len(lanes[lane]), 1) for lane in rows]
    height = 200 + 26 * sum(counts)
    fig = make_subplots(
        rows=len(rows),
        cols=1,
        shared_xaxes=True,
        vertical_spacing=min(0.3, 60 / height),
        row_heights=[c / sum(counts) for c in counts],
        subplot_titles=[f"{lane} lane" for lane in rows],
    )
    shown: set[str] = set()
    for row, lane in enumerate(rows, start=1):
        members = lanes[lane]
        for series, color, keep in (
            (lane, CLIENT if lane == "client" else BACKEND, False),
            ("error", ERROR, True),
        ):
            chosen = [(s, d) for s, d in members if s.error == keep]
            if not chosen:
                continue
            fig.add_trace(
                go.Bar(
                    name=series,
                    legendgroup=series,
                    showlegend=series not in shown,
                    orientation="h",
                    y=[s.span_id for s, _ in chosen],
                    base=[_ms(int(s.adjusted_start_time_unix_nano) - t0) for s, _ in chosen],
                    x=[_ms(int(s.duration_ns)) for s, _ in chosen],
                    marker={"color": color},
                    customdata=[[label(s.name), label(s.service_name), s.kind, s.span_id] for s, _ in chosen],
                    hovertemplate="%{customdata[0]}<br>%{customdata[1]} · %{customdata[2]}<br>"
                    "start %{base:.1f} ms · %{x:.1f} ms<br>span %{customdata[3]}<extra>"
                    + series
                    + "</extra>",
                ),
                row=row,
                col=1,
            )
            shown.add(series)
        fig.update_yaxes(
            row=row,
            col=1,
            type="category",
            autorange="reversed",
            categoryorder="array",
            categoryarray=[s.span_id for s, _ in members],
            tickmode="array",
            tickvals=[s.span_id for s, _ in members],
            ticktext=["\u00a0\u00a0" * min(d, 12) + label(s.name, 48) for s, d in members],
        )
    gap_y, gap_base, gap_x, gap_text = [], [], [], []
    for gap in document.gaps or []:
        client = by_id.get(gap.client_span_id)
        server = by_id.get(gap.server_span_id) if gap.server_span_id else None
        if not client or not server:
            continue
        c_start = int(client.adjusted_start_time_unix_nano)
        c_end = c_start + int(client.duration_ns)
        s_start = int(server.adjusted_start_time_unix_nano)
        s_end = s_start + int(server.duration_ns)
        text = f"gap {_ms(gap.gap_ns or 0):.1f} ms · {label(gap.route)}"
        for left, right in ((c_start, min(s_start, c_end)), (max(s_end, c_start), c_end)):
            if right > left:
                gap_y.append(client.span_id)
                gap_base.append(_ms(left - t0))
                gap_x.append(_ms(right - left))
                gap_text.append(text)
    if gap_y:
        fig.add_trace(
            go.Bar(
                name="gap",
                orientation="h",
                y=gap_y,
                base=gap_base,
                x=gap_x,
                width=0.35,
                marker={"color": GAP, "pattern": {"shape": "/"}},
                opacity=0.9,
                hovertext=gap_text,
                hovertemplate="%{hovertext}<extra>gap</extra>",
            ),
            row=1,
            col=1,
        )
    crashes = document.crashes or []
    if crashes:
        anchor_ids = [s.span_id for s, _ in lanes["client"]] or [s.span_id for s, _ in ordered]
        fig.add_trace(
            go.Scatter(
                name="crash",
                mode="markers",
                marker={"symbol": "x", "size": 14, "color": CRASH},
                x=[_ms(int(c.time_unix_nano or t0) - t0) for c in crashes],
                y=[
                    c.span_id if c.span_id in by_id and by_id[c.span_id].side == "client" else anchor_ids[0]
                    for c in crashes
                ],
                hovertext=[label(f"{c.exception_type or 'crash'} · {c.crash_id}") for c in crashes],
                hovertemplate="%{hovertext}<extra>crash</extra>",
            ),
            row=1,
            col=1,
        )
    fig.update_layout(**LAYOUT, barmode="overlay", height=height, title="Waterfall (skew-corrected)")
    fig.update_xaxes(title_text="ms since trace start (device clock)", row=len(rows), col=1)
    return fig


# ---------------------------------------------------------------- session timeline


def session_timeline(document: Session, screens: pl.DataFrame, limit: int = 150) -> go.Figure:
    """A session on one time axis (seconds since its start): screens, requests, crashes.

    Series: ``screen`` (one bar per visit on the "screens" row), ``request`` and ``request error``
    (one row per trace, keyed by trace id), ``crash`` (markers on the "crashes" row).
    """
    t0 = int(document.start_time_unix_nano or 0)
    traces = list(document.traces or [])[:limit]
    crashes = list(document.crashes or [])
    categories = ["screens", *[t.trace_id for t in traces], "crashes"]
    ticktext = ["screens", *[label(t.name or t.trace_id[:12], 40) for t in traces], "crashes"]
    fig = go.Figure()
    if not screens.is_empty():
        visits = screens.with_columns(
            pl.col("start_ns").shift(-1).fill_null(pl.col("end_ns")).alias("next_ns")
        )
        ends = [max(int(e), int(n)) for e, n in zip(visits["end_ns"], visits["next_ns"], strict=True)]
        fig.add_trace(
            go.Bar(
                name="screen",
                orientation="h",
                y=["screens"] * visits.height,
                base=[(int(s) - t0) / 1e9 for s in visits["start_ns"]],
                x=[(end - int(s)) / 1e9 for s, end in zip(visits["start_ns"], ends, strict=True)],
                text=[label(s, 30) for s in visits["screen"]],
                textposition="inside",
                insidetextanchor="middle",
                marker={"color": "#c6dbef", "line": {"color": "#6baed6", "width": 1}},
                hovertemplate="%{text}<extra>screen</extra>",
            )
        )
    for series, keep, color in (("request", False, CLIENT), ("request error", True, ERROR)):
        chosen = [t for t in traces if bool(t.has_error) == keep]
        if chosen:
            fig.add_trace(
                go.Bar(
                    name=series,
                    orientation="h",
                    y=[t.trace_id for t in chosen],
                    base=[(int(t.start_time_unix_nano) - t0) / 1e9 for t in chosen],
                    x=[max(int(t.duration_ns), 1) / 1e9 for t in chosen],
                    marker={"color": color},
                    customdata=[[label(t.name), _ms(int(t.duration_ns))] for t in chosen],
                    hovertemplate="%{customdata[0]} · %{customdata[1]:.1f} ms<extra>" + series + "</extra>",
                )
            )
    if crashes:
        fig.add_trace(
            go.Scatter(
                name="crash",
                mode="markers",
                y=["crashes"] * len(crashes),
                x=[(int(c.time_unix_nano or t0) - t0) / 1e9 for c in crashes],
                marker={"symbol": "x", "size": 14, "color": CRASH},
                hovertext=[label(c.exception_type or "crash") for c in crashes],
                hovertemplate="%{hovertext}<extra>crash</extra>",
            )
        )
    fig.update_yaxes(
        type="category",
        categoryorder="array",
        categoryarray=categories,
        autorange="reversed",
        tickmode="array",
        tickvals=categories,
        ticktext=ticktext,
    )
    fig.update_layout(
        **LAYOUT, barmode="overlay", height=180 + 22 * len(categories), title="Session timeline"
    )
    fig.update_xaxes(title_text="seconds since session start (device clock)")
    return fig


# ---------------------------------------------------------------- latency


def latency_over_time(frame: pl.DataFrame) -> go.Figure:
    """Client vs server percentiles per route over time: one panel per route.

    Series named ``client p50|p95|p99`` (solid) and ``server p50|p95|p99`` (dashed); each series'
    ``meta`` is its route. Values in ms; x is the bucket start (UTC).
    """
    routes = (
        list(dict.fromkeys(frame.sort("requests", descending=True)["route"].to_list()))
        if frame.height
        else []
    )
    routes.sort(key=lambda r: -int(frame.filter(pl.col("route") == r)["requests"].sum()))
    fig = make_subplots(
        rows=max(len(routes), 1),
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.08,
        subplot_titles=[label(r) for r in routes] or ["no requests in this window"],
    )
    dashes = {"p50": "dot", "p95": "dash", "p99": "solid"}
    widths = {"p50": 1.2, "p95": 1.6, "p99": 2.4}
    for row, route in enumerate(routes, start=1):
        part = frame.filter(pl.col("route") == route).sort("bucket_ns")
        x = [plot_time(b) for b in part["bucket_ns"]]
        for side, color in (("client", CLIENT), ("server", BACKEND)):
            for pct in PERCENTILES:
                name = f"{side} {pct}"
                fig.add_trace(
                    go.Scatter(
                        name=name,
                        legendgroup=name,
                        showlegend=row == 1,
                        meta=label(route),
                        x=x,
                        y=part[f"{side}_{pct}_ms"].to_list(),
                        mode="lines+markers",
                        line={"color": color, "dash": dashes[pct], "width": widths[pct]},
                        hovertemplate="%{meta}<br>%{x}<br>" + name + " %{y:.1f} ms<extra></extra>",
                    ),
                    row=row,
                    col=1,
                )
        fig.update_yaxes(title_text="ms", row=row, col=1, rangemode="tozero")
    fig.update_layout(
        **LAYOUT, height=140 + 230 * max(len(routes), 1), title="Client vs server latency per route over time"
    )
    return fig


def breakdown(frame: pl.DataFrame, dimension: str, title: str) -> go.Figure:
    """Grouped bars per key of one dimension: ``client p50|p95|p99`` and ``server p50|p95|p99`` (ms)."""
    part = frame.filter(pl.col("dimension") == dimension).sort("requests", descending=True).head(25)
    keys = [label(k or "(unknown)", 40) for k in part["key"]]
    fig = go.Figure()
    for side, color in (("client", CLIENT), ("server", BACKEND)):
        for index, pct in enumerate(PERCENTILES):
            name = f"{side} {pct}"
            fig.add_trace(
                go.Bar(
                    name=name,
                    x=keys,
                    y=part[f"{side}_{pct}_ms"].to_list(),
                    marker={"color": color},
                    opacity=(0.45, 0.7, 1.0)[index],
                    customdata=part["requests"].to_list(),
                    hovertemplate="%{x}<br>" + name + " %{y:.1f} ms · %{customdata} requests<extra></extra>",
                )
            )
    fig.update_layout(**LAYOUT, barmode="group", height=360, title=title, yaxis_title="ms")
    return fig


def gap_distribution(histogram: pl.DataFrame) -> go.Figure:
    """The gap (client minus server duration) as a histogram; series ``requests``."""
    centers = [(lo + hi) / 2 for lo, hi in zip(histogram["lower_ms"], histogram["upper_ms"], strict=True)]
    widths = [max(hi - lo, 1e-3) for lo, hi in zip(histogram["lower_ms"], histogram["upper_ms"], strict=True)]
    fig = go.Figure(
        go.Bar(
            name="requests",
            x=centers,
            width=widths,
            y=[round(v, 2) for v in histogram["requests"]],
            marker={"color": GAP},
            hovertemplate="gap ≈ %{x:.1f} ms<br>%{y:.0f} requests<extra></extra>",
        )
    )
    fig.update_layout(
        **LAYOUT,
        height=320,
        title="Gap distribution (client minus server, ms)",
        xaxis_title="gap ms",
        yaxis_title="requests",
        bargap=0.02,
    )
    return fig


# ---------------------------------------------------------------- versions


def _versions_per_os(
    rows: Sequence[VersionRow],
) -> Iterator[tuple[str, list[VersionRow]]]:
    """(OS, its version rows by weekly share, largest first) for each OS in name order."""
    for os_name in sorted({str(r.os_name or "?") for r in rows}):
        yield (
            os_name,
            sorted((r for r in rows if str(r.os_name or "?") == os_name), key=lambda r: -float(r.share)),
        )


def version_share(rows: Sequence[VersionRow]) -> go.Figure:
    """Weekly active share (%) per app version, one series per OS, and the 0.5% retirement line.

    Log y axis, so small versions stay visible. The line is a layout shape at y = 0.5 plus a
    ``retirement line (0.5%)`` series for the legend.
    """
    fig = go.Figure()
    for os_name, part in _versions_per_os(rows):
        fig.add_trace(
            go.Bar(
                name=label(os_name),
                x=[label(r.app_version or "(unknown)") for r in part],
                y=[round(float(r.share) * 100, 4) for r in part],
                customdata=[int(r.sessions or 0) for r in part],
                hovertemplate="%{x}<br>%{y:.2f}% of weekly sessions · %{customdata} sessions<extra>"
                + label(os_name)
                + "</extra>",
            )
        )
    labels = [label(r.app_version or "(unknown)") for r in rows]
    if labels:
        fig.add_trace(
            go.Scatter(
                name="retirement line (0.5%)",
                mode="lines",
                x=[labels[0], labels[-1]],
                y=[RETIREMENT_SHARE * 100] * 2,
                line={"color": ERROR, "dash": "dash"},
                hoverinfo="skip",
            )
        )
    fig.add_hline(y=RETIREMENT_SHARE * 100, line_dash="dash", line_color=ERROR)
    fig.update_layout(
        **LAYOUT,
        barmode="group",
        height=380,
        title="Weekly active share per app version (log scale)",
        yaxis={
            "title": {"text": "% of weekly active sessions"},
            "type": "log",
            "tickvals": [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 50, 100],
        },
    )
    return fig


def crash_free(rows: Sequence[VersionRow]) -> go.Figure:
    """Crash-free sessions (%) per app version, one series per OS."""
    fig = go.Figure()
    for os_name, part in _versions_per_os(rows):
        fig.add_trace(
            go.Bar(
                name=label(os_name),
                x=[label(r.app_version or "(unknown)") for r in part],
                y=[round(float(r.crash_free_sessions) * 100, 3) for r in part],
                hovertemplate="%{x}<br>%{y:.2f}% crash-free<extra>" + label(os_name) + "</extra>",
            )
        )
    fig.update_layout(
        **LAYOUT,
        barmode="group",
        height=360,
        title="Crash-free sessions per app version",
        yaxis_title="% crash-free sessions",
        yaxis_range=[0, 100.5],
    )
    return fig


# ---------------------------------------------------------------- crashes


def crash_groups(groups: Sequence[CrashGroup], top: int = 15) -> go.Figure:
    """Top crash groups by crash count; series ``crashes``, one bar per group keyed by group id."""
    chosen = list(groups)[:top]
    ids = [str(g.group_id) for g in chosen]
    fig = go.Figure(
        go.Bar(
            name="crashes",
            orientation="h",
            y=ids,
            x=[int(g.count or 0) for g in chosen],
            marker={"color": CRASH},
            customdata=[[label(g.title or g.exception_type, 120), int(g.sessions or 0)] for g in chosen],
            hovertemplate="%{customdata[0]}<br>%{x} crashes · %{customdata[1]} sessions<extra></extra>",
        )
    )
    fig.update_yaxes(
        type="category",
        autorange="reversed",
        tickmode="array",
        tickvals=ids,
        ticktext=[label(g.title or g.exception_type, 60) for g in chosen],
    )
    fig.update_layout(
        **LAYOUT, height=160 + 28 * max(len(chosen), 1), title="Top crash groups", xaxis_title="crashes"
    )
    fig.update_layout(margin={"l": 360})
    return fig


def crash_trend(frame: pl.DataFrame, top_versions: int = 10) -> go.Figure:
    """Crashes per time bucket as bars stacked by app version (the busiest ``top_versions``)."""
    fig = go.Figure()
    if frame.height:
        totals = (
            frame.group_by("app_version")
            .agg(pl.col("crashes").sum())
            .sort(["crashes", "app_version"], descending=[True, False])
        )
        versions = totals["app_version"].head(top_versions).to_list()
        buckets = sorted(set(frame["bucket_ns"].to_list()))
        grid = pl.DataFrame({"bucket_ns": buckets}, schema={"bucket_ns": pl.Int64})
        for version in versions:
            part = grid.join(frame.filter(pl.col("app_version") == version), on="bucket_ns", how="left")
            part = part.with_columns(pl.col("crashes").fill_null(0)).sort("bucket_ns")
            fig.add_trace(
                go.Bar(
                    name=label(version),
                    x=[plot_time(b) for b in part["bucket_ns"]],
                    y=part["crashes"].to_list(),
                    hovertemplate="%{x}<br>%{y} crashes<extra>" + label(version) + "</extra>",
                )
            )
    fig.update_layout(
        **LAYOUT,
        height=360,
        title="Crashes over time per app version",
        yaxis_title="crashes",
        yaxis_rangemode="tozero",
        barmode="stack",
    )
    return fig
