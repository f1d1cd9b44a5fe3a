"""Timing breakdown of one client request, where the client recorded it (pure; optional data).

Sources, first match wins:
- span events on the client span: the web SDK's resource-timing names (``fetchStart``,
  ``domainLookupStart``/``End``, ``connectStart``/``End``, ``secureConnectionStart``,
  ``requestStart``, ``responseStart``, ``responseEnd``), OkHttp EventListener names
  (``dnsStart``/``dnsEnd``, ``secureConnectStart``/``End``, ``requestHeadersStart``,
  ``responseHeadersStart``, ``responseBodyEnd``), or dotted names an app adds itself
  (``dns.start``/``dns.end``, ...);
- .NET-style client-side child spans named ``DNS lookup``, ``socket connect``,
  ``TLS client handshake``.
The OpenTelemetry mobile SDKs record none of this today, so the answer is often None.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from tracebridge.store.rows import StoredSpan

# phase -> (names that start it, names that end it), in normalized form (lowercase, no separators)
EVENT_PHASES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "dns": (("domainlookupstart", "dnsstart"), ("domainlookupend", "dnsend")),
    "connect": (
        ("connectstart", "tcpstart"),
        ("secureconnectionstart", "secureconnectstart", "connectend", "tcpend"),
    ),
    "tls": (
        ("secureconnectionstart", "secureconnectstart", "tlsstart"),
        ("connectend", "secureconnectend", "tlsend"),
    ),
    "send": (
        ("requeststart", "requestheadersstart", "sendstart"),
        ("requestbodyend", "requestheadersend", "sendend"),
    ),
    "wait": (
        ("requeststart", "requestheadersstart", "waitstart"),
        ("responsestart", "responseheadersstart", "waitend"),
    ),
    "download": (
        ("responsestart", "responseheadersstart", "downloadstart"),
        ("responseend", "responsebodyend", "downloadend"),
    ),
}
CHILD_SPAN_PHASES = {"dns lookup": "dns", "socket connect": "connect", "tls client handshake": "tls"}
_SEPARATORS = re.compile(r"[\s._\-]")


def normalize(name: str) -> str:
    return _SEPARATORS.sub("", name).lower()


def timing_breakdown(
    client: StoredSpan, client_children: Sequence[StoredSpan], server_duration_ns: int | None
) -> dict[str, Any] | None:
    """``{"source", "phases": [{"phase", "duration_ns"}], "network_wait_ns"}`` or None.

    ``network_wait_ns`` is the time to first byte minus the server's duration (the part of the
    wait spent on the network), when both are known.
    """
    phases = _from_events(client)
    source = "span_events"
    if not phases:
        phases = _from_child_spans(client_children)
        source = "child_spans"
    if not phases:
        return None
    wait = next((p["duration_ns"] for p in phases if p["phase"] == "wait"), None)
    network_wait = None if wait is None or server_duration_ns is None else wait - server_duration_ns
    return {"source": source, "phases": phases, "network_wait_ns": network_wait}


def _from_events(client: StoredSpan) -> list[dict[str, Any]]:
    times: dict[str, int] = {}
    for event in client.events:
        times.setdefault(normalize(event.name), event.time_unix_nano)
    phases = []
    for phase, (starts, ends) in EVENT_PHASES.items():
        start = next((times[n] for n in starts if n in times), None)
        end = next((times[n] for n in ends if n in times), None)
        if start is not None and end is not None and end >= start:
            phases.append({"phase": phase, "duration_ns": end - start})
    return phases


def _from_child_spans(children: Sequence[StoredSpan]) -> list[dict[str, Any]]:
    phases = []
    for child in sorted(children, key=lambda s: s.start_time_unix_nano):
        phase = CHILD_SPAN_PHASES.get(child.name.strip().lower())
        if phase and child.side == "client":
            phases.append({"phase": phase, "duration_ns": child.duration_ns})
    return phases
