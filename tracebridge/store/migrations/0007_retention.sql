-- Retention for the aggregate tables: they get an IngestTime (the latest contribution), so the
-- retention TTL (store/migrator.py apply_retention) drops an aggregate row N days after the last
-- span that fed it arrived.
ALTER TABLE {{local tracebridge_request_pairs}}{{on_cluster}}
    ADD COLUMN IF NOT EXISTS IngestTime SimpleAggregateFunction(max, DateTime64(3)) DEFAULT now64(3);
{{cluster_only}} ALTER TABLE tracebridge_request_pairs{{on_cluster}}
    ADD COLUMN IF NOT EXISTS IngestTime SimpleAggregateFunction(max, DateTime64(3)) DEFAULT now64(3);
ALTER TABLE {{local tracebridge_session_summary}}{{on_cluster}}
    ADD COLUMN IF NOT EXISTS IngestTime SimpleAggregateFunction(max, DateTime64(3)) DEFAULT now64(3);
{{cluster_only}} ALTER TABLE tracebridge_session_summary{{on_cluster}}
    ADD COLUMN IF NOT EXISTS IngestTime SimpleAggregateFunction(max, DateTime64(3)) DEFAULT now64(3);
