"""Named SQL of the Jaeger-compatible API (``query/jaeger/``), run by ``StoreReader``'s ``jaeger_*``
methods with bound parameters.

Re-sent spans (stored twice until ReplacingMergeTree merges) are read once (``LIMIT 1 BY``,
newest ingest first); searches group by trace, so a duplicate never yields a trace twice.
Service names are the store's ``ServiceName`` (a resource without ``service.name`` has '').
"""

from __future__ import annotations

SERVICES = """
SELECT DISTINCT ServiceName AS name
FROM otel_traces
ORDER BY name
"""

OPERATIONS = """
SELECT DISTINCT SpanName AS name, SpanKind AS kind
FROM otel_traces
WHERE ServiceName = {service:String}
ORDER BY name, kind
"""

# Whether one span carries the tag k=v, as Jaeger sees its tags: a span, resource (process) or
# event (log) attribute, tracebridge's session id (session.id or Embrace's names), or one of the
# tags the Collector's translator derives from span fields. Attribute values compare as stored
# text ("true"/"false", decimal integers and doubles, base64 bytes). mapContains keeps an empty
# value from matching a missing key.
_TAG_HOLDS = """(
       (mapContains(SpanAttributes, k) AND SpanAttributes[k] = v)
    OR (mapContains(ResourceAttributes, k) AND ResourceAttributes[k] = v)
    OR arrayExists(m -> mapContains(m, k) AND m[k] = v, Events.Attributes)
    OR (k = 'session.id' AND SessionId = v AND v != '')
    OR (k = 'span.kind' AND SpanKind != 'Unspecified' AND lower(SpanKind) = v)
    OR (k = 'otel.status_code' AND StatusCode != 'Unset' AND upper(StatusCode) = v)
    OR (k = 'error' AND v = 'true' AND StatusCode = 'Error')
    OR (k = 'otel.status_description' AND v != '' AND StatusMessage = v)
    OR (k = 'otel.scope.name' AND v != '' AND ScopeName = v)
    OR (k = 'otel.scope.version' AND v != '' AND ScopeVersion = v)
    OR (k = 'w3c.tracestate' AND v != '' AND TraceState = v))"""

# Traces with at least one span meeting every condition at once (Jaeger's search semantics),
# most recent matching span first. Durations compare in whole microseconds, as Jaeger stores and
# shows them; start bounds on the span's start in microseconds; all bounds inclusive.
_FIND = """
SELECT TraceId, max(toUnixTimestamp64Micro(Timestamp)) AS LatestUs
FROM otel_traces
WHERE ServiceName = {{service:String}}
  AND ({{operation:String}} = '' OR SpanName = {{operation:String}})
  AND intDiv(Duration, 1000) BETWEEN {{min_duration_us:UInt64}} AND {{max_duration_us:UInt64}}
  AND toUnixTimestamp64Micro(Timestamp) BETWEEN {{start_us:Int64}} AND {{end_us:Int64}}{tags}
GROUP BY TraceId
ORDER BY LatestUs DESC, TraceId
LIMIT {{limit:UInt32}}
"""

# Without tags the attribute maps are not read at all (they are most of a span's bytes).
FIND_TRACE_IDS = _FIND.format(tags="")
FIND_TRACE_IDS_WITH_TAGS = _FIND.format(
    tags=f"""
  AND arrayAll((k, v) -> {_TAG_HOLDS}, {{tag_keys:Array(String)}}, {{tag_values:Array(String)}})"""
)

# Every span of the given traces with what Jaeger's model shows (attribute sets as keys, texts
# and type digits, decoded by tracebridge.store.attributes).
TRACE_SPANS = """
SELECT TraceId, SpanId, ParentSpanId, TraceState, SpanName, SpanKind, ServiceName,
       toUnixTimestamp64Nano(Timestamp) AS StartNs, Duration, StatusCode, StatusMessage,
       ScopeName, ScopeVersion,
       mapKeys(SpanAttributes) AS SpanKeys, mapValues(SpanAttributes) AS SpanTexts,
       SpanAttributeTypes AS SpanTypes,
       mapKeys(ResourceAttributes) AS ResourceKeys, mapValues(ResourceAttributes) AS ResourceTexts,
       ResourceAttributeTypes AS ResourceTypes,
       arrayMap(t -> toUnixTimestamp64Nano(t), Events.Timestamp) AS EventTimes, Events.Name AS EventNames,
       arrayMap(m -> mapKeys(m), Events.Attributes) AS EventKeys,
       arrayMap(m -> mapValues(m), Events.Attributes) AS EventTexts, Events.AttributeTypes AS EventTypes,
       Links.TraceId AS LinkTraceIds, Links.SpanId AS LinkSpanIds,
       arrayMap(m -> mapKeys(m), Links.Attributes) AS LinkKeys,
       arrayMap(m -> mapValues(m), Links.Attributes) AS LinkTexts, Links.AttributeTypes AS LinkTypes
FROM otel_traces
WHERE TraceId IN {trace_ids:Array(String)}
ORDER BY IngestTime DESC
LIMIT 1 BY TraceId, SpanId
"""
