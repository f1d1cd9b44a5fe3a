"""Named SQL of the gap explanations (``query/explain.py``: network phases, edge tiers, queued
work), run by ``StoreReader``'s methods with bound parameters. Re-sent spans and log records are
read once (``LIMIT 1 BY``).
"""

from __future__ import annotations

# The few spans with gap facts (migration 0016): client request spans' http.*_ms attributes and
# backend spans' edge-rule resource attributes, as stored text.
SELECT_GAP_FACTS = """
SELECT TraceId, SpanId, PhaseAttributes, TierAttributes
FROM tracebridge_gap_facts
WHERE TraceId IN {trace_ids:Array(String)}
LIMIT 1 BY TraceId, SpanId
"""

# The traces of a session (those with a span carrying its id), as a subquery on the session
# index: the session's gap-facts and network-timing reads need no trace-id list, so they start
# with the lookup instead of after the trace-id read, and 500 ids are not bound and parsed twice
# (bench/lookup_profile.py: 1.4 ms less CPU each, docs/query.md). The span read itself keeps
# the bound list: with this subquery it measured 6-10 ms slower.
_SESSION_TRACES = "SELECT TraceId FROM tracebridge_session_spans WHERE SessionId = {session_id:String}"

SELECT_SESSION_GAP_FACTS = SELECT_GAP_FACTS.replace("{trace_ids:Array(String)}", f"({_SESSION_TRACES})")

SELECT_LINKED_CONSUMERS = """
SELECT LinkedTraceId, LinkedSpanId, TraceId, SpanId, SpanName, ServiceName,
       toUnixTimestamp64Nano(Timestamp) AS StartNs, Duration, StatusCode
FROM tracebridge_span_links
WHERE LinkedTraceId IN {trace_ids:Array(String)} AND LinkedSpanId IN {span_ids:Array(String)}
LIMIT 1 BY LinkedTraceId, LinkedSpanId, TraceId, SpanId
"""

SELECT_NETWORK_TIMING = """
SELECT TraceId, SpanId,
       toUnixTimestamp64Nano(if(Timestamp > toDateTime64(0, 9), Timestamp, ObservedTimestamp)) AS TimeNs,
       mapKeys(LogAttributes) AS Keys, mapValues(LogAttributes) AS TextValues, LogAttributeTypes
FROM otel_logs
WHERE TraceId IN {trace_ids:Array(String)} AND SpanId != ''
  AND (EventName = {event:String} OR LogAttributes['event.name'] = {event:String})
LIMIT 1 BY LogId
"""

SELECT_SESSION_NETWORK_TIMING = SELECT_NETWORK_TIMING.replace(
    "{trace_ids:Array(String)}", f"({_SESSION_TRACES})"
)
