"""``GET /api/v1/flags``: feature-flag variants with sessions, crash-free sessions and latency.

Evaluations are read from span events and log records (client and backend) named
``feature_flag.evaluation`` (current semantic conventions: ``feature_flag.key``,
``feature_flag.result.variant``, ``feature_flag.provider.name``) or ``feature_flag`` (the older
event: ``feature_flag.variant``); the variant is ``feature_flag.result.variant``, else
``feature_flag.variant``, else the evaluated value ``feature_flag.result.value`` as text. An
evaluation's time is its event (or log record) time.

Per (key, variant): ``evaluations``; ``sessions`` (distinct sessions of the evaluating spans;
a backend span belongs to the session of its trace's client requests); ``crash_free_sessions``
(fraction of those sessions without a fatal crash, the rule of ``/api/v1/versions``);
client/server/gap percentiles over the requests whose client span carries an evaluation of that
key and variant (``domain.exact_percentile``). ``stale``: a flag whose every evaluation since
``single_variant_since_unix_nano`` returned one variant, when that lies more than 90 days before
``until`` (default now); the stale check reads every evaluation up to ``until`` (``since`` does
not cut it short). Filters ``app_version``/``os_name`` apply to the session's app.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tracebridge.domain import exact_percentile
from tracebridge.query.crashes.records import FATAL_KINDS
from tracebridge.query.crashes.sessions import inferred_crash_ids
from tracebridge.query.edge_answers import edge_candidates, origins_of, request_hops
from tracebridge.query.filters import check_mapping, parse_text, parse_time_range
from tracebridge.query.units import ms
from tracebridge.store.reader import StoreReader

FLAG_EVENTS = ("feature_flag.evaluation", "feature_flag")
STALE_AFTER_NS = 90 * 24 * 3600 * 1_000_000_000
FLAG_PARAM_NAMES = ("app_version", "os_name", "since", "until")


@dataclass(frozen=True)
class Evaluation:
    key: str
    variant: str
    time_unix_nano: int
    trace_id: str
    span_id: str
    session_id: str
    app_version: str
    os_name: str


@dataclass(frozen=True)
class Request:
    """An answered client request (the latency API's): durations for the flag latencies."""

    client_ns: int
    server_ns: int | None


@dataclass(frozen=True)
class FlagFilters:
    app_version: str | None
    os_name: str | None
    since: int | None
    until: int


def parse_flag_filters(params: Mapping[str, str]) -> FlagFilters:
    check_mapping(params, FLAG_PARAM_NAMES)
    times = parse_time_range(params)
    return FlagFilters(
        app_version=parse_text(params, "app_version"),
        os_name=parse_text(params, "os_name"),
        since=times.since,
        until=time.time_ns() if times.until is None else times.until,
    )


# ---------------------------------------------------------------- pure parts


def stale_flags(evaluations: Iterable[Evaluation], until: int) -> list[dict[str, Any]]:
    """Flags whose evaluations have returned one variant for more than 90 days before ``until``."""
    per_key: dict[str, list[Evaluation]] = defaultdict(list)
    for evaluation in evaluations:
        if evaluation.time_unix_nano <= until:
            per_key[evaluation.key].append(evaluation)
    out = []
    for key, found in per_key.items():
        found.sort(key=lambda e: e.time_unix_nano)
        variant = found[-1].variant
        other = [e.time_unix_nano for e in found if e.variant != variant]
        since = min(e.time_unix_nano for e in found if not other or e.time_unix_nano > max(other))
        if until - since > STALE_AFTER_NS:
            out.append({"key": key, "variant": variant, "single_variant_since_unix_nano": since})
    out.sort(key=lambda r: (r["single_variant_since_unix_nano"], r["key"]))
    return out


def flag_rows(
    evaluations: Sequence[Evaluation],
    requests: Mapping[tuple[str, str], Request],
    fatal_sessions: set[str],
) -> list[dict[str, Any]]:
    """One row per (key, variant), most evaluated first within a key."""
    groups: dict[tuple[str, str], list[Evaluation]] = defaultdict(list)
    for evaluation in evaluations:
        groups[(evaluation.key, evaluation.variant)].append(evaluation)
    rows: list[dict[str, Any]] = []
    for (key, variant), found in groups.items():
        sessions = {e.session_id for e in found if e.session_id}
        answered = {
            (e.trace_id, e.span_id): requests[(e.trace_id, e.span_id)]
            for e in found
            if (e.trace_id, e.span_id) in requests
        }
        client = [r.client_ns for r in answered.values()]
        server = [r.server_ns for r in answered.values() if r.server_ns is not None]
        gap = [r.client_ns - r.server_ns for r in answered.values() if r.server_ns is not None]
        crashed = len(sessions & fatal_sessions)
        rows.append(
            {
                "key": key,
                "variant": variant,
                "evaluations": len(found),
                "sessions": len(sessions),
                "crash_free_sessions": 1.0 - crashed / len(sessions) if sessions else None,
                "requests": len(answered),
                "client_p50_ms": ms(exact_percentile(client, 0.5)) if client else None,
                "client_p99_ms": ms(exact_percentile(client, 0.99)) if client else None,
                "server_p99_ms": ms(exact_percentile(server, 0.99)) if server else None,
                "gap_p99_ms": ms(exact_percentile(gap, 0.99)) if gap else None,
                "first_seen_unix_nano": min(e.time_unix_nano for e in found),
                "last_seen_unix_nano": max(e.time_unix_nano for e in found),
            }
        )
    rows.sort(key=lambda r: (r["key"], -r["evaluations"], r["variant"]))
    return rows


# ---------------------------------------------------------------- reads


def _read_evaluations(
    reader: StoreReader, until: int
) -> tuple[list[Evaluation], dict[tuple[str, str], Request]]:
    rows = reader.flag_evaluations(FLAG_EVENTS, until)
    trace_ids = sorted({r.trace_id for r in rows if r.trace_id})
    requests: dict[tuple[str, str], Request] = {}
    trace_facts: dict[str, tuple[str, str, str]] = {}
    if trace_ids:
        wanted = set(trace_ids)
        origins = origins_of(request_hops(reader, [t for t in edge_candidates(reader, {}) if t in wanted]))
        for answered in reader.answered_requests(trace_ids, origins):
            requests[(answered.trace_id, answered.client_span_id)] = Request(
                answered.client_ns, answered.server_ns
            )
        for facts in reader.trace_client_facts(trace_ids):
            if facts.session_id:
                trace_facts[facts.trace_id] = (facts.session_id, facts.app_version, facts.os_name)
    evaluations = []
    for r in rows:
        session, app_version, os_name = r.session_id, r.app_version, r.os_name
        if not session or r.side != "client":
            session, app_version, os_name = trace_facts.get(r.trace_id, (session, app_version, os_name))
        evaluations.append(
            Evaluation(
                key=r.key,
                variant=r.variant,
                time_unix_nano=r.time_ns,
                trace_id=r.trace_id,
                span_id=r.span_id,
                session_id=session,
                app_version=app_version,
                os_name=os_name,
            )
        )
    return evaluations, requests


def _fatal_sessions(reader: StoreReader, session_ids: Sequence[str]) -> set[str]:
    """The sessions among these with a fatal crash (their own or an inferred session-less one)."""
    if not session_ids:
        return set()
    inferred = inferred_crash_ids(reader, session_ids)
    owner = {crash: session for session, crashes in inferred.items() for crash in crashes}
    rows = reader.session_crash_kinds(session_ids, list(owner))
    return {r.session_id or owner.get(r.crash_id, "") for r in rows if r.kind in FATAL_KINDS} - {""}


def flags_document(reader: StoreReader, params: Mapping[str, str]) -> dict[str, Any]:
    """GET /api/v1/flags (400 for unknown parameters or bad values)."""
    filters = parse_flag_filters(params)
    evaluations, requests = _read_evaluations(reader, filters.until)
    matching = [
        e
        for e in evaluations
        if (filters.app_version is None or e.app_version == filters.app_version)
        and (filters.os_name is None or e.os_name == filters.os_name)
    ]
    in_window = [e for e in matching if filters.since is None or e.time_unix_nano >= filters.since]
    sessions = sorted({e.session_id for e in in_window if e.session_id})
    return {
        "flags": flag_rows(in_window, requests, _fatal_sessions(reader, sessions)),
        "stale": stale_flags(matching, filters.until),
    }
