"""The write-ahead log on its own: append, replay after the checkpoint, torn tails, rotation."""

from __future__ import annotations

from pathlib import Path

from tracebridge.domain import Signal
from tracebridge.ingest.wal import WriteAheadLog


def test_replay_returns_records_after_checkpoint(tmp_path: Path) -> None:
    wal = WriteAheadLog(tmp_path, segment_bytes=1 << 20)
    positions = wal.append([(Signal.TRACES, b"one"), (Signal.LOGS, b"two"), (Signal.TRACES, b"three")])
    assert [r.payload for r in wal.replay()] == [b"one", b"two", b"three"]
    wal.checkpoint(positions[1])
    replayed = list(WriteAheadLog(tmp_path, segment_bytes=1 << 20).replay())
    assert [(r.signal, r.payload) for r in replayed] == [(Signal.TRACES, b"three")]


def test_torn_tail_is_dropped_and_appends_continue(tmp_path: Path) -> None:
    wal = WriteAheadLog(tmp_path, segment_bytes=1 << 20)
    wal.append([(Signal.TRACES, b"kept")])
    wal.close()
    segment = next(tmp_path.glob("*.wal"))
    with open(segment, "ab") as handle:
        handle.write(b"TBW1\x10\x00\x00\x00partial")  # a record cut short by a crash
    reopened = WriteAheadLog(tmp_path, segment_bytes=1 << 20)
    reopened.append([(Signal.LOGS, b"after")])
    assert [r.payload for r in reopened.replay()] == [b"kept", b"after"]


def test_corrupted_record_stops_replay_there(tmp_path: Path) -> None:
    wal = WriteAheadLog(tmp_path, segment_bytes=1 << 20)
    wal.append([(Signal.TRACES, b"good"), (Signal.TRACES, b"flipped")])
    wal.close()
    segment = next(tmp_path.glob("*.wal"))
    data = bytearray(segment.read_bytes())
    data[-1] ^= 0xFF
    segment.write_bytes(bytes(data))
    assert [r.payload for r in WriteAheadLog(tmp_path, segment_bytes=1 << 20).replay()] == [b"good"]


def test_rotation_and_cleanup(tmp_path: Path) -> None:
    wal = WriteAheadLog(tmp_path, segment_bytes=64)
    last = None
    for i in range(10):
        last = wal.append([(Signal.TRACES, bytes([i]) * 40)])[-1]
    assert len(wal.segments()) > 3
    assert last is not None
    wal.checkpoint(last)
    assert wal.segments() == [last.segment]
    assert list(wal.replay()) == []
