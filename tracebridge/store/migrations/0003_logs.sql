-- Log records (crash reports among them), under the clickhouseexporter's otel_logs column
-- names plus tracebridge's correlation and crash columns. Log bodies and attributes keep arrays
-- and key-value lists as JSON text. LogId is a hash of the whole record: the same record sent
-- twice has the same LogId and collapses like a span; readers de-duplicate by LogId.
CREATE TABLE IF NOT EXISTS {{local otel_logs}}{{on_cluster}}
(
    Timestamp DateTime64(9),
    ObservedTimestamp DateTime64(9),
    TraceId String,
    SpanId String,
    TraceFlags UInt32,
    SeverityText LowCardinality(String),
    SeverityNumber UInt8,
    ServiceName LowCardinality(String),
    Body String,
    BodyType String,
    ResourceAttributes Map(String, String),
    ResourceAttributeTypes String,
    ScopeName String,
    ScopeVersion String,
    ScopeAttributes Map(String, String),
    ScopeAttributeTypes String,
    LogAttributes Map(String, String),
    LogAttributeTypes String,
    EventName String,
    LogId String,
    SessionId String,
    Side LowCardinality(String),
    AppVersion LowCardinality(String),
    OsName LowCardinality(String),
    OsVersion LowCardinality(String),
    DeviceModel LowCardinality(String),
    DeviceId String,
    NetworkType LowCardinality(String),
    ExceptionType String,
    ExceptionMessage String,
    ExceptionStacktrace String,
    IngestTime DateTime64(3) DEFAULT now64(3),
    INDEX idx_trace_id TraceId TYPE bloom_filter(0.001) GRANULARITY 1
)
ENGINE = {{engine ReplacingMergeTree(IngestTime)}}
ORDER BY (SessionId, LogId);

{{distributed otel_logs cityHash64(if(TraceId != '', TraceId, LogId))}};

CREATE TABLE IF NOT EXISTS otlp_logs_in{{on_cluster}}
(
    resource_logs Array(Tuple(
        resource Tuple(attributes Array(Tuple(key String, value Tuple(value Enum8('none' = 0, 'string_value' = 1, 'bool_value' = 2, 'int_value' = 3, 'double_value' = 4, 'array_value' = 5, 'kvlist_value' = 6, 'bytes_value' = 7), string_value String, bool_value Bool, int_value Int64, double_value Float64, array_value Tuple(values Array(Tuple(value Enum8('none' = 0, 'string_value' = 1, 'bool_value' = 2, 'int_value' = 3, 'double_value' = 4, 'array_value' = 5, 'kvlist_value' = 6, 'bytes_value' = 7), string_value String, bool_value Bool, int_value Int64, double_value Float64, array_value String, kvlist_value String, bytes_value String))), kvlist_value Tuple(values Array(Tuple(key String, value Tuple(value Enum8('none' = 0, 'string_value' = 1, 'bool_value' = 2, 'int_value' = 3, 'double_value' = 4, 'array_value' = 5, 'kvlist_value' = 6, 'bytes_value' = 7), string_value String, bool_value Bool, int_value Int64, double_value Float64, array_value String, kvlist_value String, bytes_value String)))), bytes_value String)))),
        scope_logs Array(Tuple(
            scope Tuple(name String, version String, attributes Array(Tuple(key String, value Tuple(value Enum8('none' = 0, 'string_value' = 1, 'bool_value' = 2, 'int_value' = 3, 'double_value' = 4, 'array_value' = 5, 'kvlist_value' = 6, 'bytes_value' = 7), string_value String, bool_value Bool, int_value Int64, double_value Float64, array_value Tuple(values Array(Tuple(value Enum8('none' = 0, 'string_value' = 1, 'bool_value' = 2, 'int_value' = 3, 'double_value' = 4, 'array_value' = 5, 'kvlist_value' = 6, 'bytes_value' = 7), string_value String, bool_value Bool, int_value Int64, double_value Float64, array_value String, kvlist_value String, bytes_value String))), kvlist_value Tuple(values Array(Tuple(key String, value Tuple(value Enum8('none' = 0, 'string_value' = 1, 'bool_value' = 2, 'int_value' = 3, 'double_value' = 4, 'array_value' = 5, 'kvlist_value' = 6, 'bytes_value' = 7), string_value String, bool_value Bool, int_value Int64, double_value Float64, array_value String, kvlist_value String, bytes_value String)))), bytes_value String)))),
            log_records Array(Tuple(
                time_unix_nano UInt64, severity_number Int32, severity_text String,
                body Tuple(value Enum8('none' = 0, 'string_value' = 1, 'bool_value' = 2, 'int_value' = 3, 'double_value' = 4, 'array_value' = 5, 'kvlist_value' = 6, 'bytes_value' = 7), string_value String, bool_value Bool, int_value Int64, double_value Float64, array_value Tuple(values Array(Tuple(value Enum8('none' = 0, 'string_value' = 1, 'bool_value' = 2, 'int_value' = 3, 'double_value' = 4, 'array_value' = 5, 'kvlist_value' = 6, 'bytes_value' = 7), string_value String, bool_value Bool, int_value Int64, double_value Float64, array_value String, kvlist_value String, bytes_value String))), kvlist_value Tuple(values Array(Tuple(key String, value Tuple(value Enum8('none' = 0, 'string_value' = 1, 'bool_value' = 2, 'int_value' = 3, 'double_value' = 4, 'array_value' = 5, 'kvlist_value' = 6, 'bytes_value' = 7), string_value String, bool_value Bool, int_value Int64, double_value Float64, array_value String, kvlist_value String, bytes_value String)))), bytes_value String),
                attributes Array(Tuple(key String, value Tuple(value Enum8('none' = 0, 'string_value' = 1, 'bool_value' = 2, 'int_value' = 3, 'double_value' = 4, 'array_value' = 5, 'kvlist_value' = 6, 'bytes_value' = 7), string_value String, bool_value Bool, int_value Int64, double_value Float64, array_value Tuple(values Array(Tuple(value Enum8('none' = 0, 'string_value' = 1, 'bool_value' = 2, 'int_value' = 3, 'double_value' = 4, 'array_value' = 5, 'kvlist_value' = 6, 'bytes_value' = 7), string_value String, bool_value Bool, int_value Int64, double_value Float64, array_value String, kvlist_value String, bytes_value String))), kvlist_value Tuple(values Array(Tuple(key String, value Tuple(value Enum8('none' = 0, 'string_value' = 1, 'bool_value' = 2, 'int_value' = 3, 'double_value' = 4, 'array_value' = 5, 'kvlist_value' = 6, 'bytes_value' = 7), string_value String, bool_value Bool, int_value Int64, double_value Float64, array_value String, kvlist_value String, bytes_value String)))), bytes_value String))),
                flags UInt32, trace_id String, span_id String,
                observed_time_unix_nano UInt64, event_name String))))))
)
ENGINE = Null;

CREATE MATERIALIZED VIEW IF NOT EXISTS otlp_logs_in_mv{{on_cluster}} TO otel_logs AS
SELECT
    tracebridge_nanos(if(r.time_unix_nano != 0, r.time_unix_nano, r.observed_time_unix_nano)) AS Timestamp,
    tracebridge_nanos(r.observed_time_unix_nano) AS ObservedTimestamp,
    tracebridge_hex_id(r.trace_id) AS TraceId,
    tracebridge_hex_id(r.span_id) AS SpanId,
    r.flags AS TraceFlags,
    r.severity_text AS SeverityText,
    toUInt8(least(greatest(r.severity_number, 0), 255)) AS SeverityNumber,
    ra['service.name'] AS ServiceName,
    tracebridge_log_value_text(r.body) AS Body,
    tracebridge_value_type(r.body) AS BodyType,
    ra AS ResourceAttributes,
    tracebridge_attr_types(rl.resource.attributes) AS ResourceAttributeTypes,
    sl.scope.name AS ScopeName,
    sl.scope.version AS ScopeVersion,
    tracebridge_attr_map(sl.scope.attributes) AS ScopeAttributes,
    tracebridge_attr_types(sl.scope.attributes) AS ScopeAttributeTypes,
    la AS LogAttributes,
    tracebridge_attr_types(r.attributes) AS LogAttributeTypes,
    tracebridge_first([r.event_name, la['event.name']]) AS EventName,
    lower(hex(sipHash128(ra, sl.scope.name, r.time_unix_nano, r.observed_time_unix_nano, r.trace_id, r.span_id,
                         r.severity_number, r.severity_text, Body, BodyType, la, r.event_name))) AS LogId,
    tracebridge_session_id(la, ra) AS SessionId,
    tracebridge_side(ra) AS Side,
    tracebridge_first([ra['service.version'], ra['app.version']]) AS AppVersion,
    tracebridge_os_name(ra) AS OsName,
    ra['os.version'] AS OsVersion,
    tracebridge_first([ra['device.model.name'], ra['device.model.identifier']]) AS DeviceModel,
    ra['device.id'] AS DeviceId,
    tracebridge_network_type(la, ra) AS NetworkType,
    la['exception.type'] AS ExceptionType,
    la['exception.message'] AS ExceptionMessage,
    la['exception.stacktrace'] AS ExceptionStacktrace,
    now64(3) AS IngestTime
FROM
(
    SELECT rl, sl, r, tracebridge_attr_map(rl.resource.attributes) AS ra, tracebridge_log_attr_map(r.attributes) AS la
    FROM otlp_logs_in
    ARRAY JOIN resource_logs AS rl
    ARRAY JOIN rl.scope_logs AS sl
    ARRAY JOIN sl.log_records AS r
);
