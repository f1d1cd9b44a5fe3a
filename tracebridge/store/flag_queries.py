"""Named SQL of the feature-flag view (``query/flags.py``), run by ``StoreReader``'s flag methods
with bound parameters. Evaluations are span events or log records; re-sent ones are read once
(``LIMIT 1 BY``).
"""

from __future__ import annotations

_VARIANT = """
    multiIf(Attrs['feature_flag.result.variant'] != '', Attrs['feature_flag.result.variant'],
            Attrs['feature_flag.variant'] != '', Attrs['feature_flag.variant'],
            Attrs['feature_flag.result.value'])"""

SELECT_SPAN_EVALUATIONS = f"""
SELECT TraceId, SpanId, SessionId, Side, toString(SpanKind) AS Kind,
       toString(AppVersion) AS AppVersion, toString(OsName) AS OsName,
       toUnixTimestamp64Nano(EventTime) AS TimeNs, Attrs['feature_flag.key'] AS Key, {_VARIANT} AS Variant
FROM otel_traces
ARRAY JOIN Events.Timestamp AS EventTime, Events.Name AS EventName, Events.Attributes AS Attrs
WHERE hasAny(Events.Name, {{names:Array(String)}}) AND EventName IN {{names:Array(String)}}
  AND Attrs['feature_flag.key'] != '' AND EventTime <= fromUnixTimestamp64Nano({{until:Int64}})
LIMIT 1 BY TraceId, SpanId, TimeNs, Key
"""

SELECT_LOG_EVALUATIONS = f"""
SELECT TraceId, SpanId, SessionId, Side, 'Log' AS Kind,
       toString(AppVersion) AS AppVersion, toString(OsName) AS OsName,
       toUnixTimestamp64Nano(if(Timestamp > toDateTime64(0, 9), Timestamp, ObservedTimestamp)) AS TimeNs,
       LogAttributes['feature_flag.key'] AS Key, {_VARIANT.replace("Attrs", "LogAttributes")} AS Variant
FROM otel_logs
WHERE (EventName IN {{names:Array(String)}} OR LogAttributes['event.name'] IN {{names:Array(String)}})
  AND LogAttributes['feature_flag.key'] != '' AND Timestamp <= fromUnixTimestamp64Nano({{until:Int64}})
LIMIT 1 BY LogId
"""

# The app and session of each trace, from its client requests (a backend evaluation joins them).
SELECT_TRACE_FACTS = """
SELECT TraceId, max(SessionId) AS SessionId, max(AppVersion) AS AppVersion, max(OsName) AS OsName
FROM tracebridge_request_pairs
WHERE TraceId IN {trace_ids:Array(String)} AND HasClient = 1
GROUP BY TraceId
"""

SELECT_SESSION_CRASH_KINDS = """
SELECT SessionId, CrashId, toString(Kind) AS Kind
FROM tracebridge_session_crashes
WHERE SessionId IN {session_ids:Array(String)} OR CrashId IN {crash_ids:Array(String)}
LIMIT 1 BY CrashId
"""
