"""Span reads behind ``StoreReader.trace_spans`` / ``indexed_spans``, shaped for speed (every
query parameterized).

- ``full_trace_spans``: every span of one trace with all the fields of a trace document, from
  ``otel_traces`` (ordered by TraceId; the device-fact columns, which a trace document does not
  show, are left empty). The wide nested Events/Links columns are read in a second query only when some
  span of the trace has events or links (most mobile and backend spans have none), which halves
  the columns read for a typical trace.
- ``lean_spans_of_traces``: the spans of many traces (a session) from the narrow trace index
  ``tracebridge_trace_index`` (migration 0005): the fields gaps, skew, timing and summaries need,
  with ``attributes`` holding only ``http.route`` and ``http.request.resend_count`` and no
  resource attributes. Both de-duplicate re-sent spans (newest ingest wins).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic_core import from_json

from tracebridge.store.client import LockedClient
from tracebridge.store.rows import KIND_NAMES, STATUS_NAMES, SpanEvent, StoredSpan, from_span_row

# Column expressions read for a StoredSpan (from_span_row's names), as lists: the flat ones every
# trace read needs, and the wide nested Events/Links ones read only for spans that have some.
# Times come out as integers so that no nanosecond is lost through a datetime.
FLAT_COLUMNS = (
    "TraceId",
    "SpanId",
    "ParentSpanId",
    "TraceState",
    "SpanName",
    "SpanKind",
    "ServiceName",
    "Side",
    "SessionId",
    "toUnixTimestamp64Nano(Timestamp) AS StartNs",
    "Duration",
    "StatusCode",
    "StatusMessage",
    "SpanAttributes.keys AS SpanAttributeKeys",
    "SpanAttributes.values AS SpanAttributeValues",
    "SpanAttributeTypes",
    "ResourceAttributes.keys AS ResourceAttributeKeys",
    "ResourceAttributes.values AS ResourceAttributeValues",
    "ResourceAttributeTypes",
    "ScopeName",
    "ScopeVersion",
    "HttpMethod",
    "HttpRoute",
    "HttpStatus",
)
NESTED_COLUMNS = (
    "arrayMap(t -> toUnixTimestamp64Nano(t), Events.Timestamp) AS EventTimes",
    "Events.Name AS EventNames",
    "arrayMap(m -> mapKeys(m), Events.Attributes) AS EventAttributeKeys",
    "arrayMap(m -> mapValues(m), Events.Attributes) AS EventAttributeValues",
    "Events.AttributeTypes AS EventAttributeTypes",
    "Links.TraceId AS LinkTraceIds",
    "Links.SpanId AS LinkSpanIds",
    "Links.TraceState AS LinkTraceStates",
    "arrayMap(m -> mapKeys(m), Links.Attributes) AS LinkAttributeKeys",
    "arrayMap(m -> mapValues(m), Links.Attributes) AS LinkAttributeValues",
    "Links.AttributeTypes AS LinkAttributeTypes",
)
# Device facts are not part of a trace document (they belong to the session): not read here.
_UNREAD = {
    "AppVersion": "",
    "OsName": "",
    "OsVersion": "",
    "DeviceModel": "",
    "DeviceId": "",
    "NetworkType": "",
}
_EMPTY_NESTED: dict[str, list[Any]] = {
    "EventTimes": [],
    "EventNames": [],
    "EventAttributeKeys": [],
    "EventAttributeValues": [],
    "EventAttributeTypes": [],
    "LinkTraceIds": [],
    "LinkSpanIds": [],
    "LinkTraceStates": [],
    "LinkAttributeKeys": [],
    "LinkAttributeValues": [],
    "LinkAttributeTypes": [],
}

# A lookup's cost is mostly ClickHouse's fixed cost per query and per selected expression, not the
# granules read (bench/lookup_profile.py): the map subcolumns are read as plain columns, and
# re-sent spans are dropped in Python (newest ingest kept) instead of sorting for LIMIT 1 BY.
SELECT_TRACE_FLAT = f"""
SELECT {", ".join(FLAT_COLUMNS)}, IngestTime,
       Events.Name.size0 + Links.SpanId.size0 AS NestedCount
FROM otel_traces
WHERE TraceId = {{trace_id:String}}
"""

SELECT_TRACE_NESTED = f"""
SELECT SpanId, {", ".join(NESTED_COLUMNS)}
FROM otel_traces
WHERE TraceId = {{trace_id:String}} AND SpanId IN {{span_ids:Array(String)}}
ORDER BY IngestTime DESC
LIMIT 1 BY SpanId
"""

# Fields of tracebridge_trace_index.Doc, in order (see migration 0005_query.sql); _lean_span
# unpacks them in this order.
INDEX_FIELDS = (
    "ParentSpanId",
    "StartNs",
    "Duration",
    "SpanName",
    "SpanKind",
    "Side",
    "ServiceName",
    "SessionId",
    "StatusCode",
    "StatusMessage",
    "AppVersion",
    "OsName",
    "OsVersion",
    "DeviceModel",
    "DeviceId",
    "NetworkType",
    "HttpMethod",
    "HttpRoute",
    "DeclaredRoute",
    "HttpStatus",
    "ResendCount",
    "EventNames",
    "EventTimes",
)

# Duplicates (a re-sent span before merges) are dropped in Python, newest ingest kept: sorting
# the rows in ClickHouse for LIMIT 1 BY doubled the cost of this read.
SELECT_INDEXED_SPANS = """
SELECT TraceId, SpanId, Doc, toUnixTimestamp64Milli(IngestTime) AS IngestMs
FROM tracebridge_trace_index
WHERE TraceId IN {trace_ids:Array(String)}
"""

# Some spans of many traces: trace ids x span ids (span ids are random, so the pairs asked for).
SELECT_INDEXED_SPANS_BY_ID = """
SELECT TraceId, SpanId, Doc, toUnixTimestamp64Milli(IngestTime) AS IngestMs
FROM tracebridge_trace_index
WHERE TraceId IN {trace_ids:Array(String)} AND SpanId IN {span_ids:Array(String)}
"""


# Settings of the one-trace reads: a handful of granules, read faster by one thread than handed
# out to several.
POINT_READ: dict[str, Any] = {"max_threads": 1}


def _rows(
    client: LockedClient, sql: str, parameters: dict[str, Any], settings: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    return list(client.query(sql, parameters=parameters, settings=settings or {}).named_results())


def _newest_by_span(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per span id, the newest ``IngestTime`` (a re-sent span before merges)."""
    newest: dict[str, dict[str, Any]] = {}
    for row in rows:
        kept = newest.get(row["SpanId"])
        if kept is None or row["IngestTime"] > kept["IngestTime"]:
            newest[row["SpanId"]] = row
    return list(newest.values())


def full_trace_spans(client: LockedClient, trace_id: str) -> list[StoredSpan]:
    """Every span of a trace with all fields, one per span id, ordered by (raw) start."""
    rows = _newest_by_span(_rows(client, SELECT_TRACE_FLAT, {"trace_id": trace_id}, POINT_READ))
    nested_ids = [r["SpanId"] for r in rows if int(r["NestedCount"])]
    nested = (
        {
            r["SpanId"]: r
            for r in _rows(
                client, SELECT_TRACE_NESTED, {"trace_id": trace_id, "span_ids": nested_ids}, POINT_READ
            )
        }
        if nested_ids
        else {}
    )
    spans = [
        from_span_row({**_EMPTY_NESTED, **_UNREAD, **row, **nested.get(row["SpanId"], {})}) for row in rows
    ]
    spans.sort(key=lambda s: (s.start_time_unix_nano, s.span_id))
    return spans


def lean_spans_of_traces(client: LockedClient, trace_ids: Sequence[str]) -> list[StoredSpan]:
    """The spans of these traces from the narrow index (see module docstring), ordered by trace
    then start."""
    if not trace_ids:
        return []
    # Column-wise (no dict per row): ~1,000 rows per session lookup.
    columns = client.query(SELECT_INDEXED_SPANS, parameters={"trace_ids": list(trace_ids)}).result_columns
    return _newest_lean_spans(columns)


def lean_spans_by_id(client: LockedClient, ids: Sequence[tuple[str, str]]) -> list[StoredSpan]:
    """These (trace id, span id) spans from the narrow index, as ``lean_spans_of_traces`` gives
    them (20,000 client request spans: ~0.7 s at 10M spans, ~1.7 s from otel_traces)."""
    if not ids:
        return []
    params = {"trace_ids": sorted({t for t, _ in ids}), "span_ids": sorted({s for _, s in ids})}
    columns = client.query(SELECT_INDEXED_SPANS_BY_ID, parameters=params).result_columns
    wanted = set(ids)
    return [s for s in _newest_lean_spans(columns) if (s.trace_id, s.span_id) in wanted]


def _newest_lean_spans(columns: Sequence[Sequence[Any]]) -> list[StoredSpan]:
    """Trace-index rows (TraceId, SpanId, Doc, IngestMs columns) as spans, the newest ingest of a
    re-sent span kept, ordered by trace then start."""
    if not columns or not columns[0]:
        return []
    newest: dict[tuple[str, str], tuple[int, str]] = {}
    for trace_id, span_id, doc, ingest_ms in zip(*columns, strict=True):
        kept = newest.get((trace_id, span_id))
        if kept is None or ingest_ms > kept[0]:
            newest[(trace_id, span_id)] = (ingest_ms, doc)
    docs = from_json("[" + ",".join(doc for _, doc in newest.values()) + "]")  # one parse for all rows
    spans = [_lean_span(tid, sid, doc) for (tid, sid), doc in zip(newest, docs, strict=True)]
    spans.sort(key=lambda s: (s.trace_id, s.start_time_unix_nano, s.span_id))
    return spans


def _lean_span(trace_id: str, span_id: str, doc: list[Any]) -> StoredSpan:
    """A StoredSpan from one index Doc (fields in INDEX_FIELDS order)."""
    (
        parent,
        start,
        duration,
        name,
        kind,
        side,
        service,
        session,
        status,
        message,
        app_version,
        os_name,
        os_version,
        device_model,
        device_id,
        network,
        method,
        route,
        declared,
        http_status,
        resends,
        event_names,
        event_times,
    ) = doc
    attributes: dict[str, Any] = {}
    if declared:
        attributes["http.route"] = declared
    resends = str(resends)
    if resends.isdigit() and resends != "0":
        attributes["http.request.resend_count"] = int(resends)
    start = int(start)
    return StoredSpan(
        trace_id=trace_id,
        span_id=span_id,
        parent_span_id=parent or None,
        trace_state="",
        name=name,
        kind=KIND_NAMES.get(kind, "unspecified"),
        side=side,
        service_name=service,
        session_id=session or None,
        start_time_unix_nano=start,
        end_time_unix_nano=start + int(duration),
        status_code=STATUS_NAMES.get(status, "unset"),
        status_message=message,
        attributes=attributes,
        resource_attributes={},
        scope_name="",
        scope_version="",
        events=[SpanEvent(n, int(t), {}) for n, t in zip(event_names, event_times, strict=False)]
        if event_names
        else [],
        links=[],
        app_version=app_version,
        os_name=os_name,
        os_version=os_version,
        device_model=device_model,
        device_id=device_id,
        network_type=network,
        http_method=method,
        http_route=route,
        http_status=int(http_status),
    )
