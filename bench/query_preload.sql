-- Bulk preload for bench/query_bench.py: realistic mobile + backend traces generated inside
-- ClickHouse from numbers(), written straight into otel_traces (the session index fills through
-- its materialized view as for ingested spans). Parameters: {first:UInt64} {count:UInt64}
-- {traces_per_session:UInt64} {base_ns:Int64}.
--
-- Every trace has 8 spans: an app screen span (client, internal), two HTTP requests (client,
-- CLIENT) each answered by a backend SERVER span with children (a database CLIENT span, and a
-- render INTERNAL span under the second). Device clocks are off by -120..+120 s per session;
-- client durations are server durations plus a network gap of 20..800 ms; 1 trace in 50 has a
-- backend error. Ids are deterministic hashes of the row number, so a run is reproducible.
-- Attribute maps follow the store's encoding: value texts plus one type digit per key in key
-- order (1 string, 3 int).
INSERT INTO otel_traces
    (Timestamp, TraceId, SpanId, ParentSpanId, SpanName, SpanKind, ServiceName, ResourceAttributes,
     ResourceAttributeTypes, ScopeName, ScopeVersion, SpanAttributes, SpanAttributeTypes, Duration, StatusCode,
     StatusMessage, SessionId, Side, AppVersion, OsName, OsVersion, DeviceModel, DeviceId, NetworkType, HttpMethod,
     HttpRoute, HttpStatus)
SELECT
    fromUnixTimestamp64Nano(toInt64(start_ns)) AS Timestamp,
    trace_id AS TraceId,
    span_ids[pos + 1] AS SpanId,
    [ '', span_ids[1], span_ids[2], span_ids[3], span_ids[1], span_ids[5], span_ids[6], span_ids[6] ][pos + 1] AS ParentSpanId,
    [ 'ProductScreen', 'GET', concat('GET ', route1), 'SELECT orders', 'POST', concat('POST ', route2),
      'INSERT carts', 'render cart' ][pos + 1] AS SpanName,
    [ 'Internal', 'Client', 'Server', 'Client', 'Client', 'Server', 'Client', 'Internal' ][pos + 1] AS SpanKind,
    if(is_client, app_service, [ '', '', 'orders', 'orders', '', 'cart', 'cart', 'cart' ][pos + 1]) AS ServiceName,
    if(is_client,
       map('service.name', app_service, 'service.version', app_version, 'os.name', os_name, 'os.version', os_version,
           'device.model.identifier', device_model, 'device.id', device_id, 'session.id', session_id,
           'telemetry.sdk.language', if(os_name = 'iOS', 'swift', 'java')),
       map('service.name', [ '', '', 'orders', 'orders', '', 'cart', 'cart', 'cart' ][pos + 1],
           'service.version', '2024.11.3', 'telemetry.sdk.language', 'python', 'host.name', 'backend-7f9c'))
        AS ResourceAttributes,
    repeat('1', length(ResourceAttributes)) AS ResourceAttributeTypes,
    if(is_client, 'io.opentelemetry.okhttp-3.0', 'opentelemetry.instrumentation.fastapi') AS ScopeName,
    '2.10.0' AS ScopeVersion,
    multiIf(pos IN (1, 4),
            map('http.request.method', method, 'url.full', concat('https://api.example.com', path),
                'http.response.status_code', toString(status), 'network.connection.type', network_type),
            pos IN (2, 5),
            map('http.request.method', method, 'http.route', route, 'url.path', path,
                'http.response.status_code', toString(status), 'session.id', session_id),
            pos IN (3, 6),
            map('db.system', 'postgresql', 'db.statement', 'SELECT * FROM orders WHERE id = $1'),
            map('screen.name', 'ProductScreen')) AS SpanAttributes,
    arrayStringConcat(arrayMap(k -> if(k = 'http.response.status_code', '3', '1'), mapKeys(SpanAttributes)))
        AS SpanAttributeTypes,
    toUInt64(duration_ns) AS Duration,
    if(error AND pos IN (2, 5), 'Error', 'Unset') AS StatusCode,
    if(error AND pos IN (2, 5), 'upstream timeout', '') AS StatusMessage,
    if(is_client OR pos IN (2, 5), session_id, '') AS SessionId,
    if(is_client, 'client', 'backend') AS Side,
    if(is_client, app_version, '2024.11.3') AS AppVersion,
    if(is_client, os_name, '') AS OsName,
    if(is_client, os_version, '') AS OsVersion,
    if(is_client, device_model, '') AS DeviceModel,
    if(is_client, device_id, '') AS DeviceId,
    if(pos IN (1, 4), network_type, '') AS NetworkType,
    if(pos IN (1, 2, 4, 5), method, '') AS HttpMethod,
    if(pos IN (1, 2, 4, 5), route, '') AS HttpRoute,
    if(pos IN (1, 2, 4, 5), status, 0) AS HttpStatus
FROM
(
    SELECT
        number AS n,
        intDiv(n, 8) AS t,
        n % 8 AS pos,
        pos IN (0, 1, 4) AS is_client,
        intDiv(t, {traces_per_session:UInt64}) AS s,
        lower(concat(leftPad(hex(cityHash64(t, 'trace-a')), 16, '0'), leftPad(hex(cityHash64(t, 'trace-b')), 16, '0')))
            AS trace_id,
        arrayMap(i -> lower(leftPad(hex(cityHash64(t, i, 'span')), 16, '0')), range(1, 9)) AS span_ids,
        concat('bench-', lower(leftPad(hex(cityHash64(s, 'session')), 16, '0'))) AS session_id,
        concat('device-', toString(cityHash64(s, 'device') % 100000)) AS device_id,
        ['Android', 'iOS'][1 + cityHash64(s, 'os') % 2] AS os_name,
        if(os_name = 'iOS', ['17.5', '18.1', '18.4'][1 + cityHash64(s, 'osv') % 3], ['13', '14', '15'][1 + cityHash64(s, 'osv') % 3])
            AS os_version,
        if(os_name = 'iOS', 'ShopApp', 'shop-android') AS app_service,
        if(os_name = 'iOS', ['iPhone15,2', 'iPhone14,5'][1 + cityHash64(s, 'm') % 2], ['Pixel 7', 'SM-S918B'][1 + cityHash64(s, 'm') % 2])
            AS device_model,
        ['3.2.1', '3.2.0', '3.1.9', '3.3.0'][1 + cityHash64(s, 'v') % 4] AS app_version,
        ['wifi', 'lte', 'nr', 'wifi'][1 + cityHash64(t, 'net') % 4] AS network_type,
        ['/orders/{id}', '/products/{id}', '/search', '/profile'][1 + cityHash64(t, 'r1') % 4] AS route1,
        ['/cart', '/checkout', '/cart/items/{id}'][1 + cityHash64(t, 'r2') % 3] AS route2,
        if(pos IN (1, 2, 3), route1, route2) AS route,
        replaceAll(route, '{id}', toString(cityHash64(t, 'id') % 100000)) AS path,
        if(pos IN (1, 2, 3), 'GET', 'POST') AS method,
        cityHash64(t, 'err') % 50 = 0 AS error,
        if(error AND pos IN (1, 2, 4, 5), 503, 200) AS status,
        -- device clock minus backend clock, per session (device behind or ahead by up to 2 minutes)
        (toInt64(cityHash64(s, 'skew') % 240001) - 120000) * 1000000 AS device_offset,
        {base_ns:Int64} + toInt64(s) * 3600000000000 + toInt64(t % {traces_per_session:UInt64}) * 10000000000 AS trace_backend_ns,
        30000000 + toInt64(cityHash64(t, 's1') % 400000000) AS server1_ns,
        30000000 + toInt64(cityHash64(t, 's2') % 300000000) AS server2_ns,
        20000000 + toInt64(cityHash64(t, 'g1') % 780000000) AS gap1_ns,
        20000000 + toInt64(cityHash64(t, 'g2') % 780000000) AS gap2_ns,
        [ 1200000000 + gap1_ns + gap2_ns + server1_ns + server2_ns, server1_ns + gap1_ns, server1_ns,
          intDiv(server1_ns, 2), server2_ns + gap2_ns, server2_ns, intDiv(server2_ns, 3), intDiv(server2_ns, 4) ][pos + 1]
            AS duration_ns,
        -- client spans on the device clock, backend spans on the backend clock
        [ trace_backend_ns + device_offset,
          trace_backend_ns + device_offset + 100000000,
          trace_backend_ns + 100000000 + intDiv(gap1_ns, 2),
          trace_backend_ns + 100000000 + intDiv(gap1_ns, 2) + 1000000,
          trace_backend_ns + device_offset + 300000000 + server1_ns + gap1_ns,
          trace_backend_ns + 300000000 + server1_ns + gap1_ns + intDiv(gap2_ns, 2),
          trace_backend_ns + 300000000 + server1_ns + gap1_ns + intDiv(gap2_ns, 2) + 1000000,
          trace_backend_ns + 300000000 + server1_ns + gap1_ns + intDiv(gap2_ns, 2) + intDiv(server2_ns, 2) ][pos + 1]
            AS start_ns
    FROM numbers({first:UInt64}, {count:UInt64})
)
