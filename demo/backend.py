"""The demo backend: shop-gateway -> orders -> inventory, real HTTP servers on loopback, each
instrumented with the OpenTelemetry Python SDK and exporting OTLP/HTTP to tracebridge.

Every service extracts the W3C ``traceparent`` of an incoming request, records a SERVER span with
the stable HTTP semantic conventions (``http.request.method``, ``http.route``, ``url.path``,
``http.response.status_code``), a CLIENT span per downstream call (injecting ``traceparent``)
and a CLIENT span per SQLite query (``db.*``). Some requests are slow (cold search cache, lock
waits, GC pauses) and some fail (inventory lock timeouts -> 502 on checkout, a legacy serializer
that breaks on old orders -> 500), so that gaps and crashes have something to tell.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import queue
import random
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import Span, SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from opentelemetry.util.types import AttributeValue

from tracebridge.demo import stories
from tracebridge.demo.catalog import ORDER_COUNT, PRODUCT_COUNT
from tracebridge.demo.fleet import LEGACY_INCLUDE, legacy_serializer_fails
from tracebridge.demo.ids import PerRequestIdGenerator, SeededIdGenerator
from tracebridge.demo.ledger import Ledger, LedgerProcessor

PROPAGATOR = TraceContextTextMapPropagator()
# The demo replays a few hours of traffic in a minute: a phone tells the backend how long ago (ns)
# its request happened, the services time their spans on that shifted clock and pass it downstream.
SHIFT_HEADER = "x-demo-time-shift-ns"
SCOPE = "tracebridge.demo.http"


@dataclass
class Reply:
    status: int
    body: dict[str, Any]
    error: str = ""  # status message of the SERVER span when the request failed


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    raw_query: str
    params: dict[str, str]
    body: bytes
    rng: random.Random
    headers: Mapping[str, str] = field(default_factory=dict)


Handler = Callable[[Request], Reply]


class _Server(ThreadingHTTPServer):
    request_queue_size = 256  # a burst of phones must not see connection refused
    daemon_threads = True


class Service:
    """One instrumented HTTP service: a route table, a tracer, optionally an SQLite database."""

    def __init__(
        self,
        name: str,
        version: str,
        exporter: OTLPSpanExporter,
        ledger: Ledger,
        seed: int,
        resource_extra: Mapping[str, str] | None = None,
    ) -> None:
        self.name = name
        self.ids = PerRequestIdGenerator(f"tracebridge-demo:{seed}:{name}")
        resource = Resource.create(
            {
                "service.name": name,
                "service.namespace": "shop",
                "service.version": version,
                "service.instance.id": f"{name}-{random.Random(f'{seed}:{name}').getrandbits(32):08x}",
                "deployment.environment.name": "demo",
                "host.name": f"{name}-7c9f",
                **(resource_extra or {}),
            }
        )
        self.provider = TracerProvider(resource=resource, id_generator=self.ids, shutdown_on_exit=False)
        self.provider.add_span_processor(LedgerProcessor(ledger, "backend"))
        self.provider.add_span_processor(BatchSpanProcessor(exporter, schedule_delay_millis=300))
        self.tracer = self.provider.get_tracer(SCOPE, "1.0.0")
        self.routes: list[tuple[str, str, re.Pattern[str], Handler]] = []
        self.db: sqlite3.Connection | None = None
        self._db_lock = threading.Lock()
        self.httpd = _Server(("127.0.0.1", 0), _handler_class(self))
        self.port = self.httpd.server_address[1]
        self._thread: threading.Thread | None = None
        self._local = threading.local()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def route(self, method: str, template: str, handler: Handler) -> None:
        pattern = re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template) + "$")
        self.routes.append((method, template, pattern, handler))

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, name=f"demo-{self.name}", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.provider.force_flush()
        self.provider.shutdown()

    # -- instrumentation ---------------------------------------------------------------------

    @property
    def shift_ns(self) -> int:
        """How far in the past the request being handled happened (see ``SHIFT_HEADER``)."""
        return int(getattr(self._local, "shift_ns", 0))

    def now(self) -> int:
        return time.time_ns() - self.shift_ns

    @contextlib.contextmanager
    def span(
        self,
        name: str,
        context: Context | None = None,
        kind: SpanKind = SpanKind.INTERNAL,
        attributes: Mapping[str, AttributeValue] | None = None,
    ) -> Iterator[Span]:
        """A current span timed on the request's clock (now, or the simulated past)."""
        span = self.tracer.start_span(
            name, context=context, kind=kind, attributes=attributes, start_time=self.now()
        )
        try:
            with trace.use_span(span, end_on_exit=False):
                yield span
        finally:
            span.end(end_time=self.now())

    def serve(self, handler: BaseHTTPRequestHandler) -> None:
        """Handle one request inside a SERVER span continued from its ``traceparent``."""
        headers = {key.lower(): value for key, value in handler.headers.items()}
        rng = self.ids.reseed(headers.get("traceparent", handler.path))
        shift = headers.get(SHIFT_HEADER, "0")
        self._local.shift_ns = max(0, int(shift)) if shift.isdigit() else 0
        parent = PROPAGATOR.extract(headers)
        url = urlsplit(handler.path)
        length = int(headers.get("content-length", "0") or 0)
        body = handler.rfile.read(length) if length else b""
        method = handler.command
        match = next(
            ((t, m, h) for meth, t, p, h in self.routes if meth == method and (m := p.match(url.path))), None
        )
        route = match[0] if match else ""
        attributes: dict[str, AttributeValue] = {
            "http.request.method": method,
            "url.path": url.path,
            "url.scheme": "http",
            "server.address": "127.0.0.1",
            "server.port": self.port,
            "network.protocol.version": "1.1",
            "client.address": handler.client_address[0],
            "user_agent.original": headers.get("user-agent", ""),
        }
        if route:
            attributes["http.route"] = route
        if url.query:
            attributes["url.query"] = url.query
        name = f"{method} {route}" if route else method
        with self.span(name, context=parent, kind=SpanKind.SERVER, attributes=attributes) as span:
            if match is None:
                reply = Reply(404, {"error": "not found"})
            else:
                params = match[1].groupdict()
                reply = match[2](
                    Request(method, url.path, parse_qs(url.query), url.query, params, body, rng, headers)
                )
            span.set_attribute("http.response.status_code", reply.status)
            if reply.status >= 500:
                span.set_attribute("error.type", str(reply.status))
                span.set_status(Status(StatusCode.ERROR, reply.error or str(reply.status)))
            payload = json.dumps(reply.body).encode()
            handler.send_response(reply.status)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(payload)))
            handler.send_header("Connection", "close")
            handler.end_headers()
            handler.wfile.write(payload)
        handler.close_connection = True

    def call(
        self,
        method: str,
        base_url: str,
        target: str,
        body: bytes = b"",
        extra: Mapping[str, str] | None = None,
    ) -> tuple[int, dict[str, Any]]:
        """A downstream HTTP call in a CLIENT span, with ``traceparent`` injected."""
        url = urlsplit(base_url)
        attributes: dict[str, AttributeValue] = {
            "http.request.method": method,
            "url.full": base_url + target,
            "server.address": url.hostname or "",
            "server.port": url.port or 80,
            "network.protocol.version": "1.1",
        }
        with self.span(method, kind=SpanKind.CLIENT, attributes=attributes) as span:
            headers = {"Content-Type": "application/json", "Connection": "close", **(extra or {})}
            PROPAGATOR.inject(headers)
            if self.shift_ns:
                headers[SHIFT_HEADER] = str(self.shift_ns)
            connection = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port or 80, timeout=30)
            try:
                connection.request(method, target, body=body or None, headers=headers)
                response = connection.getresponse()
                data = response.read()
            finally:
                connection.close()
            span.set_attribute("http.response.status_code", response.status)
            if response.status >= 500:
                span.set_attribute("error.type", str(response.status))
                span.set_status(Status(StatusCode.ERROR))
            return response.status, json.loads(data or b"{}")

    def query(
        self, operation: str, table: str, sql: str, args: tuple[Any, ...] = (), slow_s: float = 0.0
    ) -> list[Any]:
        """One SQLite statement in a CLIENT span with the database semantic conventions."""
        assert self.db is not None
        attributes = {
            "db.system.name": "sqlite",
            "db.namespace": self.name,
            "db.operation.name": operation,
            "db.collection.name": table,
            "db.query.text": sql,
        }
        with self.span(f"{operation} {table}", kind=SpanKind.CLIENT, attributes=attributes):
            with self._db_lock:
                rows = self.db.execute(sql, args).fetchall()
                if operation != "SELECT":
                    self.db.commit()
            if slow_s:
                time.sleep(slow_s)
            return rows

    def internal(self, name: str, seconds: float, **attributes: Any) -> None:
        with self.span(name, kind=SpanKind.INTERNAL, attributes=attributes):
            time.sleep(seconds)


def _handler_class(service: Service) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            service.serve(self)

        def do_POST(self) -> None:
            service.serve(self)

        def log_message(self, format: str, *args: Any) -> None:
            return None

    return Handler


# -- the three services -------------------------------------------------------------------------


def _work(rng: random.Random, low_ms: int, high_ms: int) -> float:
    return rng.uniform(low_ms, high_ms) / 1000


def build_inventory(exporter: OTLPSpanExporter, ledger: Ledger, seed: int) -> Service:
    service = Service("inventory", "2025.11.2", exporter, ledger, seed)
    db = sqlite3.connect(":memory:", check_same_thread=False)
    db.execute(
        "CREATE TABLE products (id INTEGER PRIMARY KEY, name TEXT, price_cents INTEGER, stock INTEGER)"
    )
    seeded = random.Random(f"{seed}:products")
    db.executemany(
        "INSERT INTO products VALUES (?, ?, ?, ?)",
        [
            (i, f"product {i}", seeded.randint(499, 19999), seeded.randint(0, 80))
            for i in range(1, PRODUCT_COUNT + 1)
        ],
    )
    db.commit()
    service.db = db

    def list_products(request: Request) -> Reply:
        rng = request.rng
        if "q" in request.query:
            # search scans; one query in six misses the cache and waits on the disk
            slow = _work(rng, 250, 1200) if rng.random() < 0.16 else _work(rng, 8, 40)
            rows = service.query(
                "SELECT",
                "products",
                "SELECT id, name, price_cents FROM products WHERE name LIKE ? LIMIT 20",
                ("%1%",),
                slow_s=slow,
            )
        else:
            rows = service.query(
                "SELECT",
                "products",
                "SELECT id, name, price_cents FROM products ORDER BY id LIMIT 20",
                slow_s=_work(rng, 4, 25),
            )
        return Reply(200, {"products": [{"id": r[0], "name": r[1], "price_cents": r[2]} for r in rows]})

    def get_product(request: Request) -> Reply:
        rows = service.query(
            "SELECT",
            "products",
            "SELECT id, name, price_cents, stock FROM products WHERE id = ?",
            (int(request.params["id"]),),
            slow_s=_work(request.rng, 2, 15),
        )
        if not rows:
            return Reply(404, {"error": "no such product"})
        return Reply(
            200, {"id": rows[0][0], "name": rows[0][1], "price_cents": rows[0][2], "stock": rows[0][3]}
        )

    def reserve(request: Request) -> Reply:
        rng = request.rng
        if rng.random() < 0.09:
            # a long transaction holds the stock rows: wait for the lock, then give up
            service.internal("wait for row lock", _work(rng, 400, 900), **{"db.collection.name": "products"})
            return Reply(503, {"error": "lock wait timeout"}, "lock wait timeout exceeded on products")
        service.query(
            "UPDATE",
            "products",
            "UPDATE products SET stock = stock - 1 WHERE id = ? AND stock > 0",
            (rng.randint(1, PRODUCT_COUNT),),
            slow_s=_work(rng, 5, 30),
        )
        return Reply(201, {"reservation": rng.getrandbits(32)})

    service.route("GET", "/products", list_products)
    service.route("GET", "/products/{id}", get_product)
    service.route("POST", "/reservations", reserve)
    return service


def build_orders(
    exporter: OTLPSpanExporter, ledger: Ledger, seed: int, inventory_url: str, worker: Worker | None = None
) -> Service:
    service = Service("orders", "2025.11.5", exporter, ledger, seed)
    db = sqlite3.connect(":memory:", check_same_thread=False)
    db.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, status TEXT, total_cents INTEGER)")
    seeded = random.Random(f"{seed}:orders")
    db.executemany(
        "INSERT INTO orders VALUES (?, ?, ?)",
        [
            (i, seeded.choice(("delivered", "shipped", "paid")), seeded.randint(999, 49999))
            for i in range(1, ORDER_COUNT + 1)
        ],
    )
    db.execute("CREATE TABLE cart_items (user_id INTEGER, product_id INTEGER, quantity INTEGER)")
    db.commit()
    service.db = db

    def gc_pause(rng: random.Random) -> None:
        if rng.random() < 0.04:
            service.internal("gc pause", _work(rng, 300, 700), **{"jvm.gc.name": "G1 Old Generation"})

    def cart(request: Request) -> Reply:
        gc_pause(request.rng)
        rows = service.query(
            "SELECT",
            "cart_items",
            "SELECT product_id, quantity FROM cart_items WHERE user_id = ?",
            (request.rng.randint(1, 10_000),),
            slow_s=_work(request.rng, 3, 20),
        )
        return Reply(200, {"items": [list(r) for r in rows]})

    def place_order(request: Request) -> Reply:
        gc_pause(request.rng)
        if request.headers.get(stories.CHECKOUT_HEADER) == "v2":  # the new checkout's extra checks
            trace.get_current_span().add_event(
                "feature_flag.evaluation",
                stories.evaluation_event(stories.CHECKOUT_FLAG, "v2"),
                service.now(),
            )
            service.internal("fraud check v2", _work(request.rng, 400, 1000), **{"checkout.variant": "v2"})
        status, answer = service.call("POST", inventory_url, "/reservations", b'{"items": 1}')
        if status >= 500:
            return Reply(502, {"error": "inventory unavailable"}, f"inventory answered {status}")
        service.query(
            "INSERT",
            "orders",
            "INSERT INTO orders (status, total_cents) VALUES ('paid', ?)",
            (request.rng.randint(999, 49999),),
            slow_s=_work(request.rng, 5, 25),
        )
        if worker is not None:
            worker.publish(service, request.rng)
        return Reply(201, {"order": answer.get("reservation")})

    def get_order(request: Request) -> Reply:
        gc_pause(request.rng)
        order_id = int(request.params["id"])
        rows = service.query(
            "SELECT",
            "orders",
            "SELECT id, status, total_cents FROM orders WHERE id = ?",
            (order_id,),
            slow_s=_work(request.rng, 3, 20),
        )
        if not rows:
            return Reply(404, {"error": "no such order"})
        if LEGACY_INCLUDE in request.raw_query and legacy_serializer_fails(order_id):
            return Reply(
                500,
                {"error": "internal error"},
                "NullPointerException: LegacyOrderSerializer.items() on an order without line items",
            )
        return Reply(200, {"id": rows[0][0], "status": rows[0][1], "total_cents": rows[0][2], "items": []})

    service.route("GET", "/cart", cart)
    service.route("POST", "/orders", place_order)
    service.route("GET", "/orders/{id}", get_order)
    return service


def build_gateway(
    exporter: OTLPSpanExporter, ledger: Ledger, seed: int, orders_url: str, inventory_url: str
) -> Service:
    service = Service("shop-gateway", "2025.11.1", exporter, ledger, seed)

    def forward(base_url: str, path: Callable[[Request], str]) -> Handler:
        def handler(request: Request) -> Reply:
            service.internal("authenticate", _work(request.rng, 1, 4), **{"enduser.pseudo.id": "anonymous"})
            if request.rng.random() < 0.012:
                return Reply(503, {"error": "upstream overloaded"}, "no healthy upstream")
            target = path(request) + (f"?{request.raw_query}" if request.raw_query else "")
            extra = {k: v for k, v in request.headers.items() if k == stories.CHECKOUT_HEADER}
            status, answer = service.call(request.method, base_url, target, request.body, extra)
            return Reply(status, answer, f"upstream answered {status}" if status >= 500 else "")

        return handler

    def config(request: Request) -> Reply:
        trace.get_current_span().add_event(  # the older OTel event shape, from an older flag SDK
            "feature_flag",
            {
                "feature_flag.key": stories.LEGACY_FLAG,
                "feature_flag.variant": "on",
                "feature_flag.provider_name": "flagd",
            },
            service.now(),
        )
        time.sleep(_work(request.rng, 2, 8))
        return Reply(200, {"features": {"new_checkout": True}, "min_supported_version": "3.5.0"})

    service.route("GET", "/v1/config", config)
    service.route("GET", "/v1/products", forward(inventory_url, lambda r: "/products"))
    service.route("GET", "/v1/products/{id}", forward(inventory_url, lambda r: f"/products/{r.params['id']}"))
    service.route("GET", "/v1/cart", forward(orders_url, lambda r: "/cart"))
    service.route("POST", "/v1/orders", forward(orders_url, lambda r: "/orders"))
    service.route("GET", "/v1/orders/{id}", forward(orders_url, lambda r: f"/orders/{r.params['id']}"))
    return service


class DemoBackend:
    """The three services, started and stopped together; ``url`` is the gateway the apps call."""

    def __init__(self, traces_endpoint: str, headers: dict[str, str], ledger: Ledger, seed: int) -> None:
        def exporter() -> OTLPSpanExporter:
            return OTLPSpanExporter(endpoint=traces_endpoint, headers=headers or None, timeout=30)

        self.worker = Worker(exporter(), ledger, seed)
        self.inventory = build_inventory(exporter(), ledger, seed)
        self.orders = build_orders(exporter(), ledger, seed, self.inventory.url, self.worker)
        self.gateway = build_gateway(exporter(), ledger, seed, self.orders.url, self.inventory.url)
        self.edge = build_edge(exporter(), ledger, seed, self.gateway.url)
        self.services = (self.edge, self.gateway, self.orders, self.inventory)

    @property
    def url(self) -> str:
        """What the apps call: the edge cache in front of the gateway."""
        return self.edge.url

    def start(self) -> None:
        self.worker.start()
        for service in self.services:
            service.start()

    def stop(self) -> None:
        for service in self.services:
            service.stop()
        self.worker.stop()  # after the services: every published message is processed first


# -- issue 14: the edge cache in front of the gateway, and the order-placed queue's worker -------


def build_edge(exporter: OTLPSpanExporter, ledger: Ledger, seed: int, gateway_url: str) -> Service:
    """``edge-cache`` (``tracebridge.tier=edge``): product reads answered from its cache about half
    the time; everything else, and every miss, forwarded to the gateway."""
    service = Service(
        stories.EDGE_SERVICE,
        "2025.10.0",
        exporter,
        ledger,
        seed,
        {"tracebridge.tier": "edge", "cloud.provider": "demo", "cloud.region": "eu-west-1"},
    )

    def forward(request: Request) -> Reply:
        target = request.path + (f"?{request.raw_query}" if request.raw_query else "")
        extra = {k: v for k, v in request.headers.items() if k == stories.CHECKOUT_HEADER}
        status, answer = service.call(request.method, gateway_url, target, request.body, extra)
        return Reply(status, answer, f"origin answered {status}" if status >= 500 else "")

    def cached(request: Request) -> Reply:
        if "q" not in request.query and request.rng.random() < 0.5:
            time.sleep(_work(request.rng, 1, 4))
            trace.get_current_span().set_attribute("http.response.header.x-cache", ("HIT",))
            return Reply(200, {"products": [], "cached": True})
        return forward(request)

    for template in ("/v1/products", "/v1/products/{id}"):
        service.route("GET", template, cached)
    for method, template in (
        ("GET", "/v1/config"),
        ("GET", "/v1/cart"),
        ("POST", "/v1/orders"),
        ("GET", "/v1/orders/{id}"),
    ):
        service.route(method, template, forward)
    return service


class Worker:
    """``fulfilment-worker``: consumes ``order-placed`` messages in its own traces, linked to the
    producer span, some seconds to minutes after they were published (on the demo's clock)."""

    def __init__(self, exporter: OTLPSpanExporter, ledger: Ledger, seed: int) -> None:
        resource = Resource.create(
            {"service.name": "fulfilment-worker", "service.namespace": "shop", "service.version": "2025.11.0"}
        )
        self.provider = TracerProvider(
            resource=resource,
            id_generator=SeededIdGenerator(f"tracebridge-demo:{seed}:worker"),
            shutdown_on_exit=False,
        )
        self.provider.add_span_processor(LedgerProcessor(ledger, "backend"))
        self.provider.add_span_processor(BatchSpanProcessor(exporter, schedule_delay_millis=300))
        self.tracer = self.provider.get_tracer("tracebridge.demo.queue", "1.0.0")
        self.queue: queue.Queue[tuple[trace.SpanContext, int, float, float, bool] | None] = queue.Queue()
        self.thread = threading.Thread(target=self._run, name="demo-worker", daemon=True)

    def publish(self, service: Service, rng: random.Random) -> None:
        """A PRODUCER span for ``order-placed`` under the current span; the message carries its context."""
        attributes = {
            "messaging.system": "rabbitmq",
            "messaging.operation.type": "send",
            "messaging.destination.name": "order-placed",
        }
        with service.span("send order-placed", kind=SpanKind.PRODUCER, attributes=attributes) as span:
            time.sleep(_work(rng, 1, 3))
            context = span.get_span_context()
        wait_s = rng.uniform(2, 240) if rng.random() < 0.3 else rng.uniform(0.05, 3)
        self.queue.put((context, service.now(), wait_s, rng.uniform(0.05, 0.9), rng.random() < 0.1))

    def _run(self) -> None:
        while (item := self.queue.get()) is not None:
            context, produced_ns, wait_s, work_s, fails = item
            start = produced_ns + int(wait_s * 1e9)
            attributes = {
                "messaging.system": "rabbitmq",
                "messaging.operation.type": "process",
                "messaging.destination.name": "order-placed",
            }
            span = self.tracer.start_span(
                "process order-placed",
                context=Context(),
                kind=SpanKind.CONSUMER,
                attributes=attributes,
                links=[trace.Link(context)],
                start_time=start,
            )
            if fails:
                span.set_status(Status(StatusCode.ERROR, "payment capture declined"))
            span.end(end_time=start + int(work_s * 1e9))

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.queue.put(None)
        self.thread.join(timeout=30)
        self.provider.force_flush()
        self.provider.shutdown()
