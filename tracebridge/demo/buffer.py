"""The mobile SDKs' disk buffer: ended spans and emitted log records wait on the device and go out
in one OTLP export when the app decides to upload (online, at the end of a launch or at the next
launch), through the real OTLP/HTTP exporters.

opentelemetry-android's disk buffering and opentelemetry-swift's persistence exporter work this
way: telemetry survives offline periods and process death, and arrives late.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk._logs import LogRecordProcessor, ReadableLogRecord, ReadWriteLogRecord
from opentelemetry.sdk._logs.export import LogRecordExportResult
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor
from opentelemetry.sdk.trace.export import SpanExportResult

MAX_BATCH = 512


class SpanBuffer(SpanProcessor):
    """Keeps ended spans until :meth:`upload`; :attr:`exported` counts spans the server accepted."""

    def __init__(self, exporter: OTLPSpanExporter) -> None:
        self._exporter = exporter
        self._pending: list[ReadableSpan] = []
        self._lock = threading.Lock()
        self.exported = 0
        self.failed = 0

    def on_end(self, span: ReadableSpan) -> None:
        with self._lock:
            self._pending.append(span)

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._pending)

    def upload(self) -> int:
        """Export everything buffered; spans of a failed export stay buffered. Returns spans sent."""
        with self._lock:
            batch, self._pending = self._pending, []
        sent = 0
        kept: list[ReadableSpan] = []
        for start in range(0, len(batch), MAX_BATCH):
            chunk: Sequence[ReadableSpan] = batch[start : start + MAX_BATCH]
            if self._exporter.export(chunk) == SpanExportResult.SUCCESS:
                sent += len(chunk)
            else:
                self.failed += len(chunk)
                kept.extend(chunk)  # stays on disk for the next upload
        with self._lock:
            self._pending[:0] = kept
        self.exported += sent
        return sent

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True

    def shutdown(self) -> None:
        self._exporter.shutdown()


class LogBuffer(LogRecordProcessor):
    """Keeps emitted log records (crash reports) until :meth:`upload`."""

    def __init__(self, exporter: OTLPLogExporter) -> None:
        self._exporter = exporter
        self._pending: list[ReadableLogRecord] = []
        self._lock = threading.Lock()
        self.exported = 0
        self.failed = 0

    def on_emit(self, log_record: ReadWriteLogRecord) -> None:
        readable = ReadableLogRecord(
            log_record=log_record.log_record,
            resource=log_record.resource if log_record.resource is not None else Resource({}),
            instrumentation_scope=log_record.instrumentation_scope,
            limits=log_record.limits,
        )
        with self._lock:
            self._pending.append(readable)

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._pending)

    def upload(self) -> int:
        with self._lock:
            batch, self._pending = self._pending, []
        if not batch:
            return 0
        if self._exporter.export(batch) == LogRecordExportResult.SUCCESS:
            self.exported += len(batch)
            return len(batch)
        self.failed += len(batch)
        with self._lock:
            self._pending[:0] = batch  # stays on disk for the next upload
        return 0

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True

    def shutdown(self) -> None:
        self._exporter.shutdown()
