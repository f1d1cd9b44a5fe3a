"""Hostile and broken input: each case gets its specified answer and the server keeps serving."""

from __future__ import annotations

import gzip
import json
import os
import random
from collections.abc import Callable, Iterator

import httpx
import pytest

from tests.conftest import LiveServer
from tests.telemetry import BASE_TIME, android_resource, span, traces_request

LIMIT = 1024 * 1024


@pytest.fixture(scope="module")
def small_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    from tests.conftest import start_server

    live = start_server(tmp_path_factory.mktemp("hostile"), env={"TRACEBRIDGE_MAX_BODY_BYTES": str(LIMIT)})
    yield live
    live.stop()


def valid_body() -> tuple[bytes, str]:
    trace_id = os.urandom(16)
    request = traces_request(
        [(android_resource(), [span(trace_id, os.urandom(8), "ok", BASE_TIME, BASE_TIME + 10)])]
    )
    return request.SerializeToString(), trace_id.hex()


def assert_still_serving(live: LiveServer) -> None:
    assert httpx.get(live.api + "/healthz").status_code == 200
    body, trace_id = valid_body()
    assert live.post("/v1/traces", body).status_code == 200
    live.wait_for(lambda: live.get(f"/api/v1/traces/{trace_id}").status_code == 200)


def test_malformed_protobuf_is_400_with_message(small_server: LiveServer) -> None:
    response = small_server.post("/v1/traces", b"\xff\xff\xff\xff\x0f garbage")
    assert response.status_code == 400
    from google.rpc import status_pb2

    status = status_pb2.Status.FromString(response.content)
    assert "protobuf" in status.message
    assert_still_serving(small_server)


@pytest.mark.parametrize(
    "payload",
    [b"{not json", b"[]", b'{"resourceSpans": "x"}', b'{"resourceSpans": [{"scopeSpans": 5}]}', b"\xff\xfe"],
)
def test_malformed_json_is_400(small_server: LiveServer, payload: bytes) -> None:
    response = small_server.post("/v1/traces", payload, "application/json")
    assert response.status_code == 400
    assert response.json()["message"]


def test_body_over_limit_is_413_before_reading(small_server: LiveServer) -> None:
    response = small_server.post("/v1/traces", b"\x00" * (LIMIT + 1))
    assert response.status_code == 413
    assert_still_serving(small_server)


def test_chunked_body_over_limit_is_413(small_server: LiveServer) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(LIMIT // 65536 + 2):
            yield b"\x00" * 65536

    response = httpx.post(
        small_server.otlp_http + "/v1/traces",
        content=chunks(),
        headers={"Content-Type": "application/x-protobuf"},
    )
    assert response.status_code == 413
    assert_still_serving(small_server)


def test_gzip_bomb_is_413(small_server: LiveServer) -> None:
    bomb = gzip.compress(b"\x00" * (200 * 1024 * 1024), compresslevel=9)
    assert len(bomb) < LIMIT
    response = httpx.post(
        small_server.otlp_http + "/v1/traces",
        content=bomb,
        headers={"Content-Type": "application/x-protobuf", "Content-Encoding": "gzip"},
    )
    assert response.status_code == 413
    assert_still_serving(small_server)


def test_invalid_gzip_is_400(small_server: LiveServer) -> None:
    response = httpx.post(
        small_server.otlp_http + "/v1/traces",
        content=b"not gzip at all",
        headers={"Content-Type": "application/x-protobuf", "Content-Encoding": "gzip"},
    )
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("content_type", "encoding"),
    [("text/plain", None), ("application/xml", None), ("application/x-protobuf", "br")],
)
def test_unsupported_media_is_415(small_server: LiveServer, content_type: str, encoding: str | None) -> None:
    headers = {"Content-Type": content_type}
    if encoding:
        headers["Content-Encoding"] = encoding
    response = httpx.post(small_server.otlp_http + "/v1/traces", content=b"{}", headers=headers)
    assert response.status_code == 415


def test_random_bytes_never_5xx(small_server: LiveServer) -> None:
    rng = random.Random(1234)
    for _ in range(40):
        payload = rng.randbytes(rng.randint(0, 2000))
        for path in ("/v1/traces", "/v1/logs"):
            for content_type in ("application/x-protobuf", "application/json"):
                status = small_server.post(path, payload, content_type).status_code
                assert status in (200, 400), (status, payload[:20])
    assert_still_serving(small_server)


def test_wrong_method_and_path(small_server: LiveServer) -> None:
    assert httpx.get(small_server.otlp_http + "/v1/traces").status_code == 405
    assert httpx.post(small_server.otlp_http + "/v1/nope", content=b"").status_code == 404


def test_full_write_ahead_log_is_503_with_retry_after(server_factory: Callable[..., LiveServer]) -> None:
    """With the writer holding batches for 3 s and a 2 KB log cap, the second request is refused
    (not acknowledged: the client keeps it and retries)."""
    live = server_factory(env={"TRACEBRIDGE_WAL_MAX_BYTES": "2048", "TRACEBRIDGE_BATCH_MAX_WAIT_MS": "3000"})
    first, _ = valid_body()
    padding = json.dumps({"pad": "x" * 1500})
    trace_id = os.urandom(16)
    big = traces_request(
        [(android_resource(pad=padding), [span(trace_id, os.urandom(8), "big", BASE_TIME, BASE_TIME + 1)])]
    )
    assert live.post("/v1/traces", big.SerializeToString()).status_code == 200
    response = live.post("/v1/traces", big.SerializeToString())
    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) >= 1
    from google.rpc import error_details_pb2, status_pb2

    status = status_pb2.Status.FromString(response.content)
    assert "write-ahead log is full" in status.message
    info = error_details_pb2.RetryInfo()
    assert status.details[0].Unpack(info)
    live.wait_for(lambda: live.get(f"/api/v1/traces/{trace_id.hex()}").status_code == 200)
    # Once stored, the log checkpoints and has room again; the checkpoint follows the insert by a
    # moment, so the client retries as an OTLP exporter does after a 503.
    live.wait_for(lambda: live.post("/v1/traces", first).status_code == 200)
