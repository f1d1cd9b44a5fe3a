"""Small dashboard aggregates the query and crash services do not provide, computed in ClickHouse.

The crash trend and crash filter choices read ``tracebridge_crashes`` de-duplicated by CrashId;
the versions page's default window end reads the session index; screens read a session's traces
in ``otel_traces`` by trace id; id lookups read the tables' sorted keys. Filters are bound
parameters: an empty string or 0 means "no filter". (Latency: see ``latency_data``.)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import polars as pl

from tracebridge.store.reader import StoreReader

# The latest device time of client activity (the versions page's default window end).
SELECT_LAST_CLIENT_ACTIVITY = """
SELECT toUnixTimestamp64Nano(max(Timestamp)) AS LastNs, count() AS Spans
FROM tracebridge_session_spans
WHERE Side = 'client'
"""

# Crash records recognized at ingest (tracebridge_crashes, one row per crash once de-duplicated),
# the same records the crash groups count.
_CRASHES = """
SELECT Timestamp, AppVersion
FROM tracebridge_crashes
WHERE ({since:Int64} = 0 OR toUnixTimestamp64Nano(Timestamp) >= {since:Int64})
  AND ({until:Int64} = 0 OR toUnixTimestamp64Nano(Timestamp) <= {until:Int64})
  AND ({app_version:String} = '' OR AppVersion = {app_version:String})
  AND ({os_name:String} = '' OR OsName = {os_name:String})
ORDER BY IngestTime DESC
LIMIT 1 BY CrashId
"""

SELECT_CRASH_OPTIONS = """
SELECT groupUniqArrayIf(500)(toString(AppVersion), AppVersion != '') AS AppVersions,
       groupUniqArrayIf(50)(toString(OsName), OsName != '') AS OsNames
FROM tracebridge_crashes
"""

SELECT_CRASH_EXTENT = f"""
SELECT count() AS Crashes,
       toUnixTimestamp64Nano(min(Timestamp)) AS FirstNs,
       toUnixTimestamp64Nano(max(Timestamp)) AS LastNs
FROM ({_CRASHES})
"""

SELECT_CRASH_TREND = f"""
SELECT intDiv(toUnixTimestamp64Nano(Timestamp), {{bucket_ns:Int64}}) * {{bucket_ns:Int64}} AS BucketNs,
       if(AppVersion = '', '(unknown)', toString(AppVersion)) AS Version,
       count() AS Crashes
FROM ({_CRASHES})
GROUP BY BucketNs, Version
ORDER BY BucketNs, Version
"""

SELECT_TRACE_EXISTS = (
    "SELECT count() AS Found FROM (SELECT 1 FROM otel_traces WHERE TraceId = {trace_id:String} LIMIT 1)"
)

SELECT_SESSION_EXISTS = """
SELECT (SELECT count() FROM (SELECT 1 FROM tracebridge_session_spans WHERE SessionId = {session_id:String} LIMIT 1))
     + (SELECT count() FROM (SELECT 1 FROM tracebridge_session_crashes WHERE SessionId = {session_id:String} LIMIT 1)) AS Found
"""

# Screens of a session from its client spans' screen.name (opentelemetry-android sets it on
# every span; other SDKs may send it as a span attribute too), in device time order.
SELECT_SESSION_SCREENS = """
SELECT toUnixTimestamp64Nano(Timestamp) AS StartNs, toUnixTimestamp64Nano(Timestamp) + Duration AS EndNs,
       SpanAttributes['screen.name'] AS Screen
FROM otel_traces
WHERE TraceId IN {trace_ids:Array(String)} AND Side = 'client' AND SessionId = {session_id:String}
  AND SpanAttributes['screen.name'] != ''
ORDER BY StartNs, SpanId
LIMIT 1 BY SpanId
"""


@dataclass(frozen=True)
class DashboardFilters:
    """Validated dashboard filters; times in unix nanoseconds (None = unbounded)."""

    since: int | None = None
    until: int | None = None
    app_version: str = ""
    os_name: str = ""
    network_type: str = ""
    service_name: str = ""
    route: str = ""

    def params(self) -> dict[str, Any]:
        return {
            "since": self.since or 0,
            "until": self.until or 0,
            "app_version": self.app_version,
            "os_name": self.os_name,
            "network_type": self.network_type,
            "service_name": self.service_name,
            "route": self.route,
        }


def _frame(rows: list[dict[str, Any]], schema: Mapping[str, Any]) -> pl.DataFrame:
    if not rows:
        return pl.DataFrame(schema=dict(schema))
    return pl.DataFrame([{name: row.get(name) for name in schema} for row in rows], schema=dict(schema))


def last_client_activity(reader: StoreReader) -> int | None:
    row = reader.rows(SELECT_LAST_CLIENT_ACTIVITY)[0]
    return int(row["LastNs"]) if int(row["Spans"]) else None


def crash_options(reader: StoreReader) -> dict[str, list[str]]:
    """App versions and OS names seen in crash reports, sorted."""
    row = reader.rows(SELECT_CRASH_OPTIONS)[0]
    return {"app_version": sorted(row["AppVersions"]), "os_name": sorted(row["OsNames"])}


def crash_extent(reader: StoreReader, filters: DashboardFilters) -> tuple[int, int | None, int | None]:
    row = reader.rows(SELECT_CRASH_EXTENT, filters.params())[0]
    count = int(row["Crashes"])
    return count, (int(row["FirstNs"]) if count else None), (int(row["LastNs"]) if count else None)


def crash_trend(reader: StoreReader, filters: DashboardFilters, bucket_ns: int) -> pl.DataFrame:
    """Crashes per time bucket and app version."""
    rows = reader.rows(SELECT_CRASH_TREND, {**filters.params(), "bucket_ns": bucket_ns})
    frame = _frame(rows, {"BucketNs": pl.Int64, "Version": pl.Utf8, "Crashes": pl.Int64})
    return frame.rename({"BucketNs": "bucket_ns", "Version": "app_version", "Crashes": "crashes"})


def trace_exists(reader: StoreReader, trace_id: str) -> bool:
    return bool(reader.rows(SELECT_TRACE_EXISTS, {"trace_id": trace_id})[0]["Found"])


def session_exists(reader: StoreReader, session_id: str) -> bool:
    return bool(reader.rows(SELECT_SESSION_EXISTS, {"session_id": session_id})[0]["Found"])


def session_screens(reader: StoreReader, session_id: str, trace_ids: list[str]) -> pl.DataFrame:
    """The session's screens as consecutive visits: ``screen``, ``start_ns``, ``end_ns``."""
    schema = {"StartNs": pl.Int64, "EndNs": pl.Int64, "Screen": pl.Utf8}
    rows = (
        reader.rows(SELECT_SESSION_SCREENS, {"trace_ids": trace_ids, "session_id": session_id})
        if trace_ids
        else []
    )
    spans = _frame(rows, schema)
    if spans.is_empty():
        return pl.DataFrame(schema={"screen": pl.Utf8, "start_ns": pl.Int64, "end_ns": pl.Int64})
    return (
        spans.sort("StartNs")
        .with_columns(
            (pl.col("Screen") != pl.col("Screen").shift(1)).fill_null(True).cum_sum().alias("visit")
        )
        .group_by("visit", maintain_order=True)
        .agg(
            pl.col("Screen").first().alias("screen"),
            pl.col("StartNs").min().alias("start_ns"),
            pl.col("EndNs").max().alias("end_ns"),
        )
        .drop("visit")
    )
