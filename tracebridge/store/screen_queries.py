"""Named SQL of the screens view (``query/screens.py``), run by ``StoreReader.screen_spans`` with
bound parameters (re-sent spans read once, ``LIMIT 1 BY``).
"""

from __future__ import annotations

SELECT_SCREEN_SPANS = """
SELECT TraceId, SpanId, ParentSpanId, SpanName,
       tracebridge_first([SpanAttributes['activity.name'], SpanAttributes['fragment.name'],
                          SpanAttributes['view.name']]) AS LifecycleName,
       tracebridge_first([SpanAttributes['app.screen.name'], SpanAttributes['screen.name']]) AS ScreenName
FROM otel_traces
WHERE Side = 'client' AND SpanKind = 'Internal' AND SpanName != 'AppStart'
  AND (LifecycleName != '' OR ScreenName != '')
  AND ({app_version:String} = '' OR AppVersion = {app_version:String})
  AND ({os_name:String} = '' OR OsName = {os_name:String})
  AND ({since:Int64} = 0 OR Timestamp >= fromUnixTimestamp64Nano({since:Int64}))
  AND ({until:Int64} = 0 OR Timestamp <= fromUnixTimestamp64Nano({until:Int64}))
ORDER BY Timestamp DESC, TraceId, SpanId
LIMIT 1 BY TraceId, SpanId
LIMIT {limit:UInt32}
"""
