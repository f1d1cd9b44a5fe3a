"""Dashboard data the query stage gives as rows, shaped into polars frames (no store access here).

Filters of every dashboard are the query stage's ``LatencyFilters`` (``parse_latency_filters``
rules: unknown names and bad values are a BadRequest naming them).
"""

from __future__ import annotations

import polars as pl

from tracebridge.query import service
from tracebridge.query.crashes import trend
from tracebridge.query.filters import LatencyFilters
from tracebridge.query.models import Session
from tracebridge.query.service import StoreReader


def crash_trend(reader: StoreReader, filters: LatencyFilters, bucket_ns: int) -> pl.DataFrame:
    """Crashes per time bucket and app version: ``bucket_ns``, ``app_version``, ``crashes``."""
    rows = trend.crash_trend(reader, filters, bucket_ns)
    return pl.DataFrame(
        [(r.bucket_ns, r.app_version, r.crashes) for r in rows],
        schema={"bucket_ns": pl.Int64, "app_version": pl.Utf8, "crashes": pl.Int64},
        orient="row",
    )


def session_screens(reader: StoreReader, session: Session) -> pl.DataFrame:
    """The session's screens as consecutive visits: ``screen``, ``start_ns``, ``end_ns``."""
    rows = service.session_screens(reader, session)
    if not rows:
        return pl.DataFrame(schema={"screen": pl.Utf8, "start_ns": pl.Int64, "end_ns": pl.Int64})
    spans = pl.DataFrame(
        [(r.start_ns, r.end_ns, r.screen) for r in rows],
        schema={"StartNs": pl.Int64, "EndNs": pl.Int64, "Screen": pl.Utf8},
        orient="row",
    )
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
