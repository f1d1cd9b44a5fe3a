"""``tracebridge dashboards export --out DIR``: the dashboards as static, self-contained HTML files.

Each dashboard is fetched from a running tracebridge (with the read token when one is set) and
made to work from disk with no network: the CSS, the page script and plotly.js are inlined,
links between dashboards point at the sibling files, and the filter and search forms and links
to live-only pages (traces, sessions) are removed. Writes ``index.html``, ``latency.html``,
``versions.html`` and ``crashes.html``.
"""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path

import httpx

from tracebridge.dashboards.assets import asset_text
from tracebridge.dashboards.html import Markup, esc, fmt_time, page

DASHBOARDS = {
    "/dashboards/latency": "latency.html",
    "/dashboards/versions": "versions.html",
    "/dashboards/crashes": "crashes.html",
}
LOCAL_LINKS = {"/": "index.html", **DASHBOARDS}

_FORM = re.compile(r"<form\b.*?</form>", re.S)
_ANCHOR = re.compile(r'<a href="(/[^"]*)"([^>]*)>(.*?)</a>', re.S)
_STYLESHEET = re.compile(r'<link rel="stylesheet" href="/static/([\w.-]+)">')
_SCRIPT = re.compile(r'<script src="/static/([\w.-]+)"( defer)?></script>')


def _inline_script(name: str) -> str:
    text = asset_text(name)
    if "</script" in text.lower():  # would end the element early; never true of the shipped files
        raise ValueError(f"{name} cannot be inlined")
    return f"<script>{text}</script>"


def make_static(html: str, banner: str) -> str:
    """Self-contained HTML from a served page (pure)."""
    html = _FORM.sub("", html)

    def anchor(match: re.Match[str]) -> str:
        target = LOCAL_LINKS.get(match.group(1))
        if target is None:
            return f"<span>{match.group(3)}</span>"
        return f'<a href="{target}"{match.group(2)}>{match.group(3)}</a>'

    html = _ANCHOR.sub(anchor, html)
    html = _STYLESHEET.sub(lambda m: f"<style>{asset_text(m.group(1))}</style>", html)
    html = _SCRIPT.sub(lambda m: _inline_script(m.group(1)), html)
    return html.replace("<main>", f'<main><p class="notice" id="export-banner">{esc(banner)}</p>', 1)


def index_page(api_url: str, exported_at: int) -> str:
    items = "".join(
        f'<li><a href="{target}">{esc(path.rsplit("/", 1)[-1].title())}</a></li>'
        for path, target in DASHBOARDS.items()
    )
    body = Markup(
        f"<h1>tracebridge dashboards</h1><p>Exported {esc(fmt_time(exported_at))} from "
        f"{esc(api_url)}; these files work offline.</p><ul>{items}</ul>"
    )
    return make_static(page("Dashboards", body), "static export")


def export_dashboards(api_url: str, out_dir: Path, token: str | None) -> int:
    """Write the dashboards under ``out_dir``; 0 on success, 1 when a page cannot be fetched."""
    base = api_url.rstrip("/")
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    exported_at = time.time_ns()
    banner = f"Static export of {base}, {fmt_time(exported_at)}: filters and links to traces and sessions need the live server."
    pages: dict[str, str] = {"index.html": index_page(base, exported_at)}
    try:
        with httpx.Client(base_url=base, headers=headers, timeout=120) as client:
            for path, name in DASHBOARDS.items():
                response = client.get(path)
                if response.status_code in (401, 403):
                    print(
                        f"{path}: {response.status_code}: set TRACEBRIDGE_READ_TOKEN to a read token",
                        file=sys.stderr,
                    )
                    return 1
                if response.status_code != 200:
                    print(f"{path}: HTTP {response.status_code}", file=sys.stderr)
                    return 1
                pages[name] = make_static(response.text, banner)
    except httpx.HTTPError as error:
        print(f"cannot reach {base}: {error}", file=sys.stderr)
        return 1
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, html in pages.items():
        (out_dir / name).write_text(html, encoding="utf-8")
        print(out_dir / name)
    return 0
