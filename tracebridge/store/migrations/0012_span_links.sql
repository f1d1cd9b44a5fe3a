-- Span links by the span they point at (issue 14, queued work): a CONSUMER or worker span that
-- links to the PRODUCER span of a message is found from the producer's (TraceId, SpanId), even when
-- the consumer ran minutes later in another trace. One row per (link, linking span); a re-sent span
-- collapses on the sort key. The last statement fills the table from spans stored before it existed
-- (through the plain names, so in the cluster layout it reads and writes every shard; a span the
-- view also wrote meanwhile collapses on the sort key, and readers de-duplicate with LIMIT 1 BY).
CREATE TABLE IF NOT EXISTS {{local tracebridge_span_links}}{{on_cluster}}
(
    LinkedTraceId String,
    LinkedSpanId String,
    TraceId String,
    SpanId String,
    SpanName String,
    SpanKind LowCardinality(String),
    ServiceName LowCardinality(String),
    Timestamp DateTime64(9),
    Duration UInt64,
    StatusCode LowCardinality(String),
    HttpStatus UInt16,
    IngestTime DateTime64(3) DEFAULT now64(3)
)
ENGINE = {{engine ReplacingMergeTree(IngestTime)}}
ORDER BY (LinkedTraceId, LinkedSpanId, TraceId, SpanId);

{{distributed tracebridge_span_links cityHash64(TraceId)}};

CREATE MATERIALIZED VIEW IF NOT EXISTS tracebridge_span_links_mv{{on_cluster}} TO {{local tracebridge_span_links}} AS
SELECT tupleElement(link, 1) AS LinkedTraceId, tupleElement(link, 2) AS LinkedSpanId, TraceId, SpanId, SpanName,
       toString(SpanKind) AS SpanKind, toString(ServiceName) AS ServiceName, Timestamp, Duration,
       toString(StatusCode) AS StatusCode, HttpStatus
FROM {{local otel_traces}}
ARRAY JOIN arrayZip(Links.TraceId, Links.SpanId) AS link
WHERE notEmpty(Links.SpanId);

INSERT INTO tracebridge_span_links
    (LinkedTraceId, LinkedSpanId, TraceId, SpanId, SpanName, SpanKind, ServiceName, Timestamp, Duration,
     StatusCode, HttpStatus, IngestTime)
SELECT tupleElement(link, 1), tupleElement(link, 2), TraceId, SpanId, SpanName, toString(SpanKind),
       toString(ServiceName), Timestamp, Duration, toString(StatusCode), HttpStatus, IngestTime
FROM otel_traces
ARRAY JOIN arrayZip(Links.TraceId, Links.SpanId) AS link
WHERE notEmpty(Links.SpanId);
