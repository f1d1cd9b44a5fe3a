"""The demo's issue-14 stories, in one place: network phases, the edge cache, the order queue, flags.

- Network phases: ``Link.exchange`` reports its phases (DNS, connect, TLS, request, wait for the
  first byte, download) as offsets from the attempt's start; Android apps record them as Sentry's
  OkHttp listener does (``http.client.resolve_dns_ms``, ... as span attributes), one Android phone
  in three also emits the proposed ``http.client.network_timing`` log event, and the web shop's
  browsers record them as opentelemetry-js does (resource-timing span events).
- The edge: ``edge-cache`` (resource ``tracebridge.tier=edge``) sits in front of the gateway and
  answers product reads from its cache about half the time.
- The queue: placing an order publishes ``order-placed``; ``fulfilment-worker`` consumes it later
  (seconds to minutes on the demo's clock) in its own trace, linked to the producer span.
- Flags: ``new_checkout`` (variant ``v2`` for half the sessions) is evaluated on the checkout
  request; v2 makes the backend slower and crashes more often. ``legacy_search_ui`` has returned
  ``on`` for 120 days: the demo sends that history as the flag service's evaluation log records.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Mapping, Sequence
from typing import Any

from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
from opentelemetry.sdk.resources import Resource

EDGE_SERVICE = "edge-cache"
CHECKOUT_FLAG = "new_checkout"
CHECKOUT_HEADER = "x-demo-checkout-variant"
LEGACY_FLAG = "legacy_search_ui"
LEGACY_DAYS = 120
DAY_NS = 24 * 3600 * 1_000_000_000
NETWORK_TIMING_EVENT = "http.client.network_timing"

# Phase name of Link.exchange -> Sentry OkHttp listener attribute (milliseconds).
OKHTTP_NAMES = {
    "dns": "http.client.resolve_dns_ms",
    "connect": "http.connect_ms",
    "tls": "http.connect.secure_connect_ms",
    "request": "http.connection.request_headers_ms",
    "wait": "http.connection.response_headers_ms",
    "download": "http.connection.response_body_ms",
}
# Phase name -> proposed network-timing attribute stem.
TIMING_NAMES = {
    "dns": "http.dns",
    "connect": "http.connect",
    "tls": "http.secure_connect",
    "request": "http.request.headers",
    "wait": "http.response.headers",
    "download": "http.response.body",
}

Phase = tuple[str, float, float]  # (name, start s, end s) from the attempt's start


def checkout_variant(session_id: str) -> str:
    """The ``new_checkout`` variant of a session: v2 for about half of them (stable per session)."""
    return "v2" if hashlib.sha256(session_id.encode()).digest()[0] < 128 else "v1"


def evaluation_event(key: str, variant: str, provider: str = "flagd") -> dict[str, Any]:
    """Attributes of an OpenFeature ``feature_flag.evaluation`` event."""
    return {
        "feature_flag.key": key,
        "feature_flag.result.variant": variant,
        "feature_flag.provider.name": provider,
        "feature_flag.result.reason": "TARGETING_MATCH",
    }


def emits_network_timing(device_id: str) -> bool:
    """One Android phone in three runs the OkHttp instrumentation with network-timing events."""
    return hashlib.sha256(device_id.encode()).digest()[1] % 3 == 0


def okhttp_attributes(phases: Sequence[Phase]) -> dict[str, float]:
    """Sentry OkHttp listener durations (ms) of the recorded phases."""
    return {OKHTTP_NAMES[n]: round((end - start) * 1000, 3) for n, start, end in phases if n in OKHTTP_NAMES}


def network_timing_attributes(phases: Sequence[Phase], start_ns: int, end_ns: int) -> dict[str, int]:
    """The proposed ``http.client.network_timing`` attributes: unix ms of each phase's edges."""
    out = {"http.call.start_time": start_ns // 1_000_000, "http.call.end_time": end_ns // 1_000_000}
    for name, start, end in phases:
        stem = TIMING_NAMES.get(name)
        if stem:
            out[f"{stem}.start_time"] = (start_ns + int(start * 1e9)) // 1_000_000
            out[f"{stem}.end_time"] = (start_ns + int(end * 1e9)) // 1_000_000
    return out


def resource_timing_events(phases: Sequence[Phase], start_ns: int) -> list[tuple[str, int]]:
    """opentelemetry-js's resource-timing events (name, unix ns) for the recorded phases; a reused
    connection has domainLookup*/connect* at fetchStart and no secureConnectionStart."""
    at = {name: (start_ns + int(s * 1e9), start_ns + int(e * 1e9)) for name, s, e in phases}
    first = min((s for s, _ in at.values()), default=start_ns)
    dns = at.get("dns", (first, first))
    connect = at.get("connect", (dns[1], dns[1]))
    events = [
        ("fetchStart", start_ns),
        ("domainLookupStart", dns[0]),
        ("domainLookupEnd", dns[1]),
        ("connectStart", connect[0]),
    ]
    if "tls" in at:
        events.append(("secureConnectionStart", at["tls"][0]))
    events.append(("connectEnd", at["tls"][1] if "tls" in at else connect[1]))
    if "request" in at and "wait" in at and "download" in at:
        events += [
            ("requestStart", at["request"][0]),
            ("responseStart", at["wait"][1]),
            ("responseEnd", at["download"][1]),
        ]
    return events


def send_flag_history(logs_endpoint: str, headers: Mapping[str, str], now_ns: int, seed: int) -> None:
    """``legacy_search_ui`` = on, evaluated by the flag service every day for 120 days (the history
    a real store would hold; the demo itself only runs for a minute)."""
    exporter = OTLPLogExporter(endpoint=logs_endpoint, headers=dict(headers) or None, timeout=30)
    provider = LoggerProvider(
        resource=Resource.create({"service.name": "flag-service", "service.version": "2025.7.0"}),
        shutdown_on_exit=False,
    )
    provider.add_log_record_processor(BatchLogRecordProcessor(exporter))
    logger = provider.get_logger("dev.openfeature.contrib.hooks.otel", "1.0.0")
    rng = random.Random(f"{seed}:flag-history")
    for day in range(LEGACY_DAYS, 0, -1):
        logger.emit(
            timestamp=now_ns - day * DAY_NS + rng.randrange(DAY_NS // 2),
            event_name="feature_flag.evaluation",
            attributes=evaluation_event(LEGACY_FLAG, "on"),
        )
    provider.shutdown()
