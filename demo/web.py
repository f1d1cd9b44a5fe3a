"""The shop's web front end: a few browser sessions reading products through the edge cache,
instrumented as opentelemetry-js does it (sdk-trace-web resource, ``@opentelemetry/instrumentation-fetch``
CLIENT spans ``HTTP GET`` with the old HTTP attribute names, one span event per non-zero
PerformanceResourceTiming field at its time, ``traceparent`` injected), through the real
OpenTelemetry Python SDK and the same simulated network link as the phones."""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable
from urllib.parse import urlsplit

from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import SpanKind, Status, StatusCode, set_span_in_context
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from tracebridge.demo import stories
from tracebridge.demo.catalog import NETWORKS, PRODUCT_COUNT
from tracebridge.demo.ids import SeededIdGenerator
from tracebridge.demo.ledger import Ledger, LedgerProcessor
from tracebridge.demo.network import Link

PROPAGATOR = TraceContextTextMapPropagator()
USER_AGENT = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Safari/605.1.15"
)


def web_sessions(
    count: int, exporter: Callable[[], OTLPSpanExporter], shop_url: str, ledger: Ledger, seed: int
) -> list[str]:
    """Run ``count`` browser sessions one after the other (each with its own exporter from
    ``exporter``); returns their session ids."""
    rng = random.Random(f"{seed}:web")
    sessions = []
    for index in range(count):
        session_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        resource = Resource.create(
            {
                "service.name": "shop-web",
                "service.version": "2025.11.4",
                "telemetry.sdk.name": "opentelemetry",
                "telemetry.sdk.language": "webjs",
                "telemetry.sdk.version": "1.28.0",
                "browser.platform": "macOS",
                "browser.mobile": False,
                "browser.language": "en-US",
                "user_agent.original": USER_AGENT,
                "session.id": session_id,
            }
        )
        provider = TracerProvider(
            resource=resource,
            id_generator=SeededIdGenerator(f"tracebridge-demo:{seed}:web:{index}"),
            shutdown_on_exit=False,
        )
        provider.add_span_processor(LedgerProcessor(ledger, "client"))
        provider.add_span_processor(BatchSpanProcessor(exporter()))
        tracer = provider.get_tracer("@opentelemetry/instrumentation-fetch", "0.55.0")
        link = Link(rng.choice([n for n in NETWORKS if n.connection_type == "wifi"]), rng)
        targets = ["/v1/products"] + [f"/v1/products/{rng.randint(1, PRODUCT_COUNT)}" for _ in range(3)]
        for target in targets:
            url = shop_url + target
            start = _now()
            parts = urlsplit(url)
            span = tracer.start_span(
                "HTTP GET",
                kind=SpanKind.CLIENT,
                start_time=start,
                attributes={
                    "component": "fetch",
                    "http.method": "GET",
                    "http.url": url,
                    "http.host": parts.netloc,
                    "http.scheme": parts.scheme,
                    "http.user_agent": USER_AGENT,
                },
            )
            headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
            PROPAGATOR.inject(headers, context=set_span_in_context(span))
            exchange = link.exchange("GET", url, headers)
            for name, at in stories.resource_timing_events(exchange.phases, start):
                span.add_event(name, timestamp=at)
            if exchange.status:
                span.set_attribute("http.status_code", exchange.status)
                span.set_attribute("http.response_content_length", exchange.response_bytes)
            if not exchange.status or exchange.status >= 400:
                span.set_status(Status(StatusCode.ERROR))
            span.end(end_time=_now() + rng.randint(1, 4) * 1_000_000)  # the fetch promise settles
        provider.force_flush()
        provider.shutdown()
        sessions.append(session_id)
    return sessions


def _now() -> int:
    return time.time_ns()
