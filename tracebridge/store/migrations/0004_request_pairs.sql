-- Request pairs for the latency aggregates: one row per client request (a client-side CLIENT
-- span) keyed by (TraceId, ClientSpanId). Two views feed it independently: the client span writes
-- the client half, a backend SERVER span writes the server half under its parent span id. The
-- halves meet when parts merge, in whatever order they arrived (backend first and the device
-- hours later gives the same row), so readers aggregate with FINAL or GROUP BY. Every column is
-- a max(), so a re-sent span changes nothing. A retried request (several server spans under one
-- client span) keeps the longest server attempt and counts server rows.
-- Limits: only the direct parent link is paired here (the per-trace API also crosses one proxy
-- span); a server span below a proxy shows in the trace API but not in these aggregates.
CREATE TABLE IF NOT EXISTS {{local tracebridge_request_pairs}}{{on_cluster}}
(
    TraceId String,
    ClientSpanId String,
    HasClient SimpleAggregateFunction(max, UInt8),
    HasServer SimpleAggregateFunction(max, UInt8),
    ClientStart SimpleAggregateFunction(max, DateTime64(9)),
    ClientDuration SimpleAggregateFunction(max, UInt64),
    ClientRoute SimpleAggregateFunction(max, String),
    ClientName SimpleAggregateFunction(max, String),
    ClientHttpStatus SimpleAggregateFunction(max, UInt16),
    ClientError SimpleAggregateFunction(max, UInt8),
    SessionId SimpleAggregateFunction(max, String),
    AppVersion SimpleAggregateFunction(max, String),
    OsName SimpleAggregateFunction(max, String),
    OsVersion SimpleAggregateFunction(max, String),
    DeviceModel SimpleAggregateFunction(max, String),
    NetworkType SimpleAggregateFunction(max, String),
    ServerSpanId SimpleAggregateFunction(max, String),
    ServerStart SimpleAggregateFunction(max, DateTime64(9)),
    ServerDuration SimpleAggregateFunction(max, UInt64),
    ServerRoute SimpleAggregateFunction(max, String),
    ServiceName SimpleAggregateFunction(max, String),
    ServerHttpStatus SimpleAggregateFunction(max, UInt16),
    ServerError SimpleAggregateFunction(max, UInt8)
)
ENGINE = {{engine AggregatingMergeTree}}
ORDER BY (TraceId, ClientSpanId);

{{distributed tracebridge_request_pairs cityHash64(TraceId)}};

CREATE MATERIALIZED VIEW IF NOT EXISTS tracebridge_request_pairs_client_mv{{on_cluster}} TO {{local tracebridge_request_pairs}} AS
SELECT TraceId, SpanId AS ClientSpanId, toUInt8(1) AS HasClient, toUInt8(0) AS HasServer,
       Timestamp AS ClientStart, Duration AS ClientDuration, HttpRoute AS ClientRoute, SpanName AS ClientName,
       HttpStatus AS ClientHttpStatus, toUInt8(StatusCode = 'Error' OR HttpStatus >= 500) AS ClientError,
       SessionId, toString(AppVersion) AS AppVersion, toString(OsName) AS OsName, toString(OsVersion) AS OsVersion,
       toString(DeviceModel) AS DeviceModel, toString(NetworkType) AS NetworkType,
       '' AS ServerSpanId, toDateTime64(0, 9) AS ServerStart, toUInt64(0) AS ServerDuration, '' AS ServerRoute,
       '' AS ServiceName, toUInt16(0) AS ServerHttpStatus, toUInt8(0) AS ServerError
FROM {{local otel_traces}}
WHERE Side = 'client' AND SpanKind = 'Client';

CREATE MATERIALIZED VIEW IF NOT EXISTS tracebridge_request_pairs_server_mv{{on_cluster}} TO {{local tracebridge_request_pairs}} AS
SELECT TraceId, ParentSpanId AS ClientSpanId, toUInt8(0) AS HasClient, toUInt8(1) AS HasServer,
       toDateTime64(0, 9) AS ClientStart, toUInt64(0) AS ClientDuration, '' AS ClientRoute, '' AS ClientName,
       toUInt16(0) AS ClientHttpStatus, toUInt8(0) AS ClientError,
       '' AS SessionId, '' AS AppVersion, '' AS OsName, '' AS OsVersion, '' AS DeviceModel, '' AS NetworkType,
       SpanId AS ServerSpanId, Timestamp AS ServerStart, Duration AS ServerDuration, HttpRoute AS ServerRoute,
       toString(ServiceName) AS ServiceName, HttpStatus AS ServerHttpStatus,
       toUInt8(StatusCode = 'Error' OR HttpStatus >= 500) AS ServerError
FROM {{local otel_traces}}
WHERE Side = 'backend' AND SpanKind = 'Server' AND ParentSpanId != '';
