"""Request hops in their own table (migration 0017): a server below a proxy hop answers the client
request above the hop, whatever the arrival order, and a store from before the migration keeps
its proxied answers (the hop rows are copied out of the request pairs, then deleted there)."""

from __future__ import annotations

from collections.abc import Sequence
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
from tracebridge.query.filters import LatencyFilters
from tracebridge.query.service import latency_groups
from tracebridge.store.client import store_layout
from tracebridge.store.migrator import load_migrations

T0 = 1_764_400_000_000_000_000


def _proxied(route: str) -> tuple[list[Any], list[Any], list[Any]]:
    """(client, gateway hop, server) resource groups of one request through a gateway."""
    trace, client_id, hop_id = new_trace_id(), new_span_id(), new_span_id()
    client = span(
        trace,
        client_id,
        "GET",
        T0,
        T0 + 400 * MS,
        kind="client",
        attributes={"http.request.method": "GET", "url.full": "https://api.example.com/v1/x"},
    )
    hop = span(trace, hop_id, "gateway", T0 + 10 * MS, T0 + 390 * MS, parent=client_id, kind="internal")
    server = span(
        trace,
        new_span_id(),
        f"GET {route}",
        T0 + 50 * MS,
        T0 + 300 * MS,
        parent=hop_id,
        kind="server",
        attributes={"http.route": route, "http.response.status_code": 200},
    )
    return (
        [(android_resource(), [client])],
        [(backend_resource("gateway"), [hop])],
        [(backend_resource("cart"), [server])],
    )


def _insert(store: Store, *groups: Sequence[Any]) -> None:
    for group in groups:
        store.writer.insert(Signal.TRACES, [traces_request(list(group)).SerializeToString()])


def _count(store: Store, route: str) -> int:
    groups = latency_groups(store.reader, ["route"], LatencyFilters(route=route))
    return sum(g.count for g in groups)


def test_any_arrival_order_pairs_through_the_hop(store: Store) -> None:
    route = f"/v1/hops/{new_trace_id().hex()[:8]}"
    client, hop, server = _proxied(route)
    _insert(store, server, client, hop)  # the server first, the hop last
    assert _count(store, route) == 1
    second_client, second_hop, second_server = _proxied(route)
    _insert(store, second_hop, second_server, second_client)
    assert _count(store, route) == 2


def test_a_store_from_before_the_migration_keeps_its_proxied_answers(store: Store) -> None:
    layout = store_layout(store.settings)
    pairs = layout.local("tracebridge_request_pairs")
    old = next(m for m in load_migrations() if m.version == 11)
    (old_hop_view,) = [
        s for s in old.statements(layout, []) if "tracebridge_request_pairs_hop_mv" in s and "CREATE" in s
    ]
    new = next(m for m in load_migrations() if m.version == 17)
    upgrade = [s for s in new.statements(layout, []) if s.startswith(("INSERT", "ALTER"))]
    assert len(upgrade) == 2
    route = f"/v1/hops/{new_trace_id().hex()[:8]}"
    store.client.command(f"DETACH TABLE tracebridge_request_hops_mv{layout.on_cluster()}")
    store.client.command(old_hop_view)  # the hop rows go into the pairs, as before 0017
    try:
        client, hop, server = _proxied(route)
        _insert(store, client, hop, server)
    finally:
        store.client.command(f"DROP VIEW tracebridge_request_pairs_hop_mv{layout.on_cluster()}")
        store.client.command(f"ATTACH TABLE tracebridge_request_hops_mv{layout.on_cluster()}")
    assert store.client.query(f"SELECT count() FROM {pairs} WHERE HasHop = 1").result_rows[0][0] >= 1
    assert _count(store, route) == 0  # the hop is not in the hops table yet
    for statement in upgrade:
        store.client.command(statement, settings={"mutations_sync": 2})
    assert _count(store, route) == 1
    pure_hops = f"SELECT count() FROM {pairs} WHERE HasHop = 1 AND HasServer = 0 AND HasClient = 0"
    assert store.client.query(pure_hops).result_rows[0][0] == 0
