"""The edge-candidate read (StoreReader.edge_candidate_traces through query/edge_answers.py): the
gap facts whose tier attributes may make a span edge, a superset of the edge-tier rule
(query/edge.py is_edge_resource), narrowed by the client-side latency filters."""

from __future__ import annotations

from typing import Any

import pytest

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
from tracebridge.query.edge import EDGE_PLATFORMS, is_edge_resource
from tracebridge.query.edge_answers import edge_candidates

T0 = 1_764_300_000_000_000_000

# Backend resources' tier attributes: the rule's cases and the common non-edge ones.
TIERS: list[dict[str, Any]] = [
    {"tracebridge.tier": "edge"},
    {"tracebridge.tier": "EDGE"},
    {"tracebridge.tier": "origin", "cloud.platform": "cloudflare_workers"},  # the operator's word wins
    {"cloud.platform": "cloudflare_workers"},
    {"cloud.platform": "fastly_compute"},
    {"cloud.platform": "aws_lambda_edge"},
    {"cloud.platform": "Vercel-Edge"},
    {"cloud.platform": "aws_eks"},
    {"cloud.platform": "gcp_kubernetes_engine"},
    {"cloud.platform": "aws_lambda", "faas.name": "us-east-1.product-edge"},
    {"cloud.platform": "aws_lambda", "faas.name": "checkout"},
    {"cloud.platform": "aws_lambda", "faas.name": "hedgehog"},  # "edge" inside a word: not edge
    {},
]


def _request(tier: dict[str, Any], app_version: str) -> tuple[str, list[tuple[dict[str, Any], list[Any]]]]:
    trace_id, client_id = new_trace_id(), new_span_id()
    client = span(
        trace_id,
        client_id,
        "GET",
        T0,
        T0 + 300 * MS,
        kind="client",
        attributes={"http.request.method": "GET", "url.full": "https://api.example.com/cart"},
    )
    server = span(
        trace_id, new_span_id(), "GET /cart", T0 + 50 * MS, T0 + 250 * MS, parent=client_id, kind="server"
    )
    return trace_id.hex(), [
        (android_resource(app_version=app_version), [client]),
        (backend_resource("api", **tier), [server]),
    ]


@pytest.fixture
def stored(store: Store) -> tuple[Store, list[str], str]:
    version = f"9.{new_trace_id().hex()[:6]}"  # this test's requests only
    trace_ids, groups = [], []
    for tier in TIERS:
        trace_id, request_groups = _request(tier, version)
        trace_ids.append(trace_id)
        groups += request_groups
    store.writer.insert(Signal.TRACES, [traces_request(groups).SerializeToString()])
    return store, trace_ids, version


def test_every_edge_resource_is_a_candidate_and_common_platforms_are_not(
    stored: tuple[Store, list[str], str],
) -> None:
    store, trace_ids, version = stored
    found = set(edge_candidates(store.reader, {"app_version": version}))
    for tier, trace_id in zip(TIERS, trace_ids, strict=True):
        if is_edge_resource(tier):
            assert trace_id in found, tier  # the read is a superset of the rule
    # The rule's necessary condition leaves out the clouds every backend runs on.
    plain = {
        trace_id
        for tier, trace_id in zip(TIERS, trace_ids, strict=True)
        if not any("edge" in str(v).lower() or str(v).lower() in EDGE_PLATFORMS for v in tier.values())
    }
    assert len(plain) == 4  # aws_eks, gcp_kubernetes_engine, aws_lambda "checkout", no tier attributes
    assert not plain & found
    assert found <= set(trace_ids)


def test_candidates_follow_the_client_side_filters(stored: tuple[Store, list[str], str]) -> None:
    store, trace_ids, version = stored
    assert edge_candidates(store.reader, {"app_version": "not-" + version}) == []
    later = T0 + 1_000 * MS
    assert not set(edge_candidates(store.reader, {"app_version": version, "since": later})) & set(trace_ids)
