"""The latency phases' bound (query/phase_latency.py): the phase reads take the newest ``limit``
requests under the latency filters, newest first, so a large store costs at most that; one such
sample serves every group-by."""

from __future__ import annotations

from typing import Any

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
from tracebridge.query.filters import latency_filters_of, parse_latency_filters
from tracebridge.query.phase_latency import (
    add_phase_percentiles,
    phase_sample,
    with_phases,
)
from tracebridge.query.service import latency_rows
from tracebridge.store.reader import PAIR_FILTERS

T0 = 1_764_200_000_000_000_000


def _request(route: str, n: int, dns_ms: int, **client_attributes: str) -> tuple[str, str, list[Any]]:
    """Request ``n`` (starting ``n`` seconds after T0) on ``route``: (trace id, client span id,
    its client and server resource groups), the client recording an OkHttp DNS duration."""
    trace_id, client_id = new_trace_id(), new_span_id()
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
            "http.client.resolve_dns_ms": dns_ms,
            **client_attributes,
        },
    )
    server = span(
        trace_id,
        new_span_id(),
        f"GET {route}",
        start + 50 * MS,
        start + 250 * MS,
        parent=client_id,
        kind="server",
        attributes={"http.route": route, "http.response.status_code": 200},
    )
    groups = [(android_resource(), [client]), (backend_resource("orders"), [server])]
    return trace_id.hex(), client_id.hex(), groups


def test_phase_reads_take_the_newest_requests_only(store: Store) -> None:
    route = f"/bound/{new_trace_id().hex()[:8]}"
    clients = []
    groups = []
    for n in range(5):  # request n starts n seconds after T0: 4 is the newest
        trace_id, client_id, request_groups = _request(route, n, 10 + n)
        groups += request_groups
        clients.append((trace_id, client_id))
    store.writer.insert(Signal.TRACES, [traces_request(groups).SerializeToString()])

    filters = parse_latency_filters({"group_by": "route", "route": route}, with_group_by=True)
    params = {name: getattr(filters, name) for name in PAIR_FILTERS}
    everything = store.reader.phase_requests(params, limit=100)
    assert [(r.trace_id, r.client_span_id) for r in everything] == clients[::-1]  # newest first
    assert {r.keys["route"] for r in everything} == {route}
    assert {r.keys["service_name"] for r in everything} == {"orders"}
    newest = store.reader.phase_requests(params, limit=3)
    assert [(r.trace_id, r.client_span_id) for r in newest] == clients[:1:-1]
    # The client spans of exactly the requests asked for (here the newest three), from the trace
    # index, with their OkHttp durations in their gap facts.
    asked = [(r.trace_id, r.client_span_id) for r in newest]
    spans = store.reader.indexed_request_spans(asked)
    assert {(s.trace_id, s.span_id) for s in spans} == set(clients[2:])
    facts = store.reader.gap_facts([t for t, _ in asked])
    assert sorted(int(f.phase_attributes["http.client.resolve_dns_ms"]) for f in facts) == [12, 13, 14]
    assert store.reader.indexed_request_spans([]) == []


def test_one_phase_sample_serves_every_group_by(store: Store) -> None:
    """The latency page groups one sample by route and by network type: the same rows as asking
    the API once per group-by."""
    route = f"/sample/{new_trace_id().hex()[:8]}"
    groups = []
    for n, network in enumerate(("wifi", "cell", "wifi")):
        groups += _request(route, n, 10 * (n + 1), **{"network.connection.type": network})[2]
    store.writer.insert(Signal.TRACES, [traces_request(groups).SerializeToString()])

    raw = {"route": route}
    sample = phase_sample(store.reader, latency_filters_of(raw))
    assert len(sample.requests) == 3 and not sample.truncated
    for group_by in ("route", "network_type"):
        alone = add_phase_percentiles(store.reader, latency_rows(store.reader, group_by, raw), raw)
        shared = with_phases(latency_rows(store.reader, group_by, raw), sample)
        assert shared == alone
    by_network = {
        row.key: row for row in with_phases(latency_rows(store.reader, "network_type", raw), sample).rows
    }
    assert by_network["wifi"].phases["dns"].count == 2 and by_network["cell"].phases["dns"].count == 1
    assert by_network["cell"].phases["dns"].p50_ms == 20.0
