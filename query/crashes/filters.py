"""Query parameters of the crash endpoints (400 naming unknown or bad parameters)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from tracebridge.query.filters import bad_request, check_mapping, parse_limit, parse_text, parse_time_range

KINDS = ("crash", "native_crash", "anr", "hang", "exception")
CRASH_FILTER_NAMES = ("session_id", "group_id", "app_version", "os_name", "kind", "since", "until", "limit")
GROUP_FILTER_NAMES = ("app_version", "os_name", "kind", "since", "until", "limit")


@dataclass(frozen=True)
class CrashFilters:
    """Filters of GET /api/v1/crashes and /api/v1/crash-groups (times: the crash time)."""

    session_id: str | None = None
    group_id: str | None = None
    app_version: str | None = None
    os_name: str | None = None
    kind: str | None = None
    since: int | None = None
    until: int | None = None
    limit: int = 100


def _kind(params: Mapping[str, str]) -> str | None:
    value = parse_text(params, "kind")
    if value is not None and value not in KINDS:
        raise bad_request("kind", f"{value!r} is not one of {', '.join(KINDS)}")
    return value


def parse_crash_filters(params: Mapping[str, str]) -> CrashFilters:
    check_mapping(params, CRASH_FILTER_NAMES)
    times = parse_time_range(params)
    return CrashFilters(
        session_id=parse_text(params, "session_id"),
        group_id=parse_text(params, "group_id"),
        app_version=parse_text(params, "app_version"),
        os_name=parse_text(params, "os_name"),
        kind=_kind(params),
        since=times.since,
        until=times.until,
        limit=parse_limit(params.get("limit"), 100, 10_000),
    )


def parse_group_filters(params: Mapping[str, str]) -> CrashFilters:
    check_mapping(params, GROUP_FILTER_NAMES)
    times = parse_time_range(params)
    return CrashFilters(
        app_version=parse_text(params, "app_version"),
        os_name=parse_text(params, "os_name"),
        kind=_kind(params),
        since=times.since,
        until=times.until,
        limit=parse_limit(params.get("limit"), 1000, 10_000),
    )
