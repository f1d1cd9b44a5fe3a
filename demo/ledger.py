"""What the demo generated, as its own span processors and devices saw it: the ground truth the
summary is computed from and the API answers are checked against. Thread-safe."""

from __future__ import annotations

import threading
from collections import defaultdict
from dataclasses import dataclass, field

from opentelemetry.context import Context
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor
from opentelemetry.trace import SpanKind, StatusCode


@dataclass(frozen=True)
class SpanFact:
    trace_id: str
    span_id: str
    parent_span_id: str | None
    name: str
    kind: str  # client | server | internal | producer | consumer
    side: str  # client | backend
    service: str
    session_id: str | None
    start_ns: int  # on the clock of whoever recorded it (a device clock may be minutes off)
    duration_ns: int
    error: bool
    is_http: bool  # an HTTP client request (not a database call)
    has_phases: bool = False  # network phases recorded (resource-timing events or OkHttp durations)


@dataclass(frozen=True)
class SessionFact:
    session_id: str
    os_name: str
    app_version: str
    device_model: str
    network: str
    clock_skew_ms: int


@dataclass(frozen=True)
class CrashFact:
    session_id: str
    os_name: str
    app_version: str
    exception_type: str
    trace_id: str | None
    after_failed_request: bool = False  # a bug that a backend error or a lost response set off


@dataclass
class Ledger:
    spans: dict[str, list[SpanFact]] = field(default_factory=lambda: defaultdict(list))
    sessions: dict[str, SessionFact] = field(default_factory=dict)
    crashes: list[CrashFact] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, fact: SpanFact) -> None:
        with self._lock:
            self.spans[fact.trace_id].append(fact)

    def add_session(self, fact: SessionFact) -> None:
        with self._lock:
            self.sessions[fact.session_id] = fact

    def add_crash(self, fact: CrashFact) -> None:
        with self._lock:
            self.crashes.append(fact)

    def all_spans(self) -> list[SpanFact]:
        with self._lock:
            return [fact for facts in self.spans.values() for fact in facts]


_KINDS = {
    SpanKind.CLIENT: "client",
    SpanKind.SERVER: "server",
    SpanKind.INTERNAL: "internal",
    SpanKind.PRODUCER: "producer",
    SpanKind.CONSUMER: "consumer",
}


class LedgerProcessor(SpanProcessor):
    """A span processor that writes each ended span into the ledger."""

    def __init__(self, ledger: Ledger, side: str) -> None:
        self._ledger = ledger
        self._side = side

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        return None

    def on_end(self, span: ReadableSpan) -> None:
        context = span.context
        if context is None or span.start_time is None or span.end_time is None:
            return
        parent = span.parent
        attributes = span.attributes or {}
        session = attributes.get("session.id")
        self._ledger.add(
            SpanFact(
                trace_id=f"{context.trace_id:032x}",
                span_id=f"{context.span_id:016x}",
                parent_span_id=f"{parent.span_id:016x}" if parent is not None else None,
                name=span.name,
                kind=_KINDS.get(span.kind, "unspecified"),
                side=self._side,
                service=str(span.resource.attributes.get("service.name", "")),
                session_id=str(session) if session is not None else None,
                start_ns=span.start_time,
                duration_ns=span.end_time - span.start_time,
                error=span.status.status_code == StatusCode.ERROR,
                is_http=span.kind == SpanKind.CLIENT
                and ("http.method" in attributes or "http.request.method" in attributes),
                has_phases="http.connection.response_headers_ms" in attributes
                or any(e.name == "responseStart" for e in span.events),
            )
        )

    def shutdown(self) -> None:
        return None

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True
