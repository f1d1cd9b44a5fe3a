-- Attribute values of spans, events, links, resources and scopes: arrays and key-value lists are
-- stored as JSON text (as the Collector's clickhouseexporter writes them, so Grafana and SQL users
-- read them as such), no longer as base64 of their OTLP protobuf. The landing tables parse those
-- values one level deeper (otlp_wire.proto, 0002 / 0003) and the functions of 0001_functions.sql
-- produce the JSON. The landing tables (Null engine, no rows) and their views are created again as
-- 0002 / 0003 define them now: ClickHouse inlines the functions into a view when it is created.
-- Rows stored before keep their base64 text: the reader decodes both. On a new store 0002 / 0003
-- have just created them as they are now, and the {{recreate}} statements do nothing.
-- Upgrading several ingest nodes: stop them all first. Between the DROP and the CREATE of a view,
-- an insert from another node into its landing table would be stored nowhere.
{{recreate otlp_traces_in_mv otlp_traces_in}};

{{recreate otlp_logs_in_mv otlp_logs_in}};
