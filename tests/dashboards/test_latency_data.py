"""The latency dashboard's numbers agree with the query API (one latency query, exact percentiles)."""

from __future__ import annotations

import json
import re

import pytest

from tests.conftest import LiveServer
from tests.dashboards.conftest import get


def _figure(html: str, chart_id: str) -> dict[str, object]:
    match = re.search(rf'<script type="application/json" id="{chart_id}-data">(.*?)</script>', html, re.S)
    assert match, chart_id
    figure: dict[str, object] = json.loads(match.group(1))
    return figure


@pytest.mark.parametrize(
    ("chart", "group_by"),
    [
        ("by-app-version", "app_version"),
        ("by-os", "os_name"),
        ("by-network", "network_type"),
        ("by-service", "service_name"),
    ],
)
def test_breakdowns_match_the_query_api(loaded: LiveServer, chart: str, group_by: str) -> None:
    html = get(loaded, "/dashboards/latency").text
    figure = _figure(html, chart)
    api = {row["key"]: row for row in loaded.get("/api/v1/latency", group_by=group_by).json()["rows"]}
    series = {trace["name"]: trace for trace in figure["data"]}  # type: ignore[attr-defined]
    assert set(series) == {f"{side} {pct}" for side in ("client", "server") for pct in ("p50", "p95", "p99")}
    for name, trace in series.items():
        field = name.replace(" ", "_") + "_ms"
        drawn = dict(zip(trace["x"], trace["y"], strict=True))
        assert drawn == {key: pytest.approx(row[field], abs=0.01) for key, row in api.items()}


def test_route_table_matches_the_query_api(loaded: LiveServer) -> None:
    html = get(loaded, "/dashboards/latency").text
    table = html[
        html.index('<table id="routes">') : html.index("</table>", html.index('<table id="routes">'))
    ]
    api = loaded.get("/api/v1/latency", group_by="route").json()["rows"]
    for row in api:
        cells = [
            f"{row[f]}" for f in ("count", "client_p50_ms", "client_p99_ms", "server_p99_ms", "gap_p99_ms")
        ]
        for cell in cells:
            assert f">{cell}<" in table, (row["key"], cell)
