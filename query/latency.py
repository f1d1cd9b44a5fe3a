"""SQL of the latency aggregates over ``tracebridge_request_pairs`` (pure: returns SQL + params).

One row per client request that reached the backend: the pairs table read with FINAL (the client
and server halves meet there in any arrival order), keeping rows with both halves. The route of a
pair is the server span's route (its ``http.route``) when set, else the templated client URL path.
Percentiles are exact: ``quantilesExactInclusive`` (linear interpolation between the closest ranks,
the rule of Excel's PERCENTILE.INC and numpy's default ``linear`` method), so they can be checked
on known data. Time filters apply to the client request's start (device clock).
"""

from __future__ import annotations

from typing import Any

from fastapi import HTTPException

from tracebridge.query.filters import GROUP_BY_CHOICES, LatencyFilters

# Group-by name -> column expression of the PAIRS subquery below (never user text).
GROUP_BY_COLUMNS: dict[str, str] = {
    "route": "Route",
    "app_version": "AppVersion",
    "os_name": "OsName",
    "network_type": "NetworkType",
    "service_name": "ServiceName",
}
assert set(GROUP_BY_COLUMNS) == set(GROUP_BY_CHOICES)

# Filter name -> (column of PAIRS, ClickHouse parameter type).
FILTER_COLUMNS: dict[str, str] = {
    "app_version": "AppVersion",
    "os_name": "OsName",
    "os_version": "OsVersion",
    "device_model": "DeviceModel",
    "network_type": "NetworkType",
    "service_name": "ServiceName",
    "route": "Route",
}

PAIRS = """
SELECT if(ServerRoute != '', ServerRoute, ClientRoute) AS Route, TraceId, ClientSpanId,
       AppVersion, OsName, OsVersion, DeviceModel, NetworkType, ServiceName,
       toUnixTimestamp64Nano(ClientStart) AS ClientStartNs,
       toInt64(ClientDuration) AS ClientNs, toInt64(ServerDuration) AS ServerNs
FROM tracebridge_request_pairs FINAL
WHERE HasClient = 1 AND HasServer = 1
"""

QUANTILES = """
       quantilesExactInclusive(0.5, 0.95, 0.99)(ClientNs) AS ClientQ,
       quantilesExactInclusive(0.5, 0.95, 0.99)(ServerNs) AS ServerQ,
       quantilesExactInclusive(0.5, 0.95, 0.99)(ClientNs - ServerNs) AS GapQ
"""


def _where(filters: LatencyFilters) -> tuple[str, dict[str, Any]]:
    clauses: list[str] = []
    params: dict[str, Any] = {}
    if filters.since is not None:
        clauses.append("ClientStartNs >= {since:Int64}")
        params["since"] = filters.since
    if filters.until is not None:
        clauses.append("ClientStartNs <= {until:Int64}")
        params["until"] = filters.until
    for name, column in FILTER_COLUMNS.items():
        value = getattr(filters, name)
        if value is not None:
            clauses.append(f"{column} = {{{name}:String}}")
            params[name] = value
    return ("WHERE " + " AND ".join(clauses)) if clauses else "", params


def group_column(group_by: str) -> str:
    """The column for a group-by name; a 400 naming it when unknown."""
    column = GROUP_BY_COLUMNS.get(group_by)
    if column is None:
        raise HTTPException(
            400, f"invalid parameter 'group_by': {group_by!r} is not one of {', '.join(GROUP_BY_CHOICES)}"
        )
    return column


def latency_query(group_by: str, filters: LatencyFilters) -> tuple[str, dict[str, Any]]:
    """Rows ``Key, Count, ClientQ, ServerQ, GapQ`` (quantile arrays p50, p95, p99 in ns), ordered by
    count descending then key."""
    column = group_column(group_by)
    where, params = _where(filters)
    sql = f"""
SELECT {column} AS Key, count() AS Count,{QUANTILES}
FROM ({PAIRS})
{where}
GROUP BY Key
ORDER BY Count DESC, Key
"""
    return sql, params


def latency_over_time_query(bucket_seconds: int, filters: LatencyFilters) -> tuple[str, dict[str, Any]]:
    """Rows ``Route, BucketNs, Count, ClientQ, ServerQ, GapQ`` per route and time bucket of the
    client start (buckets aligned on multiples of ``bucket_seconds`` since the epoch)."""
    where, params = _where(filters)
    params["bucket_ns"] = int(bucket_seconds) * 1_000_000_000
    sql = f"""
SELECT Route, intDiv(ClientStartNs, {{bucket_ns:Int64}}) * {{bucket_ns:Int64}} AS BucketNs, count() AS Count,{QUANTILES}
FROM ({PAIRS})
{where}
GROUP BY Route, BucketNs
ORDER BY Route, BucketNs
"""
    return sql, params
