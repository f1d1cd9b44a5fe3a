"""The skew and pairing rules on many random requests (pure functions, no server)."""

from __future__ import annotations

import random

from tracebridge.query.pairing import pair_requests
from tracebridge.query.skew import adjusted_starts, estimate_skew
from tracebridge.store.rows import StoredSpan

MS = 1_000_000


def make(span_id: str, parent: str | None, side: str, kind: str, start: int, duration: int) -> StoredSpan:
    return StoredSpan(
        trace_id="t" * 32,
        span_id=span_id,
        parent_span_id=parent,
        trace_state="",
        name=span_id,
        kind=kind,
        side=side,
        service_name="svc",
        session_id=None,
        start_time_unix_nano=start,
        end_time_unix_nano=start + duration,
        status_code="unset",
        status_message="",
        attributes={},
        resource_attributes={},
        scope_name="",
        scope_version="",
    )


def test_adjusted_server_lies_inside_its_client_and_skew_is_within_the_slack() -> None:
    rng = random.Random(42)
    for case in range(2000):
        client_ns = rng.randint(1, 5000) * MS
        server_ns = rng.randint(0, client_ns)
        offset = rng.randint(0, client_ns - server_ns)  # where the server truly ran (device clock)
        true_skew = rng.choice([0, rng.randint(-3_600_000, 3_600_000) * MS])
        start = 1_700_000_000_000_000_000 + rng.randint(0, 10**15)
        client = make(f"c{case}", "root", "client", "client", start, client_ns)
        server = make(f"s{case}", client.span_id, "backend", "server", start + offset + true_skew, server_ns)
        child = make(
            f"d{case}", server.span_id, "backend", "client", server.start_time_unix_nano + server_ns // 3, 1
        )
        spans = [client, server, child]
        (pair,) = pair_requests(spans)
        skew = estimate_skew(pair.client, pair.servers)
        adjusted = adjusted_starts(spans, [pair])
        assert start <= adjusted[server.span_id] <= start + client_ns - server_ns
        assert abs(skew - true_skew) <= client_ns - server_ns
        assert (
            adjusted[child.span_id] - adjusted[server.span_id]
            == child.start_time_unix_nano - server.start_time_unix_nano
        )
        assert adjusted[client.span_id] == client.start_time_unix_nano
        if true_skew == 0:
            assert skew == 0


def test_pairing_crosses_one_proxy_hop_only() -> None:
    client = make("c", None, "client", "client", 0, 100 * MS)
    proxy = make("p", "c", "backend", "internal", 5 * MS, 90 * MS)
    inner = make("i", "p", "backend", "internal", 6 * MS, 80 * MS)
    deep = make("s2", "i", "backend", "server", 7 * MS, 70 * MS)
    (pair,) = pair_requests([client, proxy, inner, deep])
    assert pair.servers == ()  # two hops away: not this request's server
    server = make("s", "p", "backend", "server", 10 * MS, 50 * MS)
    (pair,) = pair_requests([client, proxy, server])
    assert [s.span_id for s in pair.servers] == ["s"]
    assert pair.gap_ns == 50 * MS


def test_client_side_children_are_not_servers() -> None:
    client = make("c", None, "client", "client", 0, 100 * MS)
    local = make("x", "c", "client", "server", 10 * MS, 10 * MS)  # a client-side span is never the backend
    (pair,) = pair_requests([client, local])
    assert pair.servers == ()
