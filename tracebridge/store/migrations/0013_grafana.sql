-- Trace time ranges for Grafana's ClickHouse data source in OpenTelemetry mode: for a trace by id it
-- reads min(Start) / max(End) + 1 of the trace here, then otel_traces between them. Names, types
-- and the view's body as the Collector's clickhouseexporter creates them (one row per trace and
-- insert block, read with min/max); no time partitions, because device clocks are wrong. IngestTime
-- is tracebridge's, for the retention TTL.
CREATE TABLE IF NOT EXISTS {{local otel_traces_trace_id_ts}}{{on_cluster}}
(
    TraceId String CODEC(ZSTD(1)),
    Start DateTime CODEC(Delta, ZSTD(1)),
    End DateTime CODEC(Delta, ZSTD(1)),
    IngestTime DateTime64(3) DEFAULT now64(3),
    INDEX idx_trace_id TraceId TYPE bloom_filter(0.01) GRANULARITY 1
)
ENGINE = {{engine MergeTree}}
ORDER BY (TraceId, Start);

{{distributed otel_traces_trace_id_ts cityHash64(TraceId)}};

CREATE MATERIALIZED VIEW IF NOT EXISTS otel_traces_trace_id_ts_mv{{on_cluster}} TO {{local otel_traces_trace_id_ts}} AS
SELECT TraceId, toDateTime(min(Timestamp)) AS Start, toDateTime(max(Timestamp)) AS End
FROM {{local otel_traces}}
WHERE TraceId != ''
GROUP BY TraceId;

-- Stores created before this migration: the ranges of the traces already there (once).
INSERT INTO otel_traces_trace_id_ts (TraceId, Start, End)
SELECT TraceId, toDateTime(min(Timestamp)) AS Start, toDateTime(max(Timestamp)) AS End
FROM otel_traces
WHERE TraceId != ''
GROUP BY TraceId;
