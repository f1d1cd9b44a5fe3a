"""The shared dataset of the storage suite and the one-answer tests (pure: OTLP messages).

Two small sessions exercise every derived fact, and a bulk route has more than 10,000 requests:

- ``plain``: a 200 answered directly;
- ``client_4xx``: a 404 (the CLIENT span is in error, the SERVER span is not);
- ``retried``: two attempts through one client span, the one that ended last is neither the
  longest nor the first, and the attempts differ in route and service;
- ``proxied``: a gateway span between the client and the server; ``proxied_retry``: two servers
  below one gateway;
- ``unreached``: a request that never reached the backend;
- ``backend_5xx`` (its own session, ``quiet_session``): a server 500 with status unset below a
  client span that is not in error, so only the backend makes the session's traces fail;
- ``bulk``: ``BULK_REQUESTS`` requests on ``BULK_ROUTE`` with distinct durations.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from opentelemetry.proto.trace.v1.trace_pb2 import Span

from tests.telemetry import (
    MS,
    android_resource,
    backend_resource,
    new_span_id,
    new_trace_id,
    span,
    traces_request,
)

BASE = 1_764_000_000_000_000_000  # 2025-11-24T16:00:00Z
BULK_REQUESTS = 10_500
BULK_ROUTE = "/v1/bulk/{itemId}"
US = 1_000


@dataclass
class Dataset:
    session: str
    quiet_session: str
    traces: dict[str, str] = field(default_factory=dict)  # case -> trace id (hex)
    answers: dict[str, str] = field(default_factory=dict)  # case -> span id of the answering attempt
    clients: dict[str, str] = field(default_factory=dict)  # case -> client span id
    bulk_traces: list[str] = field(default_factory=list)
    bulk_client_ns: list[int] = field(default_factory=list)
    bulk_server_ns: list[int] = field(default_factory=list)
    payloads: list[bytes] = field(default_factory=list)


class _Builder:
    def __init__(self) -> None:
        self.client: dict[str, list[Span]] = {}
        self.backend: dict[str, list[Span]] = {}

    def add_client(self, session: str, s: Span) -> None:
        self.client.setdefault(session, []).append(s)

    def add_backend(self, service: str, s: Span) -> None:
        self.backend.setdefault(service, []).append(s)

    def payloads(self) -> list[bytes]:
        out = [
            traces_request([(android_resource(session_id=session), spans)]).SerializeToString()
            for session, spans in self.client.items()
        ]
        out.append(
            traces_request(
                [(backend_resource(service), spans) for service, spans in self.backend.items()],
                scope="opentelemetry.instrumentation.fastapi",
            ).SerializeToString()
        )
        return out


def _client(trace: bytes, sid: bytes, path: str, start: int, ms: int, status: int | None, **kw: Any) -> Span:
    attrs: dict[str, Any] = {"http.request.method": "GET", "url.full": f"https://api.shop.example{path}"}
    if status is not None:
        attrs["http.response.status_code"] = status
    return span(trace, sid, "GET", start, start + ms * MS, kind="client", attributes=attrs, **kw)


def _server(trace: bytes, parent: bytes, route: str, start: int, ns: int, status: int, **kw: Any) -> Span:
    attrs = {"http.request.method": "GET", "http.route": route, "http.response.status_code": status}
    return span(
        trace,
        new_span_id(),
        f"GET {route}",
        start,
        start + ns,
        parent=parent,
        kind="server",
        attributes=attrs,
        **kw,
    )


def build_dataset() -> Dataset:
    data = Dataset(
        session=f"one-answer-{uuid.uuid4().hex[:10]}", quiet_session=f"quiet-{uuid.uuid4().hex[:10]}"
    )
    b = _Builder()
    t0 = BASE

    def case(
        name: str, session: str, path: str, start: int, ms: int, status: int | None
    ) -> tuple[bytes, bytes]:
        trace, client = new_trace_id(), new_span_id()
        data.traces[name], data.clients[name] = trace.hex(), client.hex()
        b.add_client(session, _client(trace, client, path, start, ms, status))
        return trace, client

    trace, client = case("plain", data.session, "/v1/orders/42", t0, 300, 200)
    ok = _server(trace, client, "/v1/orders/{orderId}", t0 + 50 * MS, 200 * MS, 200)
    b.add_backend("orders", ok)
    data.answers["plain"] = ok.span_id.hex()

    trace, client = case("client_4xx", data.session, "/v1/orders/404", t0 + 1000 * MS, 150, 404)
    missing = _server(trace, client, "/v1/orders/{orderId}", t0 + 1020 * MS, 100 * MS, 404)
    b.add_backend("orders", missing)
    data.answers["client_4xx"] = missing.span_id.hex()

    # attempt 1: 500 ms, ends at +550 ms; attempt 2: 300 ms, ends at +1200 ms and answers
    trace, client = case("retried", data.session, "/v1/pay", t0 + 2000 * MS, 2000, 200)
    first = _server(trace, client, "/v1/pay/{legacy}", t0 + 2050 * MS, 500 * MS, 503, error="unavailable")
    answer = _server(trace, client, "/v1/pay", t0 + 2900 * MS, 300 * MS, 200)
    b.add_backend("payments-b", first)
    b.add_backend("payments-a", answer)
    data.answers["retried"] = answer.span_id.hex()

    trace, client = case("proxied", data.session, "/v1/cart/7", t0 + 5000 * MS, 400, 200)
    gateway = new_span_id()
    b.add_backend(
        "edge",
        span(trace, gateway, "gateway", t0 + 5010 * MS, t0 + 5390 * MS, parent=client, kind="internal"),
    )
    behind = _server(trace, gateway, "/v1/cart/{cartId}", t0 + 5050 * MS, 250 * MS, 200)
    b.add_backend("cart", behind)
    data.answers["proxied"] = behind.span_id.hex()

    trace, client = case("proxied_retry", data.session, "/v1/cart/8", t0 + 6000 * MS, 900, 200)
    gateway = new_span_id()
    b.add_backend(
        "edge",
        span(trace, gateway, "gateway", t0 + 6010 * MS, t0 + 6890 * MS, parent=client, kind="internal"),
    )
    b.add_backend("cart", _server(trace, gateway, "/v1/cart/{cartId}", t0 + 6020 * MS, 600 * MS, 504))
    last = _server(trace, gateway, "/v1/cart/{cartId}", t0 + 6700 * MS, 100 * MS, 200)
    b.add_backend("cart", last)
    data.answers["proxied_retry"] = last.span_id.hex()

    case("unreached", data.session, "/v1/recommendations", t0 + 8000 * MS, 10_000, None)

    # the client saw nothing wrong (no status recorded), the server answered 500 with status unset
    trace, client = case("backend_5xx", data.quiet_session, "/v1/profile", t0 + 9000 * MS, 300, None)
    failed = _server(trace, client, "/v1/profile", t0 + 9020 * MS, 250 * MS, 500)
    b.add_backend("profile", failed)
    data.answers["backend_5xx"] = failed.span_id.hex()

    bulk_session = f"bulk-{uuid.uuid4().hex[:10]}"
    for i in range(BULK_REQUESTS):
        trace, client = new_trace_id(), new_span_id()
        start = t0 + 60_000 * MS + i * 10 * MS
        client_ns = 20 * MS + i * 7 * US
        server_ns = client_ns - (1 * MS + (i * 7919) % 10_000 * US)  # 9 ms or more
        attrs = {"http.request.method": "GET", "url.full": f"https://api.shop.example/v1/bulk/{i}"}
        b.add_client(
            bulk_session,
            span(trace, client, "GET", start, start + client_ns, kind="client", attributes=attrs),
        )
        b.add_backend("bulk", _server(trace, client, BULK_ROUTE, start + MS, server_ns, 200))
        data.bulk_traces.append(trace.hex())
        data.bulk_client_ns.append(client_ns)
        data.bulk_server_ns.append(server_ns)
    data.payloads = b.payloads()
    return data
