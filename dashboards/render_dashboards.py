"""The three dashboards' pages: latency, versions, crashes (figures from ``charts``, data from
``queries``/``sources``, i.e. the query stage)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import polars as pl

from tracebridge.dashboards import charts
from tracebridge.dashboards.html import (
    Column,
    Markup,
    badge,
    esc,
    figure_html,
    fmt_pct,
    fmt_time,
    link,
    page,
    query_href,
    table,
)
from tracebridge.dashboards.latency_data import LatencyEstimate, LatencySummary
from tracebridge.query.filters import LatencyFilters
from tracebridge.query.models import CrashGroup, VersionRow

LATENCY_FILTERS = (
    ("app_version", "app version"),
    ("os_name", "OS"),
    ("network_type", "network"),
    ("service_name", "service"),
    ("route", "route"),
)


def _select(name: str, title: str, options: Sequence[str], current: str) -> Markup:
    values = list(options)
    if current and current not in values:
        values.append(current)
    opts = ['<option value="">(all)</option>'] + [
        f'<option value="{esc(v)}"{" selected" if v == current else ""}>{esc(v)}</option>' for v in values
    ]
    return Markup(f'<label>{esc(title)}<select name="{esc(name)}">{"".join(opts)}</select></label>')


def _time_input(name: str, title: str, raw: Mapping[str, str]) -> Markup:
    value = raw.get(name, "")
    return Markup(
        f'<label>{esc(title)} (RFC 3339 or unix ns)<input name="{esc(name)}" value="{esc(value)}" '
        'placeholder="2025-11-24T16:00:00Z" size="22"></label>'
    )


def _window(first: int | None, last: int | None, filters: LatencyFilters) -> str:
    since = filters.since or first
    until = filters.until or last
    if since is None and until is None:
        return "window: all stored data (none matches yet)"
    scope = "all stored data" if not (filters.since or filters.until) else "chosen window"
    return f"window ({scope}): {fmt_time(since)} to {fmt_time(until)}"


def bucket_seconds(first: int | None, last: int | None, target: int = 48) -> int:
    """A round bucket size giving at most about ``target`` buckets over [first, last]."""
    span_s = max(((last or 0) - (first or 0)) / 1e9, 1.0)
    for step in (1, 5, 10, 30, 60, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 604800):
        if span_s / step <= target:
            return step
    return 2_592_000


def latency_page(
    filters: LatencyFilters,
    raw: Mapping[str, str],
    estimate: LatencyEstimate,
    summary: LatencySummary,
    bucket_s: int,
    extra: Markup = Markup(""),
) -> str:
    breakdown = summary.breakdown
    options = {
        name: sorted(k for k in breakdown.filter(pl.col("dimension") == name)["key"].to_list() if k)
        for name, _ in LATENCY_FILTERS
    }
    selects = "".join(_select(n, t, options.get(n, []), raw.get(n, "")) for n, t in LATENCY_FILTERS)
    form = Markup(
        f'<form class="filters" id="filters" method="get" action="/dashboards/latency">{selects}'
        f"{_time_input('since', 'since', raw)}{_time_input('until', 'until', raw)}"
        '<button type="submit">Apply</button> <a href="/dashboards/latency">reset</a></form>'
    )
    counted = f"{summary.requests} paired requests"
    route_rows = []
    for row in breakdown.filter(pl.col("dimension") == "route").iter_rows(named=True):
        route_rows.append(
            (
                link(
                    query_href("/dashboards/latency", {**raw, "route": row["key"]}), row["key"] or "(unknown)"
                ),
                row["requests"],
                row["client_p50_ms"],
                row["client_p95_ms"],
                row["client_p99_ms"],
                row["server_p50_ms"],
                row["server_p95_ms"],
                row["server_p99_ms"],
                row["gap_p50_ms"],
                row["gap_p99_ms"],
            )
        )
    columns = (
        Column("route"),
        Column("requests", True),
        Column("client p50", True),
        Column("client p95", True),
        Column("client p99", True),
        Column("server p50", True),
        Column("server p95", True),
        Column("server p99", True),
        Column("gap p50", True),
        Column("gap p99", True),
    )
    body = Markup(
        "<h1>Latency: client vs server</h1>"
        f"{form}"
        f'<p class="muted" id="window">{esc(_window(estimate.first_ns, estimate.last_ns, filters))} · '
        f"{esc(counted)} · buckets of {bucket_s} s · all times in ms</p>"
        f"{figure_html('latency-over-time', charts.latency_over_time(summary.over_time))}"
        f"<h2>Per route (ms)</h2>{table(columns, route_rows, css_id='routes')}"
        f"{figure_html('gap-distribution', charts.gap_distribution(summary.histogram))}"
        '<div class="grid2">'
        f"{figure_html('by-app-version', charts.breakdown(breakdown, 'app_version', 'By app version'))}"
        f"{figure_html('by-os', charts.breakdown(breakdown, 'os_name', 'By OS'))}"
        f"{figure_html('by-network', charts.breakdown(breakdown, 'network_type', 'By network type'))}"
        f"{figure_html('by-service', charts.breakdown(breakdown, 'service_name', 'By backend service'))}"
        "</div>"
        f"{extra}"
    )
    return page("Latency", body, charts=True)


def versions_page(
    rows: Sequence[VersionRow], until: int | None, raw: Mapping[str, str], os_options: Sequence[str]
) -> str:
    ordered = sorted(rows, key=lambda r: (str(r.os_name), -float(r.share or 0)))
    table_rows, classes = [], []
    for r in ordered:
        retire = float(r.share or 0) < charts.RETIREMENT_SHARE
        table_rows.append(
            (
                r.app_version or "(unknown)",
                r.os_name or "",
                r.sessions,
                r.devices,
                fmt_pct(r.share),
                fmt_pct(r.crash_free_sessions),
                badge("below 0.5%: can retire", "retire") if retire else "",
            )
        )
        classes.append("retire" if retire else "")
    columns = (
        Column("app version"),
        Column("OS"),
        Column("sessions", True),
        Column("devices", True),
        Column("weekly share", True),
        Column("crash-free sessions", True),
        Column(""),
    )
    form = Markup(
        '<form class="filters" id="filters" method="get" action="/dashboards/versions">'
        f"{_select('os_name', 'OS', os_options, raw.get('os_name', ''))}"
        f"{_time_input('until', 'week ending', raw)}"
        '<button type="submit">Apply</button> <a href="/dashboards/versions">reset</a></form>'
    )
    window = (
        "no client activity stored yet"
        if until is None
        else f"the 7 days before {fmt_time(until)}"
        + ("" if raw.get("until") else " (the latest client activity)")
    )
    body = Markup(
        "<h1>App versions: adoption and health</h1>"
        f'{form}<p class="muted" id="window">window: {esc(window)}</p>'
        f"{figure_html('version-share', charts.version_share(ordered))}"
        f"{figure_html('crash-free', charts.crash_free(ordered))}"
        f"<h2>Versions</h2>{table(columns, table_rows, classes, css_id='versions')}"
    )
    return page("Versions", body, charts=True)


def crashes_page(
    groups: Sequence[CrashGroup],
    trend: pl.DataFrame,
    bucket_s: int,
    raw: Mapping[str, str],
    options: Mapping[str, Sequence[str]],
    extent: tuple[int, int | None, int | None],
    filters: LatencyFilters,
) -> str:
    count, first, last = extent
    rows = []
    for g in groups:
        versions = g.app_versions or {}
        top = ", ".join(f"{v} ({n})" for v, n in sorted(versions.items(), key=lambda kv: -int(kv[1]))[:5])
        rows.append(
            (
                Markup(f'<span class="mono">{esc(g.group_id)}</span>'),
                g.exception_type or "",
                g.title or "",
                g.count,
                g.sessions,
                fmt_time(g.first_seen_unix_nano),
                fmt_time(g.last_seen_unix_nano),
                top,
            )
        )
    columns = (
        Column("group"),
        Column("exception"),
        Column("title"),
        Column("crashes", True),
        Column("sessions", True),
        Column("first seen"),
        Column("last seen"),
        Column("app versions"),
    )
    form = Markup(
        '<form class="filters" id="filters" method="get" action="/dashboards/crashes">'
        f"{_select('app_version', 'app version', options.get('app_version', []), raw.get('app_version', ''))}"
        f"{_select('os_name', 'OS', options.get('os_name', []), raw.get('os_name', ''))}"
        f"{_time_input('since', 'since', raw)}{_time_input('until', 'until', raw)}"
        '<button type="submit">Apply</button> <a href="/dashboards/crashes">reset</a></form>'
    )
    crashed = link(query_href("/", {}), "sessions with crashes on the home page")
    body = Markup(
        "<h1>Crashes</h1>"
        f'{form}<p class="muted" id="window">{esc(_window(first, last, filters))} · {count} crashes · '
        f"buckets of {bucket_s} s · see also {crashed}</p>"
        f"{figure_html('crash-groups', charts.crash_groups(groups))}"
        f"{figure_html('crash-trend', charts.crash_trend(trend))}"
        f"<h2>Crash groups</h2>{table(columns, rows, css_id='groups')}"
    )
    return page("Crashes", body, charts=True)
