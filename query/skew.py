"""Clock-skew correction of client->backend edges (pure).

A device clock is often wrong by seconds to minutes, so a backend SERVER span can appear to start
before the client request that caused it. For every paired client request the backend subtree is
moved onto the device's clock: when the server span(s) already fit inside the client span the
skew is 0; otherwise they are centered in it (the network time split evenly between request and
response, as Jaeger's clock-skew adjuster does). ``clock_skew_ns`` is backend clock minus device
clock, and an adjusted start is the raw start minus that skew. Raw times are never changed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from tracebridge.query.pairing import RequestPair
from tracebridge.store.rows import StoredSpan


def estimate_skew(client: StoredSpan, servers: Sequence[StoredSpan]) -> int:
    """Backend clock minus device clock for one request; 0 when the servers fit in the client.

    Several server spans (retries) are treated as one envelope from the first start to the last
    end, since they share a backend clock. An envelope longer than the client span (which no
    clock can explain) is centered too, so it still lines up with its request.
    """
    if not servers:
        return 0
    first = min(s.start_time_unix_nano for s in servers)
    last = max(s.end_time_unix_nano for s in servers)
    if first >= client.start_time_unix_nano and last <= client.end_time_unix_nano:
        return 0
    slack = client.duration_ns - (last - first)
    return first - (client.start_time_unix_nano + slack // 2)


def adjusted_starts(spans: Sequence[StoredSpan], pairs: Sequence[RequestPair]) -> dict[str, int]:
    """Adjusted start of every span (by span id): raw start minus the skew of the request whose
    backend subtree it belongs to; client spans and unattached backend spans keep their raw start."""
    children: dict[str, list[StoredSpan]] = defaultdict(list)
    for span in spans:
        if span.parent_span_id:
            children[span.parent_span_id].append(span)
    adjusted = {s.span_id: s.start_time_unix_nano for s in spans}
    for pair in pairs:
        skew = estimate_skew(pair.client, pair.servers)
        if skew == 0:
            continue
        stack = [c for c in children.get(pair.client.span_id, []) if c.side == "backend"]
        seen: set[str] = set()
        while stack:
            span = stack.pop()
            if span.span_id in seen:
                continue
            seen.add(span.span_id)
            adjusted[span.span_id] = span.start_time_unix_nano - skew
            stack.extend(c for c in children.get(span.span_id, []) if c.side == "backend")
    return adjusted
