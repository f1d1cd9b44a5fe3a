"""The latency dashboard's numbers in one pass over ``tracebridge_request_pairs`` (ClickHouse).

One query computes, for the filtered client requests that reached the backend, the request count,
client/server/gap p50/p95/p99 overall, per route, app version, OS, network type and backend
service, per route and time bucket, and the gap histogram. On a large store the percentiles come
from a deterministic sample of whole traces (``cityHash64(TraceId) % N = 0``, N a power of two
chosen so that about ``SAMPLE_TARGET`` requests remain); counts are then scaled by N and the page
says so. Below that size every request counts and the percentiles equal the query API's
(``quantiles`` interpolates linearly between closest ranks while it holds every value).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl

from tracebridge.dashboards.queries import DashboardFilters
from tracebridge.store.reader import StoreReader

SAMPLE_TARGET = 150_000
PERCENTILE_FIELDS = tuple(
    f"{side}_{pct}_ms" for side in ("client", "server", "gap") for pct in ("p50", "p95", "p99")
)

# Client requests by the client-side filters, without FINAL (client halves only): cheap, for the
# window shown and the sampling factor.
SELECT_LATENCY_ESTIMATE = """
SELECT count() AS Requests,
       toUnixTimestamp64Nano(min(ClientStart)) AS FirstNs,
       toUnixTimestamp64Nano(max(ClientStart)) AS LastNs
FROM tracebridge_request_pairs
WHERE HasClient = 1
  AND ({since:Int64} = 0 OR toUnixTimestamp64Nano(ClientStart) >= {since:Int64})
  AND ({until:Int64} = 0 OR toUnixTimestamp64Nano(ClientStart) <= {until:Int64})
  AND ({app_version:String} = '' OR AppVersion = {app_version:String})
  AND ({os_name:String} = '' OR OsName = {os_name:String})
  AND ({network_type:String} = '' OR NetworkType = {network_type:String})
"""

# The same requests as tracebridge.query.latency.PAIRS (both halves present, route = the server's
# http.route else the client's templated path), filtered and sampled by trace.
_PAIRS = """
SELECT if(ServerRoute != '', ServerRoute, ClientRoute) AS Route, AppVersion, OsName, NetworkType, ServiceName,
       toUnixTimestamp64Nano(ClientStart) AS ClientStartNs,
       toInt64(ClientDuration) AS ClientNs, toInt64(ServerDuration) AS ServerNs
FROM tracebridge_request_pairs FINAL
WHERE HasClient = 1 AND HasServer = 1
  AND ({sample:UInt32} <= 1 OR cityHash64(TraceId) % {sample:UInt32} = 0)
  AND ({since:Int64} = 0 OR toUnixTimestamp64Nano(ClientStart) >= {since:Int64})
  AND ({until:Int64} = 0 OR toUnixTimestamp64Nano(ClientStart) <= {until:Int64})
  AND ({app_version:String} = '' OR AppVersion = {app_version:String})
  AND ({os_name:String} = '' OR OsName = {os_name:String})
  AND ({network_type:String} = '' OR NetworkType = {network_type:String})
  AND ({service_name:String} = '' OR ServiceName = {service_name:String})
  AND ({route:String} = '' OR if(ServerRoute != '', ServerRoute, ClientRoute) = {route:String})
"""

SELECT_LATENCY_SUMMARY = f"""
SELECT Dim.1 AS Dimension, Dim.2 AS Key, Dim.3 AS BucketNs, count() AS Requests,
       quantiles(0.5, 0.95, 0.99)(ClientNs) AS ClientQ,
       quantiles(0.5, 0.95, 0.99)(ServerNs) AS ServerQ,
       quantiles(0.5, 0.95, 0.99)(ClientNs - ServerNs) AS GapQ,
       histogramIf({{bins:UInt32}})((ClientNs - ServerNs) / 1e6, Dim.1 = 'all') AS GapBins
FROM ({_PAIRS})
ARRAY JOIN [('all', '', toInt64(0)), ('route', Route, toInt64(0)), ('app_version', AppVersion, toInt64(0)),
            ('os_name', OsName, toInt64(0)), ('network_type', NetworkType, toInt64(0)),
            ('service_name', ServiceName, toInt64(0)),
            ('route_time', Route, intDiv(ClientStartNs, {{bucket_ns:Int64}}) * {{bucket_ns:Int64}})] AS Dim
GROUP BY Dimension, Key, BucketNs
ORDER BY Dimension, Requests DESC, Key, BucketNs
"""


@dataclass(frozen=True)
class LatencyEstimate:
    """Client requests matching the client-side filters (an upper bound of the paired ones)."""

    requests: int
    first_ns: int | None
    last_ns: int | None

    @property
    def sample(self) -> int:
        """1, or the power of two that leaves about SAMPLE_TARGET requests."""
        factor = 1
        while self.requests / factor > 2 * SAMPLE_TARGET:
            factor *= 2
        return factor


@dataclass(frozen=True)
class LatencySummary:
    """``requests``: paired requests (scaled by ``sample``); frames with ``requests`` scaled too:
    ``breakdown`` (dimension, key, percentiles), ``over_time`` (route, bucket_ns, percentiles),
    ``histogram`` (lower_ms, upper_ms, requests)."""

    requests: int
    sample: int
    breakdown: pl.DataFrame
    over_time: pl.DataFrame
    histogram: pl.DataFrame


def estimate(reader: StoreReader, filters: DashboardFilters) -> LatencyEstimate:
    row = reader.rows(SELECT_LATENCY_ESTIMATE, filters.params())[0]
    count = int(row["Requests"])
    return LatencyEstimate(
        count, int(row["FirstNs"]) if count else None, int(row["LastNs"]) if count else None
    )


def summary(
    reader: StoreReader,
    filters: DashboardFilters,
    bucket_ns: int,
    sample: int = 1,
    top_routes: int = 6,
    bins: int = 30,
) -> LatencySummary:
    """Everything the latency dashboard draws, from one query."""
    rows = reader.rows(
        SELECT_LATENCY_SUMMARY, {**filters.params(), "bucket_ns": bucket_ns, "sample": sample, "bins": bins}
    )
    records: list[dict[str, Any]] = []
    histogram: list[tuple[float, float, float]] = []
    total = 0
    for row in rows:
        record = {
            "dimension": row["Dimension"],
            "key": row["Key"],
            "bucket_ns": int(row["BucketNs"]),
            "requests": int(row["Requests"]) * sample,
        }
        for source, prefix in (("ClientQ", "client"), ("ServerQ", "server"), ("GapQ", "gap")):
            for value, pct in zip(row[source], ("p50", "p95", "p99"), strict=True):
                record[f"{prefix}_{pct}_ms"] = round(float(value) / 1e6, 3)
        if row["Dimension"] == "all":
            total = record["requests"]
            histogram = [(float(lo), float(hi), float(h) * sample) for lo, hi, h in row["GapBins"]]
        records.append(record)
    schema = {
        "dimension": pl.Utf8,
        "key": pl.Utf8,
        "bucket_ns": pl.Int64,
        "requests": pl.Int64,
        **{name: pl.Float64 for name in PERCENTILE_FIELDS},
    }
    frame = pl.DataFrame(records, schema=schema)
    breakdown = frame.filter(~pl.col("dimension").is_in(["all", "route_time"])).drop("bucket_ns")
    busiest = (
        breakdown.filter(pl.col("dimension") == "route")
        .sort(["requests", "key"], descending=[True, False])
        .head(top_routes)["key"]
        .to_list()
    )
    over_time = (
        frame.filter((pl.col("dimension") == "route_time") & pl.col("key").is_in(busiest))
        .drop("dimension")
        .rename({"key": "route"})
        .sort(["route", "bucket_ns"])
    )
    hist = pl.DataFrame(
        histogram,
        schema={"lower_ms": pl.Float64, "upper_ms": pl.Float64, "requests": pl.Float64},
        orient="row",
    )
    return LatencySummary(total, sample, breakdown, over_time, hist)
