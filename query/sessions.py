"""SQL of session reads over the session index ``tracebridge_session_spans`` (pure: SQL + params).

The index is ordered by SessionId, so one session is found without a time window. Session ids are
matched exactly (case-sensitive). The index holds every span carrying a session id: client spans,
and backend spans that got ``session.id`` through baggage; other backend spans join by trace id.
"""

from __future__ import annotations

from typing import Any

from tracebridge.query.filters import SessionFilters

# A log record that is a crash or ANR report (fallback rule when the crash module is absent).
CRASH_PREDICATE = "(ExceptionType != '' OR match(lower(EventName), '(crash|anr)'))"

SELECT_SESSION_TRACE_IDS = """
SELECT TraceId, min(toUnixTimestamp64Nano(Timestamp)) AS StartNs
FROM tracebridge_session_spans
WHERE SessionId = {session_id:String}
GROUP BY TraceId
ORDER BY StartNs, TraceId
"""

SELECT_CRASH_COUNTS = f"""
SELECT SessionId, uniqExact(LogId) AS Crashes
FROM otel_logs
WHERE SessionId IN {{session_ids:Array(String)}} AND {CRASH_PREDICATE}
GROUP BY SessionId
"""

# Facts come from the session's client spans (backend spans carry the backend's service version).
_SESSIONS = """
SELECT SessionId,
       if(countIf(Side = 'client') > 0, minIf(toUnixTimestamp64Nano(Timestamp), Side = 'client'),
          min(toUnixTimestamp64Nano(Timestamp))) AS StartNs,
       if(countIf(Side = 'client') > 0, maxIf(toUnixTimestamp64Nano(Timestamp) + Duration, Side = 'client'),
          max(toUnixTimestamp64Nano(Timestamp) + Duration)) AS EndNs,
       argMinIf(AppVersion, Timestamp, Side = 'client' AND AppVersion != '') AS AppVersion,
       argMinIf(OsName, Timestamp, Side = 'client' AND OsName != '') AS OsName,
       argMinIf(OsVersion, Timestamp, Side = 'client' AND OsVersion != '') AS OsVersion,
       argMinIf(DeviceModel, Timestamp, Side = 'client' AND DeviceModel != '') AS DeviceModel,
       argMinIf(DeviceId, Timestamp, Side = 'client' AND DeviceId != '') AS DeviceId,
       groupUniqArray(TraceId) AS TraceIds
FROM tracebridge_session_spans
GROUP BY SessionId
"""


def session_search_query(filters: SessionFilters) -> tuple[str, dict[str, Any]]:
    """Rows ``SessionId, StartNs, EndNs, AppVersion, OsName, OsVersion, DeviceModel, DeviceId,
    TraceIds`` of the sessions matching ``filters``, newest start first, at most ``limit``.

    A session matches [since, until] when it overlaps it (start <= until and end >= since);
    ``has_crash`` tests for a crash report of the session in ``otel_logs``.
    """
    clauses: list[str] = []
    params: dict[str, Any] = {"limit": filters.limit}
    for name, column in (
        ("app_version", "AppVersion"),
        ("os_name", "OsName"),
        ("os_version", "OsVersion"),
        ("device_model", "DeviceModel"),
        ("device_id", "DeviceId"),
    ):
        value = getattr(filters, name)
        if value is not None:
            clauses.append(f"{column} = {{{name}:String}}")
            params[name] = value
    if filters.since is not None:
        clauses.append("EndNs >= {since:Int64}")
        params["since"] = filters.since
    if filters.until is not None:
        clauses.append("StartNs <= {until:Int64}")
        params["until"] = filters.until
    if filters.has_crash is not None:
        negate = "" if filters.has_crash else "NOT "
        clauses.append(
            f"SessionId {negate}IN (SELECT SessionId FROM otel_logs WHERE SessionId != '' AND {CRASH_PREDICATE})"
        )
    where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
    sql = f"""
SELECT * FROM ({_SESSIONS})
{where}
ORDER BY StartNs DESC, SessionId
LIMIT {{limit:UInt32}}
"""
    return sql, params
