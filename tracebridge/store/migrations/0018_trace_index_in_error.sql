-- The error rule per span in the trace index: InError = tracebridge_span_in_error (the one rule,
-- tracebridge/domain.py span_in_error), so the session search's has_error reads one byte per span
-- instead of the JSON Doc of every span of the sessions' traces (docs/query.md: 356 of ~420 ms of
-- a 50-session search at 10M spans). The view is made again with InError from the span's columns
-- (0005's view otherwise unchanged; the SQL function comes from 0010, after 0005); rows stored
-- before get it from their Doc (the same fields the search read until now: 5 = SpanKind,
-- 9 = StatusCode, 20 = HttpStatus), computed on read until the MATERIALIZE mutation has written it.
ALTER TABLE {{local tracebridge_trace_index}}{{on_cluster}}
    ADD COLUMN IF NOT EXISTS InError UInt8
    DEFAULT tracebridge_span_in_error(JSONExtractString(Doc, 9), JSONExtractString(Doc, 5), JSONExtractUInt(Doc, 20));
{{cluster_only}} ALTER TABLE tracebridge_trace_index{{on_cluster}} ADD COLUMN IF NOT EXISTS InError UInt8;

DROP VIEW IF EXISTS tracebridge_trace_index_mv{{on_cluster}};

CREATE MATERIALIZED VIEW IF NOT EXISTS tracebridge_trace_index_mv{{on_cluster}} TO {{local tracebridge_trace_index}} AS
SELECT TraceId, SpanId, toUInt8(StatusCode = 'Error' OR HttpStatus >= 500) AS IsError,
       tracebridge_span_in_error(StatusCode, SpanKind, HttpStatus) AS InError,
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

ALTER TABLE {{local tracebridge_trace_index}}{{on_cluster}} MATERIALIZE COLUMN InError;
