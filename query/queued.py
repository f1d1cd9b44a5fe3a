"""Queued work: the messages a trace or session produced and what processing them cost (pure).

A message is a PRODUCER span. Its consumers are (both ways, one entry per consumer span):
- by span link: any span that links to the producer's (trace id, span id), the OpenTelemetry
  messaging conventions' way for a consumer or batch worker in another trace, found through
  ``tracebridge_span_links`` (migration 0010) however much later it ran;
- by trace: a CONSUMER span whose parent is the producer, or whose parent is a direct child
  of it (a "process" span between them), in the same trace.
A message nobody has processed yet is one entry with null consumer fields. Times (contract):
``queue_wait_ns`` = consumer start - producer end (two services' clocks: not corrected, may be
negative under skew); ``processing_ns`` = consumer duration; ``status_code`` the consumer span's.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tracebridge.store.rows import StoredSpan


@dataclass(frozen=True)
class ConsumerSpan:
    """A span that processed a message (from the links table or the trace's own spans)."""

    trace_id: str
    span_id: str
    name: str
    service_name: str
    start_time_unix_nano: int
    duration_ns: int
    status_code: str


@dataclass(frozen=True)
class QueuedMessage:
    producer: StoredSpan
    consumer: ConsumerSpan | None

    def to_json(self) -> dict[str, Any]:
        producer, consumer = self.producer, self.consumer
        return {
            "producer_span_id": producer.span_id,
            "producer_trace_id": producer.trace_id,
            "producer_name": producer.name,
            "producer_service_name": producer.service_name,
            "produced_time_unix_nano": producer.end_time_unix_nano,
            "consumer_trace_id": None if consumer is None else consumer.trace_id,
            "consumer_span_id": None if consumer is None else consumer.span_id,
            "consumer_name": None if consumer is None else consumer.name,
            "consumer_service_name": None if consumer is None else consumer.service_name,
            "queue_wait_ns": None
            if consumer is None
            else consumer.start_time_unix_nano - producer.end_time_unix_nano,
            "processing_ns": None if consumer is None else consumer.duration_ns,
            "status_code": None if consumer is None else consumer.status_code,
        }


def consumer_of(span: StoredSpan) -> ConsumerSpan:
    return ConsumerSpan(
        span.trace_id,
        span.span_id,
        span.name,
        span.service_name,
        span.start_time_unix_nano,
        span.duration_ns,
        span.status_code,
    )


def queued_work(
    spans: Sequence[StoredSpan], linked: Mapping[tuple[str, str], Sequence[ConsumerSpan]]
) -> list[QueuedMessage]:
    """Every PRODUCER span of ``spans`` with its consumers (``linked``: by producer trace and
    span id), in producer end order."""
    children: dict[tuple[str, str], list[StoredSpan]] = defaultdict(list)
    for span in spans:
        if span.parent_span_id:
            children[(span.trace_id, span.parent_span_id)].append(span)
    out: list[QueuedMessage] = []
    producers = sorted(
        (s for s in spans if s.kind == "producer"), key=lambda s: (s.end_time_unix_nano, s.span_id)
    )
    for producer in producers:
        key = (producer.trace_id, producer.span_id)
        found: dict[tuple[str, str], ConsumerSpan] = {}
        for consumer in linked.get(key, ()):
            found.setdefault((consumer.trace_id, consumer.span_id), consumer)
        below = children.get(key, [])
        for child in below + [g for c in below for g in children.get((c.trace_id, c.span_id), [])]:
            if child.kind == "consumer":
                found.setdefault((child.trace_id, child.span_id), consumer_of(child))
        consumers = sorted(found.values(), key=lambda c: (c.start_time_unix_nano, c.span_id))
        if consumers:
            out.extend(QueuedMessage(producer, c) for c in consumers)
        else:
            out.append(QueuedMessage(producer, None))
    return out
