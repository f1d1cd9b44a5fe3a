"""Network phases of one client request, from whatever its SDK recorded (pure; one mapping).

Every source is a ``PhaseSource``: how to read named instants (ns) and durations (ns) from the
client span (or from its ``http.client.network_timing`` log record), and for each contract phase
a ``Between`` rule (end instant minus start instant) or a ``Total`` rule (sum of recorded
durations). Adding an SDK is adding one ``PhaseSource`` to ``SOURCES``.

- ``network_timing``: the proposed OpenTelemetry ``http.client.network_timing`` log event, joined
  to its span by trace and span id; attributes ``http.call.start_time``, ``http.dns.start_time``,
  ... ``http.response.body.end_time`` in milliseconds, absolute (unix ms) or relative to the
  record's timestamp.
- ``resource_timing``: span events named after the W3C resource-timing fields, as
  opentelemetry-js fetch/XHR instrumentation adds them (the event time is the timestamp).
- ``okhttp``: phase durations in milliseconds as span attributes, under the names Sentry's OkHttp
  event listener uses (``http.client.resolve_dns_ms``, ``http.connect_ms``, ...).

Rules every source obeys: a phase the SDK did not record is None (never guessed); a recorded 0
stays 0; a phase below 0 or longer than the client span is inconsistent data and is None.
The first source (in ``SOURCES`` order) with at least one phase wins.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tracebridge.store.rows import NetworkTimingLog, StoredSpan

PHASE_NAMES = ("stall", "dns", "connect", "tls", "request", "wait", "download", "after_response")
MS = 1_000_000
SPAN_START = "@span_start"
SPAN_END = "@span_end"
NETWORK_TIMING_EVENT = "http.client.network_timing"
# A network-timing value at or above this many ms is unix ms; below it, ms after the record time.
ABSOLUTE_MS_FLOOR = 100_000_000_000  # 1973-03-03


@dataclass(frozen=True)
class Between:
    """end - start, each the first of its names that was recorded."""

    start: tuple[str, ...]
    end: tuple[str, ...]


@dataclass(frozen=True)
class Total:
    """The sum of whichever of these recorded durations exist (None when none does)."""

    names: tuple[str, ...]


Rule = Between | Total


@dataclass(frozen=True)
class Recorded:
    """What one source found for one request: instants and durations in ns."""

    instants: Mapping[str, int]
    durations: Mapping[str, int]


@dataclass(frozen=True)
class PhaseSource:
    name: str
    read: Callable[[StoredSpan, NetworkTimingLog | None], Recorded]
    rules: Mapping[str, Rule]


@dataclass(frozen=True)
class Phases:
    """The contract's ``gaps[].phases`` (ns; None = not recorded)."""

    source: str
    stall_ns: int | None = None
    dns_ns: int | None = None
    connect_ns: int | None = None
    tls_ns: int | None = None
    request_ns: int | None = None
    wait_ns: int | None = None
    download_ns: int | None = None
    after_response_ns: int | None = None

    def get(self, phase: str) -> int | None:
        value: int | None = getattr(self, f"{phase}_ns")
        return value

    def to_json(self) -> dict[str, Any]:
        return {"source": self.source, **{f"{p}_ns": self.get(p) for p in PHASE_NAMES}}


# ---------------------------------------------------------------- readers


def _number(value: Any) -> int | float | None:
    """An int or a finite float from an attribute value (numbers may arrive as text)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return value if value == value and abs(value) != float("inf") else None
    if isinstance(value, str):
        text = value.strip()
        try:
            return int(text)
        except ValueError:
            pass
        try:
            return _number(float(text))
        except ValueError:
            return None
    return None


def ms_to_ns(value: int | float) -> int:
    """Milliseconds to ns: exact for integers, to the microsecond for fractions (an absolute unix
    ms value as a double is precise to about 0.2 us)."""
    if isinstance(value, int):
        return value * MS
    return round(value * 1000) * 1000


def read_resource_timing(span: StoredSpan, _record: NetworkTimingLog | None) -> Recorded:
    instants: dict[str, int] = {}
    for event in span.events:
        instants.setdefault(event.name, event.time_unix_nano)
    return Recorded(instants, {})


OKHTTP_ATTRIBUTES = (
    "http.client.resolve_dns_ms",
    "http.connect_ms",
    "http.connect.secure_connect_ms",
    "http.connection.request_headers_ms",
    "http.connection.request_body_ms",
    "http.connection.response_headers_ms",
    "http.connection.response_body_ms",
)


def read_okhttp(span: StoredSpan, _record: NetworkTimingLog | None) -> Recorded:
    durations: dict[str, int] = {}
    attributes = span.attributes
    for name in OKHTTP_ATTRIBUTES:
        if name not in attributes:  # the common case: a span without them
            continue
        value = _number(attributes[name])
        if value is not None:
            durations[name] = ms_to_ns(value)
    return Recorded({}, durations)


NETWORK_TIMING_ATTRIBUTES = tuple(
    f"http.{part}.{edge}_time"
    for part in (
        "call",
        "dns",
        "connect",
        "secure_connect",
        "request.headers",
        "request.body",
        "response.headers",
        "response.body",
    )
    for edge in ("start", "end")
)


def read_network_timing(_span: StoredSpan, record: NetworkTimingLog | None) -> Recorded:
    if record is None:
        return Recorded({}, {})
    instants: dict[str, int] = {}
    for name in NETWORK_TIMING_ATTRIBUTES:
        value = _number(record.attributes.get(name))
        if value is None or value < 0:
            continue
        if value >= ABSOLUTE_MS_FLOOR:
            instants[name] = ms_to_ns(value)
        else:
            instants[name] = record.time_unix_nano + ms_to_ns(value)
    return Recorded(instants, {})


# ---------------------------------------------------------------- the mapping

_REQUEST_END = ("http.request.body.end_time", "http.request.headers.end_time")

SOURCES: tuple[PhaseSource, ...] = (
    PhaseSource(
        "network_timing",
        read_network_timing,
        {
            "stall": Between(
                ("http.call.start_time",),
                ("http.dns.start_time", "http.connect.start_time", "http.request.headers.start_time"),
            ),
            "dns": Between(("http.dns.start_time",), ("http.dns.end_time",)),
            "connect": Between(("http.connect.start_time",), ("http.connect.end_time",)),
            "tls": Between(("http.secure_connect.start_time",), ("http.secure_connect.end_time",)),
            "request": Between(("http.request.headers.start_time",), _REQUEST_END),
            "wait": Between(_REQUEST_END, ("http.response.headers.end_time",)),
            "download": Between(
                ("http.response.body.start_time", "http.response.headers.end_time"),
                ("http.response.body.end_time",),
            ),
            "after_response": Between(("http.response.body.end_time",), (SPAN_END,)),
        },
    ),
    PhaseSource(
        "resource_timing",
        read_resource_timing,
        {
            "stall": Between(("fetchStart",), ("domainLookupStart",)),
            "dns": Between(("domainLookupStart",), ("domainLookupEnd",)),
            "connect": Between(("connectStart",), ("connectEnd",)),
            "tls": Between(("secureConnectionStart",), ("connectEnd",)),
            "wait": Between(("requestStart",), ("responseStart",)),
            "download": Between(("responseStart",), ("responseEnd",)),
            "after_response": Between(("responseEnd",), (SPAN_END,)),
        },
    ),
    PhaseSource(
        "okhttp",
        read_okhttp,
        {
            "dns": Total(("http.client.resolve_dns_ms",)),
            "connect": Total(("http.connect_ms",)),
            "tls": Total(("http.connect.secure_connect_ms",)),
            "request": Total(("http.connection.request_headers_ms", "http.connection.request_body_ms")),
            "wait": Total(("http.connection.response_headers_ms",)),
            "download": Total(("http.connection.response_body_ms",)),
        },
    ),
)
assert all(set(s.rules) <= set(PHASE_NAMES) for s in SOURCES)


def _apply(rule: Rule, recorded: Recorded) -> int | None:
    if isinstance(rule, Total):
        found = [recorded.durations[n] for n in rule.names if n in recorded.durations]
        return sum(found) if found else None
    start = next((recorded.instants[n] for n in rule.start if n in recorded.instants), None)
    end = next((recorded.instants[n] for n in rule.end if n in recorded.instants), None)
    return None if start is None or end is None else end - start


def phases_from(source: PhaseSource, span: StoredSpan, record: NetworkTimingLog | None) -> Phases | None:
    """The phases ``source`` finds for ``span``; None when it found none."""
    recorded = source.read(span, record)
    if not recorded.instants and not recorded.durations:
        return None
    instants = {**recorded.instants, SPAN_START: span.start_time_unix_nano, SPAN_END: span.end_time_unix_nano}
    full = Recorded(instants, recorded.durations)
    values: dict[str, int] = {}
    for phase, rule in source.rules.items():
        value = _apply(rule, full)
        if value is not None and 0 <= value <= span.duration_ns:
            values[phase] = value
    if not values:
        return None
    return Phases(
        source=source.name,
        stall_ns=values.get("stall"),
        dns_ns=values.get("dns"),
        connect_ns=values.get("connect"),
        tls_ns=values.get("tls"),
        request_ns=values.get("request"),
        wait_ns=values.get("wait"),
        download_ns=values.get("download"),
        after_response_ns=values.get("after_response"),
    )


def request_phases(span: StoredSpan, record: NetworkTimingLog | None = None) -> Phases | None:
    """The contract ``phases`` of one client request span: the first source that recorded any."""
    for source in SOURCES:
        found = phases_from(source, span, record)
        if found is not None:
            return found
    return None


def timing_records_by_span(
    records: Sequence[NetworkTimingLog],
) -> dict[tuple[str, str], NetworkTimingLog]:
    """Network-timing records keyed by (trace id, span id); the first per span wins."""
    out: dict[tuple[str, str], NetworkTimingLog] = {}
    for record in sorted(records, key=lambda r: r.time_unix_nano):
        out.setdefault((record.trace_id, record.span_id), record)
    return out
