"""SQL of session reads over the session index ``tracebridge_session_spans`` (pure: SQL + params).

The index is ordered by SessionId, so one session is found without a time window. Session ids are
matched exactly (case-sensitive). The index holds every span carrying a session id: client spans,
and backend spans that got ``session.id`` through baggage; other backend spans join by trace id.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from tracebridge.query.filters import SessionFilters

# Sessions with a crash of their own (the crash module's session index; migration 0006).
SESSIONS_WITH_CRASH = "SELECT SessionId FROM tracebridge_session_crashes WHERE SessionId != ''"

SELECT_SESSION_TRACE_IDS = """
SELECT TraceId, min(toUnixTimestamp64Nano(Timestamp)) AS StartNs
FROM tracebridge_session_spans
WHERE SessionId = {session_id:String}
GROUP BY TraceId
ORDER BY StartNs, TraceId
"""


# One row per session from the summary table (migration 0005): client-span extent when there is
# one, else the extent of all its spans; facts of its earliest client span having them.
_SESSIONS = """
SELECT SessionId,
       if(min(ClientStart) < 9223372036854775807, min(ClientStart), min(AnyStart)) AS StartNs,
       if(max(ClientEnd) > 0, max(ClientEnd), max(AnyEnd)) AS EndNs,
       argMinMerge(AppVersion) AS AppVersion,
       argMinMerge(OsName) AS OsName,
       argMinMerge(OsVersion) AS OsVersion,
       argMinMerge(DeviceModel) AS DeviceModel,
       argMinMerge(DeviceId) AS DeviceId
FROM tracebridge_session_summary
GROUP BY SessionId
"""

# Counts of the sessions a search returns, from the session index (a range per session): exact
# distinct counts, so a re-sent span counts once.
SELECT_SESSION_COUNTS = """
SELECT SessionId, uniqExact(TraceId) AS TraceCount, uniqExact(TraceId, SpanId) AS SpanCount,
       max(StatusCode = 'Error' OR HttpStatus >= 500) AS HasError
FROM tracebridge_session_spans
WHERE SessionId IN {session_ids:Array(String)}
GROUP BY SessionId
"""


def session_search_query(
    filters: SessionFilters, inferred_crash_sessions: Collection[str] = ()
) -> tuple[str, dict[str, Any]]:
    """Rows ``SessionId, StartNs, EndNs, AppVersion, OsName, OsVersion, DeviceModel, DeviceId`` of
    the sessions matching ``filters``, newest start first, at most ``limit`` (their counts:
    ``SELECT_SESSION_COUNTS``).

    A session matches [since, until] when it overlaps it (start <= until and end >= since);
    ``has_crash`` tests for a crash recorded with the session's id, or for the session being in
    ``inferred_crash_sessions`` (sessions given a session-less crash from device and time).
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
            f"{negate}(SessionId IN ({SESSIONS_WITH_CRASH}) OR SessionId IN {{inferred:Array(String)}})"
        )
        params["inferred"] = sorted(inferred_crash_sessions)
    where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
    sql = f"""
SELECT * FROM ({_SESSIONS})
{where}
ORDER BY StartNs DESC, SessionId
LIMIT {{limit:UInt32}}
"""
    return sql, params
