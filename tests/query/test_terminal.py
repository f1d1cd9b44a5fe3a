"""``tracebridge trace`` / ``tracebridge session``: rich waterfalls rendered from a live server, at 100
columns; error exits; read auth stays enforced on the query API."""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pytest
from rich.console import Console

from tests.conftest import LiveServer
from tests.query.builders import MINUTE, Request, build, ingest, poll_json, unique
from tests.telemetry import BASE_TIME, MS, SECOND, android_resource
from tracebridge.query.models import Session
from tracebridge.query.terminal import fmt_ns, print_session, print_trace, session_view


def console() -> Console:
    return Console(width=100, record=True, file=io.StringIO(), color_system=None)


def lines_of(out: Console) -> list[str]:
    text = out.export_text()
    lines = text.splitlines()
    assert all(len(line) <= 100 for line in lines), max(lines, key=len)
    return lines


@pytest.fixture(scope="module")
def shown(server: LiveServer) -> dict[str, Any]:
    session_id = unique("term-session")
    route = "/v2/checkout/{cart_id}/payment-intents"
    reqs = [
        Request(
            BASE_TIME + 20 * MS,
            client_ns=650 * MS,
            server_ns=420 * MS,
            server_offset=100 * MS,
            skew=3 * MINUTE,
            route=route,
            path="/v2/checkout/77/payment-intents",
            method="POST",
            service="payments",
        ),
        Request(
            BASE_TIME + 700 * MS,
            client_ns=1500 * MS,
            server_ns=200 * MS,
            server_offset=100 * MS,
            skew=3 * MINUTE,
            status=502,
            extra_servers=[(900 * MS, 250 * MS)],
        ),
        Request(BASE_TIME + 2300 * MS, client_ns=10 * SECOND, server_ns=None, path="/recommendations"),
    ]
    built = build(
        android_resource(session_id=session_id), BASE_TIME, 13 * SECOND, reqs, screen="PaymentScreen"
    )
    ingest(server, built)
    other = build(
        android_resource(session_id=session_id),
        BASE_TIME + MINUTE,
        SECOND,
        [Request(BASE_TIME + MINUTE, client_ns=80 * MS, server_ns=30 * MS, server_offset=5 * MS)],
        screen="ReceiptScreen",
    )
    ingest(server, other)
    poll_json(server, f"/api/v1/sessions/{session_id}", lambda d: len(d["traces"]) == 2)
    return {"trace": built, "session": session_id, "route": route}


def test_trace_waterfall_at_100_columns(server: LiveServer, shown: dict[str, Any]) -> None:
    out = console()
    assert print_trace(server.api, shown["trace"].hex, None, console=out) == 0
    lines = lines_of(out)
    text = "\n".join(lines)
    assert shown["trace"].hex in lines[0]
    assert "PaymentScreen" in text and "app" in text and "backend" in text
    assert "gap 230ms" in text  # 650 ms client - 420 ms server
    assert "no backend" in text and "never reached backend" in text
    assert "attempt 1/2" in text and "attempt 2/2" in text
    assert "ERROR" in text
    assert "3m00s" in text  # the clock skew of the backend lane, close to the true 3 minutes
    waterfall = [line for line in lines if "█" in line]
    assert len(waterfall) == len(server.get(f"/api/v1/traces/{shown['trace'].hex}").json()["spans"])


def test_session_view_at_100_columns(server: LiveServer, shown: dict[str, Any]) -> None:
    out = console()
    assert print_session(server.api, shown["session"], None, console=out) == 0
    text = "\n".join(lines_of(out))
    assert shown["session"] in text
    assert text.index("PaymentScreen") < text.index("ReceiptScreen")
    assert "Android 14" in text and "Pixel 7" in text
    assert "230ms" in text and "never reached backend" in text and "attempt 2/2" in text
    assert "+1m00s" in text


def test_session_view_shows_crashes() -> None:
    document = {
        "session_id": "s1",
        "start_time_unix_nano": BASE_TIME,
        "end_time_unix_nano": BASE_TIME + SECOND,
        "app_version": "1.0",
        "os_name": "iOS",
        "os_version": "18",
        "device_model": "iPhone15,2",
        "device_id": None,
        "service_name": None,
        "network_types": [],
        "trace_count": 0,
        "span_count": 0,
        "has_error": False,
        "crash_count": 1,
        "traces": [],
        "crashes": [
            {
                "crash_id": "c1",
                "time_unix_nano": BASE_TIME + 500 * MS,
                "kind": "crash",
                "fatal": True,
                "exception_type": "SIGABRT",
                "exception_message": "abort",
                "group_id": "g",
                "title": "SIGABRT",
                "session_id": "s1",
                "session_inferred": False,
                "trace_id": None,
                "span_id": None,
                "event_name": None,
                "source": "log",
                "app_version": "1.0",
                "os_name": "iOS",
                "os_version": "18",
                "device_model": "iPhone15,2",
                "network_type": None,
            }
        ],
    }
    out = console()
    out.print(session_view(Session.model_validate(document)))
    text = "\n".join(lines_of(out))
    assert "crashes (1)" in text and "+500ms SIGABRT: abort" in text


def test_durations_for_people() -> None:
    assert [fmt_ns(v) for v in (850_000, 12_340_000, 230 * MS, 4_560 * MS, 185 * SECOND, None)] == [
        "850µs",
        "12.3ms",
        "230ms",
        "4.56s",
        "3m05s",
        "-",
    ]


def test_not_found_bad_id_and_unreachable(server: LiveServer) -> None:
    out = console()
    assert print_trace(server.api, "ab" * 16, None, console=out) == 1
    assert "not found" in out.export_text()
    out = console()
    assert print_trace(server.api, "not-hex", None, console=out) == 1
    assert "bad request" in out.export_text()
    out = console()
    assert print_session(server.api, unique("nobody"), None, console=out) == 1
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}"
    out = console()
    assert print_trace(closed, "ab" * 16, None, console=out) == 2
    assert "cannot reach" in out.export_text()


def test_cli_trace_command(server: LiveServer, shown: dict[str, Any]) -> None:
    env = {**os.environ, "COLUMNS": "100", "TERM": "dumb"}
    done = subprocess.run(
        [sys.executable, "-m", "tracebridge.cli", "trace", shown["trace"].hex, "--api", server.api],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "gap 230ms" in done.stdout
    missing = subprocess.run(
        [sys.executable, "-m", "tracebridge.cli", "session", unique("nobody"), "--api", server.api],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert missing.returncode == 1 and "not found" in missing.stdout


def test_read_auth_is_enforced(server_factory: Callable[..., LiveServer]) -> None:
    live = server_factory(env={"TRACEBRIDGE_READ_TOKENS": "reader-token"})
    built = build(
        android_resource(session_id="auth-session"),
        BASE_TIME,
        SECOND,
        [Request(BASE_TIME, client_ns=100 * MS, server_ns=50 * MS, server_offset=10 * MS)],
    )
    good = {"Authorization": "Bearer reader-token"}
    from tests.query.builders import send

    send(live, built.client)
    send(live, built.backend)
    live.wait_for(lambda: live.get(f"/api/v1/traces/{built.hex}", headers=good).status_code == 200)
    for path in (
        f"/api/v1/traces/{built.hex}",
        "/api/v1/sessions/auth-session",
        "/api/v1/sessions",
        "/api/v1/latency",
        "/api/v1/latency/over-time",
    ):
        assert live.get(path).status_code == 401, path
        assert live.get(path, headers={"Authorization": "Bearer wrong"}).status_code == 403, path
        assert live.get(path, headers=good).status_code == 200, path
    out = console()
    assert print_trace(live.api, built.hex, None, console=out) == 1
    assert "401" in out.export_text()
    out = console()
    assert print_trace(live.api, built.hex, "reader-token", console=out) == 0
    # The CLI takes its token from the same environment as the server (TRACEBRIDGE_READ_TOKENS)
    # unless TRACEBRIDGE_READ_TOKEN names one.
    base = {k: v for k, v in os.environ.items() if not k.startswith("TRACEBRIDGE_READ_TOKEN")}
    command = [sys.executable, "-m", "tracebridge.cli", "trace", built.hex, "--api", live.api]
    for env, code in (
        ({"TRACEBRIDGE_READ_TOKENS": "other, reader-token"}, 1),
        ({"TRACEBRIDGE_READ_TOKENS": "reader-token,other"}, 0),
        ({"TRACEBRIDGE_READ_TOKENS": "other", "TRACEBRIDGE_READ_TOKEN": "reader-token"}, 0),
    ):
        done = subprocess.run(
            command, capture_output=True, text=True, env={**base, **env, "COLUMNS": "100"}, timeout=60
        )
        assert done.returncode == code, (env, done.stdout, done.stderr)


def test_phases_edge_and_queued_work_at_100_columns(server: LiveServer) -> None:
    """The terminal shows what the pages show per request: the phases, the edge hop (forwarded and
    served at the edge) and the queued work."""
    from tests.explain.shapes import Call, android, request_payloads
    from tracebridge.query.explain_models import QueuedMessage

    session_id = unique("term-explain")
    start = BASE_TIME + 7 * MINUTE
    okhttp = {
        "http.client.resolve_dns_ms": 31,
        "http.connect_ms": 140,
        "http.connect.secure_connect_ms": 88,
        "http.connection.response_headers_ms": 612,
        "http.connection.response_body_ms": 45,
    }
    forwarded = Call(start, 900 * MS, 300 * MS, edge_ns=420 * MS, route="/products/{id}", attributes=okhttp)
    cached = Call(start + SECOND, 90 * MS, None, edge_ns=12 * MS, route="/banners/{id}")
    sent = []
    for call in (forwarded, cached):
        trace_id, client, backend = request_payloads(android(session_id), call)
        for message in (client, backend):
            assert server.post("/v1/traces", message.SerializeToString()).status_code == 200
        sent.append(trace_id.hex())
    document = poll_json(
        server,
        f"/api/v1/sessions/{session_id}",
        lambda d: len(d["traces"]) == 2 and all(t["gaps"] and t["gaps"][0]["edge"] for t in d["traces"]),
    )
    poll_json(server, f"/api/v1/traces/{sent[0]}", lambda d: len(d["spans"]) == 4)

    out = console()
    assert print_trace(server.api, sent[0], None, console=out) == 0
    text = "\n".join(lines_of(out))
    assert "where the gap went" in text
    (row,) = [line for line in text.splitlines() if line.startswith("/products/{id}") and "okhttp" in line]
    # gap 600ms; dns 31ms, connect 140ms, tls 88ms, wait 612ms, download 45ms (OkHttp durations)
    for figure in ("600ms", "31.0ms", "140ms", "88.0ms", "612ms", "45.0ms"):
        assert figure in row, (figure, row)
    assert "via edge edge-cache: client→edge 480ms, edge→origin 120ms, origin catalog 300ms" in text

    out = console()
    assert print_session(server.api, session_id, None, console=out) == 0
    text = "\n".join(lines_of(out))
    assert "served at edge edge-cache: client→edge 78.0ms" in text
    assert any(line.startswith("/banners/{id}") and "not recorded" in line for line in text.splitlines())

    message = QueuedMessage(
        producer_span_id="a" * 16,
        producer_trace_id=sent[0],
        producer_name="order-placed publish",
        producer_service_name="checkout",
        produced_time_unix_nano=start,
        consumer_trace_id="c" * 32,
        consumer_span_id="b" * 16,
        consumer_name="order-placed process",
        consumer_service_name="fulfilment-worker",
        queue_wait_ns=125 * SECOND,
        processing_ns=640 * MS,
        status_code="error",
    )
    pending = message.model_copy(
        update={
            "consumer_trace_id": None,
            "consumer_span_id": None,
            "consumer_name": None,
            "consumer_service_name": None,
            "queue_wait_ns": None,
            "processing_ns": None,
            "status_code": None,
        }
    )
    with_queue = Session.model_validate(document).model_copy(update={"queued": [message, pending]})
    out = console()
    out.print(session_view(with_queue))
    lines = lines_of(out)
    (done,) = [line for line in lines if line.startswith("order-placed publish") and "cccccccc" in line]
    assert "order-placed process" in done and "2m05s" in done and "640ms" in done and "error" in done
    assert any("not processed yet" in line for line in lines)
