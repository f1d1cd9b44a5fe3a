-- Cheaper planning of the landing views. ClickHouse plans a materialized view's query again for
-- every inserted block, so the size of the flattening query after its SQL functions are inlined is
-- a fixed cost of every insert (docs/ingest.md, "Planning cost"). 0002 now layers the resource map
-- so that no function reads it through an alias (each alias use was a copy of the whole map
-- expression), and tracebridge_log_value_text (0001) inlines tracebridge_leaf_json once, not twice.
-- Same rows as before; the views are created again to pick up both.
-- Upgrading several ingest nodes: stop them all first (as for 0014).
{{recreate otlp_traces_in_mv}};

{{recreate otlp_logs_in_mv}};

-- Spans are written as compact parts (one file per part, not two per column) until a part holds
-- 1 GiB uncompressed (~800k spans): an insert of 8 MiB of OTLP made a wide part of ~200 files,
-- and merges into wide parts took the vertical algorithm, which costs more here than merging
-- compact parts row by row. Measured (docs/ingest.md): insert + merges 8-12% less CPU per span.
ALTER TABLE {{local otel_traces}}{{on_cluster}} MODIFY SETTING min_bytes_for_wide_part = 1073741824;
