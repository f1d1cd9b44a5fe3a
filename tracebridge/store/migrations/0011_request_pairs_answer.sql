-- Request pairs, one answer per request: replaces the table of 0004, where every column was its
-- own max() (so a retried request's server span id, route and service could come from different
-- attempts) and a server span below a proxy was not paired.
--
-- One row per key (TraceId, ClientSpanId) once merged, from three views that write independently
-- (any arrival order gives the same rows):
--   * a client-side CLIENT span writes the client half under its own span id;
--   * a backend SERVER span writes one attempt under its parent span id: Answer, a tuple whose
--     max() is the attempt that ended last (ties: the larger span id), i.e.
--     tracebridge.domain.attempt_order, so every server field comes from that one attempt;
--   * a backend non-SERVER span with a parent (a proxy or edge hop) writes a hop row under its own
--     id naming its parent (UpstreamSpanId).
-- Readers (tracebridge/store/queries.py REQUEST_PAIRS) join the answers below a hop to the hop's
-- parent, which pairs a client span with the servers one hop below it, the rule of
-- tracebridge/query/pairing.py. A re-sent span changes nothing (max, uniq arrays).
-- Table names go through the layout placeholders (tracebridge/store/layout.py): in the cluster
-- layout the rows live in tracebridge_request_pairs_local on each shard, read through the
-- Distributed tracebridge_request_pairs.
DROP VIEW IF EXISTS tracebridge_request_pairs_client_mv{{on_cluster}};
DROP VIEW IF EXISTS tracebridge_request_pairs_server_mv{{on_cluster}};
{{cluster_only}} DROP TABLE IF EXISTS tracebridge_request_pairs{{on_cluster}};
DROP TABLE IF EXISTS {{local tracebridge_request_pairs}}{{on_cluster}};

CREATE TABLE IF NOT EXISTS {{local tracebridge_request_pairs}}{{on_cluster}}
(
    TraceId String,
    ClientSpanId String,
    HasClient SimpleAggregateFunction(max, UInt8),
    HasServer SimpleAggregateFunction(max, UInt8),
    HasHop SimpleAggregateFunction(max, UInt8),
    UpstreamSpanId SimpleAggregateFunction(max, String),
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
    Answer SimpleAggregateFunction(max, Tuple(
        ServerEnd Int64, ServerSpanId String, ServerStart Int64, ServerDuration UInt64,
        DeclaredRoute String, ServerRoute String, ServiceName String, ServerHttpStatus UInt16, ServerError UInt8)),
    Attempts SimpleAggregateFunction(groupUniqArrayArray, Array(String)),
    IngestTime SimpleAggregateFunction(max, DateTime64(3))
)
ENGINE = {{engine AggregatingMergeTree}}
ORDER BY (TraceId, ClientSpanId);

{{distributed tracebridge_request_pairs cityHash64(TraceId)}};

CREATE MATERIALIZED VIEW IF NOT EXISTS tracebridge_request_pairs_client_mv{{on_cluster}} TO {{local tracebridge_request_pairs}} AS
SELECT TraceId, SpanId AS ClientSpanId, toUInt8(1) AS HasClient,
       Timestamp AS ClientStart, Duration AS ClientDuration, HttpRoute AS ClientRoute, SpanName AS ClientName,
       HttpStatus AS ClientHttpStatus, tracebridge_span_in_error(StatusCode, SpanKind, HttpStatus) AS ClientError,
       SessionId, toString(AppVersion) AS AppVersion, toString(OsName) AS OsName, toString(OsVersion) AS OsVersion,
       toString(DeviceModel) AS DeviceModel, toString(NetworkType) AS NetworkType, IngestTime
FROM {{local otel_traces}}
WHERE Side = 'client' AND SpanKind = 'Client';

CREATE MATERIALIZED VIEW IF NOT EXISTS tracebridge_request_pairs_server_mv{{on_cluster}} TO {{local tracebridge_request_pairs}} AS
SELECT TraceId, ParentSpanId AS ClientSpanId, toUInt8(1) AS HasServer,
       tuple(toUnixTimestamp64Nano(Timestamp) + toInt64(Duration), SpanId, toUnixTimestamp64Nano(Timestamp), Duration,
             SpanAttributes['http.route'], HttpRoute, toString(ServiceName), HttpStatus,
             tracebridge_span_in_error(StatusCode, SpanKind, HttpStatus)) AS Answer,
       [SpanId] AS Attempts, IngestTime
FROM {{local otel_traces}}
WHERE Side = 'backend' AND SpanKind = 'Server' AND ParentSpanId != '';

CREATE MATERIALIZED VIEW IF NOT EXISTS tracebridge_request_pairs_hop_mv{{on_cluster}} TO {{local tracebridge_request_pairs}} AS
SELECT TraceId, SpanId AS ClientSpanId, toUInt8(1) AS HasHop, ParentSpanId AS UpstreamSpanId, IngestTime
FROM {{local otel_traces}}
WHERE Side = 'backend' AND SpanKind != 'Server' AND ParentSpanId != '';

-- Stores created before this migration: pair what is already there (once).
INSERT INTO tracebridge_request_pairs (TraceId, ClientSpanId, HasClient, ClientStart, ClientDuration, ClientRoute,
    ClientName, ClientHttpStatus, ClientError, SessionId, AppVersion, OsName, OsVersion, DeviceModel, NetworkType, IngestTime)
SELECT TraceId, SpanId, 1, Timestamp, Duration, HttpRoute, SpanName, HttpStatus,
       tracebridge_span_in_error(StatusCode, SpanKind, HttpStatus), SessionId, toString(AppVersion), toString(OsName),
       toString(OsVersion), toString(DeviceModel), toString(NetworkType), IngestTime
FROM otel_traces
WHERE Side = 'client' AND SpanKind = 'Client';

INSERT INTO tracebridge_request_pairs (TraceId, ClientSpanId, HasServer, Answer, Attempts, IngestTime)
SELECT TraceId, ParentSpanId, 1,
       tuple(toUnixTimestamp64Nano(Timestamp) + toInt64(Duration), SpanId, toUnixTimestamp64Nano(Timestamp), Duration,
             SpanAttributes['http.route'], HttpRoute, toString(ServiceName), HttpStatus,
             tracebridge_span_in_error(StatusCode, SpanKind, HttpStatus)),
       [SpanId], IngestTime
FROM otel_traces
WHERE Side = 'backend' AND SpanKind = 'Server' AND ParentSpanId != '';

INSERT INTO tracebridge_request_pairs (TraceId, ClientSpanId, HasHop, UpstreamSpanId, IngestTime)
SELECT TraceId, SpanId, 1, ParentSpanId, IngestTime
FROM otel_traces
WHERE Side = 'backend' AND SpanKind != 'Server' AND ParentSpanId != '';
