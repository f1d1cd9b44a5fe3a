-- Spans under the OpenTelemetry Collector clickhouseexporter's column names, plus tracebridge's
-- correlation columns. Ordered by TraceId: the table is its own trace index, and no lookup
-- depends on a time window (device clocks are wrong; uploads are late).
-- Attribute maps hold each value's text; *AttributeTypes hold one type digit per attribute in
-- key order (1 string, 2 bool, 3 int, 4 double, 5 array, 6 kvlist, 7 bytes, 0 empty). Arrays and
-- key-value lists are stored as base64 of their OTLP protobuf and decoded by the reader.
-- ReplacingMergeTree on (TraceId, SpanId): a re-sent span collapses on merge, and readers
-- de-duplicate before merges (LIMIT 1 BY / argMax), so a retry never shows twice.
CREATE TABLE IF NOT EXISTS {{local otel_traces}}{{on_cluster}}
(
    Timestamp DateTime64(9),
    TraceId String,
    SpanId String,
    ParentSpanId String,
    TraceState String,
    TraceFlags UInt32,
    SpanName LowCardinality(String),
    SpanKind LowCardinality(String),
    ServiceName LowCardinality(String),
    ResourceAttributes Map(String, String),
    ResourceAttributeTypes String,
    ScopeName String,
    ScopeVersion String,
    ScopeAttributes Map(String, String),
    ScopeAttributeTypes String,
    SpanAttributes Map(String, String),
    SpanAttributeTypes String,
    Duration UInt64,
    StatusCode LowCardinality(String),
    StatusMessage String,
    Events Nested (
        Timestamp DateTime64(9),
        Name LowCardinality(String),
        Attributes Map(String, String),
        AttributeTypes String
    ),
    Links Nested (
        TraceId String,
        SpanId String,
        TraceState String,
        Attributes Map(String, String),
        AttributeTypes String
    ),
    SessionId String,
    Side LowCardinality(String),
    AppVersion LowCardinality(String),
    OsName LowCardinality(String),
    OsVersion LowCardinality(String),
    DeviceModel LowCardinality(String),
    DeviceId String,
    NetworkType LowCardinality(String),
    HttpMethod LowCardinality(String),
    HttpRoute String,
    HttpStatus UInt16,
    IngestTime DateTime64(3) DEFAULT now64(3)
)
ENGINE = {{engine ReplacingMergeTree(IngestTime)}}
ORDER BY (TraceId, SpanId)
-- A trace lookup reads a granule of every column for a handful of rows: small granules and
-- compression blocks make that read ~35% cheaper (measured at 10M spans) for ~2% more disk.
SETTINGS index_granularity = 1024, min_compress_block_size = 4096, max_compress_block_size = 16384;

{{distributed otel_traces cityHash64(TraceId)}};

-- Session index: one narrow row per span that carries a session id, ordered by SessionId,
-- so a session is found without a time window.
CREATE TABLE IF NOT EXISTS {{local tracebridge_session_spans}}{{on_cluster}}
(
    SessionId String,
    TraceId String,
    SpanId String,
    ParentSpanId String,
    Timestamp DateTime64(9),
    Duration UInt64,
    Side LowCardinality(String),
    SpanKind LowCardinality(String),
    SpanName LowCardinality(String),
    ServiceName LowCardinality(String),
    StatusCode LowCardinality(String),
    HttpStatus UInt16,
    AppVersion LowCardinality(String),
    OsName LowCardinality(String),
    OsVersion LowCardinality(String),
    DeviceModel LowCardinality(String),
    DeviceId String,
    NetworkType LowCardinality(String),
    IngestTime DateTime64(3)
)
ENGINE = {{engine ReplacingMergeTree(IngestTime)}}
ORDER BY (SessionId, TraceId, SpanId);

{{distributed tracebridge_session_spans cityHash64(TraceId)}};

CREATE MATERIALIZED VIEW IF NOT EXISTS tracebridge_session_spans_mv{{on_cluster}} TO {{local tracebridge_session_spans}} AS
SELECT SessionId, TraceId, SpanId, ParentSpanId, Timestamp, Duration, Side, SpanKind, SpanName, ServiceName,
       StatusCode, HttpStatus, AppVersion, OsName, OsVersion, DeviceModel, DeviceId, NetworkType, IngestTime
FROM {{local otel_traces}}
WHERE SessionId != '';

-- Landing table for ExportTraceServiceRequest messages parsed by ClickHouse (FORMAT Protobuf with
-- tracebridge/store/otlp_wire.proto). Null engine: nothing is kept here, the view below flattens.
CREATE TABLE IF NOT EXISTS otlp_traces_in{{on_cluster}}
(
    resource_spans Array(Tuple(
        resource Tuple(attributes Array(Tuple(key String, value Tuple(value Enum8('none' = 0, 'string_value' = 1, 'bool_value' = 2, 'int_value' = 3, 'double_value' = 4, 'array_value' = 5, 'kvlist_value' = 6, 'bytes_value' = 7), string_value String, bool_value Bool, int_value Int64, double_value Float64, array_value Tuple(values Array(Tuple(value Enum8('none' = 0, 'string_value' = 1, 'bool_value' = 2, 'int_value' = 3, 'double_value' = 4, 'array_value' = 5, 'kvlist_value' = 6, 'bytes_value' = 7), string_value String, bool_value Bool, int_value Int64, double_value Float64, array_value String, kvlist_value String, bytes_value String))), kvlist_value Tuple(values Array(Tuple(key String, value Tuple(value Enum8('none' = 0, 'string_value' = 1, 'bool_value' = 2, 'int_value' = 3, 'double_value' = 4, 'array_value' = 5, 'kvlist_value' = 6, 'bytes_value' = 7), string_value String, bool_value Bool, int_value Int64, double_value Float64, array_value String, kvlist_value String, bytes_value String)))), bytes_value String)))),
        scope_spans Array(Tuple(
            scope Tuple(name String, version String, attributes Array(Tuple(key String, value Tuple(value Enum8('none' = 0, 'string_value' = 1, 'bool_value' = 2, 'int_value' = 3, 'double_value' = 4, 'array_value' = 5, 'kvlist_value' = 6, 'bytes_value' = 7), string_value String, bool_value Bool, int_value Int64, double_value Float64, array_value Tuple(values Array(Tuple(value Enum8('none' = 0, 'string_value' = 1, 'bool_value' = 2, 'int_value' = 3, 'double_value' = 4, 'array_value' = 5, 'kvlist_value' = 6, 'bytes_value' = 7), string_value String, bool_value Bool, int_value Int64, double_value Float64, array_value String, kvlist_value String, bytes_value String))), kvlist_value Tuple(values Array(Tuple(key String, value Tuple(value Enum8('none' = 0, 'string_value' = 1, 'bool_value' = 2, 'int_value' = 3, 'double_value' = 4, 'array_value' = 5, 'kvlist_value' = 6, 'bytes_value' = 7), string_value String, bool_value Bool, int_value Int64, double_value Float64, array_value String, kvlist_value String, bytes_value String)))), bytes_value String)))),
            spans Array(Tuple(
                trace_id String, span_id String, trace_state String, parent_span_id String,
                name String, kind Int32, start_time_unix_nano UInt64, end_time_unix_nano UInt64,
                attributes Array(Tuple(key String, value Tuple(value Enum8('none' = 0, 'string_value' = 1, 'bool_value' = 2, 'int_value' = 3, 'double_value' = 4, 'array_value' = 5, 'kvlist_value' = 6, 'bytes_value' = 7), string_value String, bool_value Bool, int_value Int64, double_value Float64, array_value Tuple(values Array(Tuple(value Enum8('none' = 0, 'string_value' = 1, 'bool_value' = 2, 'int_value' = 3, 'double_value' = 4, 'array_value' = 5, 'kvlist_value' = 6, 'bytes_value' = 7), string_value String, bool_value Bool, int_value Int64, double_value Float64, array_value String, kvlist_value String, bytes_value String))), kvlist_value Tuple(values Array(Tuple(key String, value Tuple(value Enum8('none' = 0, 'string_value' = 1, 'bool_value' = 2, 'int_value' = 3, 'double_value' = 4, 'array_value' = 5, 'kvlist_value' = 6, 'bytes_value' = 7), string_value String, bool_value Bool, int_value Int64, double_value Float64, array_value String, kvlist_value String, bytes_value String)))), bytes_value String))),
                events Array(Tuple(time_unix_nano UInt64, name String, attributes Array(Tuple(key String, value Tuple(value Enum8('none' = 0, 'string_value' = 1, 'bool_value' = 2, 'int_value' = 3, 'double_value' = 4, 'array_value' = 5, 'kvlist_value' = 6, 'bytes_value' = 7), string_value String, bool_value Bool, int_value Int64, double_value Float64, array_value Tuple(values Array(Tuple(value Enum8('none' = 0, 'string_value' = 1, 'bool_value' = 2, 'int_value' = 3, 'double_value' = 4, 'array_value' = 5, 'kvlist_value' = 6, 'bytes_value' = 7), string_value String, bool_value Bool, int_value Int64, double_value Float64, array_value String, kvlist_value String, bytes_value String))), kvlist_value Tuple(values Array(Tuple(key String, value Tuple(value Enum8('none' = 0, 'string_value' = 1, 'bool_value' = 2, 'int_value' = 3, 'double_value' = 4, 'array_value' = 5, 'kvlist_value' = 6, 'bytes_value' = 7), string_value String, bool_value Bool, int_value Int64, double_value Float64, array_value String, kvlist_value String, bytes_value String)))), bytes_value String))))),
                links Array(Tuple(trace_id String, span_id String, trace_state String, attributes Array(Tuple(key String, value Tuple(value Enum8('none' = 0, 'string_value' = 1, 'bool_value' = 2, 'int_value' = 3, 'double_value' = 4, 'array_value' = 5, 'kvlist_value' = 6, 'bytes_value' = 7), string_value String, bool_value Bool, int_value Int64, double_value Float64, array_value Tuple(values Array(Tuple(value Enum8('none' = 0, 'string_value' = 1, 'bool_value' = 2, 'int_value' = 3, 'double_value' = 4, 'array_value' = 5, 'kvlist_value' = 6, 'bytes_value' = 7), string_value String, bool_value Bool, int_value Int64, double_value Float64, array_value String, kvlist_value String, bytes_value String))), kvlist_value Tuple(values Array(Tuple(key String, value Tuple(value Enum8('none' = 0, 'string_value' = 1, 'bool_value' = 2, 'int_value' = 3, 'double_value' = 4, 'array_value' = 5, 'kvlist_value' = 6, 'bytes_value' = 7), string_value String, bool_value Bool, int_value Int64, double_value Float64, array_value String, kvlist_value String, bytes_value String)))), bytes_value String))), flags UInt32)),
                status Tuple(message String, code Int32),
                flags UInt32))))))
)
ENGINE = Null;

-- Resource attributes are turned into a map once per resource, then the spans are unrolled.
-- Layered so that every function of a map reads it as a column of the layer below: ClickHouse's
-- analyzer copies an aliased expression into each place that names it in the same SELECT, and this
-- query is planned again for every inserted block (side and os name over an aliased map made the
-- plan ~40% dearer; docs/ingest.md, "Planning cost").
CREATE MATERIALIZED VIEW IF NOT EXISTS otlp_traces_in_mv{{on_cluster}} TO otel_traces AS
SELECT
    tracebridge_nanos(s.start_time_unix_nano) AS Timestamp,
    lower(hex(s.trace_id)) AS TraceId,
    lower(hex(s.span_id)) AS SpanId,
    lower(hex(s.parent_span_id)) AS ParentSpanId,
    s.trace_state AS TraceState,
    s.flags AS TraceFlags,
    s.name AS SpanName,
    tracebridge_kind(s.kind) AS SpanKind,
    ra['service.name'] AS ServiceName,
    ra AS ResourceAttributes,
    ra_types AS ResourceAttributeTypes,
    ss.scope.name AS ScopeName,
    ss.scope.version AS ScopeVersion,
    tracebridge_attr_map(ss.scope.attributes) AS ScopeAttributes,
    tracebridge_attr_types(ss.scope.attributes) AS ScopeAttributeTypes,
    sa AS SpanAttributes,
    tracebridge_attr_types(s.attributes) AS SpanAttributeTypes,
    s.end_time_unix_nano - s.start_time_unix_nano AS Duration,
    tracebridge_status(s.status.code) AS StatusCode,
    s.status.message AS StatusMessage,
    arrayMap(e -> tracebridge_nanos(e.time_unix_nano), s.events) AS `Events.Timestamp`,
    arrayMap(e -> e.name, s.events) AS `Events.Name`,
    arrayMap(e -> tracebridge_attr_map(e.attributes), s.events) AS `Events.Attributes`,
    arrayMap(e -> tracebridge_attr_types(e.attributes), s.events) AS `Events.AttributeTypes`,
    arrayMap(l -> lower(hex(l.trace_id)), s.links) AS `Links.TraceId`,
    arrayMap(l -> lower(hex(l.span_id)), s.links) AS `Links.SpanId`,
    arrayMap(l -> l.trace_state, s.links) AS `Links.TraceState`,
    arrayMap(l -> tracebridge_attr_map(l.attributes), s.links) AS `Links.Attributes`,
    arrayMap(l -> tracebridge_attr_types(l.attributes), s.links) AS `Links.AttributeTypes`,
    tracebridge_session_id(sa, ra) AS SessionId,
    side AS Side,
    tracebridge_first([ra['service.version'], ra['app.version']]) AS AppVersion,
    os_name AS OsName,
    ra['os.version'] AS OsVersion,
    tracebridge_first([ra['device.model.name'], ra['device.model.identifier']]) AS DeviceModel,
    ra['device.id'] AS DeviceId,
    tracebridge_network_type(sa, ra) AS NetworkType,
    upper(tracebridge_first([sa['http.request.method'], sa['http.method']])) AS HttpMethod,
    tracebridge_http_route(sa) AS HttpRoute,
    toUInt16OrZero(tracebridge_first([sa['http.response.status_code'], sa['http.status_code']])) AS HttpStatus,
    now64(3) AS IngestTime
FROM
(
    SELECT ra, ra_types, side, os_name, ss, s, tracebridge_attr_map(s.attributes) AS sa
    FROM
    (
        SELECT ra, ra_types, tracebridge_side(ra) AS side, tracebridge_os_name(ra) AS os_name, scope_spans
        FROM
        (
            SELECT tracebridge_attr_map(rs.resource.attributes) AS ra,
                   tracebridge_attr_types(rs.resource.attributes) AS ra_types,
                   rs.scope_spans AS scope_spans
            FROM otlp_traces_in
            ARRAY JOIN resource_spans AS rs
        )
    )
    ARRAY JOIN scope_spans AS ss
    ARRAY JOIN ss.spans AS s
);
