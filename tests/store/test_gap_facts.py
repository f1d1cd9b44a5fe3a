"""The gap facts table (migration 0016): a session lookup reads a client request span's phase
attributes and a backend span's edge-tier resource keys from it instead of otel_traces. It must hold
exactly what the full spans say, for spans stored after the migration (its view) and before it (its
back-fill), and nothing for spans without such facts."""

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
from tracebridge.query.edge import is_edge_resource
from tracebridge.query.explain import edge_span_ids
from tracebridge.store.client import store_layout
from tracebridge.store.migrator import load_migrations

T0 = 1_764_100_000_000_000_000


def _trace(store: Store) -> tuple[str, dict[str, str]]:
    """One request: an OkHttp client span with phase attributes (and a look-alike the phases do
    not read), an edge span and the origin below it, and a backend span without tier keys."""
    trace_id = new_trace_id()
    ids = {name: new_span_id() for name in ("client", "edge", "origin", "db")}
    client = span(
        trace_id,
        ids["client"],
        "GET",
        T0,
        T0 + 500 * MS,
        kind="client",
        attributes={"http.connect_ms": 12, "http.connection.response_body_ms": 7.5, "http.other_ms": 1},
    )
    edge = span(
        trace_id, ids["edge"], "GET /p", T0 + 40 * MS, T0 + 460 * MS, parent=ids["client"], kind="server"
    )
    origin = span(
        trace_id, ids["origin"], "GET /p", T0 + 60 * MS, T0 + 400 * MS, parent=ids["edge"], kind="server"
    )
    db = span(trace_id, ids["db"], "SELECT", T0 + 70 * MS, T0 + 90 * MS, parent=ids["origin"], kind="client")
    request = traces_request(
        [
            (android_resource(), [client]),
            (backend_resource("edge-cache", **{"tracebridge.tier": "edge", "faas.name": "x-edge"}), [edge]),
            (backend_resource("products"), [origin, db]),
        ]
    )
    store.writer.insert(Signal.TRACES, [request.SerializeToString()])
    return trace_id.hex(), {name: value.hex() for name, value in ids.items()}


def _assert_facts(store: Store, trace_id: str, ids: dict[str, str]) -> None:
    facts = {f.span_id: f for f in store.reader.gap_facts([trace_id])}
    assert set(facts) == {ids["client"], ids["edge"]}  # spans without facts have no row
    assert facts[ids["client"]].phase_attributes == {
        "http.connect_ms": "12",
        "http.connection.response_body_ms": "7.5",
        "http.other_ms": "1",
    }
    assert facts[ids["client"]].tier_attributes == {}
    assert facts[ids["edge"]].tier_attributes == {"tracebridge.tier": "edge", "faas.name": "x-edge"}
    assert edge_span_ids(list(facts.values())) == {ids["edge"]}
    # The same verdict as the edge rule over the full spans' resources.
    full = store.reader.trace_spans(trace_id)
    assert {s.span_id for s in full if s.side == "backend" and is_edge_resource(s.resource_attributes)} == {
        ids["edge"]
    }


def test_gap_facts_hold_phase_attributes_and_edge_keys(store: Store) -> None:
    trace_id, ids = _trace(store)
    _assert_facts(store, trace_id, ids)


def test_gap_facts_back_fill_covers_spans_stored_before_the_migration(store: Store) -> None:
    layout = store_layout(store.settings)
    migration = next(m for m in load_migrations() if m.version == 16)
    back_fill = [s for s in migration.statements(layout, []) if s.startswith("INSERT")]
    assert len(back_fill) == 1
    store.client.command(f"DETACH TABLE tracebridge_gap_facts_mv{layout.on_cluster()}")
    try:
        trace_id, ids = _trace(store)
        assert store.reader.gap_facts([trace_id]) == []
        store.client.command(back_fill[0])
    finally:
        store.client.command(f"ATTACH TABLE tracebridge_gap_facts_mv{layout.on_cluster()}")
    _assert_facts(store, trace_id, ids)
