-- Ingest speed (docs/ingest.md, "What was tried"): otel_traces keeps its short text columns as
-- plain String. LowCardinality re-encodes its dictionaries on every insert and again on
-- every merge; here that cost a quarter of the CPU of storing and merging a span
-- (1M spans: 17.0 -> 12.8 CPU-seconds), and no read of otel_traces groups or scans by them (its reads are by
-- TraceId; the dashboards read the narrow and aggregate tables, which keep LowCardinality). Values and types read back are unchanged. On a store that already
-- holds data the change is a background mutation that rewrites these columns once.
ALTER TABLE otel_traces
    MODIFY COLUMN SpanName String,
    MODIFY COLUMN SpanKind String,
    MODIFY COLUMN ServiceName String,
    MODIFY COLUMN StatusCode String,
    MODIFY COLUMN Side String,
    MODIFY COLUMN AppVersion String,
    MODIFY COLUMN OsName String,
    MODIFY COLUMN OsVersion String,
    MODIFY COLUMN DeviceModel String,
    MODIFY COLUMN NetworkType String,
    MODIFY COLUMN HttpMethod String;
