"""GET /api/v1/sessions/{id} and the session search on a live server."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest

from tests.conftest import LiveServer
from tests.query.builders import MINUTE, Request, build, poll_json, send, unique
from tests.telemetry import (
    BASE_TIME,
    MS,
    SECOND,
    android_resource,
    backend_resource,
    ios_resource,
    log_record,
    logs_request,
    new_span_id,
    new_trace_id,
    span,
    traces_request,
)


def session_path(session_id: str) -> str:
    return "/api/v1/sessions/" + quote(session_id, safe="")


@pytest.fixture(scope="module")
def sessions(server: LiveServer) -> dict[str, Any]:
    """Two Android sessions whose ids differ only in case, and one iOS session with a crash.

    Session A has three traces sent newest first, the device clock 4 minutes behind, and a fourth
    trace known only from a backend span that got ``session.id`` through baggage."""
    version = unique("7.0")
    a_id = f"Sess/{unique('A')} ?&%"
    b_id = a_id.lower()
    resource_a = android_resource(app_version=version, os_version="15", model="Pixel 8", session_id=a_id)
    traces_a = []
    for n in range(3):
        start = BASE_TIME + n * 30 * SECOND
        req = Request(
            start + 10 * MS,
            client_ns=400 * MS,
            server_ns=(100 + 50 * n) * MS,
            server_offset=60 * MS,
            skew=-4 * MINUTE,
            status=500 if n == 1 else 200,
        )
        traces_a.append(build(resource_a, start, SECOND, [req], screen=f"Screen{n}"))
    for built in reversed(traces_a):
        send(server, built.client)
        send(server, built.backend)
    baggage_trace, baggage_span = new_trace_id(), new_span_id()
    send(
        server,
        traces_request(
            [
                (
                    backend_resource("notifications"),
                    [
                        span(
                            baggage_trace,
                            baggage_span,
                            "POST /push",
                            BASE_TIME + 100 * SECOND,
                            BASE_TIME + 100 * SECOND + 20 * MS,
                            kind="server",
                            attributes={"session.id": a_id, "http.route": "/push"},
                        ),
                    ],
                )
            ]
        ),
    )
    resource_b = android_resource(app_version=version, os_version="13", model="SM-S918B", session_id=b_id)
    trace_b = build(
        resource_b,
        BASE_TIME + 3600 * SECOND,
        SECOND,
        [Request(BASE_TIME + 3600 * SECOND, client_ns=90 * MS, server_ns=None)],
    )
    send(server, trace_b.client)

    c_id = unique("ios-session")
    trace_c = build(
        ios_resource(app_version=version, **{"session.id": c_id}),
        BASE_TIME + 7200 * SECOND,
        SECOND,
        [Request(BASE_TIME + 7200 * SECOND, client_ns=200 * MS, server_ns=100 * MS, server_offset=50 * MS)],
    )
    send(server, trace_c.client)
    send(server, trace_c.backend)
    send(server, trace_c.client)  # a retried export: counted once
    crash = log_record(
        BASE_TIME + 7201 * SECOND,
        event_name="device.crash",
        severity=21,
        attributes={
            "exception.type": "NSInvalidArgumentException",
            "exception.message": "boom",
            "exception.stacktrace": "0 CoreFoundation 0x1",
            "session.id": c_id,
        },
    )
    response = server.post(
        "/v1/logs",
        logs_request(
            [(ios_resource(app_version=version, **{"session.id": c_id}), [crash])]
        ).SerializeToString(),
    )
    assert response.status_code == 200
    poll_json(
        server,
        "/api/v1/sessions",
        lambda d: (
            len(d["sessions"]) == 3
            and all(s["span_count"] > 0 for s in d["sessions"])
            and any(s["crash_count"] for s in d["sessions"])
        ),
        app_version=version,
    )
    poll_json(server, session_path(a_id), lambda d: len(d["traces"]) == 4 and d["span_count"] == 13)
    return {
        "version": version,
        "a": a_id,
        "b": b_id,
        "c": c_id,
        "traces_a": traces_a,
        "baggage_trace": baggage_trace.hex(),
        "trace_b": trace_b,
        "trace_c": trace_c,
    }


def test_session_traces_in_start_order_with_gaps(server: LiveServer, sessions: dict[str, Any]) -> None:
    document = server.get(session_path(sessions["a"])).json()
    assert document["session_id"] == sessions["a"]
    ids = [t["trace_id"] for t in document["traces"]]
    assert ids == [b.hex for b in sessions["traces_a"]] + [sessions["baggage_trace"]]
    assert (
        document["app_version"],
        document["os_name"],
        document["os_version"],
        document["device_model"],
    ) == (sessions["version"], "Android", "15", "Pixel 8")
    first = document["traces"][0]
    assert first["start_time_unix_nano"] == BASE_TIME and first["duration_ns"] == SECOND
    assert first["span_count"] == 4  # screen, request, backend server span and its database call
    assert [t["has_error"] for t in document["traces"]] == [False, True, False, False]
    for n, trace in enumerate(document["traces"][:3]):
        (gap,) = trace["gaps"]
        assert gap["gap_ns"] == 400 * MS - (100 + 50 * n) * MS
        assert abs(gap["clock_skew_ns"] - (-4 * MINUTE)) <= gap["gap_ns"]
    assert document["traces"][3]["gaps"] == []
    assert document["start_time_unix_nano"] == BASE_TIME
    assert document["crashes"] == []


def test_session_ids_are_exact_and_case_sensitive(server: LiveServer, sessions: dict[str, Any]) -> None:
    b = server.get(session_path(sessions["b"])).json()
    assert b["session_id"] == sessions["b"] and b["os_version"] == "13"
    assert [t["trace_id"] for t in b["traces"]] == [sessions["trace_b"].hex]
    (gap,) = b["traces"][0]["gaps"]
    assert gap["server_span_id"] is None
    assert server.get(session_path(sessions["a"].upper())).status_code == 404
    assert server.get(session_path(sessions["a"] + " ")).status_code == 404
    assert server.get(session_path(unique("missing"))).status_code == 404


def test_trace_carries_its_session(server: LiveServer, sessions: dict[str, Any]) -> None:
    trace = server.get(f"/api/v1/traces/{sessions['traces_a'][0].hex}").json()
    assert trace["session_id"] == sessions["a"]


def test_search_filters(server: LiveServer, sessions: dict[str, Any]) -> None:
    version = sessions["version"]
    found = server.get("/api/v1/sessions", app_version=version).json()["sessions"]
    assert [s["session_id"] for s in found] == [sessions["c"], sessions["b"], sessions["a"]]  # newest first
    a = found[2]
    assert (a["trace_count"], a["span_count"], a["has_error"], a["crash_count"]) == (4, 7, True, 0)
    assert a["start_time_unix_nano"] == BASE_TIME
    assert found[0]["crash_count"] == 1 and found[0]["os_name"] == "iOS"
    assert (found[0]["trace_count"], found[0]["span_count"]) == (1, 2)  # the re-sent spans count once

    def ids(**params: str) -> list[str]:
        response = server.get("/api/v1/sessions", app_version=version, **params)
        assert response.status_code == 200, response.text
        return [s["session_id"] for s in response.json()["sessions"]]

    assert ids(os_name="iOS") == [sessions["c"]]
    assert ids(has_crash="true") == [sessions["c"]]
    assert ids(has_crash="false") == [sessions["b"], sessions["a"]]
    assert ids(limit="1") == [sessions["c"]]
    assert ids(since=str(BASE_TIME + 3000 * SECOND), until="2025-11-24T17:30:00Z") == [sessions["b"]]
    assert ids(until="2025-11-24T16:00:00.5Z") == [sessions["a"]]  # overlaps [since, until]
    assert ids(os_name="Windows") == []


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"has_crash": "maybe"}, "has_crash"),
        ({"sort": "asc"}, "sort"),
        ({"limit": "0"}, "limit"),
        ({"until": "noon"}, "until"),
    ],
)
def test_search_rejects_bad_parameters(server: LiveServer, params: dict[str, str], named: str) -> None:
    response = server.get("/api/v1/sessions", **params)
    assert response.status_code == 400 and named in response.json()["detail"]


def test_session_gaps_match_the_trace_documents(server: LiveServer, sessions: dict[str, Any]) -> None:
    # the session reads a narrow index; its gaps must be exactly the trace API's
    document = server.get(session_path(sessions["a"])).json()
    for trace in document["traces"]:
        full = server.get(f"/api/v1/traces/{trace['trace_id']}").json()
        assert trace["gaps"] == full["gaps"]
        assert (trace["start_time_unix_nano"], trace["span_count"], trace["has_error"]) == (
            full["start_time_unix_nano"],
            full["span_count"],
            full["has_error"],
        )
