"""The latency phases' bound (query/phase_latency.py): the three phase reads take the same newest
``limit`` requests under the latency filters, newest first, so a large store costs at most that."""

from __future__ import annotations

from tests.store.conftest import Store
from tests.telemetry import (
    MS,
    android_resource,
    backend_resource,
    new_span_id,
    new_trace_id,
    span,
    traces_request,
)
from tracebridge.domain import Signal
from tracebridge.query.filters import parse_latency_filters
from tracebridge.query.phases import NETWORK_TIMING_EVENT, OKHTTP_ATTRIBUTES
from tracebridge.store.reader import PAIR_FILTERS

T0 = 1_764_200_000_000_000_000


def test_phase_reads_take_the_newest_requests_only(store: Store) -> None:
    route = f"/bound/{new_trace_id().hex()[:8]}"
    clients = []
    groups = []
    for n in range(5):  # request n starts n seconds after T0: 4 is the newest
        trace_id, client_id, server_id = new_trace_id(), new_span_id(), new_span_id()
        start = T0 + n * 1_000 * MS
        client = span(
            trace_id,
            client_id,
            "GET",
            start,
            start + 300 * MS,
            kind="client",
            attributes={
                "http.request.method": "GET",
                "url.full": f"https://api.example.com{route}",
                "http.response.status_code": 200,
                "http.dns_ms": 10 + n,
            },
        )
        server = span(
            trace_id,
            server_id,
            f"GET {route}",
            start + 50 * MS,
            start + 250 * MS,
            parent=client_id,
            kind="server",
            attributes={"http.route": route, "http.response.status_code": 200},
        )
        groups += [(android_resource(), [client]), (backend_resource("orders"), [server])]
        clients.append((trace_id.hex(), client_id.hex()))
    store.writer.insert(Signal.TRACES, [traces_request(groups).SerializeToString()])

    filters = parse_latency_filters({"group_by": "route", "route": route}, with_group_by=True)
    params = {name: getattr(filters, name) for name in PAIR_FILTERS}
    everything = store.reader.phase_requests("route", params, limit=100)
    assert [(r.trace_id, r.client_span_id) for r in everything] == clients[::-1]  # newest first
    newest = store.reader.phase_requests("route", params, limit=3)
    assert [(r.trace_id, r.client_span_id) for r in newest] == clients[:1:-1]
    spans = store.reader.phase_client_spans("route", params, OKHTTP_ATTRIBUTES, limit=3)
    assert {(s.trace_id, s.span_id) for s in spans} == set(clients[2:])
    assert store.reader.phase_network_timing("route", params, NETWORK_TIMING_EVENT, limit=3) == []
