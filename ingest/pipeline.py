"""The ingest pipeline: a bounded queue between the receivers and the store, with one writer.

``submit`` is called by the receivers (any thread). It refuses at once when the queue holds
more than ``queue_max_bytes`` (Overloaded: the client retries later), otherwise hands the
payload to the group committer, which appends it to the write-ahead log with one fsync per
group and only then resolves the returned future: a resolved future means durable, and the
receiver may answer 200. The single writer thread takes durable payloads in log order, batches
them by count, size and time, inserts them into ClickHouse and moves the log's checkpoint.

Ownership: a payload belongs to the pipeline from ``submit`` on; the receiver keeps nothing.
Store outages are retried forever (nothing acknowledged is dropped); a payload the store
rejects as data (never expected after validation) is moved to ``dead-letter/`` and counted.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import deque
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path

from clickhouse_connect.driver.exceptions import DatabaseError, OperationalError

from tracebridge.domain import Signal
from tracebridge.ingest.errors import Overloaded, Unavailable
from tracebridge.ingest.wal import Position, WriteAheadLog
from tracebridge.settings import Settings
from tracebridge.store.writer import StoreWriter

log = logging.getLogger("tracebridge.ingest")


@dataclass
class Counters:
    """Monotonic counters, exposed on /api/v1/stats and in the logs."""

    requests: int = 0
    items_accepted: int = 0
    items_rejected: int = 0
    refused_overloaded: int = 0
    items_stored: int = 0
    inserts: int = 0
    insert_retries: int = 0
    dead_lettered: int = 0
    replayed: int = 0

    def snapshot(self) -> dict[str, int]:
        return dict(self.__dict__)


@dataclass
class _Pending:
    signal: Signal
    payload: bytes
    items: int
    done: Future[None] = field(default_factory=Future)


@dataclass
class _Durable:
    signal: Signal
    payload: bytes
    items: int
    position: Position


class IngestPipeline:
    def __init__(self, settings: Settings, writer: StoreWriter, wal: WriteAheadLog) -> None:
        self.settings = settings
        self.writer = writer
        self.wal = wal
        self.counters = Counters()
        self._lock = threading.Lock()
        self._queued_bytes = 0
        self._accepting = False
        self._to_commit: queue.Queue[_Pending | None] = queue.Queue()
        self._durable: deque[_Durable] = deque()
        self._durable_ready = threading.Condition(self._lock)
        self._stop_writer = False
        self._committer = threading.Thread(target=self._commit_loop, name="tracebridge-wal", daemon=True)
        self._writer_thread = threading.Thread(
            target=self._write_loop, name="tracebridge-writer", daemon=True
        )

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> int:
        """Queue what the log holds past its checkpoint, then start the threads.
        Returns the number of replayed records."""
        replayed = 0
        for record in self.wal.replay():
            self._durable.append(_Durable(record.signal, record.payload, 1, record.position))
            self._queued_bytes += len(record.payload)
            replayed += 1
        self.counters.replayed = replayed
        self._committer.start()
        self._writer_thread.start()
        self._accepting = True
        return replayed

    def stop(self, timeout: float = 30.0) -> None:
        """Refuse new requests, make pending ones durable, store everything, then return."""
        self._accepting = False
        self._to_commit.put(None)
        self._committer.join(timeout)
        with self._lock:
            self._stop_writer = True
            self._durable_ready.notify_all()
        self._writer_thread.join(timeout)
        self.wal.close()

    @property
    def queued_bytes(self) -> int:
        return self._queued_bytes

    # -- receivers' side -------------------------------------------------------------------

    def submit(self, signal: Signal, payload: bytes, items: int) -> Future[None]:
        """Hand a validated, serialized request to the pipeline. The future resolves once the
        payload is durable; it fails with Unavailable if it cannot be made durable."""
        if not self._accepting:
            raise Unavailable(
                "tracebridge is not accepting data right now (starting or stopping)", retry_after=2
            )
        with self._lock:
            if self._queued_bytes + len(payload) > self.settings.queue_max_bytes and self._queued_bytes > 0:
                self.counters.refused_overloaded += 1
                raise Overloaded(
                    f"ingest queue is full ({self._queued_bytes} bytes waiting for the store)", retry_after=2
                )
            self._queued_bytes += len(payload)
            self.counters.requests += 1
        pending = _Pending(signal, payload, items)
        self._to_commit.put(pending)
        return pending.done

    # -- group commit ----------------------------------------------------------------------

    def _commit_loop(self) -> None:
        while True:
            first = self._to_commit.get()
            group = [first]
            while True:
                try:
                    group.append(self._to_commit.get_nowait())
                except queue.Empty:
                    break
            stop = any(p is None for p in group)
            pendings = [p for p in group if p is not None]
            if pendings:
                self._commit(pendings)
            if stop:
                return

    def _commit(self, pendings: list[_Pending]) -> None:
        try:
            positions = self.wal.append([(p.signal, p.payload) for p in pendings])
        except Exception as exc:
            log.exception("write-ahead log append failed")
            with self._lock:
                for p in pendings:
                    self._queued_bytes -= len(p.payload)
            for p in pendings:
                p.done.set_exception(Unavailable(f"cannot make data durable: {exc}", retry_after=5))
            return
        with self._lock:
            for p, position in zip(pendings, positions, strict=True):
                self._durable.append(_Durable(p.signal, p.payload, p.items, position))
                self.counters.items_accepted += p.items
            self._durable_ready.notify_all()
        for p in pendings:
            p.done.set_result(None)

    # -- the single store writer -----------------------------------------------------------

    def _next_batch(self) -> list[_Durable]:
        s = self.settings
        deadline = None
        with self._lock:
            while True:
                if self._durable:
                    items = sum(d.items for d in self._durable)
                    size = sum(len(d.payload) for d in self._durable)
                    if deadline is None:
                        deadline = time.monotonic() + s.batch_max_wait_ms / 1000
                    full = items >= s.batch_max_items or size >= s.batch_max_bytes
                    if full or self._stop_writer or time.monotonic() >= deadline:
                        break
                    self._durable_ready.wait(max(0.0, deadline - time.monotonic()))
                elif self._stop_writer:
                    return []
                else:
                    self._durable_ready.wait(0.5)
            batch: list[_Durable] = []
            items = size = 0
            while self._durable and (not batch or (items < s.batch_max_items and size < s.batch_max_bytes)):
                d = self._durable.popleft()
                batch.append(d)
                items += d.items
                size += len(d.payload)
            return batch

    def _write_loop(self) -> None:
        while True:
            batch = self._next_batch()
            if not batch:
                return
            self._store(batch)
            with self._lock:
                self._queued_bytes -= sum(len(d.payload) for d in batch)
            self.counters.items_stored += sum(d.items for d in batch)
            try:
                self.wal.checkpoint(batch[-1].position)
            except Exception:
                log.exception("checkpoint failed; the batch may be replayed (and de-duplicated) at restart")

    def _store(self, batch: list[_Durable]) -> None:
        for signal in Signal:
            payloads = [d.payload for d in batch if d.signal is signal]
            if payloads:
                self._insert_until_stored(signal, payloads)

    def _insert_until_stored(self, signal: Signal, payloads: list[bytes]) -> None:
        delay = 0.2
        while True:
            try:
                self.writer.insert(signal, payloads)
                self.counters.inserts += 1
                return
            except OperationalError as exc:
                self.counters.insert_retries += 1
                log.warning("store unavailable (%s); retrying in %.1fs", exc, delay)
            except DatabaseError as exc:
                if len(payloads) == 1:
                    self._dead_letter(signal, payloads[0], exc)
                    return
                middle = len(payloads) // 2
                self._insert_until_stored(signal, payloads[:middle])
                self._insert_until_stored(signal, payloads[middle:])
                return
            time.sleep(delay)
            delay = min(delay * 2, 10.0)

    def _dead_letter(self, signal: Signal, payload: bytes, exc: Exception) -> None:
        self.counters.dead_lettered += 1
        directory: Path = self.settings.data_dir.resolve() / "dead-letter"
        directory.mkdir(parents=True, exist_ok=True)
        name = f"{signal.value}-{time.time_ns()}.pb"
        (directory / name).write_bytes(payload)
        log.error("store refused a %s payload (%s); kept as dead-letter/%s", signal.value, exc, name)
