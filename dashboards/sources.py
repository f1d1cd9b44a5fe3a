"""The data the pages show, from the query and crash services (other modules' contracts), shaped
with polars where a chart needs a table.

Trace and session documents, session search and the latency aggregates come from
``tracebridge.query.service``; crash groups and version health from
``tracebridge.query.crashes.lookup``. Both raise ``HTTPException(400)`` for bad filters.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import polars as pl

from tracebridge.dashboards.queries import DashboardFilters
from tracebridge.query import service
from tracebridge.query.crashes import lookup
from tracebridge.store.reader import StoreReader

PERCENTILE_FIELDS = tuple(
    f"{side}_{pct}_ms" for side in ("client", "server", "gap") for pct in ("p50", "p95", "p99")
)
BREAKDOWNS = ("route", "app_version", "os_name", "network_type", "service_name")


def trace_document(reader: StoreReader, trace_id: str) -> dict[str, Any] | None:
    return service.trace_document(reader, trace_id)


def session_document(reader: StoreReader, session_id: str) -> dict[str, Any] | None:
    return service.session_document(reader, session_id)


def search_sessions(reader: StoreReader, params: Mapping[str, str]) -> list[dict[str, Any]]:
    return list(service.search_sessions(reader, dict(params)))


def latency_params(filters: DashboardFilters) -> dict[str, str]:
    """The dashboard filters as the query service's latency parameters."""
    raw = {
        "since": str(filters.since) if filters.since else "",
        "until": str(filters.until) if filters.until else "",
        "app_version": filters.app_version,
        "os_name": filters.os_name,
        "network_type": filters.network_type,
        "service_name": filters.service_name,
        "route": filters.route,
    }
    return {k: v for k, v in raw.items() if v}


def _percentile_schema() -> dict[str, Any]:
    return {name: pl.Float64 for name in PERCENTILE_FIELDS}


def latency_over_time(
    reader: StoreReader, filters: DashboardFilters, bucket_seconds: int, top: int = 6
) -> pl.DataFrame:
    """Columns ``route, bucket_ns, requests`` + client/server/gap p50/p95/p99 ms, for the ``top``
    routes with most requests."""
    rows = service.latency_over_time(reader, bucket_seconds, latency_params(filters))
    schema = {"route": pl.Utf8, "bucket_ns": pl.Int64, "requests": pl.Int64, **_percentile_schema()}
    frame = pl.DataFrame(
        [
            {
                "route": r["route"],
                "bucket_ns": int(r["bucket_start_unix_nano"]),
                "requests": int(r["count"]),
                **{name: r.get(name) for name in PERCENTILE_FIELDS},
            }
            for r in rows
        ],
        schema=schema,
    )
    if frame.is_empty():
        return frame
    busiest = (
        frame.group_by("route")
        .agg(pl.col("requests").sum())
        .sort(["requests", "route"], descending=[True, False])
        .head(top)["route"]
    )
    return frame.filter(pl.col("route").is_in(busiest.to_list()))


def latency_breakdown(reader: StoreReader, filters: DashboardFilters) -> pl.DataFrame:
    """Columns ``dimension, key, requests`` + percentiles: the query service's latency rows for each
    of route, app version, OS, network type and backend service."""
    records = []
    params = latency_params(filters)
    for dimension in BREAKDOWNS:
        for row in service.latency_rows(reader, dimension, params)["rows"]:
            records.append(
                {
                    "dimension": dimension,
                    "key": row["key"] or "",
                    "requests": int(row["count"]),
                    **{name: row.get(name) for name in PERCENTILE_FIELDS},
                }
            )
    schema = {"dimension": pl.Utf8, "key": pl.Utf8, "requests": pl.Int64, **_percentile_schema()}
    return pl.DataFrame(records, schema=schema)


def crash_groups(reader: StoreReader, filters: DashboardFilters) -> list[dict[str, Any]]:
    """Crash groups (contract shape), most crashes first."""
    params = {
        name: value
        for name, value in (
            ("app_version", filters.app_version),
            ("os_name", filters.os_name),
            ("since", str(filters.since) if filters.since else ""),
            ("until", str(filters.until) if filters.until else ""),
        )
        if value
    }
    groups = list(lookup.crash_groups(reader, params))
    groups.sort(key=lambda g: (-int(g.get("count") or 0), str(g.get("group_id"))))
    return groups


def version_health(reader: StoreReader, until: int, os_name: str = "") -> list[dict[str, Any]]:
    """Weekly active share and crash-free sessions per (app version, OS) (contract shape)."""
    params = {"until": str(until), **({"os_name": os_name} if os_name else {})}
    return list(lookup.version_health(reader, params))
