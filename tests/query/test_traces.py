"""GET /api/v1/traces/{id}: gaps, clock skew, retries, proxies and arrival orders on a live server."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import LiveServer
from tests.query.builders import (
    MINUTE,
    BuiltTrace,
    Request,
    build,
    by_id,
    gap_for,
    ingest,
    send,
    span_count,
    unique,
    wait_stored,
    wait_trace,
)
from tests.telemetry import BASE_TIME, MS, SECOND, android_resource, ios_resource


def assert_session_agrees(server: LiveServer, session_id: str, document: dict[str, Any]) -> None:
    """The session view (read from the narrow trace index) shows the same gaps, timing and attempts.

    Read once, after ``ingest`` waited for the acknowledged exports to be stored: the two views
    may differ only while an insert is half applied (docs/query.md, "Consistency"), never after."""
    wait_stored(server)
    response = server.get(f"/api/v1/sessions/{session_id}")
    assert response.status_code == 200, response.text
    (trace,) = response.json()["traces"]
    assert trace["gaps"] == document["gaps"]


def assert_inside(document: dict[str, Any], req: Request) -> None:
    """Every server attempt of ``req`` (and the backend subtree) sits inside its client span after
    adjustment, and the estimated skew is the true one within the client/server slack."""
    spans = by_id(document)
    client = spans[req.client_id.hex()]
    assert client["adjusted_start_time_unix_nano"] == client["start_time_unix_nano"] == req.start
    c_start, c_end = req.start, req.start + req.client_ns
    servers = [spans[s.hex()] for s in req.server_ids]
    first = min(s["adjusted_start_time_unix_nano"] for s in servers)
    last = max(s["adjusted_start_time_unix_nano"] + s["duration_ns"] for s in servers)
    assert c_start <= first and last <= c_end
    envelope = last - first
    for gap in (g for g in document["gaps"] if g["client_span_id"] == req.client_id.hex()):
        assert abs(gap["clock_skew_ns"] - req.skew) <= req.client_ns - envelope
        server = spans[gap["server_span_id"]]
        # raw times are never changed; adjusted = raw - skew
        assert (
            server["adjusted_start_time_unix_nano"] == server["start_time_unix_nano"] - gap["clock_skew_ns"]
        )
    db = spans[req.db_id.hex()]
    skew = servers[0]["start_time_unix_nano"] - servers[0]["adjusted_start_time_unix_nano"]
    assert db["adjusted_start_time_unix_nano"] == db["start_time_unix_nano"] - skew


@pytest.mark.parametrize(
    ("resource", "skew"),
    [
        (android_resource(app_version="3.2.1"), 3 * MINUTE + 417 * MS),  # device clock behind the backend
        (ios_resource(app_version="3.2.1 (412)"), -(7 * MINUTE) - 12 * MS),  # device clock ahead
        (android_resource(), 0),
    ],
    ids=["android-device-behind", "ios-device-ahead", "android-in-sync"],
)
def test_gap_and_skew(server: LiveServer, resource: dict[str, Any], skew: int) -> None:
    first = Request(
        BASE_TIME + 100 * MS, client_ns=480 * MS, server_ns=310 * MS, server_offset=95 * MS, skew=skew
    )
    second = Request(
        BASE_TIME + 700 * MS,
        client_ns=1234 * MS,
        server_ns=1000 * MS,
        server_offset=200 * MS,
        skew=skew,
        route="/cart/items/{item_id}",
        path="/cart/items/9",
        method="POST",
        service="cart",
    )
    built = build(resource, BASE_TIME, 2 * SECOND, [first, second])
    document = ingest(server, built)

    assert document["trace_id"] == built.hex
    assert len(document["gaps"]) == 2
    g1, g2 = gap_for(document, first), gap_for(document, second)
    assert (g1["client_duration_ns"], g1["server_duration_ns"], g1["gap_ns"]) == (
        480 * MS,
        310 * MS,
        170 * MS,
    )
    assert (g2["client_duration_ns"], g2["server_duration_ns"], g2["gap_ns"]) == (
        1234 * MS,
        1000 * MS,
        234 * MS,
    )
    assert g1["route"] == "/orders/{id}" and g2["route"] == "/cart/items/{item_id}"
    assert g1["server_span_id"] == first.server_ids[0].hex()
    assert g2["service_name"] == "cart"
    for req in (first, second):
        assert_inside(document, req)
    if skew == 0:
        assert g1["clock_skew_ns"] == 0 and g2["clock_skew_ns"] == 0
    # the trace's extent is on the device clock, whatever the backend clock says
    assert document["start_time_unix_nano"] == BASE_TIME
    assert document["end_time_unix_nano"] == BASE_TIME + 2 * SECOND
    assert document["session_id"] is None
    kinds = {s["span_id"]: (s["side"], s["kind"]) for s in document["spans"]}
    assert kinds[first.client_id.hex()] == ("client", "client")
    assert kinds[first.server_ids[0].hex()] == ("backend", "server")


def test_server_inside_client_keeps_zero_skew(server: LiveServer) -> None:
    # a small true skew that still leaves the server inside the client span is not "corrected"
    req = Request(BASE_TIME, client_ns=500 * MS, server_ns=100 * MS, server_offset=150 * MS, skew=40 * MS)
    document = ingest(server, build(android_resource(), BASE_TIME, SECOND, [req]))
    gap = gap_for(document, req)
    assert gap["clock_skew_ns"] == 0
    server_span = by_id(document)[req.server_ids[0].hex()]
    assert server_span["adjusted_start_time_unix_nano"] == server_span["start_time_unix_nano"]


def test_request_that_never_reached_the_backend(server: LiveServer) -> None:
    lost = Request(
        BASE_TIME + 10 * MS,
        client_ns=30 * SECOND,
        server_ns=None,
        status=0,
        client_attributes={"error.type": "java.net.SocketTimeoutException"},
    )
    ok = Request(BASE_TIME + 31 * SECOND, client_ns=200 * MS, server_ns=150 * MS, server_offset=20 * MS)
    document = ingest(server, build(android_resource(), BASE_TIME, 32 * SECOND, [lost, ok]))
    entry = gap_for(document, lost)
    assert entry["server_span_id"] is None
    assert entry["server_duration_ns"] is None and entry["gap_ns"] is None and entry["clock_skew_ns"] is None
    assert entry["client_duration_ns"] == 30 * SECOND
    assert entry["reached_backend"] is False
    assert entry["route"] == "/orders/{id}"  # the templated client URL path
    assert gap_for(document, ok)["gap_ns"] == 50 * MS
    # gaps come in client start order
    assert [g["client_span_id"] for g in document["gaps"]] == [lost.client_id.hex(), ok.client_id.hex()]


def test_retries_under_one_client_span(server: LiveServer) -> None:
    # the backend saw the request three times (two 503s, then a 200) through one client span
    req = Request(
        BASE_TIME,
        client_ns=2 * SECOND,
        server_ns=100 * MS,
        server_offset=50 * MS,
        skew=-2 * MINUTE,
        extra_servers=[(600 * MS, 120 * MS), (1500 * MS, 300 * MS)],
    )
    session_id = unique("retries")
    document = ingest(server, build(android_resource(session_id=session_id), BASE_TIME, 3 * SECOND, [req]))
    assert_session_agrees(server, session_id, document)
    (entry,) = [g for g in document["gaps"] if g["client_span_id"] == req.client_id.hex()]
    # one gap per request, measured against the attempt that ended last; every attempt listed
    assert entry["attempts"] == [s.hex() for s in req.server_ids]
    assert entry["server_span_id"] == req.server_ids[-1].hex()
    assert (entry["server_duration_ns"], entry["gap_ns"]) == (300 * MS, 1700 * MS)
    assert (entry["attempt"], entry["retry_count"], entry["server_count"]) == (3, 2, 3)
    assert entry["has_error"] is False  # the two 503s were retried; the answer was a 200
    assert_inside(document, req)


def test_the_attempt_that_ended_last_answers(server: LiveServer) -> None:
    # a slow first attempt (1.5 s) outlives a quick second one: the client got the first one's answer
    req = Request(
        BASE_TIME,
        client_ns=2 * SECOND,
        server_ns=1500 * MS,
        server_offset=50 * MS,
        extra_servers=[(600 * MS, 100 * MS)],
        route="/v1/slow/{id}",
    )
    session_id = unique("last-ended")
    document = ingest(server, build(android_resource(session_id=session_id), BASE_TIME, 3 * SECOND, [req]))
    assert_session_agrees(server, session_id, document)
    (entry,) = [g for g in document["gaps"] if g["client_span_id"] == req.client_id.hex()]
    first, second = (s.hex() for s in req.server_ids)
    assert entry["attempts"] == [second, first]
    assert entry["server_span_id"] == first
    assert (entry["server_duration_ns"], entry["gap_ns"]) == (1500 * MS, 500 * MS)


@pytest.mark.parametrize(
    "arrival", ["backend first", "client and backend in one export", "each export twice", "backend re-sent"]
)
@pytest.mark.parametrize("ends", ["distinct", "equal"])
def test_retried_request_one_answer_in_every_arrival_order(
    server: LiveServer, arrival: str, ends: str
) -> None:
    # three attempts below one client span; with equal end times the larger span id answers
    # (tracebridge.domain.attempt_order), in the trace view and in the session view alike
    attempts = [(50 * MS, 100 * MS), (600 * MS, 120 * MS), (1500 * MS, 300 * MS)]  # (offset, duration)
    if ends == "equal":
        attempts = [(1500 * MS, 300 * MS), (1600 * MS, 200 * MS), (1700 * MS, 100 * MS)]  # all end at 1.8 s
    (offset, duration), *extra = attempts
    req = Request(
        BASE_TIME, client_ns=2 * SECOND, server_ns=duration, server_offset=offset, extra_servers=extra
    )
    session_id = unique("arrival")
    built = build(android_resource(session_id=session_id), BASE_TIME, 3 * SECOND, [req])
    exports = {
        "backend first": [built.backend, built.client],
        "client and backend in one export": [merged(built)],
        "each export twice": [built.client, built.client, built.backend, built.backend],
        "backend re-sent": [built.client, built.backend, built.backend],
    }[arrival]
    for message in exports:
        send(server, message)
    wait_stored(server)
    document = wait_trace(server, built)
    (entry,) = document["gaps"]
    ends_at = {s.hex(): o + d for s, (o, d) in zip(req.server_ids, attempts, strict=True)}
    expected = sorted(ends_at, key=lambda s: (ends_at[s], s))
    assert entry["attempts"] == expected
    assert entry["server_span_id"] == expected[-1]
    assert len(document["spans"]) == span_count(built)  # re-sent spans never show twice
    assert_session_agrees(server, session_id, document)


def merged(built: BuiltTrace) -> Any:
    """The client and backend spans of ``built`` in one export request."""
    message = type(built.client)()
    message.CopyFrom(built.client)
    message.resource_spans.extend(built.backend.resource_spans)
    return message


def test_okhttp_attempt_spans(server: LiveServer) -> None:
    # OkHttp's network interceptor: one client span per attempt, http.request.resend_count on retries
    first = Request(
        BASE_TIME, client_ns=300 * MS, server_ns=250 * MS, server_offset=20 * MS, status=503, skew=90 * SECOND
    )
    second = Request(
        BASE_TIME + 400 * MS,
        client_ns=200 * MS,
        server_ns=120 * MS,
        server_offset=40 * MS,
        skew=90 * SECOND,
        client_attributes={"http.request.resend_count": 1},
    )
    session_id = unique("okhttp")
    document = ingest(
        server, build(android_resource(session_id=session_id), BASE_TIME, SECOND, [first, second])
    )
    assert_session_agrees(server, session_id, document)
    a1, a2 = gap_for(document, first), gap_for(document, second)
    assert (a1["attempt"], a1["resend_count"], a1["has_error"]) == (1, 0, True)
    assert (a2["attempt"], a2["resend_count"], a2["has_error"]) == (2, 1, False)
    assert (a1["gap_ns"], a2["gap_ns"]) == (50 * MS, 80 * MS)
    assert a1["http_status_code"] == 503
    for req in (first, second):
        assert_inside(document, req)


def test_proxy_hop_between_client_and_server(server: LiveServer) -> None:
    req = Request(
        BASE_TIME,
        client_ns=700 * MS,
        server_ns=400 * MS,
        server_offset=100 * MS,
        skew=-5 * MINUTE,
        proxy=True,
    )
    session_id = unique("proxy")
    document = ingest(server, build(android_resource(session_id=session_id), BASE_TIME, SECOND, [req]))
    assert_session_agrees(server, session_id, document)
    gap = gap_for(document, req)
    assert gap["server_span_id"] == req.server_ids[0].hex()
    assert gap["gap_ns"] == 300 * MS
    assert_inside(document, req)
    proxy = by_id(document)[req.proxy_id.hex()]
    assert proxy["adjusted_start_time_unix_nano"] == proxy["start_time_unix_nano"] - gap["clock_skew_ns"]


def _shape(document: dict[str, Any], built: Any) -> dict[str, Any]:
    """The document with this trace's ids replaced by positions, to compare two equal traces."""
    names = {built.root_id.hex(): "root"}
    for i, req in enumerate(built.requests):
        names[req.client_id.hex()] = f"c{i}"
        names[req.db_id.hex()] = f"db{i}"
        for j, sid in enumerate(req.server_ids):
            names[sid.hex()] = f"s{i}.{j}"
    spans = sorted(
        (
            names[s["span_id"]],
            s["adjusted_start_time_unix_nano"] - s["start_time_unix_nano"],
            s["duration_ns"],
        )
        for s in document["spans"]
    )
    gaps = [
        (
            names[g["client_span_id"]],
            names.get(g["server_span_id"]),
            g["gap_ns"],
            g["clock_skew_ns"],
            g["route"],
        )
        for g in document["gaps"]
    ]
    return {
        "spans": spans,
        "gaps": gaps,
        "start": document["start_time_unix_nano"],
        "end": document["end_time_unix_nano"],
    }


def test_any_arrival_order_gives_the_same_answer(server: LiveServer) -> None:
    def make() -> Any:
        reqs = [
            Request(
                BASE_TIME + 50 * MS,
                client_ns=900 * MS,
                server_ns=500 * MS,
                server_offset=300 * MS,
                skew=11 * MINUTE,
            ),
            Request(BASE_TIME + SECOND, client_ns=300 * MS, server_ns=None),
        ]
        return build(android_resource(session_id=unique("order")), BASE_TIME, 2 * SECOND, reqs)

    reference = make()
    expected = _shape(ingest(server, reference), reference)

    # backend first; the device uploads much later, then both exports are retried (duplicates)
    late = make()
    send(server, late.backend)
    backend_only = wait_trace(server, late, spans=2)
    assert backend_only["gaps"] == [] and backend_only["session_id"] is None
    send(server, late.client)
    send(server, late.backend)
    send(server, late.client)
    document = wait_trace(server, late)
    assert _shape(document, late) == expected
    assert document["session_id"] is not None
    assert len(document["spans"]) == 5


def test_web_resource_timing_is_in_phases_only(server: LiveServer) -> None:
    """The browser's resource-timing events give ``gaps[].phases`` (the one phase mapping,
    query/phases.py); the older ``timing`` field is gone."""
    start = BASE_TIME
    events = [
        ("fetchStart", start, {}),
        ("domainLookupStart", start + 5 * MS, {}),
        ("domainLookupEnd", start + 25 * MS, {}),
        ("connectStart", start + 25 * MS, {}),
        ("secureConnectionStart", start + 40 * MS, {}),
        ("connectEnd", start + 90 * MS, {}),
        ("requestStart", start + 91 * MS, {}),
        ("responseStart", start + 391 * MS, {}),
        ("responseEnd", start + 400 * MS, {}),
    ]
    req = Request(start, client_ns=400 * MS, server_ns=250 * MS, server_offset=110 * MS, events=events)
    session_id = unique("web-timing")
    document = ingest(server, build(android_resource(session_id=session_id), BASE_TIME, SECOND, [req]))
    assert_session_agrees(server, session_id, document)
    gap = gap_for(document, req)
    assert "timing" not in gap
    assert gap["phases"] == {
        "source": "resource_timing",
        "stall_ns": 5 * MS,
        "dns_ns": 20 * MS,
        "connect_ns": 65 * MS,
        "tls_ns": 50 * MS,
        "request_ns": None,
        "wait_ns": 300 * MS,
        "download_ns": 9 * MS,
        "after_response_ns": 0,
    }


def test_bad_and_unknown_ids(server: LiveServer) -> None:
    assert server.get("/api/v1/traces/" + "ab" * 16).status_code == 404
    assert server.get("/api/v1/traces/xyz").status_code == 400
    assert server.get("/api/v1/traces/" + "0" * 32).status_code == 400
    assert server.get("/api/v1/traces/" + "a" * 31).status_code == 400
    response = server.get("/api/v1/traces/" + "ab" * 16, verbose="1")
    assert response.status_code == 400 and "verbose" in response.text


def test_uppercase_trace_id_is_accepted(server: LiveServer) -> None:
    req = Request(BASE_TIME, client_ns=100 * MS, server_ns=60 * MS, server_offset=10 * MS)
    built = build(android_resource(), BASE_TIME, SECOND, [req])
    ingest(server, built)
    response = server.get(f"/api/v1/traces/{built.hex.upper()}")
    assert response.status_code == 200 and response.json()["trace_id"] == built.hex


def test_non_finite_double_attributes_do_not_break_the_answer(server: LiveServer) -> None:
    req = Request(
        BASE_TIME,
        client_ns=100 * MS,
        server_ns=60 * MS,
        server_offset=10 * MS,
        client_attributes={"app.ratio": float("nan"), "app.limit": float("inf"), "app.ok": 0.5},
    )
    built = build(android_resource(), BASE_TIME, SECOND, [req])
    document = ingest(server, built)
    attrs = by_id(document)[req.client_id.hex()]["attributes"]
    assert (attrs["app.ratio"], attrs["app.limit"], attrs["app.ok"]) == ("NaN", "Infinity", 0.5)
