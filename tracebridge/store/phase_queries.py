"""Named SQL of the latency rows' phases (``query/phase_latency.py``), one query per group-by,
run by ``StoreReader``'s ``phase_*`` methods with the latency filters (and edge origins) bound.

Each query restricts to the latency API's requests (``queries.REQUEST_PAIRS`` under its filters),
so a row's phases are over the same requests as its latency columns.
"""

from __future__ import annotations

from tracebridge.store.queries import _PAIR_FILTERS as PAIR_FILTER_SQL
from tracebridge.store.queries import REQUEST_PAIRS

# Group-by name -> column of the store's request pairs (the latency API's requests).
GROUP_COLUMNS = {
    "route": "Route",
    "app_version": "AppVersion",
    "os_name": "OsName",
    "network_type": "NetworkType",
    "service_name": "ServiceName",
}


def _requests_sql(column: str) -> str:
    """The latency API's requests (``REQUEST_PAIRS`` under its filters) with the row key, the newest
    ``{phase_limit}`` of them (by client start; ties by id, so the three queries agree)."""
    return (
        f"SELECT {column} AS Key, TraceId, ClientSpanId FROM ({REQUEST_PAIRS[True]}) WHERE {PAIR_FILTER_SQL} "
        "ORDER BY ClientStartNs DESC, TraceId, ClientSpanId LIMIT {phase_limit:UInt32}"
    )


def _client_spans_sql(requests: str) -> str:
    return f"""
SELECT TraceId, SpanId, toUnixTimestamp64Nano(Timestamp) AS StartNs, Duration,
       Events.Name AS EventNames, arrayMap(t -> toUnixTimestamp64Nano(t), Events.Timestamp) AS EventTimes,
       mapFilter((k, v) -> has({{names:Array(String)}}, k), SpanAttributes) AS PhaseAttributes
FROM otel_traces
WHERE Side = 'client' AND SpanKind = 'Client'
  AND (TraceId, SpanId) IN (SELECT TraceId, ClientSpanId FROM ({requests}))
LIMIT 1 BY TraceId, SpanId
"""


def _timing_sql(requests: str) -> str:
    return f"""
SELECT TraceId, SpanId,
       toUnixTimestamp64Nano(if(Timestamp > toDateTime64(0, 9), Timestamp, ObservedTimestamp)) AS TimeNs,
       mapKeys(LogAttributes) AS Keys, mapValues(LogAttributes) AS TextValues, LogAttributeTypes
FROM otel_logs
WHERE (EventName = {{event:String}} OR LogAttributes['event.name'] = {{event:String}})
  AND (TraceId, SpanId) IN (SELECT TraceId, ClientSpanId FROM ({requests}))
LIMIT 1 BY LogId
"""


# Per group-by: the requests with their row key (Key, TraceId, ClientSpanId) ...
SELECT_REQUESTS = {group: _requests_sql(column) for group, column in GROUP_COLUMNS.items()}
# ... their client spans (events and the phase attributes named {names}) ...
SELECT_CLIENT_SPANS = {group: _client_spans_sql(sql) for group, sql in SELECT_REQUESTS.items()}
# ... and their network-timing log records ({event}).
SELECT_NETWORK_TIMING = {group: _timing_sql(sql) for group, sql in SELECT_REQUESTS.items()}
