"""The pages over plain HTTP: read auth, 404/400 pages, search redirects, escaping, filters, and
the static export (self-contained files that reference no external URL)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest

from tests.conftest import LiveServer, start_server
from tests.dashboards.conftest import get
from tests.dashboards.fleet import HOSTILE_NAME, HOSTILE_VALUE, Fleet
from tracebridge.domain import MAX_SESSION_ID_LENGTH

PAGES = (
    "/",
    "/dashboards/latency",
    "/dashboards/versions",
    "/dashboards/crashes",
    "/traces/" + "ab" * 16,
    "/sessions/some-session",
    "/search?q=x",
)


@pytest.fixture(scope="module")
def locked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = start_server(
        tmp_path_factory.mktemp("dashboards-auth"), env={"TRACEBRIDGE_READ_TOKENS": "page-token"}
    )
    yield live
    live.stop()


@pytest.mark.parametrize("path", PAGES)
def test_pages_need_the_read_token(locked: LiveServer, path: str) -> None:
    anonymous = httpx.get(locked.api + path)
    assert anonymous.status_code == 401 and anonymous.headers["www-authenticate"] == "Bearer"
    assert 'id="signin"' in anonymous.text and 'name="next" value="/' in anonymous.text
    assert httpx.get(locked.api + path, headers={"Authorization": "Bearer wrong"}).status_code == 403
    answer = httpx.get(locked.api + path, headers={"Authorization": "Bearer page-token"})
    assert answer.status_code in (200, 404)
    assert answer.headers["content-type"].startswith("text/html")


def test_static_files_hold_no_data_and_need_no_token(locked: LiveServer) -> None:
    for name, kind in (
        ("plotly.min.js", "javascript"),
        ("tracebridge.js", "javascript"),
        ("tracebridge.css", "css"),
    ):
        answer = httpx.get(f"{locked.api}/static/{name}")
        assert answer.status_code == 200 and kind in answer.headers["content-type"]
    assert httpx.get(f"{locked.api}/static/../settings.py").status_code == 404
    assert httpx.get(f"{locked.api}/static/secrets.txt").status_code == 404


def test_export_with_token(locked: LiveServer, tmp_path: Path) -> None:
    from tracebridge.dashboards.export import export_dashboards

    assert export_dashboards(locked.api, tmp_path / "no", None) == 1
    assert export_dashboards(locked.api, tmp_path / "yes", "page-token") == 0
    assert (tmp_path / "yes" / "latency.html").exists()


def test_unknown_ids_are_404_pages(loaded: LiveServer) -> None:
    for path in (
        "/traces/" + "ab" * 16,
        "/sessions/no-such-session",
        "/sessions/with%2Fslash%20and%20space",
        "/search?q=no-such-thing",
    ):
        answer = get(loaded, path)
        assert answer.status_code == 404, path
        assert answer.headers["content-type"].startswith("text/html") and "Not found" in answer.text


def test_malformed_ids_are_400_pages(loaded: LiveServer) -> None:
    for path in (
        "/traces/xyz",
        "/traces/" + "0" * 32,
        "/traces/" + "a" * 33,
        "/sessions/a%01b",
        "/sessions/" + "s" * (MAX_SESSION_ID_LENGTH + 1),
        "/search?q=",
    ):
        answer = get(loaded, path)
        assert answer.status_code == 400, path
        assert "Bad request" in answer.text


def test_search_redirects_to_trace_or_session(loaded: LiveServer, fleet: Fleet) -> None:
    answer = get(loaded, "/search", q=fleet.crash_trace.upper())
    assert answer.status_code == 303 and answer.headers["location"] == f"/traces/{fleet.crash_trace}"
    answer = get(loaded, "/search", q=fleet.android_session)  # 32 hex digits, but no trace has that id
    assert answer.status_code == 303 and answer.headers["location"] == f"/sessions/{fleet.android_session}"
    answer = get(loaded, "/search", q=fleet.ios_session)
    assert answer.status_code == 303 and answer.headers["location"] == f"/sessions/{fleet.ios_session}"
    assert (
        get(loaded, "/search", q=fleet.ios_session.lower()).status_code == 404
    )  # session ids are case-sensitive


def test_telemetry_text_is_escaped(loaded: LiveServer, fleet: Fleet) -> None:
    text = get(loaded, f"/traces/{fleet.hostile_trace}").text
    assert HOSTILE_NAME not in text and HOSTILE_VALUE not in text
    assert "&lt;img src=x onerror=&quot;window.__xss=1&quot;&gt;" in text
    assert "window.__xss=2" in text  # shown, as text inside <pre>, escaped


@pytest.mark.parametrize(
    ("path", "word"),
    [
        ("/dashboards/latency?bogus=1", "bogus"),
        ("/dashboards/latency?since=yesterday", "since"),
        ("/dashboards/crashes?route=x", "route"),
        ("/dashboards/versions?until=soon", "until"),
        ("/dashboards/latency?since=2025-11-25&until=2025-11-24", "since"),
    ],
)
def test_bad_filters_are_400_pages_naming_them(loaded: LiveServer, path: str, word: str) -> None:
    answer = get(loaded, path)
    assert answer.status_code == 400 and word in answer.text


def test_filters_narrow_the_window(loaded: LiveServer) -> None:
    text = get(loaded, "/dashboards/latency", since="2025-11-24T16:00:30Z").text
    assert "6 paired requests" in text  # the catalog's 5 requests start before 16:00:30
    assert "11 paired requests" in get(loaded, "/dashboards/latency").text


class _References(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.urls.extend(value or "" for name, value in attrs if name in ("src", "href", "action"))


def test_cli_export_writes_self_contained_files(loaded: LiveServer, tmp_path: Path) -> None:
    out = tmp_path / "export"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "tracebridge.cli",
            "dashboards",
            "export",
            "--out",
            str(out),
            "--api",
            loaded.api,
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    names = sorted(p.name for p in out.iterdir())
    assert names == ["crashes.html", "index.html", "latency.html", "versions.html"]
    for path in out.iterdir():
        parser = _References()
        parser.feed(path.read_text(encoding="utf-8"))
        assert "form" not in parser.tags and "iframe" not in parser.tags
        local = ("index.html", "latency.html", "versions.html", "crashes.html", "data:,")
        assert all(url in local for url in parser.urls), (path.name, parser.urls)
    latency = (out / "latency.html").read_text(encoding="utf-8")
    assert "Plotly.newPlot" in latency and '"client p99"' in latency


def test_cli_export_reports_an_unreachable_server(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "tracebridge.cli",
            "dashboards",
            "export",
            "--out",
            str(tmp_path / "x"),
            "--api",
            "http://127.0.0.1:9",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1 and "cannot reach" in result.stderr
    assert not (tmp_path / "x").exists()


def test_pages_of_an_empty_store(server_factory: Callable[..., LiveServer]) -> None:
    empty = server_factory()
    for path in ("/", "/dashboards/latency", "/dashboards/versions", "/dashboards/crashes"):
        answer = httpx.get(empty.api + path, timeout=60)
        assert answer.status_code == 200, (path, answer.text[:500])
    assert "no client activity stored yet" in httpx.get(empty.api + "/dashboards/versions").text
    assert "0 paired requests" in httpx.get(empty.api + "/dashboards/latency").text
