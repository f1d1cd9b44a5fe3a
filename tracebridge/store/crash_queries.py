"""Named SQL of the crash queries, run by ``StoreReader``'s crash methods (parameters are always
bound, never formatted in).

Rows of ``tracebridge_crashes`` are de-duplicated in every read with ``LIMIT 1 BY CrashId``
(newest ingest first): a re-sent record is stored twice until ReplacingMergeTree merges.
"""

from __future__ import annotations

CRASH_COLUMNS = """
CrashId, toUnixTimestamp64Nano(Timestamp) AS TimeNs, Source, toString(Kind) AS Kind, SessionId, DeviceId,
TraceId, SpanId, EventName, ScopeName, toString(ServiceName) AS ServiceName, toString(AppVersion) AS AppVersion,
toString(OsName) AS OsName, toString(OsVersion) AS OsVersion, toString(DeviceModel) AS DeviceModel,
toString(NetworkType) AS NetworkType, ExceptionType, ExceptionMessage, ExceptionStacktrace
"""
DETAIL_COLUMNS = (
    CRASH_COLUMNS
    + """, mapKeys(Attributes) AS AttributeKeys, mapValues(Attributes) AS AttributeValues, AttributeTypes,
mapKeys(ResourceAttributes) AS ResourceAttributeKeys, mapValues(ResourceAttributes) AS ResourceAttributeValues,
ResourceAttributeTypes"""
)

SELECT_CRASH = f"""
SELECT {DETAIL_COLUMNS}
FROM tracebridge_crashes
WHERE CrashId = {{crash_id:String}}
ORDER BY IngestTime DESC
LIMIT 1
"""

SELECT_CRASHES_BY_IDS = f"""
SELECT {CRASH_COLUMNS}
FROM tracebridge_crashes
WHERE CrashId IN {{crash_ids:Array(String)}}
ORDER BY IngestTime DESC
LIMIT 1 BY CrashId
"""

# The crashes of a trace are read by id (SELECT_CRASHES_BY_IDS) after this narrow probe: most
# traces have none, and a query's cost is mostly fixed per selected expression.
SELECT_CRASH_IDS_IN_TRACE = """
SELECT DISTINCT CrashId
FROM tracebridge_crashes
WHERE TraceId = {trace_id:String}
"""

# Crash ids of sessions (by the session index), and of session-less crashes of some devices.
SELECT_SESSION_CRASH_COUNTS = """
SELECT SessionId, uniqExact(CrashId) AS Crashes
FROM tracebridge_session_crashes
WHERE SessionId IN {session_ids:Array(String)}
GROUP BY SessionId
"""

# Session-less crashes of the devices of some sessions' client spans (one query: the devices are
# read in the subquery).
SELECT_ORPHAN_CRASHES_OF_SESSIONS = """
SELECT CrashId, DeviceId, toUnixTimestamp64Nano(Timestamp) AS TimeNs
FROM tracebridge_session_crashes
WHERE SessionId = '' AND DeviceId IN (
    SELECT DeviceId
    FROM tracebridge_session_spans
    WHERE SessionId IN {session_ids:Array(String)} AND Side = 'client' AND DeviceId != ''
)
LIMIT 1 BY CrashId
"""

# One session's crash candidates in one read: the crashes recorded with its id and the
# session-less crashes of its client spans' devices (SELECT_ORPHAN_CRASHES_OF_SESSIONS for one
# session, and its own; the session document's crash probe: one query instead of two).
SELECT_SESSION_CRASH_CANDIDATES = """
SELECT CrashId, SessionId, DeviceId, toUnixTimestamp64Nano(Timestamp) AS TimeNs
FROM tracebridge_session_crashes
WHERE SessionId = {session_id:String}
   OR (SessionId = '' AND DeviceId IN (
        SELECT DeviceId
        FROM tracebridge_session_spans
        WHERE SessionId = {session_id:String} AND Side = 'client' AND DeviceId != ''
      ))
LIMIT 1 BY CrashId
"""

# Every session-less crash (the session index keeps them under the empty session id).
SELECT_ORPHAN_CRASHES = """
SELECT CrashId, DeviceId, toUnixTimestamp64Nano(Timestamp) AS TimeNs
FROM tracebridge_session_crashes
WHERE SessionId = '' AND DeviceId != ''
LIMIT 1 BY CrashId
LIMIT {limit:UInt32}
"""

# Every client session of some devices, to find the one active at a crash time.
SELECT_DEVICE_SESSIONS = """
SELECT DeviceId, SessionId,
       toUnixTimestamp64Nano(min(Timestamp)) AS StartNs,
       max(toUnixTimestamp64Nano(Timestamp) + Duration) AS EndNs
FROM tracebridge_session_spans
WHERE DeviceId IN {device_ids:Array(String)} AND Side = 'client' AND SessionId != ''
GROUP BY DeviceId, SessionId
"""

# The session's client requests started at or before the crash, newest first.
SELECT_REQUESTS_BEFORE = """
SELECT TraceId, SpanId, toUnixTimestamp64Nano(Timestamp) AS StartNs
FROM tracebridge_session_spans
WHERE SessionId = {session_id:String} AND Side = 'client' AND SpanKind = 'Client'
  AND Timestamp <= fromUnixTimestamp64Nano({until:Int64})
ORDER BY Timestamp DESC, SpanId
LIMIT 1 BY TraceId, SpanId
LIMIT {limit:UInt32}
"""

# Crash rows matching the list filters; the optional filters are '' or 0 when unset.
FILTER_WHERE = """
    ({app_version:String} = '' OR AppVersion = {app_version:String})
    AND ({os_name:String} = '' OR OsName = {os_name:String})
    AND ({kind:String} = '' OR Kind = {kind:String})
    AND ({since:Int64} = 0 OR Timestamp >= fromUnixTimestamp64Nano({since:Int64}))
    AND ({until:Int64} = 0 OR Timestamp <= fromUnixTimestamp64Nano({until:Int64}))
"""

SELECT_FILTERED_CRASHES = f"""
SELECT {CRASH_COLUMNS}
FROM
(
    SELECT *
    FROM tracebridge_crashes
    WHERE {FILTER_WHERE}
    ORDER BY IngestTime DESC
    LIMIT 1 BY CrashId
)
ORDER BY TimeNs DESC, CrashId
LIMIT {{limit:UInt32}}
"""

# Crashes pre-aggregated per distinct (type, stack, message-when-no-stack) for grouping in Python.
SELECT_CRASH_VARIANTS = f"""
SELECT ExceptionType AS Type,
       any(ExceptionStacktrace) AS Stack,
       any(ExceptionMessage) AS Message,
       count() AS Crashes,
       groupUniqArrayIf(SessionId, SessionId != '') AS SessionIds,
       groupArrayIf((DeviceId, toUnixTimestamp64Nano(Timestamp)), SessionId = '') AS Orphans,
       toUnixTimestamp64Nano(min(Timestamp)) AS FirstNs,
       toUnixTimestamp64Nano(max(Timestamp)) AS LastNs,
       groupArray(toString(AppVersion)) AS AppVersions
FROM
(
    SELECT CrashId, Timestamp, SessionId, DeviceId, AppVersion, ExceptionType, ExceptionStacktrace, ExceptionMessage
    FROM tracebridge_crashes
    WHERE {FILTER_WHERE}
    ORDER BY IngestTime DESC
    LIMIT 1 BY CrashId
)
GROUP BY ExceptionType, cityHash64(ExceptionStacktrace),
         if(ExceptionStacktrace = '', ExceptionMessage, '')
"""

# Client sessions active in a window (any client span in it), with their version facts.
SELECT_ACTIVE_SESSIONS = """
SELECT SessionId,
       argMax(toString(AppVersion), Timestamp) AS Version,
       argMax(toString(OsName), Timestamp) AS Os,
       argMax(DeviceId, Timestamp) AS Device
FROM tracebridge_session_spans
WHERE Side = 'client' AND SessionId != ''
  AND Timestamp >= fromUnixTimestamp64Nano({since:Int64}) AND Timestamp <= fromUnixTimestamp64Nano({until:Int64})
  AND ({os_name:String} = '' OR OsName = {os_name:String})
GROUP BY SessionId
"""

# Crashes in a window (for crash-free sessions), one row per crash.
SELECT_WINDOW_CRASHES = """
SELECT CrashId, SessionId, DeviceId, toString(Kind) AS Kind, toUnixTimestamp64Nano(Timestamp) AS TimeNs,
       toString(AppVersion) AS AppVersion, toString(OsName) AS OsName
FROM tracebridge_session_crashes
WHERE Timestamp >= fromUnixTimestamp64Nano({since:Int64}) AND Timestamp <= fromUnixTimestamp64Nano({until:Int64})
  AND ({os_name:String} = '' OR OsName = {os_name:String})
LIMIT 1 BY CrashId
"""
