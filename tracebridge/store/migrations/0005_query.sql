-- Narrow trace index for session reconstruction and session search: one small row per span
-- (every span, client and backend), ordered by TraceId like otel_traces, with fine granules and
-- small compression blocks (a lookup decompresses ~16 KiB per trace, not up to 1 MiB).
-- Reading the spans of the ~100 traces of a session touches ~100 small ranges; the cost of a
-- range grows with the number of columns read, so everything the session view needs is packed
-- into one JSON array per span (Doc; field order in tracebridge/query/spans.py INDEX_FIELDS):
-- no attribute maps, only the declared http.route, the OkHttp resend count, and the event
-- names/times of client request spans (for the timing breakdown).
-- ReplacingMergeTree like otel_traces: readers de-duplicate with LIMIT 1 BY until merges.
CREATE TABLE IF NOT EXISTS {{local tracebridge_trace_index}}{{on_cluster}}
(
    TraceId String,
    SpanId String,
    IsError UInt8,
    Doc String,
    IngestTime DateTime64(3)
)
ENGINE = {{engine ReplacingMergeTree(IngestTime)}}
ORDER BY (TraceId, SpanId)
SETTINGS index_granularity = 128, min_compress_block_size = 4096, max_compress_block_size = 16384;

{{distributed tracebridge_trace_index cityHash64(TraceId)}};

CREATE MATERIALIZED VIEW IF NOT EXISTS tracebridge_trace_index_mv{{on_cluster}} TO {{local tracebridge_trace_index}} AS
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
FROM {{local otel_traces}};

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

-- Session summaries for the session search: one row per session once merged (AggregatingMergeTree;
-- readers GROUP BY SessionId), so a search reads one small row per session instead of grouping every
-- span of the session index. Start/end come from client spans (device clock) when the session has
-- any, else from all its spans; device and app facts are those of its earliest client span that has
-- them (a non-client or empty value sorts last, so it is only taken when there is nothing else).
CREATE TABLE IF NOT EXISTS {{local tracebridge_session_summary}}{{on_cluster}}
(
    SessionId String,
    ClientStart SimpleAggregateFunction(min, Int64),
    ClientEnd SimpleAggregateFunction(max, Int64),
    AnyStart SimpleAggregateFunction(min, Int64),
    AnyEnd SimpleAggregateFunction(max, Int64),
    AppVersion AggregateFunction(argMin, String, Int64),
    OsName AggregateFunction(argMin, String, Int64),
    OsVersion AggregateFunction(argMin, String, Int64),
    DeviceModel AggregateFunction(argMin, String, Int64),
    DeviceId AggregateFunction(argMin, String, Int64)
)
ENGINE = {{engine AggregatingMergeTree}}
ORDER BY SessionId;

{{distributed tracebridge_session_summary cityHash64(SessionId)}};

CREATE MATERIALIZED VIEW IF NOT EXISTS tracebridge_session_summary_mv{{on_cluster}} TO {{local tracebridge_session_summary}} AS
SELECT SessionId,
       min(if(Side = 'client', toUnixTimestamp64Nano(Timestamp), 9223372036854775807)) AS ClientStart,
       max(if(Side = 'client', toUnixTimestamp64Nano(Timestamp) + toInt64(Duration), 0)) AS ClientEnd,
       min(toUnixTimestamp64Nano(Timestamp)) AS AnyStart,
       max(toUnixTimestamp64Nano(Timestamp) + toInt64(Duration)) AS AnyEnd,
       argMinState(if(Side = 'client' AND AppVersion != '', toString(AppVersion), ''),
                   if(Side = 'client' AND AppVersion != '', toUnixTimestamp64Nano(Timestamp), 9223372036854775807)) AS AppVersion,
       argMinState(if(Side = 'client' AND OsName != '', toString(OsName), ''),
                   if(Side = 'client' AND OsName != '', toUnixTimestamp64Nano(Timestamp), 9223372036854775807)) AS OsName,
       argMinState(if(Side = 'client' AND OsVersion != '', toString(OsVersion), ''),
                   if(Side = 'client' AND OsVersion != '', toUnixTimestamp64Nano(Timestamp), 9223372036854775807)) AS OsVersion,
       argMinState(if(Side = 'client' AND DeviceModel != '', toString(DeviceModel), ''),
                   if(Side = 'client' AND DeviceModel != '', toUnixTimestamp64Nano(Timestamp), 9223372036854775807)) AS DeviceModel,
       argMinState(if(Side = 'client' AND DeviceId != '', DeviceId, ''),
                   if(Side = 'client' AND DeviceId != '', toUnixTimestamp64Nano(Timestamp), 9223372036854775807)) AS DeviceId
FROM {{local otel_traces}}
WHERE SessionId != ''
GROUP BY SessionId;

INSERT INTO tracebridge_session_summary
SELECT SessionId,
       min(if(Side = 'client', toUnixTimestamp64Nano(Timestamp), 9223372036854775807)) AS ClientStart,
       max(if(Side = 'client', toUnixTimestamp64Nano(Timestamp) + toInt64(Duration), 0)) AS ClientEnd,
       min(toUnixTimestamp64Nano(Timestamp)) AS AnyStart,
       max(toUnixTimestamp64Nano(Timestamp) + toInt64(Duration)) AS AnyEnd,
       argMinState(if(Side = 'client' AND AppVersion != '', toString(AppVersion), ''),
                   if(Side = 'client' AND AppVersion != '', toUnixTimestamp64Nano(Timestamp), 9223372036854775807)) AS AppVersion,
       argMinState(if(Side = 'client' AND OsName != '', toString(OsName), ''),
                   if(Side = 'client' AND OsName != '', toUnixTimestamp64Nano(Timestamp), 9223372036854775807)) AS OsName,
       argMinState(if(Side = 'client' AND OsVersion != '', toString(OsVersion), ''),
                   if(Side = 'client' AND OsVersion != '', toUnixTimestamp64Nano(Timestamp), 9223372036854775807)) AS OsVersion,
       argMinState(if(Side = 'client' AND DeviceModel != '', toString(DeviceModel), ''),
                   if(Side = 'client' AND DeviceModel != '', toUnixTimestamp64Nano(Timestamp), 9223372036854775807)) AS DeviceModel,
       argMinState(if(Side = 'client' AND DeviceId != '', DeviceId, ''),
                   if(Side = 'client' AND DeviceId != '', toUnixTimestamp64Nano(Timestamp), 9223372036854775807)) AS DeviceId
FROM otel_traces
WHERE SessionId != ''
GROUP BY SessionId;
