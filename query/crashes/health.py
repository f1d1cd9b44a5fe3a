"""Per-version health: weekly active sessions, devices, share and crash-free sessions.

Over the 7 days before ``until`` (default now), a session counts when one of its client spans
(from the session index) or one of its crashes falls in the window. Per (app_version, os_name):
``sessions``, ``devices`` (distinct device.id), ``share`` (its sessions / all sessions in the
window, after the os_name filter), ``crashed_sessions`` and ``crash_free_sessions`` (the fraction
of its sessions with no fatal crash; a MetricKit hang is not fatal). Crashes without a session id
count for the device's session inferred at crash time.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from tracebridge.query.crashes.records import FATAL_KINDS
from tracebridge.query.crashes.sessions import infer_sessions
from tracebridge.query.filters import check_mapping, optional_time
from tracebridge.query.models import VersionRow
from tracebridge.store.reader import StoreReader

WINDOW_NS = 7 * 24 * 3600 * 1_000_000_000
HEALTH_PARAM_NAMES = ("os_name", "until")


def version_health(reader: StoreReader, params: Mapping[str, str]) -> list[VersionRow]:
    """GET /api/v1/versions rows, most sessions first."""
    check_mapping(params, HEALTH_PARAM_NAMES)
    until = optional_time(params, "until")
    until = time.time_ns() if until is None else until
    os_name = params.get("os_name") or ""
    since = max(until - WINDOW_NS, 0)
    sessions: dict[str, tuple[str, str, str]] = {
        r["SessionId"]: (r["Version"], r["Os"], r["Device"])
        for r in reader.active_sessions(since, until, os_name)
    }
    crashes = reader.window_crashes(since, until, os_name)
    inferred = infer_sessions(
        reader, ((c["DeviceId"], int(c["TimeNs"])) for c in crashes if not c["SessionId"])
    )
    crashed: set[str] = set()
    for c in crashes:
        session = c["SessionId"] or inferred.get((c["DeviceId"], int(c["TimeNs"])))
        if not session:
            continue
        sessions.setdefault(session, (c["AppVersion"], c["OsName"], c["DeviceId"]))
        if c["Kind"] in FATAL_KINDS:
            crashed.add(session)
    return [VersionRow.model_validate(r) for r in summarize(sessions, crashed)]


def summarize(sessions: Mapping[str, tuple[str, str, str]], crashed: set[str]) -> list[dict[str, Any]]:
    """Rows per (app_version, os_name) from session -> (app_version, os_name, device_id) (pure)."""
    total = len(sessions)
    per: dict[tuple[str, str], list[str]] = defaultdict(list)
    for session, (version, os, _) in sessions.items():
        per[(version, os)].append(session)
    rows: list[dict[str, Any]] = []
    for (version, os), ids in per.items():
        devices = {sessions[s][2] for s in ids if sessions[s][2]}
        crashed_here = sum(1 for s in ids if s in crashed)
        rows.append(
            {
                "app_version": version,
                "os_name": os,
                "sessions": len(ids),
                "devices": len(devices),
                "share": len(ids) / total if total else 0.0,
                "crashed_sessions": crashed_here,
                "crash_free_sessions": 1.0 - crashed_here / len(ids) if ids else 1.0,
            }
        )
    rows.sort(key=lambda r: (-r["sessions"], r["os_name"], r["app_version"]))
    return rows
