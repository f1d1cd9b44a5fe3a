"""A small realistic fleet for the dashboard tests, built with tests/telemetry.py and sent as OTLP.

Android (opentelemetry-android shapes: session.id and screen.name on spans, new HTTP semconv) and
iOS (opentelemetry-swift shapes: uppercase UUID session ids, old HTTP semconv, cell/LTE) client
spans; backend SERVER spans with http.route whose clock runs 2 s ahead of the devices; a backend
error; an app.crash log record with exception.* attributes; many one-span sessions so that an
old version falls below the 0.5% retirement line; and one trace whose names and attributes are
hostile HTML. The expected values the tests check are recorded next to the data.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from tests.telemetry import (
    BASE_TIME,
    MS,
    SECOND,
    android_resource,
    backend_resource,
    ios_resource,
    log_record,
    logs_request,
    span,
    traces_request,
)

SKEW_NS = 2 * SECOND  # the backend's clock minus the devices'
CATALOG_ROUTE = "/api/catalog"
CATALOG_CLIENT_MS = (100, 200, 300, 400, 500)
CATALOG_SERVER_MS = (60, 120, 180, 240, 300)
HOSTILE_NAME = '<img src=x onerror="window.__xss=1">'
HOSTILE_VALUE = "</script><script>window.__xss=2</script>"
FILLER_SESSIONS = 230
OLD_VERSION = "2.9.0"


@dataclass
class Request:
    """One client request and its backend server span, as sent (raw clocks)."""

    trace_id: str
    client_span_id: str
    server_span_id: str
    route: str
    client_start: int
    client_ms: int
    server_ms: int
    server_raw_start: int
    error: bool = False


@dataclass
class Fleet:
    android_session: str
    ios_session: str
    old_session: str
    requests: list[Request] = field(default_factory=list)
    hostile_trace: str = ""
    crash_trace: str = ""
    crash_type: str = "java.lang.IllegalStateException"
    android_screens: tuple[str, ...] = ("Home", "OrderDetail")
    trace_bodies: list[bytes] = field(default_factory=list)
    log_bodies: list[bytes] = field(default_factory=list)

    def request(self, trace_id: str) -> Request:
        return next(r for r in self.requests if r.trace_id == trace_id)


def _hex(raw: bytes) -> str:
    return raw.hex()


def build_fleet(seed: int = 11) -> Fleet:
    rng = random.Random(seed)
    android_session = rng.randbytes(16).hex()  # opentelemetry-android: 32 hex digits
    ios_session = str(rng.randbytes(16).hex()).upper()
    ios_session = "-".join(
        (ios_session[:8], ios_session[8:12], ios_session[12:16], ios_session[16:20], ios_session[20:])
    )
    fleet = Fleet(android_session, ios_session, old_session=f"old-{rng.randbytes(6).hex()}")

    android_groups: list[tuple[dict[str, Any], list[Any]]] = []
    ios_groups: list[tuple[dict[str, Any], list[Any]]] = []
    backend_spans: list[Any] = []

    def add_request(
        groups: list[tuple[dict[str, Any], list[Any]]],
        resource: dict[str, Any],
        *,
        start: int,
        route: str,
        path: str,
        client_ms: int,
        server_ms: int,
        status: int = 200,
        ios: bool = False,
        screen: str = "",
        session: str,
        name: str = "",
        extra: dict[str, Any] | None = None,
    ) -> Request:
        trace, client_id, server_id, db_id = (
            rng.randbytes(16),
            rng.randbytes(8),
            rng.randbytes(8),
            rng.randbytes(8),
        )
        net = (
            {"network.connection.type": "cell", "network.connection.subtype": "LTE"}
            if ios
            else {"network.connection.type": "wifi"}
        )
        if ios:
            http = {
                "http.method": "GET",
                "http.url": f"https://api.shop.example{path}",
                "http.status_code": status,
                "http.target": path,
                "net.peer.name": "api.shop.example",
                "http.scheme": "https",
            }
        else:
            http = {
                "http.request.method": "GET",
                "url.full": f"https://api.shop.example{path}",
                "http.response.status_code": status,
                "server.address": "api.shop.example",
            }
        attrs: dict[str, Any] = {**http, **net, "session.id": session, **(extra or {})}
        if screen:
            attrs["screen.name"] = screen
        error = status >= 500
        client = span(
            trace,
            client_id,
            name or ("HTTP GET" if ios else "GET"),
            start,
            start + client_ms * MS,
            kind="client",
            attributes=attrs,
            error=str(status) if error else None,
        )
        # the server span sits 20 ms into the client span on the device clock, 2 s later on its own
        server_start = start + 20 * MS + SKEW_NS
        server = span(
            trace,
            server_id,
            f"GET {route}",
            server_start,
            server_start + server_ms * MS,
            parent=client_id,
            kind="server",
            error="upstream failed" if error else None,
            attributes={
                "http.route": route,
                "http.request.method": "GET",
                "http.response.status_code": status,
                "url.path": path,
            },
        )
        db = span(
            trace,
            db_id,
            "SELECT orders",
            server_start + 5 * MS,
            server_start + (server_ms - 5) * MS,
            parent=server_id,
            kind="client",
            attributes={"db.system": "postgresql"},
        )
        groups.append((resource, [client]))
        backend_spans.extend([server, db])
        request = Request(
            _hex(trace),
            _hex(client_id),
            _hex(server_id),
            route,
            start,
            client_ms,
            server_ms,
            server_start,
            error,
        )
        fleet.requests.append(request)
        return request

    android = android_resource(app_version="3.2.1", session_id=android_session)
    ios = ios_resource(app_version="4.0.0 (412)")
    t = BASE_TIME
    # the catalog route: known durations, all within one second (one time bucket)
    for i, (c_ms, s_ms) in enumerate(zip(CATALOG_CLIENT_MS, CATALOG_SERVER_MS, strict=True)):
        add_request(
            android_groups,
            android,
            start=t + i * 100 * MS,
            route=CATALOG_ROUTE,
            path="/api/catalog",
            client_ms=c_ms,
            server_ms=s_ms,
            screen="Home",
            session=android_session,
        )
    t += 30 * SECOND
    add_request(
        android_groups,
        android,
        start=t,
        route="/api/orders/{id}",
        path="/api/orders/123",
        client_ms=450,
        server_ms=250,
        screen="OrderDetail",
        session=android_session,
    )
    failing = add_request(
        android_groups,
        android,
        start=t + 2 * SECOND,
        route="/api/orders/{id}",
        path="/api/orders/124",
        client_ms=900,
        server_ms=700,
        status=500,
        screen="OrderDetail",
        session=android_session,
    )
    fleet.crash_trace = failing.trace_id
    for i in range(3):
        add_request(
            ios_groups,
            ios,
            start=t + (10 + i) * SECOND,
            route="/api/cart",
            path="/api/cart",
            client_ms=350,
            server_ms=120,
            ios=True,
            session=ios_session,
        )
    hostile = add_request(
        ios_groups,
        ios,
        start=t + 20 * SECOND,
        route="/api/cart",
        path="/api/cart",
        client_ms=300,
        server_ms=100,
        ios=True,
        session=ios_session,
        name=HOSTILE_NAME,
        extra={"app.note": HOSTILE_VALUE},
    )
    fleet.hostile_trace = hostile.trace_id

    # many short sessions on the current version, one on an old one
    fillers = []
    for i in range(FILLER_SESSIONS):
        trace, sid = rng.randbytes(16), rng.randbytes(8)
        start = t + (40 + i) * SECOND
        fillers.append(
            (
                android_resource(app_version="3.2.1", device_id=f"filler-{i}", session_id=f"filler-{i:04d}"),
                [span(trace, sid, "AppStart", start, start + 50 * MS, attributes={"screen.name": "Home"})],
            )
        )
    old_trace, old_span = rng.randbytes(16), rng.randbytes(8)
    fillers.append(
        (
            android_resource(app_version=OLD_VERSION, device_id="old-device", session_id=fleet.old_session),
            [span(old_trace, old_span, "AppStart", t + 300 * SECOND, t + 300 * SECOND + 40 * MS)],
        )
    )

    crash_time = BASE_TIME + 32 * SECOND + 950 * MS
    crash = log_record(
        crash_time,
        event_name="app.crash",
        severity=21,
        severity_text="FATAL",
        trace_id=bytes.fromhex(failing.trace_id),
        span_id=bytes.fromhex(failing.client_span_id),
        attributes={
            "exception.type": fleet.crash_type,
            "exception.message": "order 124 has no items",
            "exception.stacktrace": "java.lang.IllegalStateException: order 124 has no items\n"
            "\tat com.shop.orders.OrderDetailViewModel.render(OrderDetailViewModel.kt:88)\n"
            "\tat com.shop.orders.OrderDetailFragment.onResponse(OrderDetailFragment.kt:41)\n",
            "thread.name": "main",
            "session.id": android_session,
        },
    )
    fleet.trace_bodies = [
        traces_request(android_groups).SerializeToString(),
        traces_request(ios_groups, scope="NSURLSession", scope_version="").SerializeToString(),
        traces_request(
            [(backend_resource("orders"), backend_spans)], scope="opentelemetry.instrumentation.fastapi"
        ).SerializeToString(),
        traces_request(fillers).SerializeToString(),
    ]
    fleet.log_bodies = [logs_request([(android_resource(app_version="3.2.1"), [crash])]).SerializeToString()]
    return fleet


def exact_quantile(values: list[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default; ClickHouse quantileExactInclusive)."""
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)
