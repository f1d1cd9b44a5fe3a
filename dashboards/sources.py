"""The documents the pages show, from the query stage (``tracebridge.query.service`` and the crash
lookups); they raise ``BadRequest``/``NotFound`` (``tracebridge.query.errors``)."""

from __future__ import annotations

from collections.abc import Mapping

from tracebridge.query.crashes import lookup
from tracebridge.query.filters import LatencyFilters
from tracebridge.query.models import CrashGroup, VersionRow
from tracebridge.query.service import StoreReader


def crash_groups(reader: StoreReader, filters: LatencyFilters) -> list[CrashGroup]:
    """Crash groups, most crashes first."""
    params: Mapping[str, str] = {
        name: str(value)
        for name, value in (
            ("app_version", filters.app_version),
            ("os_name", filters.os_name),
            ("since", filters.since),
            ("until", filters.until),
        )
        if value is not None
    }
    return lookup.crash_groups(reader, params)


def version_health(reader: StoreReader, until: int, os_name: str = "") -> list[VersionRow]:
    """Weekly active share and crash-free sessions per (app version, OS)."""
    return lookup.version_health(reader, {"until": str(until), **({"os_name": os_name} if os_name else {})})
