"""The data the pages show from the query and crash services (other modules' contracts).

Trace and session documents and session search come from ``tracebridge.query.service``; crash
groups and version health from ``tracebridge.query.crashes.lookup``. Both raise
``HTTPException(400)`` for bad filters. (The latency dashboard computes its numbers in one pass
of its own: ``latency_data``.)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tracebridge.dashboards.queries import DashboardFilters
from tracebridge.query import service
from tracebridge.query.crashes import lookup
from tracebridge.store.reader import StoreReader


def trace_document(reader: StoreReader, trace_id: str) -> dict[str, Any] | None:
    return service.trace_document(reader, trace_id)


def session_document(reader: StoreReader, session_id: str) -> dict[str, Any] | None:
    return service.session_document(reader, session_id)


def search_sessions(reader: StoreReader, params: Mapping[str, str]) -> list[dict[str, Any]]:
    return list(service.search_sessions(reader, dict(params)))


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
