"""Edge hops: split a gap at an edge or CDN tier between the client span and the origin (pure).

The rule for "edge tier" (a backend span whose resource says so):
- ``tracebridge.tier`` = ``edge`` marks a service as edge; any other value of it marks it as not
  edge, whatever the other attributes say (the operator's word wins);
- else ``cloud.platform`` naming an edge runtime: a value with ``edge`` as one of its ``_``/``.``/``-``
  separated words (``aws_lambda_edge``, ``vercel_edge``), or one of ``EDGE_PLATFORMS``;
- else a ``faas.*`` attribute whose value has ``edge`` as such a word (a Lambda@Edge function,
  ``faas.name`` = ``us-east-1.product-edge``).

The edge span is the backend span paired with the client span (a SERVER span of an edge
service), or the backend span between them when the pairing crossed a proxy hop. The origin is
the first backend SERVER span below the edge span (through the edge's own client or internal
spans) that is not itself edge. Times (contract): client_to_edge = client duration - edge
duration; edge_to_origin = edge duration - origin duration, None when served at the edge.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tracebridge.store.rows import StoredSpan

EDGE_PLATFORMS = frozenset({"cloudflare_workers", "fastly_compute", "akamai_edgeworkers", "netlify_edge"})
_WORDS = re.compile(r"[_.\-\s/@]+")
MAX_EDGE_DEPTH = 4


def _has_edge_word(value: Any) -> bool:
    return isinstance(value, str) and "edge" in _WORDS.split(value.lower())


def is_edge_resource(attributes: Mapping[str, Any]) -> bool:
    """The rule of the module docstring over one resource's attributes."""
    tier = attributes.get("tracebridge.tier")
    if isinstance(tier, str) and tier:
        return tier.lower() == "edge"
    platform = attributes.get("cloud.platform")
    if isinstance(platform, str) and (platform.lower() in EDGE_PLATFORMS or _has_edge_word(platform)):
        return True
    return any(key.startswith("faas.") and _has_edge_word(value) for key, value in attributes.items())


@dataclass(frozen=True)
class EdgeHop:
    """The contract's ``gaps[].edge``, with the origin span kept for the gap's server fields."""

    service_name: str
    span_id: str
    client_to_edge_ns: int
    edge_to_origin_ns: int | None
    served_at_edge: bool
    origin: StoredSpan | None

    def to_json(self) -> dict[str, Any]:
        return {
            "service_name": self.service_name,
            "span_id": self.span_id,
            "client_to_edge_ns": self.client_to_edge_ns,
            "edge_to_origin_ns": self.edge_to_origin_ns,
            "served_at_edge": self.served_at_edge,
        }


class SpanTree:
    """Spans of some traces by id and by parent (for walking below an edge span)."""

    def __init__(self, spans: Iterable[StoredSpan]) -> None:
        self.by_id: dict[tuple[str, str], StoredSpan] = {}
        self.children: dict[tuple[str, str], list[StoredSpan]] = defaultdict(list)
        for span in spans:
            self.by_id[(span.trace_id, span.span_id)] = span
            if span.parent_span_id:
                self.children[(span.trace_id, span.parent_span_id)].append(span)

    def get(self, trace_id: str, span_id: str | None) -> StoredSpan | None:
        return None if span_id is None else self.by_id.get((trace_id, span_id))


def origin_below(edge: StoredSpan, tree: SpanTree, edge_ids: frozenset[str]) -> StoredSpan | None:
    """The first-starting non-edge backend SERVER span below ``edge`` (breadth first)."""
    level: Sequence[StoredSpan] = [edge]
    for _ in range(MAX_EDGE_DEPTH):
        below = [
            c for s in level for c in tree.children.get((s.trace_id, s.span_id), []) if c.side == "backend"
        ]
        origins = [s for s in below if s.kind == "server" and s.span_id not in edge_ids]
        if origins:
            return min(origins, key=lambda s: (s.start_time_unix_nano, s.span_id))
        level = below
        if not level:
            break
    return None


def edge_hop(
    client: StoredSpan, server: StoredSpan, tree: SpanTree, edge_ids: frozenset[str]
) -> EdgeHop | None:
    """The edge hop of the request ``client`` answered by the paired ``server``; None without one."""
    if server.span_id in edge_ids:
        edge, origin = server, origin_below(server, tree, edge_ids)
    else:
        parent = tree.get(server.trace_id, server.parent_span_id)
        if parent is None or parent.span_id == client.span_id or parent.span_id not in edge_ids:
            return None
        edge, origin = parent, server
    return EdgeHop(
        service_name=edge.service_name,
        span_id=edge.span_id,
        client_to_edge_ns=client.duration_ns - edge.duration_ns,
        edge_to_origin_ns=None if origin is None else edge.duration_ns - origin.duration_ns,
        served_at_edge=origin is None,
        origin=origin,
    )
