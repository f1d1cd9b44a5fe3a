"""The latency dashboard's numbers, from the query stage's one latency query.

``tracebridge.query.service.latency_groups`` gives, for the filtered client requests that reached
the backend, the request count and exact client/server/gap p50/p95/p99 overall, per route, app
version, OS, network type and backend service, and per route and time bucket: the same query and
the same numbers as ``GET /api/v1/latency`` and ``/api/v1/latency/over-time`` (no sampling), in one
run. A cheap extent of the client starts picks the time buckets first; the gap histogram comes from
``gap_histogram`` over the same requests. Shaping here is polars only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from tracebridge.query.filters import LatencyFilters
from tracebridge.query.service import (
    LatencyGroup,
    StoreReader,
    gap_histogram,
    latency_groups,
    percentile_fields,
    request_extent,
)

PERCENTILE_FIELDS = tuple(
    f"{side}_{pct}_ms" for side in ("client", "server", "gap") for pct in ("p50", "p95", "p99")
)
BREAKDOWNS = ("route", "app_version", "os_name", "network_type", "service_name")


@dataclass(frozen=True)
class LatencyEstimate:
    """The extent of the client starts of the requests under the client-side filters."""

    first_ns: int | None
    last_ns: int | None


@dataclass(frozen=True)
class LatencySummary:
    """``requests``: paired requests; frames: ``breakdown`` (dimension, key, requests,
    percentiles), ``over_time`` (route, bucket_ns, requests, percentiles), ``histogram``
    (lower_ms, upper_ms, requests)."""

    requests: int
    breakdown: pl.DataFrame
    over_time: pl.DataFrame
    histogram: pl.DataFrame
    groups: Sequence[LatencyGroup]  # as the latency query returned them (the page's phase rows)


def estimate(reader: StoreReader, filters: LatencyFilters) -> LatencyEstimate:
    return LatencyEstimate(*request_extent(reader, filters))


def summary(
    reader: StoreReader, filters: LatencyFilters, bucket_ns: int, top_routes: int = 6, bins: int = 30
) -> LatencySummary:
    """Everything the latency dashboard draws."""
    records = []
    total = 0
    groups = latency_groups(reader, ["all", *BREAKDOWNS, "route_time"], filters, bucket_ns)
    for group in groups:
        fields = percentile_fields(group)
        records.append(
            {
                "dimension": group.dimension,
                "key": group.key,
                "bucket_ns": group.bucket_ns,
                "requests": group.count,
                **{name: fields[name] for name in PERCENTILE_FIELDS},
            }
        )
        if group.dimension == "all":
            total = group.count
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
        gap_histogram(reader, filters, bins) if total else [],
        schema={"lower_ms": pl.Float64, "upper_ms": pl.Float64, "requests": pl.Float64},
        orient="row",
    )
    return LatencySummary(total, breakdown, over_time, hist, groups)
