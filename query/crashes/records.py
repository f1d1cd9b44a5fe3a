"""Stored crash rows as the API's crash documents (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from tracebridge.query.crashes.fingerprint import Fingerprint, fingerprint
from tracebridge.query.models import CrashSummary

# Kinds that end the app; a MetricKit hang is recorded but does not make a session crash.
FATAL_KINDS = ("crash", "native_crash", "anr", "exception")


@lru_cache(maxsize=8192)
def cached_fingerprint(exception_type: str, stacktrace: str, message: str) -> Fingerprint:
    return fingerprint(exception_type, stacktrace, message)


def group_of(row: Mapping[str, Any]) -> Fingerprint:
    return cached_fingerprint(row["ExceptionType"], row["ExceptionStacktrace"], row["ExceptionMessage"])


def crash_summary(row: Mapping[str, Any], session_id: str | None, inferred: bool) -> CrashSummary:
    """The crash as it appears in lists (traces, sessions, /api/v1/crashes)."""
    return CrashSummary.model_validate(crash_fields(row, session_id, inferred))


def crash_fields(row: Mapping[str, Any], session_id: str | None, inferred: bool) -> dict[str, Any]:
    """The list fields of a crash row (``crash_summary``'s, and the first ones of a ``Crash``)."""
    group = group_of(row)
    return {
        "crash_id": row["CrashId"],
        "time_unix_nano": int(row["TimeNs"]),
        "kind": row["Kind"],
        "fatal": row["Kind"] in FATAL_KINDS,
        "exception_type": row["ExceptionType"],
        "exception_message": row["ExceptionMessage"],
        "group_id": group.group_id,
        "title": group.title,
        "session_id": session_id,
        "session_inferred": inferred,
        "trace_id": row["TraceId"] or None,
        "span_id": row["SpanId"] or None,
        "event_name": row["EventName"] or None,
        "source": row["Source"],
        "app_version": row["AppVersion"],
        "os_name": row["OsName"],
        "os_version": row["OsVersion"],
        "device_model": row["DeviceModel"],
        "network_type": row["NetworkType"] or None,
    }
