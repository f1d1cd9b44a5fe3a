-- Gap facts: what explaining a session's gaps needs beyond the trace index, kept for the few spans
-- that have any, so a session lookup reads a small table instead of the attribute maps of every
-- span of its traces in otel_traces (two wide reads of ~500 traces were half the lookup's time):
-- - PhaseAttributes: the attributes named http.*_ms of client request spans (Side 'client', kind
--   Client): the OkHttp listener durations of query/phases.py OKHTTP_ATTRIBUTES, as stored text;
-- - TierAttributes: the resource attributes of a backend span that the edge-tier rule reads
--   (tracebridge.tier, cloud.platform, faas.*; query/edge.py is_edge_resource), as stored text.
-- A span with neither has no row. ReplacingMergeTree like the trace index; readers de-duplicate
-- with LIMIT 1 BY. The last statement fills the table from spans stored before it existed
-- (through the plain names, so in the cluster layout it reads and writes every shard).
CREATE TABLE IF NOT EXISTS {{local tracebridge_gap_facts}}{{on_cluster}}
(
    TraceId String,
    SpanId String,
    PhaseAttributes Map(String, String),
    TierAttributes Map(String, String),
    IngestTime DateTime64(3)
)
ENGINE = {{engine ReplacingMergeTree(IngestTime)}}
ORDER BY (TraceId, SpanId)
SETTINGS index_granularity = 256;

{{distributed tracebridge_gap_facts cityHash64(TraceId)}};

CREATE MATERIALIZED VIEW IF NOT EXISTS tracebridge_gap_facts_mv{{on_cluster}} TO {{local tracebridge_gap_facts}} AS
SELECT TraceId, SpanId,
       if(Side = 'client' AND SpanKind = 'Client',
          mapFilter((k, v) -> startsWith(k, 'http.') AND endsWith(k, '_ms'), SpanAttributes), map()) AS PhaseAttributes,
       if(Side = 'backend',
          mapFilter((k, v) -> k IN ('tracebridge.tier', 'cloud.platform') OR startsWith(k, 'faas.'), ResourceAttributes),
          map()) AS TierAttributes,
       IngestTime
FROM {{local otel_traces}}
WHERE (Side = 'client' AND SpanKind = 'Client'
       AND arrayExists(k -> startsWith(k, 'http.') AND endsWith(k, '_ms'), mapKeys(SpanAttributes)))
   OR (Side = 'backend'
       AND arrayExists(k -> k IN ('tracebridge.tier', 'cloud.platform') OR startsWith(k, 'faas.'), mapKeys(ResourceAttributes)));

INSERT INTO tracebridge_gap_facts (TraceId, SpanId, PhaseAttributes, TierAttributes, IngestTime)
SELECT TraceId, SpanId,
       if(Side = 'client' AND SpanKind = 'Client',
          mapFilter((k, v) -> startsWith(k, 'http.') AND endsWith(k, '_ms'), SpanAttributes), map()),
       if(Side = 'backend',
          mapFilter((k, v) -> k IN ('tracebridge.tier', 'cloud.platform') OR startsWith(k, 'faas.'), ResourceAttributes),
          map()),
       IngestTime
FROM otel_traces
WHERE (Side = 'client' AND SpanKind = 'Client'
       AND arrayExists(k -> startsWith(k, 'http.') AND endsWith(k, '_ms'), mapKeys(SpanAttributes)))
   OR (Side = 'backend'
       AND arrayExists(k -> k IN ('tracebridge.tier', 'cloud.platform') OR startsWith(k, 'faas.'), mapKeys(ResourceAttributes)));
