"""Write-ahead log: an acknowledged export survives kill -9.

Records are appended to numbered segment files and made durable by one fsync per group of
concurrent appends (group commit), before any request is answered. Record framing:
``TBW1 | length u32 | crc32 u32 | signal u8 | payload``. A torn record at the end of the last
segment (a crash in the middle of a write, never acknowledged) is detected by its length or
CRC and discarded. The checkpoint names the position up to which everything is stored in
ClickHouse; it is written atomically (temp file, fsync, rename). Replay yields every record
after the checkpoint; a record stored just before a crash may be replayed and stored twice,
which readers de-duplicate (same trace/span ids, same log record hash).
"""

from __future__ import annotations

import json
import os
import struct
import threading
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tracebridge.domain import Signal

MAGIC = b"TBW1"
HEADER = struct.Struct("<4sIIB")
SIGNAL_CODES: dict[Signal, int] = {Signal.TRACES: 1, Signal.LOGS: 2}
SIGNALS_BY_CODE = {code: signal for signal, code in SIGNAL_CODES.items()}
CHECKPOINT = "checkpoint.json"


@dataclass(frozen=True, order=True)
class Position:
    """End of a record: segment number and byte offset just past the record."""

    segment: int
    offset: int


@dataclass(frozen=True)
class WalRecord:
    signal: Signal
    payload: bytes
    position: Position


def _segment_name(number: int) -> str:
    return f"{number:010d}.wal"


class WriteAheadLog:
    """Append-only segment files plus a checkpoint. ``append`` is called from one thread
    (the group committer); ``checkpoint`` from the store writer thread."""

    def __init__(self, directory: Path, segment_bytes: int, fsync: bool = True) -> None:
        self.directory = directory
        self.segment_bytes = segment_bytes
        self.fsync = fsync
        self.directory.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        segments = self.segments()
        self._segment = segments[-1] if segments else 1
        self._file = open(self.directory / _segment_name(self._segment), "ab")  # noqa: SIM115
        self._truncate_torn_tail()

    def segments(self) -> list[int]:
        return sorted(int(p.stem) for p in self.directory.glob("*.wal") if p.stem.isdigit())

    def _truncate_torn_tail(self) -> None:
        path = self.directory / _segment_name(self._segment)
        good = 0
        for record in self._read_segment(self._segment, 0):
            good = record.position.offset
        if good != path.stat().st_size:
            self._file.truncate(good)
            self._file.seek(good)
            self._sync(self._file)

    def append(self, records: list[tuple[Signal, bytes]]) -> list[Position]:
        """Write records and make them durable with a single fsync; returns their end positions."""
        positions = []
        with self._lock:
            if self._file.tell() >= self.segment_bytes:
                self._rotate()
            for signal, payload in records:
                self._file.write(HEADER.pack(MAGIC, len(payload), zlib.crc32(payload), SIGNAL_CODES[signal]))
                self._file.write(payload)
                positions.append(Position(self._segment, self._file.tell()))
            self._file.flush()
            self._sync(self._file)
        return positions

    def _sync(self, handle: object) -> None:
        if self.fsync:
            os.fsync(handle.fileno())  # type: ignore[attr-defined]

    def _rotate(self) -> None:
        self._file.close()
        self._segment += 1
        self._file = open(self.directory / _segment_name(self._segment), "ab")  # noqa: SIM115
        self._sync_dir()

    def _sync_dir(self) -> None:
        if self.fsync:
            fd = os.open(self.directory, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)

    def _read_segment(self, number: int, start: int) -> Iterator[WalRecord]:
        path = self.directory / _segment_name(number)
        if not path.exists():
            return
        with open(path, "rb") as handle:
            handle.seek(start)
            offset = start
            while True:
                header = handle.read(HEADER.size)
                if len(header) < HEADER.size:
                    return
                magic, length, crc, code = HEADER.unpack(header)
                payload = handle.read(length)
                if (
                    magic != MAGIC
                    or len(payload) < length
                    or zlib.crc32(payload) != crc
                    or code not in SIGNALS_BY_CODE
                ):
                    return
                offset += HEADER.size + length
                yield WalRecord(SIGNALS_BY_CODE[code], payload, Position(number, offset))

    def read_payload(self, end: Position, length: int) -> bytes:
        """The payload of the record that ends at ``end`` (a spilled record, read back)."""
        with open(self.directory / _segment_name(end.segment), "rb") as handle:
            handle.seek(end.offset - length)
            payload = handle.read(length)
        if len(payload) != length:
            raise OSError(f"write-ahead log segment {end.segment} is shorter than expected")
        return payload

    def read_checkpoint(self) -> Position:
        path = self.directory / CHECKPOINT
        if not path.exists():
            return Position(0, 0)
        data = json.loads(path.read_text())
        return Position(int(data["segment"]), int(data["offset"]))

    def replay(self) -> Iterator[WalRecord]:
        """Every record after the checkpoint, in append order."""
        done = self.read_checkpoint()
        for number in self.segments():
            if number < done.segment:
                continue
            yield from self._read_segment(number, done.offset if number == done.segment else 0)

    def checkpoint(self, position: Position) -> None:
        """Record that everything up to ``position`` is stored; drop segments wholly before it."""
        path = self.directory / CHECKPOINT
        tmp = path.with_suffix(".tmp")
        with open(tmp, "w") as handle:
            json.dump({"segment": position.segment, "offset": position.offset}, handle)
            handle.flush()
            self._sync(handle)
        os.replace(tmp, path)
        self._sync_dir()
        for number in self.segments():
            if number < position.segment:
                (self.directory / _segment_name(number)).unlink(missing_ok=True)

    def close(self) -> None:
        with self._lock:
            self._file.close()
