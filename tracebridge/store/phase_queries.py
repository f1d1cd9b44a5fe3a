"""Named SQL of the latency rows' phases (``query/phase_latency.py``), run by ``StoreReader``'s
``phase_*`` methods.

The requests are the latency API's (``queries.REQUEST_PAIRS`` under its filters), the newest
``{phase_limit}``, read once with their key under every group-by, so one read serves every
group-by (the latency dashboard groups them twice). Their client spans are then read from the
trace index by the ids that read returned (``StoreReader.indexed_request_spans``; no second pass
over the request pairs).
"""

from __future__ import annotations

from tracebridge.store.queries import _PAIR_FILTERS as PAIR_FILTER_SQL
from tracebridge.store.queries import REQUEST_PAIRS

# Group-by name -> column of the store's request pairs (the latency API's requests).
GROUP_COLUMNS = {
    "route": "Route",
    "app_version": "AppVersion",
    "os_name": "OsName",
    "network_type": "NetworkType",
    "service_name": "ServiceName",
}

# proxied answers present? -> the latency API's requests with their key under each group-by, the
# newest {phase_limit} of them (by client start; ties by id).
SELECT_REQUESTS: dict[bool, str] = {
    proxied: f"""
SELECT TraceId, ClientSpanId, {", ".join(GROUP_COLUMNS.values())}
FROM ({REQUEST_PAIRS[proxied]})
WHERE {PAIR_FILTER_SQL}
ORDER BY ClientStartNs DESC, TraceId, ClientSpanId
LIMIT {{phase_limit:UInt32}}
"""
    for proxied in (False, True)
}
