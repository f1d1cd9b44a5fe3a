"""Realistic OTLP/HTTP protobuf export requests for the ingest bench, cheap to vary without end.

A request holds ``spans`` spans of one device: half mobile CLIENT spans (OkHttp-style HTTP
attributes, a session id, every tenth with timing events, one in a thousand with an escaped
exception event, i.e. a crash) under an Android or iOS resource, half backend SERVER spans
answering them under a backend resource. Two consecutive requests belong to the same device and
session, so a session holds ``spans`` client spans plus their backend spans (~1,000 spans at the
default 500 spans per request).

A pool of template requests is built once (protobuf, the slow part). Every id ends with a 4-byte
marker and every session and device id holds an 8-character text marker; request ``n`` is template
``n % pool`` with both markers replaced by those of cycle ``n // pool`` (two ``bytes.replace``
calls, microseconds), so an unbounded stream of distinct requests costs nothing to produce.
Ids stay random in their leading bytes: parts are not made artificially narrow in key range.
"""

from __future__ import annotations

import random
import struct
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.telemetry import (  # noqa: E402
    BASE_TIME,
    MS,
    android_resource,
    backend_resource,
    ios_resource,
    span,
    traces_request,
)

ID_MARK = b"\xfe\xed\xfa\xce"
TEXT_MARK = "QzQzQzQz"


def _id_mark(cycle: int) -> bytes:
    # Never the template marker, never all zero.
    return struct.pack(">I", (cycle * 2654435761 + 0x9E3779B9) & 0xFFFFFFFF | 1)


def _text_mark(cycle: int) -> str:
    return f"{cycle:08x}"


@dataclass(frozen=True)
class Template:
    body: bytes
    trace_stems: tuple[bytes, ...]  # the first 12 bytes of each trace id
    session_stem: str  # the session id with TEXT_MARK in it


class PayloadStream:
    """Request ``n`` of a deterministic, unbounded stream of distinct export requests."""

    def __init__(self, spans_per_request: int = 500, pool: int = 32, seed: int = 1) -> None:
        if pool % 2:
            raise ValueError("pool must be even (two requests per session)")
        self.spans_per_request = spans_per_request
        self.pool = pool
        rng = random.Random(seed)
        self.templates = [self._template(r, spans_per_request, rng) for r in range(pool)]

    def body(self, n: int) -> bytes:
        template = self.templates[n % self.pool]
        cycle = n // self.pool
        return template.body.replace(ID_MARK, _id_mark(cycle)).replace(
            TEXT_MARK.encode(), _text_mark(cycle).encode()
        )

    def trace_ids(self, n: int) -> list[str]:
        """Hex trace ids of request ``n`` (each trace: one client span and its server span)."""
        mark = _id_mark(n // self.pool)
        return [(stem + mark).hex() for stem in self.templates[n % self.pool].trace_stems]

    def session_id(self, n: int) -> str:
        return self.templates[n % self.pool].session_stem.replace(TEXT_MARK, _text_mark(n // self.pool))

    @staticmethod
    def _template(r: int, spans_per_request: int, rng: random.Random) -> Template:
        def trace_id() -> bytes:
            return rng.randbytes(12) + ID_MARK

        def span_id() -> bytes:
            return rng.randbytes(4) + ID_MARK

        device = r // 2
        session = f"sess-{TEXT_MARK}-{device:05d}"
        client_spans = []
        server_spans = []
        stems = []
        for i in range(spans_per_request // 2):
            tid = trace_id()
            stems.append(tid[:12])
            client_id = span_id()
            start = BASE_TIME + (r * spans_per_request + i) * 40 * MS
            duration = rng.randint(40, 900) * MS
            order = rng.randint(1, 99999)
            events: list[tuple[str, int, dict[str, object]]] = []
            if i % 10 == 0:
                events = [
                    ("http.dns.start", start + MS, {}),
                    ("http.connect.start", start + 3 * MS, {"net.peer.ip": "203.0.113.9"}),
                    ("http.response.headers", start + duration - 5 * MS, {}),
                ]
            if (r * spans_per_request + i) % 1000 == 999:
                events.append(
                    (
                        "exception",
                        start + duration,
                        {
                            "exception.type": "java.lang.IllegalStateException",
                            "exception.message": "order view detached",
                            "exception.stacktrace": "java.lang.IllegalStateException: order view detached\n\tat "
                            "com.shop.OrderView.bind(OrderView.kt:42)",
                            "exception.escaped": True,
                        },
                    )
                )
            failed = i % 50 == 7
            client_spans.append(
                span(
                    tid,
                    client_id,
                    "GET",
                    start,
                    start + duration,
                    kind="client",
                    error="HTTP 503" if failed else None,
                    events=events,
                    attributes={
                        "http.request.method": "GET",
                        "url.full": f"https://api.example.com/orders/{order}?expand=items",
                        "http.response.status_code": 503 if failed else 200,
                        "server.address": "api.example.com",
                        "server.port": 443,
                        "network.connection.type": rng.choice(["wifi", "cell"]),
                        "network.connection.subtype": "lte",
                        "session.id": session,
                        "screen.name": "OrderDetails",
                        "http.request.resend_count": 0,
                        "thread.name": "OkHttp Dispatcher",
                        "app.build": 4211,
                        "sampled.ratio": 1.0,
                        "user.premium": False,
                    },
                )
            )
            server_spans.append(
                span(
                    tid,
                    span_id(),
                    "GET /orders/{id}",
                    start + 20 * MS,
                    start + duration - 20 * MS,
                    parent=client_id,
                    kind="server",
                    error="upstream timeout" if failed else None,
                    attributes={
                        "http.request.method": "GET",
                        "http.route": "/orders/{id}",
                        "url.path": f"/orders/{order}",
                        "url.scheme": "https",
                        "http.response.status_code": 503 if failed else 200,
                        "server.address": "orders",
                        "network.peer.address": "10.0.3.7",
                        "user_agent.original": "okhttp/4.12.0",
                        "client.address": "203.0.113.9",
                    },
                )
            )
        device_id = f"dev-{TEXT_MARK}-{device:05d}"
        resource = android_resource(device_id=device_id) if device % 2 else ios_resource(device_id=device_id)
        request = traces_request([(resource, client_spans), (backend_resource("orders"), server_spans)])
        body = request.SerializeToString()
        # per trace: two trace ids, the client span id twice (own, server's parent), the server span id
        if body.count(ID_MARK) != spans_per_request // 2 * 5:
            raise AssertionError("id marker is not unique in the template; change the seed")
        if body.count(TEXT_MARK.encode()) != spans_per_request // 2 + 1:
            raise AssertionError("text marker count mismatch")
        return Template(body, tuple(stems), session)
