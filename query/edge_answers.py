"""One answer per request through an edge tier, for the latency rows as for the gap documents.

The gap documents (``explain.explain_gap``) make the origin span below an edge tier the gap's
server. The latency rows come from the store's request pairs, which hold the answering span
directly below the client (the edge span); ``request_hops`` walks the same spans with the same
rule (``edge.edge_hop`` over ``pairing.pair_requests``) and ``edge_origins`` hands the origins to
the store's queries, so the latency API, the dashboards and the flags read the same server
duration, route and service as the documents. Served at the edge, the edge span stays the answer.

Cost: a read of the gap facts whose tier attributes may make a span edge (a small table; see
``StoreReader.edge_candidate_traces``), the client requests of those traces under the client-side
filters, then the lean spans of those traces.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from tracebridge.query.edge import EDGE_PLATFORMS, EdgeHop, SpanTree, edge_hop
from tracebridge.query.explain import edge_span_ids, gap_facts
from tracebridge.query.pairing import pair_requests
from tracebridge.store.reader import Filters, StoreReader
from tracebridge.store.rows import EdgeOrigin


def request_hops(reader: StoreReader, trace_ids: Sequence[str]) -> dict[tuple[str, str], tuple[str, EdgeHop]]:
    """(trace id, client span id) -> (answering span id, edge hop) for the requests of these
    traces that an edge tier answered or forwarded."""
    if not trace_ids:
        return {}
    edge_ids = edge_span_ids(gap_facts(reader, trace_ids))
    if not edge_ids:
        return {}
    spans = reader.indexed_spans(trace_ids)
    tree = SpanTree(spans)
    hops = {}
    for pair in pair_requests(spans):
        if pair.server is not None:  # the answering attempt
            hop = edge_hop(pair.client, pair.server, tree, edge_ids)
            if hop is not None:
                hops[(pair.client.trace_id, pair.client.span_id)] = (pair.server.span_id, hop)
    return hops


def origins_of(hops: Mapping[tuple[str, str], tuple[str, EdgeHop]]) -> list[EdgeOrigin]:
    """The origin answers of forwarded requests whose origin is not already the answering span."""
    origins = []
    for (trace_id, client_span_id), (server_span_id, hop) in sorted(hops.items()):
        origin = hop.origin
        if origin is None or origin.span_id == server_span_id:
            continue
        route = origin.attributes.get("http.route")
        origins.append(
            EdgeOrigin(
                trace_id,
                client_span_id,
                origin.span_id,
                route if isinstance(route, str) else "",
                origin.service_name,
                origin.duration_ns,
            )
        )
    return origins


def edge_candidates(reader: StoreReader, filters: Filters) -> list[str]:
    """The traces of the client requests under ``filters`` (client-side ones) that may have gone
    through an edge tier (a superset: ``request_hops`` applies the rule)."""
    return reader.edge_candidate_traces(filters, EDGE_PLATFORMS)


def edge_origins(reader: StoreReader, filters: Filters) -> list[EdgeOrigin]:
    """The origins answering the requests under ``filters`` (client-side ones) that an edge tier
    forwarded (for ``StoreReader.latency``, ``gap_histogram``, ``answered_requests``)."""
    return origins_of(request_hops(reader, edge_candidates(reader, filters)))
