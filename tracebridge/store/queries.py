"""The store's named read queries (every value a bound parameter, never formatted in).

``StoreReader`` runs them and returns typed rows; nothing outside the store writes SQL for reads
(the crash queries are in ``crash_queries``, the span reads in ``spans``). Optional filters are
``Nullable`` parameters: NULL means "no filter".
"""

from __future__ import annotations

from collections.abc import Sequence

# ---------------------------------------------------------------- sessions

# Traces with a span carrying the session id, once each (sorted by id: the session document
# orders its traces itself; no per-trace aggregate, which cost ~1 ms more per lookup).
SELECT_SESSION_TRACE_IDS = """
SELECT DISTINCT TraceId
FROM tracebridge_session_spans
WHERE SessionId = {session_id:String}
ORDER BY TraceId
"""

# Sessions with a crash of their own (the crash module's session index; migration 0006).
_SESSIONS_WITH_CRASH = "SELECT SessionId FROM tracebridge_session_crashes WHERE SessionId != ''"

# One row per session from the summary table (migration 0005): client-span extent when there is
# one, else the extent of all its spans; facts of its earliest client span having them. Sessions
# overlap [since, until] when start <= until and end >= since; has_crash: a crash recorded with the
# session's id, or the session being in {inferred} (given a session-less crash by device and time).
SELECT_SESSIONS = f"""
SELECT * FROM (
    SELECT SessionId,
           if(min(ClientStart) < 9223372036854775807, min(ClientStart), min(AnyStart)) AS StartNs,
           if(max(ClientEnd) > 0, max(ClientEnd), max(AnyEnd)) AS EndNs,
           argMinMerge(AppVersion) AS AppVersion,
           argMinMerge(OsName) AS OsName,
           argMinMerge(OsVersion) AS OsVersion,
           argMinMerge(DeviceModel) AS DeviceModel,
           argMinMerge(DeviceId) AS DeviceId
    FROM tracebridge_session_summary
    GROUP BY SessionId
)
WHERE ({{app_version:Nullable(String)}} IS NULL OR AppVersion = {{app_version:Nullable(String)}})
  AND ({{os_name:Nullable(String)}} IS NULL OR OsName = {{os_name:Nullable(String)}})
  AND ({{os_version:Nullable(String)}} IS NULL OR OsVersion = {{os_version:Nullable(String)}})
  AND ({{device_model:Nullable(String)}} IS NULL OR DeviceModel = {{device_model:Nullable(String)}})
  AND ({{device_id:Nullable(String)}} IS NULL OR DeviceId = {{device_id:Nullable(String)}})
  AND ({{since:Nullable(Int64)}} IS NULL OR EndNs >= {{since:Nullable(Int64)}})
  AND ({{until:Nullable(Int64)}} IS NULL OR StartNs <= {{until:Nullable(Int64)}})
  AND ({{has_crash:Nullable(UInt8)}} IS NULL
       OR (SessionId IN ({_SESSIONS_WITH_CRASH}) OR SessionId IN {{inferred:Array(String)}}) = {{has_crash:Nullable(UInt8)}})
ORDER BY StartNs DESC, SessionId
LIMIT {{limit:UInt32}}
"""

# Counts of some sessions from the session index (exact distinct: a re-sent span counts once), and
# whether any span of their traces (backend spans joined by trace id too) is in error: the trace
# index's InError, tracebridge_span_in_error per span (migration 0018).
SELECT_SESSION_COUNTS = """
SELECT SessionId, uniqExact(TraceId) AS TraceCount, uniqExact(TraceId, SpanId) AS SpanCount
FROM tracebridge_session_spans
WHERE SessionId IN {session_ids:Array(String)}
GROUP BY SessionId
"""

SELECT_SESSION_ERRORS = """
SELECT sessions.SessionId AS SessionId, max(traces.HasError) AS HasError
FROM (
    SELECT DISTINCT SessionId, TraceId FROM tracebridge_session_spans WHERE SessionId IN {session_ids:Array(String)}
) AS sessions
INNER JOIN (
    SELECT TraceId, max(InError) AS HasError
    FROM tracebridge_trace_index
    WHERE TraceId IN (SELECT TraceId FROM tracebridge_session_spans WHERE SessionId IN {session_ids:Array(String)})
    GROUP BY TraceId
) AS traces ON sessions.TraceId = traces.TraceId
GROUP BY SessionId
"""

# ---------------------------------------------------------------- request pairs and latency

# One row per client request that reached the backend, with the attempt that answers it (migration
# 0011). The client rows (FINAL: halves merged) hold the answers of servers directly below them;
# the answers of servers below a proxy hop (server rows no client half claims, whose key is a hop
# of tracebridge_request_hops, migration 0017: few) join by the hop's parent, and the later-ending
# of the two answers wins. The join costs about as much as the rest of the query, so readers first
# ask whether any proxied answer exists (SELECT_HAS_PROXIED_ANSWERS, cheap) and use the variant
# without it when none does. Route: the answering server's declared http.route, else the client's
# templated path, else the server's, else the client span name (tracebridge.query.gaps.route_of).
_CLIENT_ROWS = """
    SELECT TraceId, ClientSpanId, ClientStart, ClientDuration, ClientRoute, ClientName, AppVersion, OsName,
           OsVersion, DeviceModel, NetworkType, Answer
    FROM tracebridge_request_pairs FINAL
    WHERE HasClient = 1
"""

# Server rows that no client half claims (without FINAL: also the halves not merged yet, a superset
# of the proxied ones), and the hops whose own id is such a row's key (read by primary key).
_UNCLAIMED_ANSWER_KEYS = """
    SELECT TraceId, ClientSpanId FROM tracebridge_request_pairs WHERE HasServer = 1 AND HasClient = 0
"""
_PROXY_HOPS = f"""
    SELECT TraceId, SpanId, UpstreamSpanId FROM tracebridge_request_hops
    WHERE (TraceId, SpanId) IN ({_UNCLAIMED_ANSWER_KEYS})
"""

# The answers of servers below a hop, under the hop's parent: the unclaimed server rows (a server
# below a hop is never claimed, merged or not) joined to the proxy hops; every attempt's row,
# max(): the attempt that ended last, as FINAL would merge them.
_PROXIED_ANSWERS = f"""
    SELECT hop.TraceId AS TraceId, hop.UpstreamSpanId AS ClientSpanId, max(answer.Answer) AS Answer
    FROM tracebridge_request_pairs AS answer
    INNER JOIN ({_PROXY_HOPS}) AS hop ON answer.TraceId = hop.TraceId AND answer.ClientSpanId = hop.SpanId
    WHERE answer.HasServer = 1 AND answer.HasClient = 0
    GROUP BY hop.TraceId, hop.UpstreamSpanId
"""

# Whether any proxied answer exists: a hop whose id keys an unclaimed server row (~4 ms at 10M
# spans; a FINAL pass over every pair took ~160 ms).
SELECT_HAS_PROXIED_ANSWERS = f"SELECT count() AS Found FROM ({_PROXY_HOPS} LIMIT 1)"

_WITH_PROXIED = f"""
    SELECT client.TraceId AS TraceId, client.ClientSpanId AS ClientSpanId, ClientStart, ClientDuration, ClientRoute,
           ClientName, AppVersion, OsName, OsVersion, DeviceModel, NetworkType,
           if(proxied.ClientSpanId = '', client.Answer, greatest(client.Answer, proxied.Answer)) AS Answer
    FROM ({_CLIENT_ROWS}) AS client
    LEFT JOIN ({_PROXIED_ANSWERS}) AS proxied
    ON client.TraceId = proxied.TraceId AND client.ClientSpanId = proxied.ClientSpanId
"""

# Behind an edge tier the request's server is the origin span below the edge (the rule of
# tracebridge.query.edge, applied in Python once per read: tracebridge.query.edge_answers), bound as
# parallel arrays keyed by 'trace id/client span id'; the origin's http.route replaces the route
# when it declares one. Empty arrays: no request went through an edge to an origin, and no key is
# built. The position is found by transform() (a hash lookup): indexOf() compares every key with
# every origin (21 s instead of 1 s for 2,000 origins over 2.5M requests).
_PAIR_COLUMNS = """
SELECT TraceId, ClientSpanId,
       if(empty({origin_keys:Array(String)}), toUInt32(0),
          transform(concat(TraceId, '/', ClientSpanId), {origin_keys:Array(String)},
                    arrayEnumerate({origin_keys:Array(String)}), toUInt32(0))) AS OriginIx,
       if(OriginIx > 0, arrayElement({origin_span_ids:Array(String)}, OriginIx),
          tupleElement(Answer, 'ServerSpanId')) AS ServerSpanId,
       multiIf(OriginIx > 0 AND arrayElement({origin_routes:Array(String)}, OriginIx) != '',
               arrayElement({origin_routes:Array(String)}, OriginIx),
               tupleElement(Answer, 'DeclaredRoute') != '', tupleElement(Answer, 'DeclaredRoute'),
               ClientRoute != '', ClientRoute,
               tupleElement(Answer, 'ServerRoute') != '', tupleElement(Answer, 'ServerRoute'),
               ClientName) AS Route,
       AppVersion, OsName, OsVersion, DeviceModel, NetworkType,
       if(OriginIx > 0, arrayElement({origin_services:Array(String)}, OriginIx),
          tupleElement(Answer, 'ServiceName')) AS ServiceName,
       toUnixTimestamp64Nano(ClientStart) AS ClientStartNs, toInt64(ClientDuration) AS ClientNs,
       if(OriginIx > 0, arrayElement({origin_ns:Array(Int64)}, OriginIx),
          toInt64(tupleElement(Answer, 'ServerDuration'))) AS ServerNs
"""

# proxied answers present? -> the request pairs
REQUEST_PAIRS: dict[bool, str] = {
    proxied: f"""{_PAIR_COLUMNS}
FROM ({_WITH_PROXIED if proxied else _CLIENT_ROWS})
WHERE tupleElement(Answer, 'ServerSpanId') != ''
"""
    for proxied in (False, True)
}

_PAIR_FILTERS = """
  ({since:Nullable(Int64)} IS NULL OR ClientStartNs >= {since:Nullable(Int64)})
  AND ({until:Nullable(Int64)} IS NULL OR ClientStartNs <= {until:Nullable(Int64)})
  AND ({app_version:Nullable(String)} IS NULL OR AppVersion = {app_version:Nullable(String)})
  AND ({os_name:Nullable(String)} IS NULL OR OsName = {os_name:Nullable(String)})
  AND ({os_version:Nullable(String)} IS NULL OR OsVersion = {os_version:Nullable(String)})
  AND ({device_model:Nullable(String)} IS NULL OR DeviceModel = {device_model:Nullable(String)})
  AND ({network_type:Nullable(String)} IS NULL OR NetworkType = {network_type:Nullable(String)})
  AND ({service_name:Nullable(String)} IS NULL OR ServiceName = {service_name:Nullable(String)})
  AND ({route:Nullable(String)} IS NULL OR Route = {route:Nullable(String)})
"""

# The groups of each latency dimension: (dimension, key, bucket start) of a request. 'all' is one
# group; 'route_time' is the route and the bucket of the client start, buckets aligned on multiples
# of {bucket_ns}.
LATENCY_DIMENSION_GROUPS: dict[str, str] = {
    "all": "('all', '', toInt64(0))",
    "route": "('route', Route, toInt64(0))",
    "app_version": "('app_version', AppVersion, toInt64(0))",
    "os_name": "('os_name', OsName, toInt64(0))",
    "network_type": "('network_type', NetworkType, toInt64(0))",
    "service_name": "('service_name', ServiceName, toInt64(0))",
    "route_time": "('route_time', Route, intDiv(ClientStartNs, {bucket_ns:Int64}) * {bucket_ns:Int64})",
}

# The latency query of the API and the dashboards: count and exact p50/p95/p99 (quantileExactInclusive,
# linear interpolation between closest ranks: tracebridge.domain.exact_percentile) of client, server
# and gap (client minus server) nanoseconds, per group of each requested dimension, and the extent
# of the client starts of each group. /*GROUPS*/ takes the requested dimensions' entries of
# LATENCY_DIMENSION_GROUPS (select_latency): a request is repeated once per requested dimension
# only (building all seven for every request and filtering cost ~40% of a one-dimension query).
SELECT_LATENCY: dict[bool, str] = {
    proxied: f"""
SELECT Dim.1 AS Dimension, Dim.2 AS Key, Dim.3 AS BucketNs, count() AS Count,
       quantilesExactInclusive(0.5, 0.95, 0.99)(ClientNs) AS ClientQ,
       quantilesExactInclusive(0.5, 0.95, 0.99)(ServerNs) AS ServerQ,
       quantilesExactInclusive(0.5, 0.95, 0.99)(ClientNs - ServerNs) AS GapQ,
       min(ClientStartNs) AS FirstNs, max(ClientStartNs) AS LastNs
FROM ({REQUEST_PAIRS[proxied]})
ARRAY JOIN [/*GROUPS*/] AS Dim
WHERE {_PAIR_FILTERS}
GROUP BY Dimension, Key, BucketNs
ORDER BY Dimension, Count DESC, Key, BucketNs
"""
    for proxied in (False, True)
}


def select_latency(proxied: bool, dimensions: Sequence[str]) -> str:
    """``SELECT_LATENCY`` grouping by ``dimensions`` (keys of ``LATENCY_DIMENSION_GROUPS``, at least one)."""
    groups = ", ".join(LATENCY_DIMENSION_GROUPS[d] for d in dict.fromkeys(dimensions))
    return SELECT_LATENCY[proxied].replace("/*GROUPS*/", groups)


# The answered requests of some traces, each with its answering attempt (the SQL twin of
# tracebridge.query.pairing, compared with it by the storage suite).
SELECT_ANSWERED_REQUESTS = f"""
SELECT TraceId, ClientSpanId, ServerSpanId, Route, ServiceName, ClientNs, ServerNs
FROM ({REQUEST_PAIRS[True]})
WHERE TraceId IN {{trace_ids:Array(String)}}
ORDER BY TraceId, ClientSpanId
"""

# The client-side filters on the client halves of the request pairs (since/until on the start).
_CLIENT_HALF_FILTERS = """
  ({since:Nullable(Int64)} IS NULL OR toUnixTimestamp64Nano(ClientStart) >= {since:Nullable(Int64)})
  AND ({until:Nullable(Int64)} IS NULL OR toUnixTimestamp64Nano(ClientStart) <= {until:Nullable(Int64)})
  AND ({app_version:Nullable(String)} IS NULL OR AppVersion = {app_version:Nullable(String)})
  AND ({os_name:Nullable(String)} IS NULL OR OsName = {os_name:Nullable(String)})
  AND ({network_type:Nullable(String)} IS NULL OR NetworkType = {network_type:Nullable(String)})
"""

# Traces of the client requests under the client-side filters in which a backend span's resource
# may be an edge tier: its tier attributes (the gap facts of migration 0016, stored only for the
# few spans that have any) hold a value containing "edge" or naming one of {edge_platforms}. That
# is a necessary condition of the edge-tier rule, not the rule: tracebridge.query.edge
# is_edge_resource decides on these traces' gap facts. The small gap-facts set is found first and
# the request pairs read by its trace ids (primary key), so the read does not grow with the store.
SELECT_EDGE_CANDIDATE_TRACES = f"""
SELECT DISTINCT TraceId
FROM tracebridge_request_pairs
WHERE HasClient = 1
  AND TraceId IN (
    SELECT TraceId FROM tracebridge_gap_facts
    WHERE notEmpty(TierAttributes)
      AND arrayExists(v -> positionCaseInsensitive(v, 'edge') > 0 OR has({{edge_platforms:Array(String)}}, lower(v)),
                      mapValues(TierAttributes))
  )
  AND {_CLIENT_HALF_FILTERS}
  AND ({{os_version:Nullable(String)}} IS NULL OR OsVersion = {{os_version:Nullable(String)}})
  AND ({{device_model:Nullable(String)}} IS NULL OR DeviceModel = {{device_model:Nullable(String)}})
"""

# The extent of the client requests' starts under the client-side filters (client halves only, no
# FINAL: cheap; the latency dashboard's window and bucket size).
SELECT_REQUEST_EXTENT = f"""
SELECT count() AS Requests,
       toUnixTimestamp64Nano(min(ClientStart)) AS FirstNs,
       toUnixTimestamp64Nano(max(ClientStart)) AS LastNs
FROM tracebridge_request_pairs
WHERE HasClient = 1 AND {_CLIENT_HALF_FILTERS}
"""

# The distribution of gaps (ms) of the same requests, in adaptive bins (the latency dashboard).
SELECT_GAP_HISTOGRAM: dict[bool, str] = {
    proxied: f"""
SELECT histogram({{bins:UInt32}})((ClientNs - ServerNs) / 1e6) AS Bins
FROM ({REQUEST_PAIRS[proxied]})
WHERE {_PAIR_FILTERS}
"""
    for proxied in (False, True)
}

# ---------------------------------------------------------------- existence, activity, screens

SELECT_TRACE_EXISTS = (
    "SELECT count() AS Found FROM (SELECT 1 FROM otel_traces WHERE TraceId = {trace_id:String} LIMIT 1)"
)

SELECT_SESSION_EXISTS = """
SELECT (SELECT count() FROM (SELECT 1 FROM tracebridge_session_spans WHERE SessionId = {session_id:String} LIMIT 1))
     + (SELECT count() FROM (SELECT 1 FROM tracebridge_session_crashes WHERE SessionId = {session_id:String} LIMIT 1)) AS Found
"""

# The latest device time of client activity (the versions page's default window end).
SELECT_LAST_CLIENT_ACTIVITY = """
SELECT toUnixTimestamp64Nano(max(Timestamp)) AS LastNs, count() AS Spans
FROM tracebridge_session_spans
WHERE Side = 'client'
"""

# Screens of a session from its client spans' screen.name (opentelemetry-android sets it on
# every span; other SDKs may send it as a span attribute too), in device time order.
SELECT_SESSION_SCREENS = """
SELECT toUnixTimestamp64Nano(Timestamp) AS StartNs, toUnixTimestamp64Nano(Timestamp) + Duration AS EndNs,
       SpanAttributes['screen.name'] AS Screen
FROM otel_traces
WHERE TraceId IN {trace_ids:Array(String)} AND Side = 'client' AND SessionId = {session_id:String}
  AND SpanAttributes['screen.name'] != ''
ORDER BY StartNs, SpanId
LIMIT 1 BY SpanId
"""

# ---------------------------------------------------------------- crash trend (dashboards)

# Crash records recognized at ingest (tracebridge_crashes, one row per crash once de-duplicated),
# the same records the crash groups count.
_CRASHES = """
SELECT Timestamp, AppVersion
FROM tracebridge_crashes
WHERE ({since:Nullable(Int64)} IS NULL OR toUnixTimestamp64Nano(Timestamp) >= {since:Nullable(Int64)})
  AND ({until:Nullable(Int64)} IS NULL OR toUnixTimestamp64Nano(Timestamp) <= {until:Nullable(Int64)})
  AND ({app_version:Nullable(String)} IS NULL OR AppVersion = {app_version:Nullable(String)})
  AND ({os_name:Nullable(String)} IS NULL OR OsName = {os_name:Nullable(String)})
ORDER BY IngestTime DESC
LIMIT 1 BY CrashId
"""

SELECT_CRASH_OPTIONS = """
SELECT groupUniqArrayIf(500)(toString(AppVersion), AppVersion != '') AS AppVersions,
       groupUniqArrayIf(50)(toString(OsName), OsName != '') AS OsNames
FROM tracebridge_crashes
"""

SELECT_CRASH_EXTENT = f"""
SELECT count() AS Crashes,
       toUnixTimestamp64Nano(min(Timestamp)) AS FirstNs,
       toUnixTimestamp64Nano(max(Timestamp)) AS LastNs
FROM ({_CRASHES})
"""

SELECT_CRASH_TREND = f"""
SELECT intDiv(toUnixTimestamp64Nano(Timestamp), {{bucket_ns:Int64}}) * {{bucket_ns:Int64}} AS BucketNs,
       if(AppVersion = '', '(unknown)', toString(AppVersion)) AS Version,
       count() AS Crashes
FROM ({_CRASHES})
GROUP BY BucketNs, Version
ORDER BY BucketNs, Version
"""
