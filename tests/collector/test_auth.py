"""Ingest keys and read tokens: missing 401, wrong 403, right 200, on HTTP and gRPC alike."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import grpc
import httpx
import pytest

from tests.conftest import LiveServer, start_server
from tests.telemetry import BASE_TIME, android_resource, span, traces_request

EXPORT = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"


@pytest.fixture(scope="module")
def locked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = start_server(
        tmp_path_factory.mktemp("auth"),
        env={
            "TRACEBRIDGE_INGEST_KEYS": "ingest-one, ingest-two",
            "TRACEBRIDGE_READ_TOKENS": "read-one",
        },
    )
    yield live
    live.stop()


def body() -> tuple[bytes, str]:
    trace_id = os.urandom(16)
    request = traces_request(
        [(android_resource(), [span(trace_id, os.urandom(8), "x", BASE_TIME, BASE_TIME + 1)])]
    )
    return request.SerializeToString(), trace_id.hex()


@pytest.mark.parametrize(
    ("header", "status"),
    [
        (None, 401),
        ("Bearer nope", 403),
        ("Basic aW5nZXN0LW9uZQ==", 403),
        ("Bearer", 401),
        ("Bearer ingest-two", 200),
        ("bearer ingest-one", 200),
    ],
)
def test_ingest_key_over_http(locked: LiveServer, header: str | None, status: int) -> None:
    payload, _ = body()
    headers = {"Authorization": header} if header else {}
    response = locked.post("/v1/traces", payload, headers=headers)
    assert response.status_code == status
    if status == 401:
        assert "WWW-Authenticate" in response.headers
    assert "ingest-one" not in response.text and "ingest-two" not in response.text


@pytest.mark.parametrize(
    ("token", "code"),
    [
        (None, grpc.StatusCode.UNAUTHENTICATED),
        ("nope", grpc.StatusCode.PERMISSION_DENIED),
        ("ingest-one", grpc.StatusCode.OK),
    ],
)
def test_ingest_key_over_grpc(locked: LiveServer, token: str | None, code: grpc.StatusCode) -> None:
    payload, _ = body()
    with grpc.insecure_channel(locked.otlp_grpc) as channel:
        export: Callable[..., bytes] = channel.unary_unary(EXPORT)
        metadata = [("authorization", f"Bearer {token}")] if token else []
        if code is grpc.StatusCode.OK:
            assert export(payload, metadata=metadata, timeout=30) == b""
        else:
            with pytest.raises(grpc.RpcError) as error:
                export(payload, metadata=metadata, timeout=30)
            assert error.value.code() is code


@pytest.mark.parametrize(("header", "status"), [(None, 401), ("Bearer wrong", 403), ("Bearer read-one", 404)])
def test_read_token_on_api_and_pages(locked: LiveServer, header: str | None, status: int) -> None:
    headers = {"Authorization": header} if header else {}
    response = httpx.get(locked.api + "/api/v1/traces/" + "ab" * 16, headers=headers)
    assert response.status_code == status
    if status != 404:  # a page without credentials: 401 with the sign-in form as its body
        page = httpx.get(locked.api + "/", headers=headers)
        assert page.status_code == status
        assert ('name="token"' in page.text) == (status == 401)


def test_read_token_reads_data(locked: LiveServer) -> None:
    payload, trace_id = body()
    assert (
        locked.post("/v1/traces", payload, headers={"Authorization": "Bearer ingest-one"}).status_code == 200
    )
    headers = {"Authorization": "Bearer read-one"}
    locked.wait_for(
        lambda: httpx.get(f"{locked.api}/api/v1/traces/{trace_id}", headers=headers).status_code == 200
    )
