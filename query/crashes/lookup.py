"""Crash lookups used by the API, the session/trace documents, the dashboards and the demo.

Every function takes a ``StoreReader`` and returns typed documents (``query.models``). Crash
lists carry ``crash_id``, ``time_unix_nano``, ``kind``, ``fatal``, ``exception_type``,
``exception_message``, ``group_id``, ``title``, ``session_id``, ``session_inferred``,
``trace_id``, ``span_id`` and the app/device facts. Query-parameter functions raise
``BadRequest`` naming a bad or unknown parameter; an unknown crash id is ``NotFound``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from tracebridge.query.crashes import enrich
from tracebridge.query.crashes.filters import CrashFilters, parse_crash_filters, parse_group_filters
from tracebridge.query.crashes.health import version_health as version_health
from tracebridge.query.crashes.records import cached_fingerprint, crash_fields, crash_summary, group_of
from tracebridge.query.crashes.sessions import assign_orphans, infer_sessions, inferred_crash_ids, resolve
from tracebridge.query.errors import NotFound
from tracebridge.query.models import Crash, CrashGroup, CrashSummary
from tracebridge.store.attributes import from_stored
from tracebridge.store.reader import StoreReader

DEFAULT_LAST_REQUESTS = 10
MAX_GROUP_SCAN = 200_000

__all__ = [
    "crash_counts_by_session",
    "crash_document",
    "crash_groups",
    "crashes_in_session",
    "crashes_in_trace",
    "list_crashes",
    "version_health",
]


def _summaries(reader: StoreReader, rows: Sequence[Mapping[str, Any]]) -> list[CrashSummary]:
    sessions = resolve(rows, reader)
    out = [crash_summary(r, *sessions[r["CrashId"]]) for r in rows]
    out.sort(key=lambda c: (c.time_unix_nano, c.crash_id))
    return out


def crashes_in_trace(reader: StoreReader, trace_id: str) -> list[CrashSummary]:
    """Crashes whose record carries this trace id, oldest first."""
    return _summaries(reader, reader.crashes_in_trace(trace_id))


def _session_crash_ids(reader: StoreReader, session_id: str) -> list[str]:
    """Ids of the session's own crashes, then of those inferred to it (one read for both)."""
    rows = reader.session_crash_candidates(session_id)
    direct = [r["CrashId"] for r in rows if r["SessionId"]]
    orphans = [r for r in rows if not r["SessionId"]]
    inferred = assign_orphans(reader, orphans, [session_id]).get(session_id, [])
    return direct + [c for c in inferred if c not in direct]


def crashes_in_session(reader: StoreReader, session_id: str) -> list[CrashSummary]:
    """Crashes of the session (its own session.id, or inferred from its device and time), oldest first."""
    ids = _session_crash_ids(reader, session_id)
    if not ids:
        return []
    rows = reader.crashes_by_ids(ids)
    crashes = _summaries(reader, rows)
    return [c for c in crashes if c.session_id == session_id]


def crash_counts_by_session(reader: StoreReader, session_ids: Sequence[str]) -> dict[str, int]:
    """Crash records per session (inferred ones included); sessions without crashes are absent."""
    ids = [s for s in dict.fromkeys(session_ids) if s]
    if not ids:
        return {}
    counts: Counter[str] = Counter()
    counts.update(reader.session_crash_counts(ids))
    for session, crash_ids in inferred_crash_ids(reader, ids).items():
        counts[session] += len(crash_ids)
    return dict(counts)


def crash_document(reader: StoreReader, crash_id: str, last_n: int = DEFAULT_LAST_REQUESTS) -> Crash:
    """GET /api/v1/crashes/{id}: the crash, its session's last requests with their backend spans
    and gaps, the backend errors in those traces, and the span active at crash time. NotFound if
    unknown."""
    row = reader.crash(crash_id)
    if row is None:
        raise NotFound(f"crash {crash_id} not found")
    session_id, inferred = resolve([row], reader)[crash_id]
    document = crash_fields(row, session_id, inferred)
    time_ns = document["time_unix_nano"]
    group = group_of(row)
    # With a session: its last requests (whatever trace they are in); without (or when the session
    # has no stored request yet): the client requests of the crash's own trace.
    request_ids: set[str] | None = None
    trace_ids: list[str] = []
    if session_id:
        recent = reader.requests_before(session_id, time_ns, max(last_n, 1))
        request_ids = {r["SpanId"] for r in recent} or None
        trace_ids = sorted({r["TraceId"] for r in recent})
    if row["TraceId"] and row["TraceId"] not in trace_ids:
        trace_ids.append(row["TraceId"])
    spans = reader.indexed_spans(trace_ids)  # the narrow index holds all enrichment reads
    document.update(
        {
            "stacktrace": row["ExceptionStacktrace"],
            "device_id": row["DeviceId"] or None,
            "service_name": row["ServiceName"],
            "scope_name": row["ScopeName"],
            "frames": list(group.frames),
            "attributes": from_stored(row["AttributeKeys"], row["AttributeValues"], row["AttributeTypes"]),
            "resource_attributes": from_stored(
                row["ResourceAttributeKeys"], row["ResourceAttributeValues"], row["ResourceAttributeTypes"]
            ),
            "last_requests": enrich.last_requests(spans, request_ids, time_ns, last_n),
            "active_span": enrich.active_span(spans, row["TraceId"], row["SpanId"])
            if row["SpanId"]
            else None,
        }
    )
    request_traces = {r.trace_id for r in document["last_requests"]}
    if row["TraceId"]:
        request_traces.add(row["TraceId"])
    document["backend_errors"] = enrich.backend_errors(spans, request_traces)
    return Crash.model_validate(document)


def _filtered_rows(reader: StoreReader, filters: CrashFilters, limit: int) -> list[dict[str, Any]]:
    return reader.filtered_crashes(vars(filters), limit)


def _matches(crash: CrashSummary, filters: CrashFilters) -> bool:
    t = crash.time_unix_nano
    return (
        (filters.group_id is None or crash.group_id == filters.group_id)
        and (filters.app_version is None or crash.app_version == filters.app_version)
        and (filters.os_name is None or crash.os_name == filters.os_name)
        and (filters.kind is None or crash.kind == filters.kind)
        and (filters.since is None or t >= filters.since)
        and (filters.until is None or t <= filters.until)
    )


def list_crashes(reader: StoreReader, params: Mapping[str, str] | CrashFilters) -> list[CrashSummary]:
    """GET /api/v1/crashes: newest first, after the filters."""
    filters = params if isinstance(params, CrashFilters) else parse_crash_filters(params)
    if filters.session_id is not None:
        crashes = [c for c in crashes_in_session(reader, filters.session_id) if _matches(c, filters)]
    elif filters.group_id is not None:
        # The group is a fingerprint computed here, not a column: keep the group's rows before
        # resolving their sessions (which queries the store per device).
        rows = _filtered_rows(reader, filters, MAX_GROUP_SCAN)
        in_group = [r for r in rows if group_of(r).group_id == filters.group_id]
        crashes = [c for c in _summaries(reader, in_group) if _matches(c, filters)]
    else:
        crashes = _summaries(reader, _filtered_rows(reader, filters, filters.limit))
    crashes.sort(key=lambda c: (-c.time_unix_nano, c.crash_id))
    return crashes[: filters.limit]


def crash_groups(reader: StoreReader, params: Mapping[str, str] | CrashFilters) -> list[CrashGroup]:
    """GET /api/v1/crash-groups: groups by fingerprint, most crashes first."""
    filters = params if isinstance(params, CrashFilters) else parse_group_filters(params)
    variants = reader.crash_variants(vars(filters))
    orphans = [(d, int(t)) for v in variants for d, t in v["Orphans"]]
    inferred = infer_sessions(reader, orphans)
    groups: dict[str, dict[str, Any]] = {}
    for v in variants:
        fp = cached_fingerprint(v["Type"], v["Stack"], v["Message"])
        group = groups.setdefault(
            fp.group_id,
            {
                "group_id": fp.group_id,
                "exception_type": fp.exception_type,
                "title": fp.title,
                "frames": list(fp.frames),
                "count": 0,
                "_sessions": set(),
                "first_seen_unix_nano": int(v["FirstNs"]),
                "last_seen_unix_nano": int(v["LastNs"]),
                "app_versions": Counter(),
            },
        )
        group["count"] += int(v["Crashes"])
        group["_sessions"].update(v["SessionIds"])
        group["_sessions"].update(inferred[(d, int(t))] for d, t in v["Orphans"] if (d, int(t)) in inferred)
        group["first_seen_unix_nano"] = min(group["first_seen_unix_nano"], int(v["FirstNs"]))
        group["last_seen_unix_nano"] = max(group["last_seen_unix_nano"], int(v["LastNs"]))
        group["app_versions"].update(v["AppVersions"])
    out = []
    for group in groups.values():
        sessions = group.pop("_sessions")
        group["sessions"] = len(sessions)
        group["app_versions"] = dict(sorted(group["app_versions"].items()))
        out.append(group)
    out.sort(key=lambda g: (-g["count"], -g["last_seen_unix_nano"], g["group_id"]))
    return [CrashGroup.model_validate(g) for g in out[: filters.limit]]
