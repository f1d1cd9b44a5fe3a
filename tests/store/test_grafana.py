"""Grafana's ClickHouse data source in OpenTelemetry mode reads tracebridge's tables: the SQL its query
builder generates (grafana/clickhouse-datasource src/data/sqlGenerator for trace by id with the
otel_traces_trace_id_ts table, trace search, and the logs of a trace) runs on the store and finds
the right spans and records. Grafana expands $__fromTime / $__toTime before the query reaches
ClickHouse; the test does the same with a window around the data."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

from tests.conftest import LiveServer
from tests.store.scripts import run_store_script
from tests.telemetry import (
    BASE_TIME,
    MS,
    SECOND,
    android_resource,
    backend_resource,
    log_record,
    logs_request,
    new_span_id,
    new_trace_id,
    span,
    traces_request,
)
from tracebridge.store.attributes import to_stored

TRACE_BY_ID = (
    "WITH '{trace_id}' as trace_id, "
    '(SELECT min(Start) FROM "{db}"."otel_traces_trace_id_ts" WHERE TraceId = trace_id) as trace_start, '
    '(SELECT max(End) + 1 FROM "{db}"."otel_traces_trace_id_ts" WHERE TraceId = trace_id) as trace_end '
    'SELECT "TraceId" as traceID, "SpanId" as spanID, "ParentSpanId" as parentSpanID, '
    '"ServiceName" as serviceName, "SpanName" as operationName, '
    'multiply(toUnixTimestamp64Nano("Timestamp"), 0.000001) as startTime, '
    'multiply("Duration", 0.000001) as duration, '
    "arrayMap(key -> map('key', key, 'value',\"SpanAttributes\"[key]), mapKeys(\"SpanAttributes\")) as tags, "
    "arrayMap(key -> map('key', key, 'value',\"ResourceAttributes\"[key]), "
    'mapKeys("ResourceAttributes")) as serviceTags, '
    "if(\"StatusCode\" IN ('Error', 'STATUS_CODE_ERROR'), 2, 0) as statusCode, "
    "arrayMap((name, timestamp, attributes) -> tuple(name, toString(toUnixTimestamp64Milli(timestamp)), "
    "arrayMap( key -> map('key', key, 'value', attributes[key]), mapKeys(attributes)))"
    "::Tuple(name String, timestamp String, fields Array(Map(String, String))), "
    '"Events".Name, "Events".Timestamp, "Events".Attributes) AS logs, '
    "arrayMap((traceID, spanID, attributes) -> tuple(traceID, spanID, "
    "arrayMap(key -> map('key', key, 'value', attributes[key]), mapKeys(attributes)))"
    "::Tuple(traceID String, spanID String, tags Array(Map(String, String))), "
    '"Links".TraceId, "Links".SpanId, "Links".Attributes) AS references, '
    '"SpanKind" as kind, "StatusMessage" as statusMessage, "ScopeName" as instrumentationLibraryName, '
    '"ScopeVersion" as instrumentationLibraryVersion, "TraceState" as traceState '
    'FROM "{db}"."otel_traces" WHERE traceID = trace_id AND "Timestamp" >= trace_start '
    'AND "Timestamp" <= trace_end LIMIT 1000'
)
TRACE_SEARCH = (
    'SELECT "TraceId" as traceID, "ServiceName" as serviceName, "SpanName" as operationName, '
    '"Timestamp" as startTime, multiply("Duration", 0.000001) as duration '
    'FROM "{db}"."otel_traces" WHERE ( Timestamp >= $__fromTime AND Timestamp <= $__toTime ) '
    "AND ( ParentSpanId = '' ) AND ( Duration > 0 ) ORDER BY Timestamp DESC, Duration DESC LIMIT 1000"
)
LOGS_OF_TRACE = (
    'SELECT Timestamp as "timestamp", Body as "body", SeverityText as "level", '
    'LogAttributes as "labels", TraceId as "traceID" FROM "{db}"."otel_logs" '
    "WHERE ( timestamp >= $__fromTime AND timestamp <= $__toTime ) AND ( traceID = '{trace_id}' ) "
    "ORDER BY timestamp ASC LIMIT 1000"
)

DASHBOARDS = Path(__file__).resolve().parents[2] / "deploy" / "grafana" / "dashboards"

RUN_QUERIES = """
import json, sys
from pathlib import Path
from tracebridge.settings import Settings
from tracebridge.store.client import open_client
settings = Settings(data_dir=Path(sys.argv[1]))
client = open_client(settings)
out = {}
for name, sql in json.loads(sys.argv[2]).items():
    result = client.query(sql.replace("{db}", settings.database))
    out[name] = [dict(zip(result.column_names, [str(v) if not isinstance(v, (int, float, str, list, dict)) else v
                                               for v in row])) for row in result.result_rows]
print(json.dumps(out, default=str))
"""


def test_grafana_otel_mode_sql_runs_on_the_store(
    server_factory: Callable[..., LiveServer], tmp_path: Path
) -> None:
    data_dir = tmp_path / "store"
    live = server_factory(data_dir=data_dir)
    trace_id, client_id, server_id = new_trace_id(), new_span_id(), new_span_id()
    t0 = BASE_TIME + 7 * SECOND + 250 * MS  # not on a second boundary
    mobile = traces_request(
        [
            (
                android_resource(),
                [
                    span(
                        trace_id,
                        client_id,
                        "GET",
                        t0,
                        t0 + 900 * MS,
                        kind="client",
                        attributes={
                            "http.request.method": "GET",
                            "tags": ["a", 1, 2.5],
                            "ctx": {"k": "v", "n": 2},
                        },
                        events=[("retry", t0 + 10 * MS, {"attempt": 2})],
                    )
                ],
            )
        ]
    )
    backend = traces_request(
        [
            (
                backend_resource(),
                [
                    span(
                        trace_id,
                        server_id,
                        "GET /orders",
                        t0 + 100 * MS,
                        t0 + 800 * MS,
                        parent=client_id,
                        kind="server",
                        error="boom",
                        attributes={"http.route": "/orders"},
                        links=[(new_trace_id(), new_span_id(), {"k": "v"})],
                    )
                ],
            )
        ]
    )
    logs = logs_request(
        [
            (
                backend_resource(),
                [
                    log_record(
                        t0 + 200 * MS,
                        body="order failed",
                        severity=17,
                        severity_text="ERROR",
                        trace_id=trace_id,
                        span_id=server_id,
                    )
                ],
            )
        ]
    )
    # A second request, three minutes later, answered by a server below a gateway hop.
    hop_trace, hop_client, hop_id = new_trace_id(), new_span_id(), new_span_id()
    t1 = t0 + 180 * SECOND
    proxied = traces_request(
        [
            (
                android_resource(),
                [
                    span(
                        hop_trace,
                        hop_client,
                        "GET",
                        t1,
                        t1 + 500 * MS,
                        kind="client",
                        attributes={"http.request.method": "GET"},
                    )
                ],
            ),
            (
                backend_resource("gateway"),
                [
                    span(
                        hop_trace,
                        hop_id,
                        "gateway",
                        t1 + 20 * MS,
                        t1 + 480 * MS,
                        parent=hop_client,
                        kind="internal",
                    )
                ],
            ),
            (
                backend_resource("cart"),
                [
                    span(
                        hop_trace,
                        new_span_id(),
                        "GET /cart",
                        t1 + 100 * MS,
                        t1 + 400 * MS,
                        parent=hop_id,
                        kind="server",
                        attributes={"http.route": "/cart"},
                    )
                ],
            ),
        ]
    )
    for path, body in (
        ("/v1/traces", mobile),
        ("/v1/traces", backend),
        ("/v1/traces", proxied),
        ("/v1/logs", logs),
    ):
        assert live.post(path, body.SerializeToString()).status_code == 200
    live.wait_for(lambda: len(live.get(f"/api/v1/traces/{trace_id.hex()}").json().get("spans", [])) == 2)
    api_spans = {s["span_id"]: s for s in live.get(f"/api/v1/traces/{trace_id.hex()}").json()["spans"]}
    assert api_spans[client_id.hex()]["attributes"]["tags"] == ["a", 1, 2.5]  # typed again
    assert api_spans[client_id.hex()]["attributes"]["ctx"] == {"k": "v", "n": 2}
    live.stop()

    window = {
        "$__fromTime": f"toDateTime({t0 // SECOND - 60})",
        "$__toTime": f"toDateTime({t0 // SECOND + 240})",
    }

    def expand(sql: str) -> str:
        sql = sql.replace("{trace_id}", trace_id.hex())
        for macro, value in window.items():
            sql = sql.replace(macro, value)
        return sql

    queries = {"by_id": TRACE_BY_ID, "search": TRACE_SEARCH, "logs": LOGS_OF_TRACE, **dashboard_queries()}
    out = run_store_script(RUN_QUERIES, data_dir, json.dumps({k: expand(v) for k, v in queries.items()}))

    by_span = {row["spanID"]: row for row in out["by_id"]}
    assert set(by_span) == {client_id.hex(), server_id.hex()}
    server_row, client_row = by_span[server_id.hex()], by_span[client_id.hex()]
    assert server_row["parentSpanID"] == client_id.hex() and server_row["serviceName"] == "orders"
    assert server_row["kind"] == "Server" and client_row["kind"] == "Client"
    assert server_row["statusCode"] == 2 and client_row["statusCode"] == 0
    assert abs(client_row["duration"] - 900.0) < 1e-6  # Duration in ns, shown in ms
    assert abs(client_row["startTime"] - t0 / 1e6) < 1e-3
    assert {"key": "http.request.method", "value": "GET"} in client_row["tags"]
    # Arrays and key-value lists as JSON text, as the clickhouseexporter writes them, and the
    # same text tracebridge's own reader turns back into typed values.
    assert {"key": "tags", "value": '["a",1,2.5]'} in client_row["tags"]
    assert {"key": "ctx", "value": '{"k":"v","n":2}'} in client_row["tags"]
    assert to_stored({"tags": ["a", 1, 2.5]})[1] == ['["a",1,2.5]']
    assert client_row["logs"][0]["name"] == "retry"
    assert {"key": "attempt", "value": "2"} in client_row["logs"][0]["fields"]
    assert [ref["tags"] for ref in server_row["references"]] == [[{"key": "k", "value": "v"}]]

    # The root spans only, newest first.
    assert [row["traceID"] for row in out["search"]] == [hop_trace.hex(), trace_id.hex()]
    assert {row["serviceName"] for row in out["search"]} == {"shop-android"}

    assert [(row["body"], row["level"], row["traceID"]) for row in out["logs"]] == [
        ("order failed", "ERROR", trace_id.hex())
    ]

    # The provisioned client-vs-server p99 dashboard: the pair of this trace, client 900 ms over
    # server 700 ms, and the proxied request, 500 ms over 300 ms (its server below the gateway
    # hop), in the time series and in the per-route table.
    point, later = sorted(out["panel-1"], key=lambda p: str(p["time"]))
    assert (point["client_p99_ms"], point["server_p99_ms"]) == (900.0, 700.0)
    assert point["network_and_device_ms"] == 200.0
    assert (later["client_p99_ms"], later["server_p99_ms"]) == (500.0, 300.0)
    routes = {row["route"]: row for row in out["panel-2"]}
    assert set(routes) == {"/orders", "/cart"}
    assert routes["/orders"]["requests"] == 1 and routes["/orders"]["gap_p99_ms"] == 200.0
    assert routes["/cart"]["requests"] == 1 and routes["/cart"]["gap_p99_ms"] == 200.0


def dashboard_queries() -> dict[str, str]:
    """The dashboard's SQL with the data source's $__timeInterval / $__timeFilter macros expanded
    as the plugin does ($__fromTime / $__toTime are expanded by the caller)."""
    dashboard = json.loads((DASHBOARDS / "client-vs-server-p99.json").read_text())
    out = {}
    for panel in dashboard["panels"]:
        sql = panel["targets"][0]["rawSql"].replace("tracebridge.", '"{db}".')
        sql = re.sub(r"\$__timeInterval\((\w+)\)", r"toStartOfInterval(\1, INTERVAL 60 second)", sql)
        sql = re.sub(r"\$__timeFilter\((\w+)\)", r"\1 >= $__fromTime AND \1 <= $__toTime", sql)
        out[f"panel-{panel['id']}"] = sql
    return out
