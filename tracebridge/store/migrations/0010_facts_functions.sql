-- The contract's derived facts in SQL, for materialized views and aggregates. Each is the twin of
-- a Python function in tracebridge/domain.py; tests/store/test_storage_suite.py checks both give
-- the same answer on the same stored rows. Applied at every start (a *_functions file).

-- A span is in error: status Error, or HTTP status >= 500, or a CLIENT span with HTTP status >= 400
-- (tracebridge.domain.span_in_error; StatusCode/SpanKind as stored: 'Error', 'Client').
CREATE OR REPLACE FUNCTION tracebridge_span_in_error{{on_cluster}} AS (ie_status, ie_kind, ie_http) ->
    toUInt8(ie_status = 'Error' OR ie_http >= 500 OR (ie_kind = 'Client' AND ie_http >= 400));
