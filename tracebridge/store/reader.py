"""The store reader: domain methods over the store's named queries, returning typed rows.

Every query is a constant of a ``tracebridge.store`` query module (``queries``, ``crash_queries``,
``spans``, ``jaeger_queries``, ...) run with bound parameters; no caller outside the store passes SQL. Reads de-duplicate before merges: a span re-sent by a retry
is stored twice until ReplacingMergeTree merges, and each read keeps one (``LIMIT 1 BY``,
``argMax``, ``FINAL``, aggregates that ignore repeats, or in Python, newest ingest first).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any, Protocol

from tracebridge.store import (
    crash_queries,
    explain_queries,
    flag_queries,
    jaeger_queries,
    phase_queries,
    queries,
    screen_queries,
    spans,
)
from tracebridge.store.activity import StoreActivity, store_activity
from tracebridge.store.attributes import from_stored
from tracebridge.store.client import LockedClient
from tracebridge.store.rows import (
    AnsweredRequest,
    CrashTrendRow,
    EdgeOrigin,
    FlagEvaluationRow,
    GapFacts,
    KeyedRequest,
    LatencyGroup,
    LinkedConsumer,
    NetworkTimingLog,
    Screen,
    ScreenSpanRow,
    SessionCounts,
    SessionCrashKind,
    SessionRow,
    SpanOperation,
    StoredSpan,
    TraceClientFacts,
    origin_params,
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
PHASE_GROUPS = tuple(phase_queries.GROUP_COLUMNS)  # the group-bys ``phase_requests`` keys requests by
LATENCY_DIMENSIONS = tuple(queries.LATENCY_DIMENSION_GROUPS)  # the dimensions ``latency`` groups by

Filters = Mapping[str, "str | int | None"]
Row = dict[str, Any]  # a crash query's row, by column name (see tracebridge/store/crash_queries.py)


class JaegerSearch(Protocol):
    """The conditions of a Jaeger trace search (``query.jaeger.params.SearchQuery`` has them)."""

    @property
    def operation(self) -> str: ...
    @property
    def tags(self) -> dict[str, str]: ...
    @property
    def min_duration_us(self) -> int: ...
    @property
    def max_duration_us(self) -> int: ...
    @property
    def start_us(self) -> int: ...
    @property
    def end_us(self) -> int: ...
    @property
    def limit(self) -> int: ...


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

    def _rows(self, sql: str, parameters: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Run one of the store's named queries; rows as dicts keyed by column name (private: callers
        outside the store use the domain methods)."""
        return list(self.client.query(sql, parameters=parameters or {}).named_results())

    def ping(self) -> bool:
        try:
            self.client.query("SELECT 1")
            return True
        except Exception:
            return False

    def activity(self) -> StoreActivity | None:
        """Active parts and merges running on this node (``GET /api/v1/stats``); None while the
        store does not answer."""
        return store_activity(self.client)

    # ------------------------------------------------------------ spans

    def trace_spans(self, trace_id: str) -> list[StoredSpan]:
        """Every span of one trace with all fields (device facts empty), by raw start."""
        return spans.full_trace_spans(self.client, trace_id)

    def indexed_spans(self, trace_ids: Sequence[str]) -> list[StoredSpan]:
        """The spans of these traces from the narrow trace index (the fields gaps, skew, timing,
        summaries and crash enrichment need), by trace then start."""
        return spans.lean_spans_of_traces(self.client, trace_ids)

    def indexed_request_spans(self, requests: Sequence[tuple[str, str]]) -> list[StoredSpan]:
        """The spans (trace id, span id) ``requests`` from the narrow trace index, as
        ``indexed_spans`` gives them (the phases of many requests: the latency API's phases)."""
        return spans.lean_spans_by_id(self.client, requests)

    def trace_exists(self, trace_id: str) -> bool:
        return bool(self._rows(queries.SELECT_TRACE_EXISTS, {"trace_id": trace_id})[0]["Found"])

    # ------------------------------------------------------------ sessions

    def session_trace_ids(self, session_id: str) -> list[str]:
        """Traces with a span carrying the session id, by id."""
        return [
            r["TraceId"] for r in self._rows(queries.SELECT_SESSION_TRACE_IDS, {"session_id": session_id})
        ]

    def session_exists(self, session_id: str) -> bool:
        return bool(self._rows(queries.SELECT_SESSION_EXISTS, {"session_id": session_id})[0]["Found"])

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
            for r in self._rows(queries.SELECT_SESSIONS, params)
        ]

    def session_counts(self, session_ids: Sequence[str]) -> dict[str, SessionCounts]:
        """Per session: traces and spans carrying its id, and whether any span of its traces is in
        error (the contract's rule, backend spans included)."""
        if not session_ids:
            return {}
        params = {"session_ids": list(session_ids)}
        errors = {
            r["SessionId"]: bool(r["HasError"]) for r in self._rows(queries.SELECT_SESSION_ERRORS, params)
        }
        return {
            r["SessionId"]: SessionCounts(
                int(r["TraceCount"]), int(r["SpanCount"]), errors.get(r["SessionId"], False)
            )
            for r in self._rows(queries.SELECT_SESSION_COUNTS, params)
        }

    def session_screens(self, session_id: str, trace_ids: Sequence[str]) -> list[Screen]:
        if not trace_ids:
            return []
        rows = self._rows(
            queries.SELECT_SESSION_SCREENS, {"trace_ids": list(trace_ids), "session_id": session_id}
        )
        return [Screen(int(r["StartNs"]), int(r["EndNs"]), r["Screen"]) for r in rows]

    def last_client_activity(self) -> int | None:
        row = self._rows(queries.SELECT_LAST_CLIENT_ACTIVITY)[0]
        return int(row["LastNs"]) if int(row["Spans"]) else None

    # ------------------------------------------------------------ latency

    def latency(
        self,
        dimensions: Sequence[str],
        filters: Filters,
        bucket_ns: int = 1,
        origins: Sequence[EdgeOrigin] = (),
    ) -> list[LatencyGroup]:
        """The latency query (``queries.select_latency``) for some of ``LATENCY_DIMENSIONS``;
        ``origins`` answer the requests an edge tier forwarded (``edge_candidate_traces``)."""
        unknown = set(dimensions) - set(LATENCY_DIMENSIONS)
        if unknown:
            raise ValueError(f"unknown latency dimensions: {sorted(unknown)}")
        if not dimensions:
            return []
        params = {**_bind(filters, PAIR_FILTERS), "bucket_ns": max(bucket_ns, 1), **origin_params(origins)}
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
            for r in self._rows(queries.select_latency(self.proxied_answers(), dimensions), params)
        ]

    def proxied_answers(self) -> bool:
        """Whether any server answered below a proxy hop (else the pairs query skips that join)."""
        return bool(self._rows(queries.SELECT_HAS_PROXIED_ANSWERS)[0]["Found"])

    def edge_candidate_traces(self, filters: Filters, edge_platforms: Collection[str]) -> list[str]:
        """Traces of the client requests under the client-side filters whose backend spans' tier
        attributes may make them edge (``queries.SELECT_EDGE_CANDIDATE_TRACES``; ``edge_platforms``:
        the ``cloud.platform`` values the edge-tier rule names, lower case)."""
        names = ("since", "until", "app_version", "os_name", "os_version", "device_model", "network_type")
        params = {**_bind(filters, names), "edge_platforms": sorted(edge_platforms)}
        return sorted(r["TraceId"] for r in self._rows(queries.SELECT_EDGE_CANDIDATE_TRACES, params))

    def request_extent(self, filters: Filters) -> tuple[int | None, int | None]:
        """First and last client request start under the client-side filters (None: no request)."""
        names = ("since", "until", "app_version", "os_name", "network_type")
        row = self._rows(queries.SELECT_REQUEST_EXTENT, _bind(filters, names))[0]
        return (int(row["FirstNs"]), int(row["LastNs"])) if int(row["Requests"]) else (None, None)

    def answered_requests(
        self, trace_ids: Sequence[str], origins: Sequence[EdgeOrigin] = ()
    ) -> list[AnsweredRequest]:
        """The answered requests of these traces as the request pairs hold them (by trace, client
        span), with ``origins`` answering the requests an edge tier forwarded."""
        rows = self._rows(
            queries.SELECT_ANSWERED_REQUESTS, {"trace_ids": list(trace_ids), **origin_params(origins)}
        )
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

    def gap_histogram(
        self, filters: Filters, bins: int, origins: Sequence[EdgeOrigin] = ()
    ) -> list[tuple[float, float, float]]:
        """(lower ms, upper ms, requests) bins of the gaps of the same requests as ``latency``."""
        sql = queries.SELECT_GAP_HISTOGRAM[self.proxied_answers()]
        row = self._rows(sql, {**_bind(filters, PAIR_FILTERS), "bins": bins, **origin_params(origins)})[0]
        return [(float(lo), float(hi), float(n)) for lo, hi, n in row["Bins"]]

    # ------------------------------------------------------------ crash trend (dashboards)

    def crash_options(self) -> tuple[list[str], list[str]]:
        """App versions and OS names seen in crash reports, sorted."""
        row = self._rows(queries.SELECT_CRASH_OPTIONS)[0]
        return sorted(row["AppVersions"]), sorted(row["OsNames"])

    def crash_extent(self, filters: Filters) -> tuple[int, int | None, int | None]:
        """Crash count and first/last crash time under the filters."""
        row = self._rows(queries.SELECT_CRASH_EXTENT, _bind(filters, CRASH_TREND_FILTERS))[0]
        count = int(row["Crashes"])
        return count, (int(row["FirstNs"]) if count else None), (int(row["LastNs"]) if count else None)

    def crash_trend(self, filters: Filters, bucket_ns: int) -> list[CrashTrendRow]:
        params = {**_bind(filters, CRASH_TREND_FILTERS), "bucket_ns": bucket_ns}
        return [
            CrashTrendRow(int(r["BucketNs"]), r["Version"], int(r["Crashes"]))
            for r in self._rows(queries.SELECT_CRASH_TREND, params)
        ]

    # ------------------------------------------------------------ crashes (rows: crash_queries' columns)

    def crash(self, crash_id: str) -> Row | None:
        """One crash with its attributes (``DETAIL_COLUMNS``); None when unknown."""
        rows = self._rows(crash_queries.SELECT_CRASH, {"crash_id": crash_id})
        return rows[0] if rows else None

    def crashes_by_ids(self, crash_ids: Sequence[str]) -> list[Row]:
        return self._rows(crash_queries.SELECT_CRASHES_BY_IDS, {"crash_ids": list(crash_ids)})

    def crashes_in_trace(self, trace_id: str) -> list[Row]:
        """The crashes whose record carries this trace id (a narrow probe first: most have none)."""
        ids = [
            r["CrashId"] for r in self._rows(crash_queries.SELECT_CRASH_IDS_IN_TRACE, {"trace_id": trace_id})
        ]
        return self.crashes_by_ids(ids) if ids else []

    def session_crash_candidates(self, session_id: str) -> list[Row]:
        """The crashes recorded with this session id and the session-less crashes of its client
        spans' devices (``CrashId, SessionId, DeviceId, TimeNs``; SessionId '' for the latter)."""
        return self._rows(crash_queries.SELECT_SESSION_CRASH_CANDIDATES, {"session_id": session_id})

    def session_crash_counts(self, session_ids: Sequence[str]) -> dict[str, int]:
        params = {"session_ids": list(session_ids)}
        return {
            r["SessionId"]: int(r["Crashes"])
            for r in self._rows(crash_queries.SELECT_SESSION_CRASH_COUNTS, params)
        }

    def orphan_crashes(self, limit: int) -> list[Row]:
        """Session-less crashes (``CrashId, DeviceId, TimeNs``) that carry a device id, at most ``limit``."""
        return self._rows(crash_queries.SELECT_ORPHAN_CRASHES, {"limit": limit})

    def orphan_crashes_of_sessions(self, session_ids: Sequence[str]) -> list[Row]:
        """Session-less crashes (``CrashId, DeviceId, TimeNs``) of the devices of these sessions'
        client spans."""
        params = {"session_ids": list(session_ids)}
        return self._rows(crash_queries.SELECT_ORPHAN_CRASHES_OF_SESSIONS, params)

    def device_sessions(self, device_ids: Sequence[str]) -> list[Row]:
        """Every client session of these devices (``DeviceId, SessionId, StartNs, EndNs``)."""
        return self._rows(crash_queries.SELECT_DEVICE_SESSIONS, {"device_ids": list(device_ids)})

    def requests_before(self, session_id: str, until: int, limit: int) -> list[Row]:
        """The session's client requests (``TraceId, SpanId, StartNs``) started at or before ``until``."""
        params = {"session_id": session_id, "until": until, "limit": limit}
        return self._rows(crash_queries.SELECT_REQUESTS_BEFORE, params)

    def filtered_crashes(self, filters: Filters, limit: int) -> list[Row]:
        """Crashes matching app_version, os_name, kind, since, until (empty/0: no filter), newest first."""
        return self._rows(crash_queries.SELECT_FILTERED_CRASHES, {**_crash_filters(filters), "limit": limit})

    def crash_variants(self, filters: Filters) -> list[Row]:
        """Crashes pre-aggregated per (type, stack, message when no stack), for grouping."""
        return self._rows(crash_queries.SELECT_CRASH_VARIANTS, _crash_filters(filters))

    def active_sessions(self, since: int, until: int, os_name: str) -> list[Row]:
        """Client sessions active in the window (``SessionId, Version, Os, Device``)."""
        params = {"since": since, "until": until, "os_name": os_name}
        return self._rows(crash_queries.SELECT_ACTIVE_SESSIONS, params)

    def window_crashes(self, since: int, until: int, os_name: str) -> list[Row]:
        """Crashes in the window, one row per crash."""
        params = {"since": since, "until": until, "os_name": os_name}
        return self._rows(crash_queries.SELECT_WINDOW_CRASHES, params)

    # ------------------------------------------------------------ Jaeger API (jaeger_queries)

    def jaeger_services(self) -> list[str]:
        """Every stored ``ServiceName`` ('' for a resource without ``service.name``), sorted."""
        return [r["name"] for r in self._rows(jaeger_queries.SERVICES)]

    def jaeger_operations(self, service: str) -> list[SpanOperation]:
        """The distinct (span name, stored span kind) of one stored service name, sorted."""
        rows = self._rows(jaeger_queries.OPERATIONS, {"service": service})
        return [SpanOperation(r["name"], r["kind"]) for r in rows]

    def jaeger_trace_spans(self, trace_ids: Sequence[str]) -> list[Row]:
        """Every span of these traces, once each (``jaeger_queries.TRACE_SPANS`` columns)."""
        return self._rows(jaeger_queries.TRACE_SPANS, {"trace_ids": list(trace_ids)})

    def jaeger_find_trace_ids(self, service: str, search: JaegerSearch) -> list[str]:
        """Trace ids with a span of the stored service name ``service`` meeting every condition of
        ``search`` at once, most recent first."""
        params = {
            "service": service,
            "operation": search.operation,
            "min_duration_us": search.min_duration_us,
            "max_duration_us": search.max_duration_us,
            "start_us": search.start_us,
            "end_us": search.end_us,
            "tag_keys": list(search.tags),
            "tag_values": list(search.tags.values()),
            "limit": search.limit,
        }
        sql = jaeger_queries.FIND_TRACE_IDS_WITH_TAGS if search.tags else jaeger_queries.FIND_TRACE_IDS
        return [r["TraceId"] for r in self._rows(sql, params)]

    # ------------------------------------------------------------ feature flags (flag_queries)

    def flag_evaluations(self, event_names: Sequence[str], until: int) -> list[FlagEvaluationRow]:
        """Evaluations named ``event_names`` at or before ``until``: span events, then log records."""
        params = {"names": list(event_names), "until": until}
        rows = self._rows(flag_queries.SELECT_SPAN_EVALUATIONS, params)
        rows += self._rows(flag_queries.SELECT_LOG_EVALUATIONS, params)
        return [
            FlagEvaluationRow(
                r["TraceId"],
                r["SpanId"],
                r["SessionId"],
                r["Side"],
                r["Kind"],
                r["AppVersion"],
                r["OsName"],
                int(r["TimeNs"]),
                r["Key"],
                r["Variant"],
            )
            for r in rows
        ]

    def trace_client_facts(self, trace_ids: Sequence[str]) -> list[TraceClientFacts]:
        rows = self._rows(flag_queries.SELECT_TRACE_FACTS, {"trace_ids": list(trace_ids)})
        return [TraceClientFacts(r["TraceId"], r["SessionId"], r["AppVersion"], r["OsName"]) for r in rows]

    def session_crash_kinds(
        self, session_ids: Sequence[str], crash_ids: Sequence[str]
    ) -> list[SessionCrashKind]:
        """The crashes of these sessions, and these crashes, once each."""
        params = {"session_ids": list(session_ids), "crash_ids": list(crash_ids)}
        return [
            SessionCrashKind(r["SessionId"], r["CrashId"], r["Kind"])
            for r in self._rows(flag_queries.SELECT_SESSION_CRASH_KINDS, params)
        ]

    # ------------------------------------------------------------ screens (screen_queries)

    def screen_spans(
        self, *, app_version: str, os_name: str, since: int, until: int, limit: int
    ) -> list[ScreenSpanRow]:
        """Client lifecycle and screen-name spans under the filters ('' or 0: no filter), the newest
        ``limit`` of them (by span start)."""
        params = {
            "app_version": app_version,
            "os_name": os_name,
            "since": since,
            "until": until,
            "limit": limit,
        }
        return [
            ScreenSpanRow(r["TraceId"], r["SpanId"], r["ParentSpanId"], r["LifecycleName"], r["ScreenName"])
            for r in self._rows(screen_queries.SELECT_SCREEN_SPANS, params)
        ]

    # ------------------------------------------------------------ gap explanations (explain_queries)

    def gap_facts(self, trace_ids: Sequence[str]) -> list[GapFacts]:
        """The spans of these traces with gap facts (migration 0016): a client request span's
        ``http.*_ms`` attributes, a backend span's edge-rule resource attributes (stored text)."""
        return [
            _gap_facts(r)
            for r in self._rows(explain_queries.SELECT_GAP_FACTS, {"trace_ids": list(trace_ids)})
        ]

    def session_gap_facts(self, session_id: str) -> list[GapFacts]:
        """``gap_facts`` of the traces of a session (a span carrying its id), without their ids."""
        rows = self._rows(explain_queries.SELECT_SESSION_GAP_FACTS, {"session_id": session_id})
        return [_gap_facts(r) for r in rows]

    def network_timing(self, trace_ids: Sequence[str], event: str) -> list[NetworkTimingLog]:
        """The log records named ``event`` of spans of these traces."""
        params = {"trace_ids": list(trace_ids), "event": event}
        return [_timing_log(r) for r in self._rows(explain_queries.SELECT_NETWORK_TIMING, params)]

    def session_network_timing(self, session_id: str, event: str) -> list[NetworkTimingLog]:
        """``network_timing`` of the traces of a session, without their ids."""
        params = {"session_id": session_id, "event": event}
        return [_timing_log(r) for r in self._rows(explain_queries.SELECT_SESSION_NETWORK_TIMING, params)]

    def linked_consumers(self, trace_ids: Sequence[str], span_ids: Sequence[str]) -> list[LinkedConsumer]:
        """Spans linking to a span ``span_ids`` of a trace ``trace_ids``, once each."""
        params = {"trace_ids": list(trace_ids), "span_ids": list(span_ids)}
        return [
            LinkedConsumer(
                r["LinkedTraceId"],
                r["LinkedSpanId"],
                r["TraceId"],
                r["SpanId"],
                r["SpanName"],
                r["ServiceName"],
                int(r["StartNs"]),
                int(r["Duration"]),
                r["StatusCode"],
            )
            for r in self._rows(explain_queries.SELECT_LINKED_CONSUMERS, params)
        ]

    # ------------------------------------------------------------ latency phases (phase_queries)

    def phase_requests(
        self, filters: Filters, origins: Sequence[EdgeOrigin] = (), *, limit: int
    ) -> list[KeyedRequest]:
        """The latency API's requests under ``filters`` (``PAIR_FILTERS``; ``origins`` as for
        ``latency``) with their key under every group-by: the newest ``limit``, newest first."""
        params = {**_bind(filters, PAIR_FILTERS), **origin_params(origins), "phase_limit": limit}
        sql = phase_queries.SELECT_REQUESTS[self.proxied_answers()]
        return [
            KeyedRequest(
                r["TraceId"],
                r["ClientSpanId"],
                {group: r[column] for group, column in phase_queries.GROUP_COLUMNS.items()},
            )
            for r in self._rows(sql, params)
        ]


def _gap_facts(row: Row) -> GapFacts:
    """A gap-facts query row (``TraceId, SpanId, PhaseAttributes, TierAttributes``)."""
    return GapFacts(row["TraceId"], row["SpanId"], dict(row["PhaseAttributes"]), dict(row["TierAttributes"]))


def _timing_log(row: Row) -> NetworkTimingLog:
    """A network-timing query row (``TraceId, SpanId, TimeNs, Keys, TextValues, LogAttributeTypes``)."""
    return NetworkTimingLog(
        row["TraceId"],
        row["SpanId"],
        int(row["TimeNs"]),
        from_stored(row["Keys"], row["TextValues"], row["LogAttributeTypes"]),
    )


def _crash_filters(filters: Filters) -> dict[str, Any]:
    """The crash list filters as crash_queries.FILTER_WHERE binds them ('' or 0 when unset)."""
    return {
        "app_version": filters.get("app_version") or "",
        "os_name": filters.get("os_name") or "",
        "kind": filters.get("kind") or "",
        "since": filters.get("since") or 0,
        "until": filters.get("until") or 0,
    }
