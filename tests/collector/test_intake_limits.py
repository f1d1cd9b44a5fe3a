"""Bounded intake against a live server: a concurrency limit checked before the body is read,
aborted uploads are quiet, and thousands of idle or half-open connections do not stop an export."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from urllib.parse import urlsplit

import grpc
import httpx
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from tests.conftest import LiveServer
from tests.ingest.faults import trace_export


def _address(url: str) -> tuple[str, int]:
    parts = urlsplit(url if "://" in url else f"http://{url}")
    return parts.hostname or "127.0.0.1", parts.port or 80


def _start_upload(live: LiveServer, declared: int = 1_000_000, sent: bytes = b"x" * 1000) -> socket.socket:
    """A POST whose headers and the first bytes of its body are sent, the rest never."""
    sock = socket.create_connection(_address(live.otlp_http))
    head = (
        f"POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\n"
        f"Content-Length: {declared}\r\n\r\n"
    ).encode()
    sock.sendall(head + sent)
    return sock


def test_past_the_limit_an_export_is_429_at_once_and_grpc_resource_exhausted(
    server_factory: Callable[..., LiveServer],
) -> None:
    live = server_factory(env={"TRACEBRIDGE_INTAKE_MAX_CONCURRENT": "1"})
    body, _trace, _count = trace_export(2)
    holder = _start_upload(live)
    try:
        time.sleep(0.3)
        started = time.monotonic()
        response = live.post("/v1/traces", body)
        assert response.status_code == 429
        assert time.monotonic() - started < 5  # at once: the body was never read
        assert int(response.headers["Retry-After"]) >= 1
        with grpc.insecure_channel(live.otlp_grpc) as channel:
            export = channel.unary_unary("/opentelemetry.proto.collector.trace.v1.TraceService/Export")
            try:
                export(body, timeout=10)
                raise AssertionError("expected RESOURCE_EXHAUSTED")
            except grpc.RpcError as error:
                assert error.code() is grpc.StatusCode.RESOURCE_EXHAUSTED  # type: ignore[attr-defined]
                status = rpc_status.from_call(error)  # type: ignore[arg-type]
                assert status is not None
                info = error_details_pb2.RetryInfo()
                assert status.details[0].Unpack(info)
    finally:
        holder.close()
    live.wait_for(lambda: live.post("/v1/traces", body).status_code == 200, timeout=10)


def test_a_client_dropping_its_upload_is_quiet_and_costs_nothing(
    server_factory: Callable[..., LiveServer],
) -> None:
    live = server_factory()
    for _ in range(30):
        _start_upload(live, declared=200_000, sent=b"\x0a" * 5000).close()
    body, trace_id, _count = trace_export(3)
    assert live.post("/v1/traces", body).status_code == 200
    live.wait_for(lambda: live.get(f"/api/v1/traces/{trace_id}").status_code == 200)
    time.sleep(0.5)
    log = "".join(live.output)
    assert "Traceback" not in log and "Exception in ASGI application" not in log, log[-3000:]
    stats = live.get("/api/v1/stats").json()
    assert stats["aborted_uploads"] >= 1


def test_two_thousand_idle_connections_do_not_stop_an_export(
    server_factory: Callable[..., LiveServer],
) -> None:
    live = server_factory(env={"TRACEBRIDGE_HEADER_TIMEOUT_SECONDS": "2"})
    host, port = _address(live.otlp_http)
    idle: list[socket.socket] = []
    try:
        for i in range(2000):
            sock = socket.create_connection((host, port))
            if i % 2:
                sock.sendall(b"POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Le")  # half-sent headers
            idle.append(sock)
        body, _trace_id, _count = trace_export(2)
        started = time.monotonic()
        response = httpx.post(
            live.otlp_http + "/v1/traces",
            content=body,
            headers={"Content-Type": "application/x-protobuf"},
            timeout=10,
        )
        assert response.status_code == 200
        assert time.monotonic() - started < 10
        # the header deadline closes them: a read sees the end of the stream
        closed = 0
        deadline = time.monotonic() + 15
        for sock in idle[:50]:
            sock.settimeout(max(0.1, deadline - time.monotonic()))
            try:
                if sock.recv(1) == b"":
                    closed += 1
            except (TimeoutError, ConnectionError):
                pass
        assert closed == 50
    finally:
        for sock in idle:
            sock.close()


def test_health_reports_the_contract_fields(server: LiveServer) -> None:
    for path in ("/healthz", "/readyz"):
        response = server.get(path)
        assert response.status_code == 200
        body = response.json()
        assert body["store"] == "ok"
        assert body["writer"] == "running"
        for key in ("backlog_items", "backlog_bytes", "oldest_unstored_age_s", "dead_letters"):
            assert isinstance(body[key], int | float) and body[key] >= 0
