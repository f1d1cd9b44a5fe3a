"""Dead letters: payloads the store rejected for good, kept with the error beside them.

A dead letter is two files in ``<data>/dead-letter/``: ``NAME.pb`` (the serialized
Export*ServiceRequest, exactly as it was acknowledged) and ``NAME.json`` (signal, item count,
the store's error code, name and message, attempts, time). Both are written to a temporary
name, fsync'd and renamed, the payload first, so a listed letter is always complete. Nothing
here reads the store: ``tracebridge dead-letter list`` and ``replay`` use this module.
"""

from __future__ import annotations

import itertools
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

from tracebridge.domain import Signal
from tracebridge.store.errors import StoreFault

_sequence = itertools.count()


@dataclass(frozen=True)
class DeadLetter:
    name: str
    signal: Signal
    payload_path: Path
    size: int
    items: int
    error: str
    code: int | None
    attempts: int
    time_unix: float


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


class DeadLetterStore:
    """The dead-letter folder. Safe to use from several threads and processes (one file per letter)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def put(self, signal: Signal, payload: bytes, items: int, fault: StoreFault, attempts: int) -> DeadLetter:
        self.directory.mkdir(parents=True, exist_ok=True)
        name = f"{signal.value}-{time.time_ns()}-{os.getpid()}-{next(_sequence)}"
        now = time.time()
        meta = {
            "signal": signal.value,
            "items": items,
            "code": fault.code,
            "error": fault.describe(),
            "attempts": attempts,
            "time_unix": now,
        }
        _write_atomic(self.directory / f"{name}.pb", payload)
        _write_atomic(self.directory / f"{name}.json", json.dumps(meta, indent=1).encode())
        fd = os.open(self.directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        return self._letter(self.directory / f"{name}.pb")

    def _letter(self, payload_path: Path) -> DeadLetter:
        name = payload_path.stem
        meta: dict[str, object] = {}
        meta_path = payload_path.with_suffix(".json")
        if meta_path.exists():
            try:
                meta = json.loads(meta_path.read_text())
            except (OSError, ValueError):
                meta = {}
        signal_name = str(meta.get("signal") or name.split("-", 1)[0])
        code = meta.get("code")
        return DeadLetter(
            name=name,
            signal=Signal(signal_name) if signal_name in Signal.__members__.values() else Signal.TRACES,
            payload_path=payload_path,
            size=payload_path.stat().st_size,
            items=int(str(meta.get("items", 0))),
            error=str(meta.get("error", "unknown (no .json beside the payload)")),
            code=code if isinstance(code, int) else None,
            attempts=int(str(meta.get("attempts", 0))),
            time_unix=float(str(meta.get("time_unix", payload_path.stat().st_mtime))),
        )

    def list(self) -> list[DeadLetter]:
        """Every complete letter, oldest first."""
        if not self.directory.is_dir():
            return []
        letters = []
        for path in self.directory.glob("*.pb"):
            try:
                letters.append(self._letter(path))
            except FileNotFoundError:  # removed by a concurrent replay
                continue
        return sorted(letters, key=lambda letter: (letter.time_unix, letter.name))

    def count(self) -> int:
        return sum(1 for _ in self.directory.glob("*.pb")) if self.directory.is_dir() else 0

    def read(self, letter: DeadLetter) -> bytes:
        return letter.payload_path.read_bytes()

    def remove(self, letter: DeadLetter) -> None:
        letter.payload_path.unlink(missing_ok=True)
        letter.payload_path.with_suffix(".json").unlink(missing_ok=True)
