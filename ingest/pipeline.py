"""The ingest pipeline: the write-ahead log between the receivers and the store, with one writer.

``submit`` is called by the receivers (any thread). It refuses at once (503, not acknowledged)
when the bytes acknowledged but not yet stored would pass ``wal_max_bytes``; otherwise it hands
the payload to the group committer, which appends it to the write-ahead log with one fsync per
group and only then resolves the returned future: a resolved future means durable, and the
receiver may answer 200. Up to ``queue_max_bytes`` of that backlog is also kept in memory; past
it payloads are read back from the log when the writer needs them, so a long outage costs disk,
not memory.

The single writer thread takes durable payloads in log order, batches them by count, size and
time, inserts them and only then moves the log's checkpoint. Store errors are classified once
(``tracebridge.store.errors``): transient faults are retried with capped exponential backoff for
as long as they last, never dropped; a batch the store rejects as data is split until the
payload at fault is alone, and only a payload that fails alone ``dead_letter_attempts`` times
with the same data error is set aside (``ingest/dead_letter.py``), with its error. Any other
exception is logged with its traceback and the writer carries on after a pause: it cannot die,
and the batch it held is retried, not lost.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import deque
from concurrent.futures import Future
from dataclasses import dataclass, field

from tracebridge.domain import Signal
from tracebridge.ingest.dead_letter import DeadLetterStore
from tracebridge.ingest.errors import Unavailable
from tracebridge.ingest.wal import Position, WriteAheadLog
from tracebridge.settings import Settings
from tracebridge.store.errors import FaultKind, StoreFault, classify
from tracebridge.store.writer import StoreWriter

log = logging.getLogger("tracebridge.ingest")

RUNNING = "running"
RETRYING = "retrying"
STOPPED = "stopped"


@dataclass
class Counters:
    """Monotonic counters, exposed on /api/v1/stats and in the logs."""

    requests: int = 0
    items_accepted: int = 0
    items_rejected: int = 0
    refused_overloaded: int = 0
    refused_wal_full: int = 0
    aborted_uploads: int = 0
    items_stored: int = 0
    inserts: int = 0
    insert_retries: int = 0
    transient_errors: int = 0
    data_errors: int = 0
    unexpected_errors: int = 0
    dead_lettered: int = 0
    replayed: int = 0

    def snapshot(self) -> dict[str, int]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class PipelineStatus:
    """What /healthz and /readyz report about ingest."""

    writer: str
    backlog_items: int
    backlog_bytes: int
    oldest_unstored_age_s: float
    seconds_since_store_accepted: float
    last_error: str | None

    def stalled(self, after_seconds: float) -> bool:
        """A backlog exists and the store has accepted nothing for ``after_seconds``."""
        return (
            self.backlog_items > 0
            and self.seconds_since_store_accepted >= after_seconds
            and self.oldest_unstored_age_s >= after_seconds
        )


@dataclass
class _Pending:
    signal: Signal
    payload: bytes
    items: int
    done: Future[None] = field(default_factory=Future)


@dataclass
class _Durable:
    signal: Signal
    payload: bytes | None  # None: spilled, read back from the log when needed
    size: int
    items: int
    position: Position
    arrived: float
    dead_lettered: bool = False


class _Abandon(Exception):
    """Stopping while the store refuses data: what is unstored stays in the log for the next start."""


class IngestPipeline:
    def __init__(
        self,
        settings: Settings,
        writer: StoreWriter,
        wal: WriteAheadLog,
        dead_letters: DeadLetterStore | None = None,
    ) -> None:
        self.settings = settings
        self.writer = writer
        self.wal = wal
        self.dead_letters = dead_letters or DeadLetterStore(settings.dead_letter_dir)
        self.counters = Counters()
        self._lock = threading.Lock()
        self._pending_bytes = 0
        self._backlog_bytes = 0
        self._backlog_records = 0
        self._memory_bytes = 0
        self._accepting = False
        self._to_commit: queue.Queue[_Pending | None] = queue.Queue()
        self._durable: deque[_Durable] = deque()
        self._inflight: list[_Durable] = []
        self._durable_ready = threading.Condition(self._lock)
        self._stop_writer = False
        self._wake = threading.Event()
        self._state = STOPPED
        self._fault: StoreFault | None = None
        self._last_stored = time.monotonic()
        self._committer = threading.Thread(target=self._commit_loop, name="tracebridge-wal", daemon=True)
        self._writer_thread = threading.Thread(
            target=self._write_loop, name="tracebridge-writer", daemon=True
        )

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> int:
        """Queue what the log holds past its checkpoint (ahead of anything new), then start the
        threads. Returns the number of replayed records."""
        replayed = 0
        now = time.monotonic()
        for record in self.wal.replay():
            self._add_durable(record.signal, record.payload, 1, record.position, now)
            replayed += 1
        self.counters.replayed = replayed
        self._state = RUNNING
        self._last_stored = now
        self._committer.start()
        self._writer_thread.start()
        self._accepting = True
        return replayed

    def stop(self, timeout: float = 30.0) -> None:
        """Refuse new requests, make pending ones durable, store what the store takes, return.
        Whatever the store refuses now stays in the log and is stored at the next start."""
        self._accepting = False
        self._to_commit.put(None)
        self._committer.join(timeout)
        with self._lock:
            self._stop_writer = True
            self._durable_ready.notify_all()
        self._wake.set()
        self._writer_thread.join(timeout)
        self.wal.close()

    @property
    def accepting(self) -> bool:
        return self._accepting

    @property
    def queued_bytes(self) -> int:
        """Bytes acknowledged (or being made durable) and not yet stored."""
        return self._backlog_bytes + self._pending_bytes

    def status(self) -> PipelineStatus:
        now = time.monotonic()
        with self._lock:
            oldest = self._inflight[0] if self._inflight else (self._durable[0] if self._durable else None)
            records = self._backlog_records
            backlog = self._backlog_bytes
        state = self._state if self._writer_thread.is_alive() else STOPPED
        return PipelineStatus(
            writer=state,
            backlog_items=records,
            backlog_bytes=backlog,
            oldest_unstored_age_s=round(now - oldest.arrived, 3) if oldest else 0.0,
            seconds_since_store_accepted=round(now - self._last_stored, 3),
            last_error=self._fault.describe() if self._fault and state == RETRYING else None,
        )

    # -- receivers' side -------------------------------------------------------------------

    def submit(self, signal: Signal, payload: bytes, items: int) -> Future[None]:
        """Hand a validated, serialized request to the pipeline. The future resolves once the
        payload is durable; it fails with Unavailable if it cannot be made durable."""
        if not self._accepting:
            raise Unavailable(
                "tracebridge is not accepting data right now (starting or stopping)", retry_after=2
            )
        with self._lock:
            waiting = self._backlog_bytes + self._pending_bytes
            if waiting + len(payload) > self.settings.wal_max_bytes and waiting > 0:
                self.counters.refused_wal_full += 1
                raise Unavailable(
                    f"the write-ahead log is full ({waiting} bytes acknowledged and not yet stored, "
                    f"limit {self.settings.wal_max_bytes}): the store is not keeping up; retry later",
                    retry_after=10,
                )
            self._pending_bytes += len(payload)
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
                self._pending_bytes -= sum(len(p.payload) for p in pendings)
            for p in pendings:
                p.done.set_exception(Unavailable(f"cannot make data durable: {exc}", retry_after=5))
            return
        now = time.monotonic()
        with self._lock:
            for p, position in zip(pendings, positions, strict=True):
                self._pending_bytes -= len(p.payload)
                self._add_durable(p.signal, p.payload, p.items, position, now)
                self.counters.items_accepted += p.items
            self._durable_ready.notify_all()
        for p in pendings:
            p.done.set_result(None)

    def _add_durable(
        self, signal: Signal, payload: bytes, items: int, position: Position, now: float
    ) -> None:
        """Queue a durable record (caller holds the lock, or the threads are not started)."""
        size = len(payload)
        keep = self._memory_bytes + size <= self.settings.queue_max_bytes
        if keep:
            self._memory_bytes += size
        self._durable.append(_Durable(signal, payload if keep else None, size, items, position, now))
        self._backlog_bytes += size
        self._backlog_records += 1

    # -- the single store writer -----------------------------------------------------------

    def _next_batch(self) -> list[_Durable]:
        s = self.settings
        deadline = None
        with self._lock:
            while True:
                if self._durable:
                    items = sum(d.items for d in self._durable)
                    size = sum(d.size for d in self._durable)
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
                size += d.size
            self._inflight = batch
            return batch

    def _write_loop(self) -> None:
        """Never exits on an error: only when stopping with nothing (storable) left."""
        while True:
            try:
                batch = self._inflight or self._next_batch()
                if not batch:
                    break
                self._store(batch)
                self._finish(batch)
            except _Abandon:
                break
            except Exception as exc:  # a bug: keep the batch, say so loudly, carry on
                self.counters.unexpected_errors += 1
                self._enter_retrying(classify(exc), exc, traceback=True)
                if not self._pause(2.0):
                    break
        self._state = STOPPED

    def _finish(self, batch: list[_Durable]) -> None:
        with self._lock:
            self._inflight = []
            for d in batch:
                self._backlog_bytes -= d.size
                self._backlog_records -= 1
                if d.payload is not None:
                    self._memory_bytes -= d.size
                    d.payload = None
        self.counters.items_stored += sum(d.items for d in batch if not d.dead_lettered)
        try:
            self.wal.checkpoint(batch[-1].position)
        except Exception:
            log.exception("checkpoint failed; the batch may be replayed (and de-duplicated) at restart")

    def _payload(self, d: _Durable) -> bytes:
        return d.payload if d.payload is not None else self.wal.read_payload(d.position, d.size)

    def _store(self, batch: list[_Durable]) -> None:
        for signal in Signal:
            group = [d for d in batch if d.signal is signal]
            if group:
                self._insert_until_settled(signal, group)

    def _insert_until_settled(self, signal: Signal, group: list[_Durable]) -> None:
        """Return once every payload of ``group`` is stored or (data errors only) dead-lettered."""
        delay = 0.2
        same_error: tuple[str, int] = ("", 0)
        while True:
            try:
                self.writer.insert(signal, [self._payload(d) for d in group])
                self.counters.inserts += 1
                self._stored()
                return
            except Exception as exc:
                fault = classify(exc)
                error = exc
            if fault.kind is FaultKind.DATA:
                self.counters.data_errors += 1
                if len(group) > 1:
                    middle = len(group) // 2
                    self._insert_until_settled(signal, group[:middle])
                    self._insert_until_settled(signal, group[middle:])
                    return
                count = same_error[1] + 1 if same_error[0] == fault.key else 1
                same_error = (fault.key, count)
                if count >= self.settings.dead_letter_attempts:
                    self._dead_letter(signal, group[0], fault, count)
                    return
                self.counters.insert_retries += 1
                if not self._pause(0.1 * count):
                    raise _Abandon
                continue
            if fault.kind is FaultKind.UNEXPECTED:
                self.counters.unexpected_errors += 1
            else:
                self.counters.transient_errors += 1
            self.counters.insert_retries += 1
            self._enter_retrying(fault, error, traceback=fault.kind is FaultKind.UNEXPECTED)
            if not self._pause(delay):
                raise _Abandon
            delay = min(delay * 2, self.settings.store_retry_max_seconds)

    def _pause(self, seconds: float) -> bool:
        """Sleep, or return False at once when stopping (unstored data stays in the log)."""
        if self._stop_writer:
            return False
        self._wake.wait(seconds)
        return not self._stop_writer

    def _enter_retrying(self, fault: StoreFault, exc: BaseException, traceback: bool) -> None:
        """Log once per state change: entering retrying, or a different error while retrying."""
        if self._state == RETRYING and self._fault is not None and self._fault.key == fault.key:
            return
        self._state = RETRYING
        self._fault = fault
        message = (
            "store refuses inserts (%s); retrying with backoff (up to %ss) until it accepts them; "
            "acknowledged data waits in the write-ahead log"
        )
        args = (fault.describe(), self.settings.store_retry_max_seconds)
        if traceback:
            log.error(message, *args, exc_info=exc)
        else:
            log.warning(message, *args)

    def _stored(self) -> None:
        self._last_stored = time.monotonic()
        if self._state == RETRYING:
            log.warning(
                "store accepts inserts again (last error: %s)", self._fault.describe() if self._fault else ""
            )
        self._state = RUNNING
        self._fault = None

    def _dead_letter(self, signal: Signal, d: _Durable, fault: StoreFault, attempts: int) -> None:
        payload = self._payload(d)
        letter = self.dead_letters.put(signal, payload, d.items, fault, attempts)
        d.dead_lettered = True
        self.counters.dead_lettered += 1
        self._stored()  # the store answers; it refuses this payload only
        log.error(
            "store rejected a %s payload %d times alone (%s); set aside as %s: "
            "fix the cause, then `tracebridge dead-letter replay`",
            signal.value,
            attempts,
            fault.describe(),
            letter.payload_path,
        )
