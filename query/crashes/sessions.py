"""The session of a crash that carries no session id (MetricKit diagnostics, some crash SDKs).

Rule: the device's client session that was active at crash time, i.e. among the sessions of the
same ``device.id`` (from their client spans), the one with the latest start at or before the crash
time, provided its last span ended no more than ``SESSION_GRACE_NS`` before the crash (a session
that went quiet long before is not the one that crashed). Such crashes are answered with
``session_inferred: true``. No device id, or no candidate session: no session.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tracebridge.store.reader import StoreReader

SESSION_GRACE_NS = 30 * 60 * 1_000_000_000


@dataclass(frozen=True)
class SessionSpan:
    session_id: str
    start_ns: int
    end_ns: int


def pick_session(sessions: Sequence[SessionSpan], crash_time_ns: int) -> str | None:
    """The session active at ``crash_time_ns`` among one device's sessions (pure)."""
    started = [s for s in sessions if s.start_ns <= crash_time_ns]
    if not started:
        return None
    best = max(started, key=lambda s: (s.start_ns, s.session_id))
    if best.end_ns + SESSION_GRACE_NS < crash_time_ns:
        return None
    return best.session_id


def device_sessions(reader: StoreReader, device_ids: Iterable[str]) -> dict[str, list[SessionSpan]]:
    """Every client session of the given devices."""
    ids = sorted({d for d in device_ids if d})
    out: dict[str, list[SessionSpan]] = defaultdict(list)
    if not ids:
        return out
    for row in reader.device_sessions(ids):
        out[row["DeviceId"]].append(SessionSpan(row["SessionId"], int(row["StartNs"]), int(row["EndNs"])))
    return out


def infer_sessions(reader: StoreReader, orphans: Iterable[tuple[str, int]]) -> dict[tuple[str, int], str]:
    """(device id, crash time) -> inferred session id, for those where one is found."""
    wanted = list({(d, t) for d, t in orphans if d})
    if not wanted:
        return {}
    by_device = device_sessions(reader, (d for d, _ in wanted))
    found = {}
    for device, time_ns in wanted:
        session = pick_session(by_device.get(device, []), time_ns)
        if session is not None:
            found[(device, time_ns)] = session
    return found


def inferred_crash_ids(reader: StoreReader, session_ids: Sequence[str]) -> dict[str, list[str]]:
    """session id -> ids of session-less crashes inferred to belong to it."""
    if not session_ids:
        return {}
    return assign_orphans(reader, reader.orphan_crashes_of_sessions(session_ids), session_ids)


def assign_orphans(
    reader: StoreReader, orphans: Sequence[Mapping[str, Any]], session_ids: Sequence[str]
) -> dict[str, list[str]]:
    """session id -> ids of the session-less crash rows ``orphans`` (``CrashId, DeviceId, TimeNs``)
    inferred to belong to it, for the sessions ``session_ids``."""
    if not orphans:
        return {}
    inferred = infer_sessions(reader, ((r["DeviceId"], int(r["TimeNs"])) for r in orphans))
    wanted = set(session_ids)
    out: dict[str, list[str]] = defaultdict(list)
    for row in orphans:
        session = inferred.get((row["DeviceId"], int(row["TimeNs"])))
        if session in wanted:
            out[session].append(row["CrashId"])
    return out


MAX_ORPHANS = 100_000


def sessions_with_inferred_crashes(reader: StoreReader) -> set[str]:
    """Sessions that only have crashes inferred from device and time (for ``has_crash`` search);
    at most ``MAX_ORPHANS`` session-less crashes are considered."""
    orphans = reader.orphan_crashes(MAX_ORPHANS)
    return set(infer_sessions(reader, ((r["DeviceId"], int(r["TimeNs"])) for r in orphans)).values())


def resolve(rows: Sequence[Mapping[str, object]], reader: StoreReader) -> dict[str, tuple[str | None, bool]]:
    """crash id -> (session id, inferred) for crash rows (``CrashId``, ``SessionId``, ``DeviceId``, ``TimeNs``)."""
    orphans = [(str(r["DeviceId"]), int(str(r["TimeNs"]))) for r in rows if not r["SessionId"]]
    inferred = infer_sessions(reader, orphans)
    out: dict[str, tuple[str | None, bool]] = {}
    for r in rows:
        if r["SessionId"]:
            out[str(r["CrashId"])] = (str(r["SessionId"]), False)
        else:
            session = inferred.get((str(r["DeviceId"]), int(str(r["TimeNs"]))))
            out[str(r["CrashId"])] = (session, session is not None)
    return out
