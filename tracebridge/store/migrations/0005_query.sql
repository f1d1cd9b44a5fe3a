-- Narrow trace index for session reconstruction and session search: one small row per span
-- (every span, client and backend), ordered by TraceId like otel_traces, with fine granules.
-- Reading the spans of the ~100 traces of a session touches ~100 small ranges; the cost of a
-- range grows with the number of columns read, so everything the session view needs is packed
-- into one JSON array per span (Doc; field order in tracebridge/query/spans.py INDEX_FIELDS):
-- no attribute maps, only the declared http.route, the OkHttp resend count, and the event
-- names/times of client request spans (for the timing breakdown).
-- ReplacingMergeTree like otel_traces: readers de-duplicate with LIMIT 1 BY until merges.
CREATE TABLE IF NOT EXISTS tracebridge_trace_index
(
    TraceId String,
    SpanId String,
    IsError UInt8,
    Doc String,
    IngestTime DateTime64(3)
)
ENGINE = ReplacingMergeTree(IngestTime)
ORDER BY (TraceId, SpanId)
SETTINGS index_granularity = 256;

CREATE MATERIALIZED VIEW IF NOT EXISTS tracebridge_trace_index_mv TO tracebridge_trace_index AS
SELECT TraceId, SpanId, toUInt8(StatusCode = 'Error' OR HttpStatus >= 500) AS IsError,
       formatRow('JSONCompactEachRow',
           ParentSpanId, toUnixTimestamp64Nano(Timestamp), Duration, SpanName, SpanKind, Side, ServiceName,
           SessionId, StatusCode, StatusMessage, AppVersion, OsName, OsVersion, DeviceModel, DeviceId, NetworkType,
           HttpMethod, HttpRoute, SpanAttributes['http.route'], HttpStatus,
           tracebridge_first([SpanAttributes['http.request.resend_count'], SpanAttributes['http.resend_count']]),
           if(Side = 'client' AND SpanKind = 'Client', arrayMap(n -> toString(n), Events.Name), []),
           if(Side = 'client' AND SpanKind = 'Client', arrayMap(t -> toUnixTimestamp64Nano(t), Events.Timestamp), []))
           AS Doc,
       IngestTime
FROM otel_traces;

-- Stores created before this migration: index what is already there (once).
INSERT INTO tracebridge_trace_index
SELECT TraceId, SpanId, toUInt8(StatusCode = 'Error' OR HttpStatus >= 500) AS IsError,
       formatRow('JSONCompactEachRow',
           ParentSpanId, toUnixTimestamp64Nano(Timestamp), Duration, SpanName, SpanKind, Side, ServiceName,
           SessionId, StatusCode, StatusMessage, AppVersion, OsName, OsVersion, DeviceModel, DeviceId, NetworkType,
           HttpMethod, HttpRoute, SpanAttributes['http.route'], HttpStatus,
           tracebridge_first([SpanAttributes['http.request.resend_count'], SpanAttributes['http.resend_count']]),
           if(Side = 'client' AND SpanKind = 'Client', arrayMap(n -> toString(n), Events.Name), []),
           if(Side = 'client' AND SpanKind = 'Client', arrayMap(t -> toUnixTimestamp64Nano(t), Events.Timestamp), []))
           AS Doc,
       IngestTime
FROM otel_traces;
