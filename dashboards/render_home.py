"""The home page: id search, recent sessions, sessions with crashes, dashboard links."""

from __future__ import annotations

from collections.abc import Sequence

from tracebridge.dashboards.html import Column, Markup, badge, esc, fmt_time, link, page, session_href, table
from tracebridge.query.models import SessionSummary

SESSION_COLUMNS = (
    Column("session"),
    Column("started"),
    Column("app version"),
    Column("OS"),
    Column("device"),
    Column("traces", True),
    Column("spans", True),
    Column("errors"),
    Column("crashes", True),
)


def sessions_table(sessions: Sequence[SessionSummary], css_id: str) -> Markup:
    rows = []
    for s in sessions:
        os_text = " ".join(str(v) for v in (s.os_name, s.os_version) if v)
        rows.append(
            (
                link(session_href(str(s.session_id)), s.session_id, "mono"),
                fmt_time(s.start_time_unix_nano),
                s.app_version or "",
                os_text,
                s.device_model or "",
                s.trace_count,
                s.span_count,
                badge("error", "error") if s.has_error else "",
                badge(s.crash_count, "crash") if s.crash_count else "0",
            )
        )
    return table(SESSION_COLUMNS, rows, css_id=css_id)


def home_page(recent: Sequence[SessionSummary], crashed: Sequence[SessionSummary], message: str = "") -> str:
    notice = Markup(f'<div class="problem">{esc(message)}</div>') if message else Markup("")
    body = Markup(
        "<h1>tracebridge</h1>"
        f"{notice}"
        '<form class="search" id="home-search" action="/search" method="get" role="search">'
        '<input name="q" placeholder="trace id (32 hex digits) or session id" aria-label="trace or session id" required> '
        '<button type="submit">Open</button></form>'
        '<h2>Dashboards</h2><ul id="dashboard-links">'
        '<li><a href="/dashboards/latency">Latency: client vs server per route, the gap, breakdowns</a></li>'
        '<li><a href="/dashboards/versions">Versions: weekly active share, the 0.5% retirement line, crash-free sessions</a></li>'
        '<li><a href="/dashboards/crashes">Crashes: top crash groups and their trend per version</a></li></ul>'
        f"<h2>Recent sessions</h2>{sessions_table(recent, 'recent-sessions')}"
        f"<h2>Sessions with crashes</h2>{sessions_table(crashed, 'crashed-sessions')}"
    )
    return page("Home", body)
