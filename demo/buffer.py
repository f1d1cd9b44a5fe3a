"""The mobile SDKs' disk buffer: ended spans and emitted log records wait on the device and go out
in one OTLP export when the app decides to upload (online, at the end of a launch or at the next
launch), through the real OTLP/HTTP exporters.

opentelemetry-android's disk buffering and opentelemetry-swift's persistence exporter work this
way: telemetry survives offline periods and process death, and arrives late.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk._logs import LogRecordProcessor, ReadableLogRecord, ReadWriteLogRecord
from opentelemetry.sdk._logs.export import LogRecordExportResult
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor
from opentelemetry.sdk.trace.export import SpanExportResult

MAX_BATCH = 512

Item = TypeVar("Item")


class _DiskBuffer(Generic[Item]):
    """Items wait here until :meth:`upload`; an export that fails leaves its items for the next one."""

    def __init__(self, export: Callable[[Sequence[Item]], bool]) -> None:
        self._export = export
        self._pending: list[Item] = []
        self._lock = threading.Lock()

    def add(self, item: Item) -> None:
        with self._lock:
            self._pending.append(item)

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._pending)

    def upload(self) -> None:
        """Export everything buffered, ``MAX_BATCH`` items per request."""
        with self._lock:
            batch, self._pending = self._pending, []
        kept: list[Item] = []
        for start in range(0, len(batch), MAX_BATCH):
            chunk = batch[start : start + MAX_BATCH]
            if not self._export(chunk):
                kept.extend(chunk)  # stays on disk for the next upload
        with self._lock:
            self._pending[:0] = kept


class SpanBuffer(SpanProcessor, _DiskBuffer[ReadableSpan]):
    """Keeps ended spans until :meth:`upload`."""

    def __init__(self, exporter: OTLPSpanExporter) -> None:
        _DiskBuffer.__init__(self, lambda chunk: exporter.export(chunk) == SpanExportResult.SUCCESS)
        self._exporter = exporter

    def on_end(self, span: ReadableSpan) -> None:
        self.add(span)

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True

    def shutdown(self) -> None:
        self._exporter.shutdown()  # type: ignore[no-untyped-call]  # the exporter leaves it unannotated


class LogBuffer(LogRecordProcessor, _DiskBuffer[ReadableLogRecord]):
    """Keeps emitted log records (crash reports) until :meth:`upload`."""

    def __init__(self, exporter: OTLPLogExporter) -> None:
        _DiskBuffer.__init__(self, lambda chunk: exporter.export(chunk) == LogRecordExportResult.SUCCESS)
        self._exporter = exporter

    def on_emit(self, log_record: ReadWriteLogRecord) -> None:
        self.add(
            ReadableLogRecord(
                log_record=log_record.log_record,
                resource=log_record.resource if log_record.resource is not None else Resource({}),
                instrumentation_scope=log_record.instrumentation_scope,
                limits=log_record.limits,
            )
        )

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True

    def shutdown(self) -> None:
        self._exporter.shutdown()  # type: ignore[no-untyped-call]  # the exporter leaves it unannotated
