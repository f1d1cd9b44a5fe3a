"""GET /api/v1/latency and /api/v1/latency/over-time: exact percentiles on known data."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

import pytest

from tests.conftest import LiveServer
from tests.query.builders import Request, build, poll_json, send, unique
from tests.telemetry import BASE_TIME, MS, SECOND, android_resource, ios_resource


def percentile_inc(values: Sequence[int], p: float) -> float:
    """Excel PERCENTILE.INC / numpy 'linear': interpolate between the closest ranks."""
    ordered = sorted(values)
    h = (len(ordered) - 1) * p
    lo = int(h)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (h - lo) * (ordered[hi] - ordered[lo])


def expected_row(key: str, reqs: Sequence[Request]) -> dict[str, Any]:
    client = [r.client_ns for r in reqs]
    server = [r.server_ns or 0 for r in reqs]
    gap = [c - s for c, s in zip(client, server, strict=True)]
    row: dict[str, Any] = {"key": key, "count": len(reqs)}
    for name, values in (("client", client), ("server", server), ("gap", gap)):
        for p in (50, 95, 99):
            row[f"{name}_p{p}_ms"] = pytest.approx(percentile_inc(values, p / 100) / MS, abs=0.0011)
    return row


@pytest.fixture(scope="module")
def dataset(server: LiveServer) -> dict[str, Any]:
    """20 requests with known durations on one unique route: 12 from Android (4 of them on LTE, 8
    on wifi, served by "orders"), 8 from iOS (served by "search"), plus one request that never
    reached the backend. Sent backend first and twice, to show duplicates and order don't count."""
    rng = random.Random(20251124)
    route = f"/{unique('lat')}/{{id}}"
    version = unique("9.9")
    android_reqs, ios_reqs = [], []
    for i in range(12):
        server_ns = rng.randint(5, 900) * MS + rng.randint(0, 999_999)
        client_ns = server_ns + rng.randint(10, 700) * MS
        attrs = {"network.connection.type": "cell", "network.connection.subtype": "lte"} if i < 4 else {}
        android_reqs.append(
            Request(
                BASE_TIME + i * SECOND,
                client_ns=client_ns,
                server_ns=server_ns,
                server_offset=(client_ns - server_ns) // 3,
                skew=(i - 6) * 60 * SECOND,
                route=route,
                path=route.replace("{id}", str(i)),
                client_attributes=attrs,
            )
        )
    for i in range(8):
        server_ns = rng.randint(5, 900) * MS
        client_ns = server_ns + rng.randint(10, 2000) * MS
        ios_reqs.append(
            Request(
                BASE_TIME + (100 + i) * SECOND,
                client_ns=client_ns,
                server_ns=server_ns,
                server_offset=1 * MS,
                route=route,
                path=route.replace("{id}", "7"),
                service="search",
            )
        )
    lost = Request(BASE_TIME + 50 * SECOND, client_ns=10 * SECOND, server_ns=None, route=route, path="/x/1")
    android = build(android_resource(app_version=version), BASE_TIME, 60 * SECOND, [*android_reqs, lost])
    ios = build(ios_resource(app_version=version), BASE_TIME + 100 * SECOND, 60 * SECOND, ios_reqs)
    for built in (android, ios):
        send(server, built.backend)
        send(server, built.client)
        send(server, built.backend)
        send(server, built.client)
    poll_json(
        server, "/api/v1/latency", lambda d: sum(r["count"] for r in d["rows"]) == 20, app_version=version
    )
    return {"route": route, "version": version, "android": android_reqs, "ios": ios_reqs}


def test_percentiles_per_route_are_exact(server: LiveServer, dataset: dict[str, Any]) -> None:
    body = server.get("/api/v1/latency", group_by="route", app_version=dataset["version"]).json()
    assert body["group_by"] == "route"
    assert body["rows"] == [expected_row(dataset["route"], dataset["android"] + dataset["ios"])]


def test_group_by_os_network_service_and_version(server: LiveServer, dataset: dict[str, Any]) -> None:
    android, ios = dataset["android"], dataset["ios"]
    by_os = server.get("/api/v1/latency", group_by="os_name", route=dataset["route"]).json()["rows"]
    assert by_os == [expected_row("Android", android), expected_row("iOS", ios)]
    by_service = server.get("/api/v1/latency", group_by="service_name", route=dataset["route"]).json()["rows"]
    assert by_service == [expected_row("orders", android), expected_row("search", ios)]
    by_net = server.get("/api/v1/latency", group_by="network_type", route=dataset["route"], os_name="Android")
    assert by_net.json()["rows"] == [expected_row("wifi", android[4:]), expected_row("lte", android[:4])]
    by_version = server.get("/api/v1/latency", group_by="app_version", route=dataset["route"]).json()["rows"]
    assert by_version == [expected_row(dataset["version"], android + ios)]


def test_time_filters_apply_to_the_client_start(server: LiveServer, dataset: dict[str, Any]) -> None:
    # requests i = 5..9 start at BASE + i s on the device clock; backend clocks are minutes off
    rows = server.get(
        "/api/v1/latency",
        route=dataset["route"],
        since=str(BASE_TIME + 5 * SECOND),
        until="2025-11-24T16:00:09Z",
    ).json()["rows"]
    assert rows == [expected_row(dataset["route"], dataset["android"][5:10])]
    assert server.get("/api/v1/latency", route=dataset["route"], since="2030-01-01").json()["rows"] == []


def test_latency_over_time(server: LiveServer, dataset: dict[str, Any]) -> None:
    body = server.get("/api/v1/latency/over-time", bucket_seconds="10", app_version=dataset["version"]).json()
    assert body["bucket_seconds"] == 10
    rows = body["rows"]
    assert [(r["route"], r["bucket_start_unix_nano"], r["count"]) for r in rows] == [
        (dataset["route"], BASE_TIME, 10),
        (dataset["route"], BASE_TIME + 10 * SECOND, 2),
        (dataset["route"], BASE_TIME + 100 * SECOND, 8),
    ]
    expected = expected_row(dataset["route"], dataset["android"][:10])
    assert {k: v for k, v in rows[0].items() if k.endswith("_ms")} == {
        k: v for k, v in expected.items() if k.endswith("_ms")
    }


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"group_by": "device"}, "group_by"),
        ({"colour": "red"}, "colour"),
        ({"since": "yesterday"}, "since"),
        ({"since": "2025-02-01", "until": "2025-01-01"}, "since"),
    ],
)
def test_bad_parameters_are_400_naming_them(server: LiveServer, params: dict[str, str], named: str) -> None:
    response = server.get("/api/v1/latency", **params)
    assert response.status_code == 400
    assert named in response.json()["detail"]


def test_bad_bucket_is_400(server: LiveServer) -> None:
    response = server.get("/api/v1/latency/over-time", bucket_seconds="0")
    assert response.status_code == 400 and "bucket_seconds" in response.text
    assert server.get("/api/v1/latency/over-time", group_by="route").status_code == 400
