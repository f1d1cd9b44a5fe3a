-- Crash records: one row per crash, recognized at ingest by two materialized views, one over log
-- records (otel_logs) and one over exception span events of client spans (otel_traces). See
-- docs/crashes.md for the recognition rules. Kind is one of crash, native_crash, anr, hang,
-- exception. Timestamp is the record's own time (when it crashed), never the upload time.
-- CrashId is the log record's LogId (a hash of the whole record) or a hash of (trace, span, event
-- time, event index) for span events, so a re-sent record keeps its id: ReplacingMergeTree
-- collapses it on merge and readers de-duplicate before merges with LIMIT 1 BY CrashId.
CREATE TABLE IF NOT EXISTS {{local tracebridge_crashes}}{{on_cluster}}
(
    CrashId String,
    Timestamp DateTime64(9),
    Source LowCardinality(String),
    Kind LowCardinality(String),
    SessionId String,
    DeviceId String,
    TraceId String,
    SpanId String,
    EventName String,
    ScopeName String,
    ServiceName LowCardinality(String),
    AppVersion LowCardinality(String),
    OsName LowCardinality(String),
    OsVersion LowCardinality(String),
    DeviceModel LowCardinality(String),
    NetworkType LowCardinality(String),
    ExceptionType String,
    ExceptionMessage String,
    ExceptionStacktrace String,
    Attributes Map(String, String),
    AttributeTypes String,
    ResourceAttributes Map(String, String),
    ResourceAttributeTypes String,
    IngestTime DateTime64(3),
    INDEX idx_crash_trace_id TraceId TYPE bloom_filter(0.001) GRANULARITY 1
)
ENGINE = {{engine ReplacingMergeTree(IngestTime)}}
ORDER BY CrashId;

{{distributed tracebridge_crashes cityHash64(if(TraceId != '', TraceId, CrashId))}};

-- Session index of crashes: a narrow row per crash ordered by session, so a session's crashes
-- (and, under SessionId '', a device's crashes that carry no session id) are found by prefix.
CREATE TABLE IF NOT EXISTS {{local tracebridge_session_crashes}}{{on_cluster}}
(
    SessionId String,
    DeviceId String,
    CrashId String,
    Timestamp DateTime64(9),
    Kind LowCardinality(String),
    AppVersion LowCardinality(String),
    OsName LowCardinality(String),
    IngestTime DateTime64(3)
)
ENGINE = {{engine ReplacingMergeTree(IngestTime)}}
ORDER BY (SessionId, DeviceId, CrashId);

{{distributed tracebridge_session_crashes cityHash64(SessionId)}};

CREATE MATERIALIZED VIEW IF NOT EXISTS tracebridge_crashes_from_logs_mv{{on_cluster}} TO {{local tracebridge_crashes}} AS
SELECT
    LogId AS CrashId,
    Timestamp,
    'log' AS Source,
    kind AS Kind,
    SessionId,
    DeviceId,
    TraceId,
    SpanId,
    tracebridge_first([EventName, LogAttributes['name'], LogAttributes['emb.type']]) AS EventName,
    ScopeName,
    ServiceName,
    AppVersion,
    OsName,
    OsVersion,
    DeviceModel,
    NetworkType,
    tracebridge_first([ExceptionType,
                       LogAttributes['metrickit.diagnostic.crash.exception.objc.type'],
                       LogAttributes['metrickit.diagnostic.crash.exception.mach_exception.name'],
                       LogAttributes['metrickit.diagnostic.crash.exception.signal.name'],
                       LogAttributes['crash.exception_reason.class_name'],
                       LogAttributes['crash.exception_reason.type'],
                       multiIf(kind = 'anr', 'ANR', kind = 'hang', 'Hang', kind = 'native_crash', 'NativeCrash', 'Crash')])
        AS ExceptionType,
    tracebridge_first([ExceptionMessage,
                       LogAttributes['metrickit.diagnostic.crash.exception.objc.message'],
                       LogAttributes['metrickit.diagnostic.crash.exception.mach_exception.description'],
                       LogAttributes['metrickit.diagnostic.crash.exception.signal.description'],
                       LogAttributes['metrickit.diagnostic.crash.exception.termination_reason'],
                       LogAttributes['crash.exception_reason.message'],
                       LogAttributes['crash.termination_reason'],
                       if(BodyType = '1', Body, '')]) AS ExceptionMessage,
    tracebridge_first([ExceptionStacktrace,
                       LogAttributes['metrickit.diagnostic.crash.exception.stacktrace_json'],
                       LogAttributes['metrickit.diagnostic.hang.exception.stacktrace_json']]) AS ExceptionStacktrace,
    LogAttributes AS Attributes,
    LogAttributeTypes AS AttributeTypes,
    ResourceAttributes,
    ResourceAttributeTypes,
    IngestTime
FROM
(
    -- The kind of a log record ('' = not a crash); inline so the view needs no function of its own.
    SELECT *,
           multiIf(EventName IN ('device.anr', 'app.anr') OR ScopeName = 'io.opentelemetry.anr'
                     OR LogAttributes['emb.type'] IN ('sys.android.anr', 'sys.anr'),
                   'anr',
                   EventName = 'metrickit.diagnostic.hang' OR LogAttributes['name'] = 'metrickit.diagnostic.hang',
                   'hang',
                   EventName IN ('app.crash', 'device.crash', 'metrickit.diagnostic.crash')
                     OR LogAttributes['name'] = 'metrickit.diagnostic.crash'
                     OR ScopeName IN ('io.opentelemetry.crash', 'io.opentelemetry.native-crash')
                     OR LogAttributes['emb.type'] IN ('sys.android.crash', 'sys.android.native_crash',
                                                      'sys.android.react_native_crash', 'sys.ios.crash',
                                                      'sys.flutter_crash', 'sys.crash'),
                   if(ScopeName = 'io.opentelemetry.native-crash' OR LogAttributes['emb.type'] = 'sys.android.native_crash'
                        OR match(ExceptionType, '^(SIG[A-Z0-9]+|EXC_[A-Z_]+)$'),
                      'native_crash', 'crash'),
                   Side = 'client' AND ExceptionType != ''
                     AND (SeverityNumber >= 21 OR lower(LogAttributes['exception.escaped']) = 'true'),
                   'exception',
                   '') AS kind
    FROM {{local otel_logs}}
)
WHERE kind != '';

-- An `exception` span event on a client-side span is a crash when it says the exception escaped
-- (exception.escaped = true) or was fatal (exception.fatal / crash.fatal = true); other exception
-- events are handled errors and stay on their span only.
CREATE MATERIALIZED VIEW IF NOT EXISTS tracebridge_crashes_from_spans_mv{{on_cluster}} TO {{local tracebridge_crashes}} AS
SELECT
    lower(hex(sipHash128('span_event', TraceId, SpanId, event_time, event_index))) AS CrashId,
    event_time AS Timestamp,
    'span_event' AS Source,
    if(match(event_attributes['exception.type'], '^(SIG[A-Z0-9]+|EXC_[A-Z_]+)$'), 'native_crash', 'crash') AS Kind,
    SessionId,
    DeviceId,
    TraceId,
    SpanId,
    'exception' AS EventName,
    ScopeName,
    ServiceName,
    AppVersion,
    OsName,
    OsVersion,
    DeviceModel,
    NetworkType,
    tracebridge_first([event_attributes['exception.type'], 'Exception']) AS ExceptionType,
    event_attributes['exception.message'] AS ExceptionMessage,
    event_attributes['exception.stacktrace'] AS ExceptionStacktrace,
    event_attributes AS Attributes,
    event_types AS AttributeTypes,
    ResourceAttributes,
    ResourceAttributeTypes,
    IngestTime
FROM
(
    -- Only client spans that have an exception event reach the ARRAY JOIN (which copies every
    -- column per event): this view then costs next to nothing for ordinary spans.
    SELECT *
    FROM {{local otel_traces}}
    WHERE Side = 'client' AND has(`Events.Name`, 'exception')
)
ARRAY JOIN
    `Events.Timestamp` AS event_time,
    `Events.Name` AS event_name,
    `Events.Attributes` AS event_attributes,
    `Events.AttributeTypes` AS event_types,
    arrayEnumerate(`Events.Name`) AS event_index
WHERE Side = 'client'
  AND event_name = 'exception'
  AND (lower(event_attributes['exception.escaped']) = 'true' OR lower(event_attributes['exception.fatal']) = 'true'
       OR lower(event_attributes['crash.fatal']) = 'true');

CREATE MATERIALIZED VIEW IF NOT EXISTS tracebridge_session_crashes_mv{{on_cluster}} TO {{local tracebridge_session_crashes}} AS
SELECT SessionId, DeviceId, CrashId, Timestamp, Kind, AppVersion, OsName, IngestTime
FROM {{local tracebridge_crashes}};
