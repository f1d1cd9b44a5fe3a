"""One process per data directory: an exclusive ``flock`` on ``<data>/tracebridge.lock``.

The write-ahead log, the dead letters and (embedded mode) chDB's files may be used by one
process at a time. ``tracebridge serve`` holds the lock while it runs; ``tracebridge dead-letter
replay`` takes it too, so it cannot run beside a server on the same directory. The kernel drops
the lock when the process dies (kill -9 included), so a crash never leaves it stale.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import IO


class DataDirInUse(RuntimeError):
    """Another live process holds the data directory."""


class DataDirLock:
    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir.resolve() / "tracebridge.lock"
        self._handle: IO[str] | None = None

    def acquire(self) -> None:
        """Take the lock or raise DataDirInUse naming the holder's pid."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+")  # noqa: SIM115 - held for the life of the process
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "?"
            handle.close()
            raise DataDirInUse(
                f"the data directory {self.path.parent} is in use by another tracebridge process "
                f"(pid {holder}); a data directory can be open in one tracebridge process at a time"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self._handle = handle

    def release(self) -> None:
        if self._handle is not None:
            fcntl.flock(self._handle.fileno(), fcntl.LOCK_UN)
            self._handle.close()
            self._handle = None
