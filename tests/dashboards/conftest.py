"""One private live server per test package, loaded with the dashboard fleet over OTLP/HTTP.

The dashboards aggregate everything stored, so these tests keep their own server (the shared
one holds other tests' data).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import LiveServer, start_server
from tests.dashboards.fleet import FILLER_SESSIONS, Fleet, build_fleet

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "dashboards"


@pytest.fixture(scope="package")
def fleet() -> Fleet:
    return build_fleet()


@pytest.fixture(scope="package")
def loaded(tmp_path_factory: pytest.TempPathFactory, fleet: Fleet) -> Iterator[LiveServer]:
    live = start_server(tmp_path_factory.mktemp("dashboards"))
    try:
        for body in fleet.trace_bodies:
            assert live.post("/v1/traces", body).status_code == 200
        for body in fleet.log_bodies:
            assert live.post("/v1/logs", body).status_code == 200
        paired = len(fleet.requests)

        def ready() -> bool:
            latency = live.get("/api/v1/latency", group_by="os_name")
            groups = live.get("/api/v1/crash-groups")
            sessions = live.get("/api/v1/sessions", limit="1000")
            return (
                latency.status_code == 200
                and sum(r["count"] for r in latency.json()["rows"]) == paired
                and groups.status_code == 200
                and len(groups.json()["groups"]) == 1
                and sessions.status_code == 200
                and len(sessions.json()["sessions"]) >= FILLER_SESSIONS + 3
            )

        live.wait_for(ready, timeout=60)
        yield live
    finally:
        live.stop()


def get(live: LiveServer, path: str, **params: str) -> httpx.Response:
    return httpx.get(live.api + path, params=params or None, timeout=60, follow_redirects=False)
