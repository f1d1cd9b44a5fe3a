-- Request hops in a table of their own. Migration 0011 kept a hop row (a backend non-SERVER span
-- with a parent: a proxy or edge hop, and also every database or internal call) in the request
-- pairs under the hop's own id, so that a server below the hop merged with it. Those rows were
-- ~60% of the pairs (3.75M of 6.25M at 10M spans), and the latency query reads the pairs with
-- FINAL, which reads every row's key before it can filter: the latency query took ~950 ms there,
-- ~450 ms on the same pairs without them (docs/query.md).
-- Now the hops live in tracebridge_request_hops (one row per hop span; ReplacingMergeTree like the
-- trace index), and readers join the few server answers that no client half claims to the hops
-- above them (tracebridge/store/queries.py _PROXIED_ANSWERS): the same pairing rule as before
-- (tracebridge/query/pairing.py).
-- Stores created before: the hop rows already in the pairs are copied here once, then deleted from
-- the pairs by a mutation (in the background; until it is done readers ignore them: they are
-- neither client halves nor server answers). A hop row already merged with its server's answer
-- keeps that answer (HasServer = 1) and stays.
CREATE TABLE IF NOT EXISTS {{local tracebridge_request_hops}}{{on_cluster}}
(
    TraceId String,
    SpanId String,
    UpstreamSpanId String,
    IngestTime DateTime64(3)
)
ENGINE = {{engine ReplacingMergeTree(IngestTime)}}
ORDER BY (TraceId, SpanId);

{{distributed tracebridge_request_hops cityHash64(TraceId)}};

DROP VIEW IF EXISTS tracebridge_request_pairs_hop_mv{{on_cluster}};

CREATE MATERIALIZED VIEW IF NOT EXISTS tracebridge_request_hops_mv{{on_cluster}} TO {{local tracebridge_request_hops}} AS
SELECT TraceId, SpanId, ParentSpanId AS UpstreamSpanId, IngestTime
FROM {{local otel_traces}}
WHERE Side = 'backend' AND SpanKind != 'Server' AND ParentSpanId != '';

INSERT INTO tracebridge_request_hops (TraceId, SpanId, UpstreamSpanId, IngestTime)
SELECT TraceId, ClientSpanId, UpstreamSpanId, IngestTime
FROM tracebridge_request_pairs
WHERE HasHop = 1;

ALTER TABLE {{local tracebridge_request_pairs}}{{on_cluster}} DELETE WHERE HasHop = 1 AND HasClient = 0 AND HasServer = 0;
