"""A store writer that fails on script, over the real writer and real chDB, and the real pipeline.

``ScriptedWriter`` raises the exceptions clickhouse-connect raises (DatabaseError with a
ClickHouse code, OperationalError for a refused connection) when a rule says so, and otherwise
inserts for real. ``Harness`` builds the real ``IngestPipeline`` (write-ahead log, batching,
dead letters) on it, in a database of its own inside the one chDB path this pytest process
may open (chDB allows one path per process).
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import clickhouse_connect
from clickhouse_connect.driver.client import Client
from clickhouse_connect.driver.exceptions import DatabaseError, OperationalError

from tests.telemetry import BASE_TIME, MS, android_resource, backend_resource, span, traces_request
from tracebridge.domain import Signal
from tracebridge.ingest.pipeline import IngestPipeline
from tracebridge.ingest.wal import WriteAheadLog
from tracebridge.settings import Settings
from tracebridge.store.client import LockedClient
from tracebridge.store.layout import Layout
from tracebridge.store.migrator import migrate
from tracebridge.store.wire import write_schema_file
from tracebridge.store.writer import StoreWriter

_CHDB_PATH: list[Path] = []
_CHDB_LOCK = threading.Lock()


def clickhouse_error(code: int, name: str, text: str = "injected") -> DatabaseError:
    """What clickhouse-connect raises for a server or chDB error with this code."""
    return DatabaseError(f"Code: {code}. DB::Exception: {text}. ({name})", code=code, name=name)


def connection_refused() -> OperationalError:
    return OperationalError(
        "Error HTTPConnectionPool(host='clickhouse', port=8123): Max retries exceeded "
        "([Errno 111] Connection refused) executing HTTP request attempt 1 (http://clickhouse:8123)"
    )


Rule = Callable[[Signal, Sequence[bytes]], None]


class ScriptedWriter(StoreWriter):
    """Each insert runs the rules in order (a rule raises to fail it), then the real insert."""

    def __init__(self, real: StoreWriter) -> None:
        self.real = real
        self.rules: list[Rule] = []
        self.calls = 0
        self.real_inserts = 0

    def insert(self, signal: Signal, payloads: Sequence[bytes]) -> None:
        self.calls += 1
        for rule in list(self.rules):
            rule(signal, payloads)
        self.real.insert(signal, payloads)
        self.real_inserts += 1

    # -- rules ------------------------------------------------------------------------------

    def fail_for(self, seconds: float, error: Callable[[], BaseException]) -> None:
        deadline = time.monotonic() + seconds

        def rule(_signal: Signal, _payloads: Sequence[bytes]) -> None:
            if time.monotonic() < deadline:
                raise error()

        self.rules.append(rule)

    def fail_while(self, condition: Callable[[], bool], error: Callable[[], BaseException]) -> None:
        def rule(_signal: Signal, _payloads: Sequence[bytes]) -> None:
            if condition():
                raise error()

        self.rules.append(rule)

    def reject_containing(self, marker: bytes, error: Callable[[], BaseException]) -> None:
        """A poisoned payload: any insert that carries ``marker`` fails, every time."""

        def rule(_signal: Signal, payloads: Sequence[bytes]) -> None:
            if any(marker in p for p in payloads):
                raise error()

        self.rules.append(rule)

    def fail_times(self, times: int, error: Callable[[], BaseException]) -> None:
        left = [times]

        def rule(_signal: Signal, _payloads: Sequence[bytes]) -> None:
            if left[0] > 0:
                left[0] -= 1
                raise error()

        self.rules.append(rule)


def shared_chdb_path(root: Path) -> Path:
    """The one chDB path of this pytest process (the first caller's choice)."""
    with _CHDB_LOCK:
        if not _CHDB_PATH:
            _CHDB_PATH.append(root / "chdb")
        return _CHDB_PATH[0]


def open_database(chdb_path: Path, database: str) -> Client:
    client = clickhouse_connect.get_client(dsn=f"chdb://{chdb_path}")
    client.command(f"CREATE DATABASE IF NOT EXISTS `{database}`")
    client.database = database
    return client


@dataclass
class Harness:
    """The real pipeline over a scripted writer, in its own database and data directory."""

    data_dir: Path
    chdb_path: Path
    settings_overrides: dict[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.database = f"t_{uuid.uuid4().hex[:12]}"
        self.client = open_database(self.chdb_path, self.database)
        self.locked = LockedClient(self.client)
        migrate(self.locked, Layout(database=self.database))
        schema = write_schema_file(self.data_dir / "format_schemas")
        self.writer = ScriptedWriter(StoreWriter(self.locked, schema))
        defaults: dict[str, object] = {"batch_max_wait_ms": 20, "store_retry_max_seconds": 0.2}
        self.settings = Settings(
            data_dir=self.data_dir,
            database=self.database,
            **{**defaults, **self.settings_overrides},  # type: ignore[arg-type]
        )
        self.pipeline = self._pipeline()

    def _pipeline(self) -> IngestPipeline:
        wal = WriteAheadLog(self.settings.wal_dir, self.settings.wal_segment_bytes, fsync=False)
        return IngestPipeline(self.settings, self.writer, wal)

    def start(self) -> None:
        self.pipeline.start()

    def restart(self) -> int:
        """Stop the pipeline (what the store refuses stays in the log) and start a new one."""
        self.pipeline.stop(timeout=10)
        self.pipeline = self._pipeline()
        return self.pipeline.start()

    def submit(self, payload: bytes, items: int, signal: Signal = Signal.TRACES) -> None:
        self.pipeline.submit(signal, payload, items).result(timeout=10)

    def wait(self, predicate: Callable[[], bool], timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            time.sleep(0.05)
        raise AssertionError(f"condition not met within {timeout} s; status {self.pipeline.status()}")

    def idle(self) -> bool:
        status = self.pipeline.status()
        return status.backlog_items == 0 and self.pipeline.queued_bytes == 0

    def scalar(self, sql: str) -> int:
        return int(self.client.command(sql))

    def close(self) -> None:
        self.pipeline.stop(timeout=10)
        self.client.command(f"DROP DATABASE IF EXISTS `{self.database}`")
        self.client.close()


def trace_export(spans_per_trace: int = 3, session: str | None = None) -> tuple[bytes, str, int]:
    """One export: a mobile CLIENT span and backend SERVER spans below it (every derived table
    gets rows: session index, trace index, request pairs, session summary)."""
    trace_id = os.urandom(16)
    root = os.urandom(8)
    client = span(
        trace_id,
        root,
        "GET /orders/{id}",
        BASE_TIME,
        BASE_TIME + 300 * MS,
        kind="client",
        attributes={"http.request.method": "GET", "url.full": "https://api.example.com/orders/7"},
    )
    servers = [
        span(
            trace_id,
            os.urandom(8),
            f"step {i}",
            BASE_TIME + (i + 1) * MS,
            BASE_TIME + (i + 2) * MS,
            parent=root,
            kind="server",
            attributes={"http.route": "/orders/{id}", "http.response.status_code": 200},
        )
        for i in range(spans_per_trace - 1)
    ]
    request = traces_request(
        [
            (android_resource(session_id=session or f"s-{trace_id.hex()[:8]}"), [client]),
            (backend_resource(), servers),
        ]
    )
    return request.SerializeToString(), trace_id.hex(), spans_per_trace
