"""Edge-tier rule and the client_to_edge / edge_to_origin split (pure)."""

from __future__ import annotations

import pytest

from tests.explain.spans import MS, T0, stored
from tracebridge.query.edge import SpanTree, edge_hop, is_edge_resource


@pytest.mark.parametrize(
    ("resource", "edge"),
    [
        ({"service.name": "cdn", "tracebridge.tier": "edge"}, True),
        ({"service.name": "api", "tracebridge.tier": "origin", "cloud.platform": "aws_lambda_edge"}, False),
        ({"cloud.platform": "cloudflare_workers"}, True),
        ({"cloud.platform": "vercel_edge"}, True),
        ({"cloud.platform": "aws_lambda", "faas.name": "us-east-1.product-edge"}, True),
        ({"cloud.platform": "aws_lambda", "faas.name": "orders-hedge-fund"}, False),
        ({"cloud.platform": "gcp_kubernetes_engine"}, False),
        ({}, False),
    ],
)
def test_edge_rule(resource: dict[str, str], edge: bool) -> None:
    assert is_edge_resource(resource) is edge


def test_edge_forwarding_to_origin() -> None:
    client = stored("c", T0, 500 * MS)
    edge = stored("e", T0 + 40 * MS, 420 * MS, parent="c", kind="server", side="backend", service="cdn")
    fetch = stored("f", T0 + 50 * MS, 390 * MS, parent="e", kind="client", side="backend", service="cdn")
    origin = stored("o", T0 + 60 * MS, 300 * MS, parent="f", kind="server", side="backend", service="catalog")
    tree = SpanTree([client, edge, fetch, origin])
    hop = edge_hop(client, edge, tree, frozenset({"e", "f"}))
    assert hop is not None
    assert hop.to_json() == {
        "service_name": "cdn",
        "span_id": "e",
        "client_to_edge_ns": 80 * MS,
        "edge_to_origin_ns": 120 * MS,
        "served_at_edge": False,
    }
    assert hop.origin is origin


def test_served_at_edge_and_no_edge() -> None:
    client = stored("c", T0, 100 * MS)
    edge = stored("e", T0 + 10 * MS, 20 * MS, parent="c", kind="server", side="backend", service="cdn")
    tree = SpanTree([client, edge])
    hop = edge_hop(client, edge, tree, frozenset({"e"}))
    assert hop is not None and hop.served_at_edge and hop.edge_to_origin_ns is None
    assert hop.client_to_edge_ns == 80 * MS
    assert edge_hop(client, edge, tree, frozenset()) is None
