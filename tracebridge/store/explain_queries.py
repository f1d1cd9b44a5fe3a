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
