-- SQL functions used by the ingest materialized views. ClickHouse SQL functions are
-- server-wide objects, hence the tracebridge_ prefix; CREATE OR REPLACE keeps this file safe
-- to apply at every start.
--
-- Parameter and lambda names are unique per function, and tuple fields are read with
-- tupleElement(): ClickHouse inlines function bodies by name and does not substitute a
-- parameter inside a compound identifier such as param.field.
--
-- A parsed AnyValue is a tuple (value, string_value, bool_value, int_value, double_value,
-- array_value, kvlist_value, bytes_value) where `value` names the field that was set
-- (input_format_protobuf_oneof_presence): none=0, string=1, bool=2, int=3, double=4, array=5,
-- kvlist=6, bytes=7. Attribute types are stored as one digit per attribute, in key order.

-- JSON text of a double that stays a double when parsed back (2 -> 2.0).
CREATE OR REPLACE FUNCTION tracebridge_double_json{{on_cluster}} AS (dj_d) ->
    if(isFinite(dj_d),
       if(match(toString(dj_d), '^-?[0-9]+$'), concat(toString(dj_d), '.0'), toString(dj_d)),
       toJSONString(toString(dj_d)));

-- JSON text of a value inside an array or key-value list; a composite nested one level
-- deeper is kept as its raw OTLP protobuf under a marker key and decoded by the reader.
CREATE OR REPLACE FUNCTION tracebridge_leaf_json{{on_cluster}} AS (lj_v) ->
    multiIf(tupleElement(lj_v, 'value') = 'string_value', toJSONString(tupleElement(lj_v, 'string_value')),
            tupleElement(lj_v, 'value') = 'bool_value', if(tupleElement(lj_v, 'bool_value'), 'true', 'false'),
            tupleElement(lj_v, 'value') = 'int_value', toString(tupleElement(lj_v, 'int_value')),
            tupleElement(lj_v, 'value') = 'double_value', tracebridge_double_json(tupleElement(lj_v, 'double_value')),
            tupleElement(lj_v, 'value') = 'bytes_value', toJSONString(base64Encode(tupleElement(lj_v, 'bytes_value'))),
            tupleElement(lj_v, 'value') = 'array_value',
                concat('{"$otlp.array":', toJSONString(base64Encode(tupleElement(lj_v, 'array_value'))), '}'),
            tupleElement(lj_v, 'value') = 'kvlist_value',
                concat('{"$otlp.kvlist":', toJSONString(base64Encode(tupleElement(lj_v, 'kvlist_value'))), '}'),
            'null');

-- Text of an attribute value or log body: strings as they are, numbers and booleans printed,
-- bytes base64, arrays and key-value lists as JSON text (as the OpenTelemetry Collector's
-- ClickHouse exporter stores them). An array's values and a key-value list's values go through
-- one tracebridge_leaf_json (a value is one or the other, so their concatenation is the one that
-- is set): ClickHouse plans every inlined copy of a function body again for each inserted block,
-- and this body is inlined once per attribute set (docs/ingest.md, "Planning cost").
CREATE OR REPLACE FUNCTION tracebridge_log_value_text{{on_cluster}} AS (lv_v) ->
    multiIf(tupleElement(lv_v, 'value') IN ('array_value', 'kvlist_value'),
                concat(if(tupleElement(lv_v, 'value') = 'kvlist_value', '{', '['),
                       arrayStringConcat(arrayMap((lv_k, lv_x) -> concat(if(tupleElement(lv_v, 'value') = 'kvlist_value', concat(toJSONString(lv_k), ':'), ''),
                                                                         tracebridge_leaf_json(lv_x)),
                                                  arrayResize(arrayMap(lv_kv -> tupleElement(lv_kv, 'key'),
                                                                       tupleElement(tupleElement(lv_v, 'kvlist_value'), 'values')),
                                                              length(tupleElement(tupleElement(lv_v, 'array_value'), 'values'))
                                                              + length(tupleElement(tupleElement(lv_v, 'kvlist_value'), 'values'))),
                                                  arrayConcat(tupleElement(tupleElement(lv_v, 'array_value'), 'values'),
                                                              arrayMap(lv_kv -> tupleElement(lv_kv, 'value'),
                                                                       tupleElement(tupleElement(lv_v, 'kvlist_value'), 'values')))),
                                         ','),
                       if(tupleElement(lv_v, 'value') = 'kvlist_value', '}', ']')),
            tupleElement(lv_v, 'value') = 'string_value', tupleElement(lv_v, 'string_value'),
            tupleElement(lv_v, 'value') = 'int_value', toString(tupleElement(lv_v, 'int_value')),
            tupleElement(lv_v, 'value') = 'double_value', toString(tupleElement(lv_v, 'double_value')),
            tupleElement(lv_v, 'value') = 'bool_value', if(tupleElement(lv_v, 'bool_value'), 'true', 'false'),
            tupleElement(lv_v, 'value') = 'bytes_value', base64Encode(tupleElement(lv_v, 'bytes_value')),
            '');

-- The type digit of one value.
CREATE OR REPLACE FUNCTION tracebridge_value_type{{on_cluster}} AS (tv_v) -> toString(toUInt8(tupleElement(tv_v, 'value')));

-- An attribute set as a map of value texts (arrays and key-value lists as JSON text).
CREATE OR REPLACE FUNCTION tracebridge_attr_map{{on_cluster}} AS (am_kvs) ->
    mapFromArrays(arrayMap(am_k -> tupleElement(am_k, 'key'), am_kvs),
                  arrayMap(am_v -> tracebridge_log_value_text(tupleElement(am_v, 'value')), am_kvs));

-- The same for log records (the name the logs view uses).
CREATE OR REPLACE FUNCTION tracebridge_log_attr_map{{on_cluster}} AS (lm_kvs) -> tracebridge_attr_map(lm_kvs);

CREATE OR REPLACE FUNCTION tracebridge_attr_types{{on_cluster}} AS (ty_kvs) ->
    arrayStringConcat(arrayMap(ty_v -> tracebridge_value_type(tupleElement(ty_v, 'value')), ty_kvs));

-- First non-empty string of an array.
CREATE OR REPLACE FUNCTION tracebridge_first{{on_cluster}} AS (fs_xs) -> arrayFirst(fs_x -> fs_x != '', arrayConcat(fs_xs, ['']));

-- The contract's joining rule for the side of a resource.
CREATE OR REPLACE FUNCTION tracebridge_side{{on_cluster}} AS (sd_ra) ->
    multiIf(lower(sd_ra['tracebridge.side']) IN ('client', 'backend'), lower(sd_ra['tracebridge.side']),
            arrayExists(sd_k -> startsWith(sd_k, 'device.') OR startsWith(sd_k, 'browser.'), mapKeys(sd_ra))
              OR lower(sd_ra['os.name']) IN ('android', 'ios', 'ipados', 'watchos', 'tvos', 'visionos')
              OR lower(sd_ra['telemetry.sdk.language']) IN ('swift', 'webjs'),
            'client', 'backend');

-- Mobile SDKs spell OS names differently (Embrace sends "android"); keep one spelling.
CREATE OR REPLACE FUNCTION tracebridge_os_name{{on_cluster}} AS (os_ra) ->
    multiIf(lower(os_ra['os.name']) = 'android', 'Android',
            lower(os_ra['os.name']) = 'ios', 'iOS',
            lower(os_ra['os.name']) = 'ipados', 'iPadOS',
            lower(os_ra['os.name']) = 'watchos', 'watchOS',
            lower(os_ra['os.name']) = 'tvos', 'tvOS',
            lower(os_ra['os.name']) = 'visionos', 'visionOS',
            os_ra['os.name'] != '', os_ra['os.name'],
            os_ra['os.type']);

-- wifi / cell / unavailable; a cellular link is named by its subtype (lte, nr, umts, ...) when known.
CREATE OR REPLACE FUNCTION tracebridge_network_type{{on_cluster}} AS (nt_a, nt_ra) ->
    if(lower(tracebridge_first([nt_a['network.connection.type'], nt_a['net.host.connection.type'],
                                nt_ra['network.connection.type'], nt_ra['net.host.connection.type']])) = 'cell'
         AND tracebridge_first([nt_a['network.connection.subtype'], nt_a['net.host.connection.subtype'],
                                nt_ra['network.connection.subtype'], nt_ra['net.host.connection.subtype']]) != '',
       lower(tracebridge_first([nt_a['network.connection.subtype'], nt_a['net.host.connection.subtype'],
                                nt_ra['network.connection.subtype'], nt_ra['net.host.connection.subtype']])),
       lower(tracebridge_first([nt_a['network.connection.type'], nt_a['net.host.connection.type'],
                                nt_ra['network.connection.type'], nt_ra['net.host.connection.type']])));

-- The session of a span or log record: its own attributes first, then its resource's
-- (Embrace names it emb.session_id / emb.user_session_id).
CREATE OR REPLACE FUNCTION tracebridge_session_id{{on_cluster}} AS (si_a, si_ra) ->
    tracebridge_first([si_a['session.id'], si_ra['session.id'], si_a['emb.session_id'], si_ra['emb.session_id'],
                       si_a['emb.user_session_id'], si_ra['emb.user_session_id']]);

-- A URL path with ids replaced by {id}, so that /orders/123 and /orders/456 are one route.
CREATE OR REPLACE FUNCTION tracebridge_template_path{{on_cluster}} AS (tp_p) ->
    replaceRegexpAll(replaceRegexpAll(
        splitByChar('?', tp_p)[1],
        '/([0-9]+|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|[0-9a-fA-F]{16,})(/|$)', '/{id}\\2'),
        '/([0-9]+|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|[0-9a-fA-F]{16,})(/|$)', '/{id}\\2');

-- The path of a request from whichever HTTP semantic-convention generation the SDK speaks.
CREATE OR REPLACE FUNCTION tracebridge_url_path{{on_cluster}} AS (up_a) ->
    tracebridge_first([up_a['url.path'], up_a['http.target'],
                       path(tracebridge_first([up_a['url.full'], up_a['http.url']]))]);

CREATE OR REPLACE FUNCTION tracebridge_http_route{{on_cluster}} AS (hr_a) ->
    if(hr_a['http.route'] != '', hr_a['http.route'],
       if(tracebridge_url_path(hr_a) != '', tracebridge_template_path(tracebridge_url_path(hr_a)), ''));

CREATE OR REPLACE FUNCTION tracebridge_kind{{on_cluster}} AS (kd_k) ->
    multiIf(kd_k = 1, 'Internal', kd_k = 2, 'Server', kd_k = 3, 'Client', kd_k = 4, 'Producer', kd_k = 5, 'Consumer', 'Unspecified');

CREATE OR REPLACE FUNCTION tracebridge_status{{on_cluster}} AS (st_c) -> multiIf(st_c = 1, 'Ok', st_c = 2, 'Error', 'Unset');

CREATE OR REPLACE FUNCTION tracebridge_nanos{{on_cluster}} AS (ns_n) -> fromUnixTimestamp64Nano(toInt64(least(ns_n, 9223372036854775807)));

-- A trace or span id as lowercase hex; an all-zero id (no trace) is empty.
CREATE OR REPLACE FUNCTION tracebridge_hex_id{{on_cluster}} AS (hx_b) -> if(replaceAll(hx_b, '\0', '') = '', '', lower(hex(hx_b)));
