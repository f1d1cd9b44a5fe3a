"""Crash counts over time for the crash dashboard (the same de-duplicated crash records the
crash groups count)."""

from __future__ import annotations

from tracebridge.query.filters import LatencyFilters
from tracebridge.store.reader import StoreReader
from tracebridge.store.rows import CrashTrendRow


def _filters(filters: LatencyFilters) -> dict[str, str | int | None]:
    return {
        "since": filters.since,
        "until": filters.until,
        "app_version": filters.app_version,
        "os_name": filters.os_name,
    }


def crash_options(reader: StoreReader) -> tuple[list[str], list[str]]:
    """App versions and OS names seen in crash reports, sorted."""
    return reader.crash_options()


def crash_extent(reader: StoreReader, filters: LatencyFilters) -> tuple[int, int | None, int | None]:
    """Crash count and first/last crash time (filters: since, until, app_version, os_name)."""
    return reader.crash_extent(_filters(filters))


def crash_trend(reader: StoreReader, filters: LatencyFilters, bucket_ns: int) -> list[CrashTrendRow]:
    """Crashes per time bucket and app version ('(unknown)' when none)."""
    return reader.crash_trend(_filters(filters), bucket_ns)
