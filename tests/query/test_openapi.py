"""/openapi.json describes every /api/v1 endpoint: its parameters and a schema for its answer
(the query stage's pydantic models), so clients can generate code from it and test against it."""

from __future__ import annotations

from typing import Any

from tests.conftest import LiveServer
from tracebridge.query.crashes.filters import CRASH_FILTER_NAMES, GROUP_FILTER_NAMES
from tracebridge.query.filters import LATENCY_FILTER_NAMES, SESSION_FILTER_NAMES


def _schema(spec: dict[str, Any], ref: str) -> dict[str, Any]:
    schema: dict[str, Any] = spec["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    return schema


def test_every_api_route_has_a_response_schema(server: LiveServer) -> None:
    spec = server.get("/openapi.json").json()
    api = {path: ops for path, ops in spec["paths"].items() if path.startswith("/api/v1/")}
    assert len(api) >= 9
    for path, operations in api.items():
        for method, operation in operations.items():
            ok = operation["responses"]["200"]["content"]["application/json"]["schema"]
            assert "$ref" in ok, (method, path)
            assert _schema(spec, ok["$ref"])["properties"], (method, path)
            if operation.get("parameters"):
                assert "400" in operation["responses"], (method, path)


def test_documents_and_parameters_are_described(server: LiveServer) -> None:
    spec = server.get("/openapi.json").json()

    def parameters(path: str) -> set[str]:
        return {p["name"] for p in spec["paths"][path]["get"].get("parameters", []) if p["in"] == "query"}

    assert parameters("/api/v1/latency") == {*LATENCY_FILTER_NAMES, "group_by", "phases"}
    assert parameters("/api/v1/sessions") == set(SESSION_FILTER_NAMES)
    assert parameters("/api/v1/crashes") == set(CRASH_FILTER_NAMES)
    assert parameters("/api/v1/crash-groups") == set(GROUP_FILTER_NAMES)
    trace = spec["paths"]["/api/v1/traces/{trace_id}"]["get"]
    assert "404" in trace["responses"]
    schemas = spec["components"]["schemas"]
    contract = {
        "Trace": {
            "trace_id",
            "session_id",
            "start_time_unix_nano",
            "end_time_unix_nano",
            "has_error",
            "spans",
            "gaps",
            "crashes",
        },
        "Span": {
            "span_id",
            "parent_span_id",
            "kind",
            "side",
            "adjusted_start_time_unix_nano",
            "status_code",
            "error",
            "attributes",
            "events",
            "links",
        },
        "Gap": {
            "client_span_id",
            "server_span_id",
            "route",
            "client_duration_ns",
            "server_duration_ns",
            "gap_ns",
            "clock_skew_ns",
            "attempts",
        },
        "LatencyRow": {
            "key",
            "count",
            "client_p50_ms",
            "client_p99_ms",
            "server_p99_ms",
            "gap_p50_ms",
            "gap_p99_ms",
        },
        "Crash": {"crash_id", "time_unix_nano", "last_requests", "backend_errors", "group_id"},
    }
    for name, fields in contract.items():
        assert fields <= set(schemas[name]["properties"]), name
        assert fields <= set(schemas[name]["required"]), name
