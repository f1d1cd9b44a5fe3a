"""The store reader: domain methods over the store's named queries, returning typed rows.

Every query is a constant of ``tracebridge.store.queries`` (or of ``tracebridge.store.spans`` for the
span reads) run with bound parameters. Reads de-duplicate before merges: a span re-sent by a retry
is stored twice until ReplacingMergeTree merges, and each read keeps one (``LIMIT 1 BY``,
``argMax``, ``FINAL``, aggregates that ignore repeats, or in Python, newest ingest first).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from tracebridge.store import queries, spans
from tracebridge.store.client import LockedClient
from tracebridge.store.rows import (
    AnsweredRequest,
    CrashTrendRow,
    LatencyGroup,
    Screen,
    SessionCounts,
    SessionRow,
    StoredSpan,
)

SESSION_FILTERS = ("app_version", "os_name", "os_version", "device_model", "device_id", "since", "until")
PAIR_FILTERS = (
    "since",
    "until",
    "app_version",
    "os_name",
    "os_version",
    "device_model",
    "network_type",
    "service_name",
    "route",
)
CRASH_TREND_FILTERS = ("since", "until", "app_version", "os_name")
LATENCY_DIMENSIONS = ("all", "route", "app_version", "os_name", "network_type", "service_name", "route_time")

Filters = Mapping[str, "str | int | None"]


def _bind(filters: Filters, names: Sequence[str]) -> dict[str, Any]:
    """Parameters for ``names`` (None, i.e. SQL NULL, means no filter)."""
    return {name: filters.get(name) for name in names}


def _quantiles(values: Sequence[float]) -> tuple[float, float, float]:
    return (float(values[0]), float(values[1]), float(values[2]))


class StoreReader:
    """Read access to the store. Thread-safe: each call takes the client's lock, or borrows one
    client of a ``ClientPool`` (the API's reader), for its duration."""

    def __init__(self, client: LockedClient) -> None:
        self.client = client

    def rows(self, sql: str, parameters: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Run a named query; rows as dicts keyed by column name (the crash queries use this)."""
        return list(self.client.query(sql, parameters=parameters or {}).named_results())

    def ping(self) -> bool:
        try:
            self.client.query("SELECT 1")
            return True
        except Exception:
            return False

    # ------------------------------------------------------------ spans

    def trace_spans(self, trace_id: str) -> list[StoredSpan]:
        """Every span of one trace with all fields (device facts empty), by raw start."""
        return spans.full_trace_spans(self.client, trace_id)

    def indexed_spans(self, trace_ids: Sequence[str]) -> list[StoredSpan]:
        """The spans of these traces from the narrow trace index (the fields gaps, skew, timing,
        summaries and crash enrichment need), by trace then start."""
        return spans.lean_spans_of_traces(self.client, trace_ids)

    def trace_exists(self, trace_id: str) -> bool:
        return bool(self.rows(queries.SELECT_TRACE_EXISTS, {"trace_id": trace_id})[0]["Found"])

    # ------------------------------------------------------------ sessions

    def session_trace_ids(self, session_id: str) -> list[str]:
        """Traces with a span carrying the session id, by their first start."""
        return [r["TraceId"] for r in self.rows(queries.SELECT_SESSION_TRACE_IDS, {"session_id": session_id})]

    def session_exists(self, session_id: str) -> bool:
        return bool(self.rows(queries.SELECT_SESSION_EXISTS, {"session_id": session_id})[0]["Found"])

    def sessions(
        self, filters: Filters, has_crash: bool | None, inferred_crash_sessions: Collection[str], limit: int
    ) -> list[SessionRow]:
        """Sessions matching the filters (``SESSION_FILTERS``), newest start first."""
        params = {
            **_bind(filters, SESSION_FILTERS),
            "has_crash": None if has_crash is None else int(has_crash),
            "inferred": sorted(inferred_crash_sessions),
            "limit": limit,
        }
        return [
            SessionRow(
                r["SessionId"],
                int(r["StartNs"]),
                int(r["EndNs"]),
                r["AppVersion"] or None,
                r["OsName"] or None,
                r["OsVersion"] or None,
                r["DeviceModel"] or None,
                r["DeviceId"] or None,
            )
            for r in self.rows(queries.SELECT_SESSIONS, params)
        ]

    def session_counts(self, session_ids: Sequence[str]) -> dict[str, SessionCounts]:
        """Per session: traces and spans carrying its id, and whether any span of its traces is in
        error (the contract's rule, backend spans included)."""
        if not session_ids:
            return {}
        params = {"session_ids": list(session_ids)}
        errors = {
            r["SessionId"]: bool(r["HasError"]) for r in self.rows(queries.SELECT_SESSION_ERRORS, params)
        }
        return {
            r["SessionId"]: SessionCounts(
                int(r["TraceCount"]), int(r["SpanCount"]), errors.get(r["SessionId"], False)
            )
            for r in self.rows(queries.SELECT_SESSION_COUNTS, params)
        }

    def session_screens(self, session_id: str, trace_ids: Sequence[str]) -> list[Screen]:
        if not trace_ids:
            return []
        rows = self.rows(
            queries.SELECT_SESSION_SCREENS, {"trace_ids": list(trace_ids), "session_id": session_id}
        )
        return [Screen(int(r["StartNs"]), int(r["EndNs"]), r["Screen"]) for r in rows]

    def last_client_activity(self) -> int | None:
        row = self.rows(queries.SELECT_LAST_CLIENT_ACTIVITY)[0]
        return int(row["LastNs"]) if int(row["Spans"]) else None

    # ------------------------------------------------------------ latency

    def latency(self, dimensions: Sequence[str], filters: Filters, bucket_ns: int = 1) -> list[LatencyGroup]:
        """The latency query (``queries.SELECT_LATENCY``) for some of ``LATENCY_DIMENSIONS``."""
        unknown = set(dimensions) - set(LATENCY_DIMENSIONS)
        if unknown:
            raise ValueError(f"unknown latency dimensions: {sorted(unknown)}")
        params = {
            **_bind(filters, PAIR_FILTERS),
            "dimensions": list(dimensions),
            "bucket_ns": max(bucket_ns, 1),
        }
        return [
            LatencyGroup(
                r["Dimension"],
                r["Key"],
                int(r["BucketNs"]),
                int(r["Count"]),
                _quantiles(r["ClientQ"]),
                _quantiles(r["ServerQ"]),
                _quantiles(r["GapQ"]),
                int(r["FirstNs"]),
                int(r["LastNs"]),
            )
            for r in self.rows(queries.SELECT_LATENCY, params)
        ]

    def answered_requests(self, trace_ids: Sequence[str]) -> list[AnsweredRequest]:
        """The answered requests of these traces as the request pairs hold them (by trace, client span)."""
        rows = self.rows(queries.SELECT_ANSWERED_REQUESTS, {"trace_ids": list(trace_ids)})
        return [
            AnsweredRequest(
                r["TraceId"],
                r["ClientSpanId"],
                r["ServerSpanId"],
                r["Route"],
                r["ServiceName"],
                int(r["ClientNs"]),
                int(r["ServerNs"]),
            )
            for r in rows
        ]

    def gap_histogram(self, filters: Filters, bins: int) -> list[tuple[float, float, float]]:
        """(lower ms, upper ms, requests) bins of the gaps of the same requests as ``latency``."""
        row = self.rows(queries.SELECT_GAP_HISTOGRAM, {**_bind(filters, PAIR_FILTERS), "bins": bins})[0]
        return [(float(lo), float(hi), float(n)) for lo, hi, n in row["Bins"]]

    # ------------------------------------------------------------ crash trend (dashboards)

    def crash_options(self) -> tuple[list[str], list[str]]:
        """App versions and OS names seen in crash reports, sorted."""
        row = self.rows(queries.SELECT_CRASH_OPTIONS)[0]
        return sorted(row["AppVersions"]), sorted(row["OsNames"])

    def crash_extent(self, filters: Filters) -> tuple[int, int | None, int | None]:
        """Crash count and first/last crash time under the filters."""
        row = self.rows(queries.SELECT_CRASH_EXTENT, _bind(filters, CRASH_TREND_FILTERS))[0]
        count = int(row["Crashes"])
        return count, (int(row["FirstNs"]) if count else None), (int(row["LastNs"]) if count else None)

    def crash_trend(self, filters: Filters, bucket_ns: int) -> list[CrashTrendRow]:
        params = {**_bind(filters, CRASH_TREND_FILTERS), "bucket_ns": bucket_ns}
        return [
            CrashTrendRow(int(r["BucketNs"]), r["Version"], int(r["Crashes"]))
            for r in self.rows(queries.SELECT_CRASH_TREND, params)
        ]
