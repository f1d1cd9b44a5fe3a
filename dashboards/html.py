"""HTML building blocks for the pages: escaping, the page frame, tables and number formats.

Everything that comes from telemetry (span names, attributes, versions, ids) is untrusted: it
only ever reaches a page through ``esc`` (text and attribute values) or ``figure_html`` (JSON
with ``<``, ``>`` and ``/`` escaped by plotly), never through string concatenation of raw text.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlencode

import plotly.graph_objects as go

STATIC_PREFIX = "/static"
NAV = (
    ("/", "Home"),
    ("/dashboards/latency", "Latency"),
    ("/dashboards/versions", "Versions"),
    ("/dashboards/crashes", "Crashes"),
    ("/dashboards/flags", "Flags"),
)


class Markup(str):
    """Text that is already HTML (built here from escaped parts); ``esc`` passes it through."""


def esc(value: Any) -> Markup:
    """HTML-escaped text of any value (quotes too, so it is safe inside attribute values)."""
    if isinstance(value, Markup):
        return value
    return Markup(html.escape("" if value is None else str(value), quote=True))


def join(parts: Iterable[Any]) -> Markup:
    return Markup("".join(esc(p) for p in parts))


def link(href: str, text: Any, css: str = "") -> Markup:
    """An anchor; ``href`` is escaped as an attribute, ``text`` as text."""
    klass = f' class="{esc(css)}"' if css else ""
    return Markup(f'<a href="{esc(href)}"{klass}>{esc(text)}</a>')


def trace_href(trace_id: str) -> str:
    return "/traces/" + quote(trace_id, safe="")


def session_href(session_id: str) -> str:
    return "/sessions/" + quote(session_id, safe="")


def query_href(path: str, params: Mapping[str, Any]) -> str:
    kept = {k: str(v) for k, v in params.items() if v not in (None, "")}
    return path + ("?" + urlencode(kept) if kept else "")


def badge(text: Any, css: str = "") -> Markup:
    return Markup(f'<span class="badge {esc(css)}">{esc(text)}</span>')


@dataclass(frozen=True)
class Column:
    """A table column: header text, and whether cells are right-aligned numbers."""

    title: str
    numeric: bool = False


def table(
    columns: Sequence[Column],
    rows: Iterable[Sequence[Any]],
    row_classes: Iterable[str] | None = None,
    css_id: str = "",
) -> Markup:
    """A table; cells are escaped unless they are ``Markup``."""
    head = "".join(f'<th class="{"num" if c.numeric else ""}">{esc(c.title)}</th>' for c in columns)
    classes = list(row_classes) if row_classes is not None else None
    body = []
    for index, row in enumerate(rows):
        cells = "".join(
            f'<td class="{"num" if col.numeric else ""}">{esc(cell)}</td>'
            for col, cell in zip(columns, row, strict=False)
        )
        klass = (
            f' class="{esc(classes[index])}"' if classes and index < len(classes) and classes[index] else ""
        )
        body.append(f"<tr{klass}>{cells}</tr>")
    if not body:
        body.append(f'<tr><td colspan="{len(columns)}" class="muted">nothing to show</td></tr>')
    ident = f' id="{esc(css_id)}"' if css_id else ""
    return Markup(f"<table{ident}><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>")


def figure_html(figure_id: str, figure: go.Figure) -> Markup:
    """A chart placeholder plus its figure as JSON; /static/tracebridge.js draws it with plotly.js.

    ``to_json`` escapes ``<``, ``>`` and ``/``, so telemetry text cannot close the script element.
    """
    data_id = f"{figure_id}-data"
    return Markup(
        f'<div class="chart" id="{esc(figure_id)}" data-figure="{esc(data_id)}"></div>'
        f'<script type="application/json" id="{esc(data_id)}">{figure.to_json()}</script>'
    )


def page(title: str, body: Markup, charts: bool = False) -> str:
    """The page frame: local CSS, navigation with the id search box, and plotly.js when charted."""
    nav = "".join(f'<a href="{href}">{esc(text)}</a>' for href, text in NAV)
    scripts = ""
    if charts:
        scripts = (
            f'<script src="{STATIC_PREFIX}/plotly.min.js"></script>'
            f'<script src="{STATIC_PREFIX}/tracebridge.js" defer></script>'
        )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)} · tracebridge</title>"
        '<link rel="icon" href="data:,">'
        f'<link rel="stylesheet" href="{STATIC_PREFIX}/tracebridge.css">{scripts}</head><body>'
        f'<header class="top"><a href="/" class="brand">tracebridge</a>{nav}'
        '<form class="search" action="/search" method="get" role="search">'
        '<input name="q" placeholder="trace id or session id" aria-label="trace or session id" required>'
        ' <button type="submit">Open</button></form></header>'
        f"<main>{body}</main></body></html>"
    )


def problem_page(title: str, message: str) -> str:
    return page(title, Markup(f'<h1>{esc(title)}</h1><div class="problem">{esc(message)}</div>'))


# ---------------------------------------------------------------- formats


def fmt_ms(nanos: int | float | None) -> str:
    """Nanoseconds as milliseconds with one decimal ("" when unknown)."""
    if nanos is None:
        return ""
    return f"{float(nanos) / 1e6:,.1f}"


def plot_time(nanos: int) -> str:
    """Unix nanoseconds as a plotly date string (UTC, milliseconds)."""
    moment = datetime.fromtimestamp(int(nanos) / 1e9, tz=UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S.") + f"{moment.microsecond // 1000:03d}"


def fmt_time(nanos: int | None) -> str:
    """Unix nanoseconds as UTC wall time with milliseconds."""
    return "" if nanos is None else plot_time(nanos) + " UTC"


def fmt_pct(fraction: float | None, digits: int = 2) -> str:
    if fraction is None:
        return ""
    return f"{float(fraction) * 100:.{digits}f}%"
