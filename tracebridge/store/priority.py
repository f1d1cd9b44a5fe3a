"""Background work yields the CPU to lookups (embedded store, Linux).

In the embedded store one process runs the API's reads, the writer's inserts and the engine's
background merges. On a small machine merges of large parts can hold every core for minutes after
a burst, and a lookup then waits for CPU behind them (docs/query.md, "While data is still
arriving"). This module raises the nice value of the two kinds of background thread: the writer's
own thread (chDB runs an insert in the calling thread) and the engine's merge threads, found by
name. The threads serving the API keep the process's nice value, so the scheduler runs a lookup
first and gives the background work every cycle the lookups leave. Ingest is not slowed when
nobody reads.

Raising one's own threads' nice value needs no privilege; a thread that is gone, or a kernel that
refuses, is skipped: priorities never fail an insert.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

MERGE_THREAD_NAME = "MergeMutate"  # the name (comm) of ClickHouse's background merge threads


def thread_ids_named(name: str, process: int | str = "self") -> list[int]:
    """Kernel thread ids of a process (this one by default) whose name is ``name`` (empty where
    /proc is absent)."""
    ids = []
    try:
        tasks = list(Path(f"/proc/{process}/task").iterdir())
    except OSError:
        return []
    for task in tasks:
        try:
            if (task / "comm").read_text(encoding="ascii", errors="replace").strip() == name:
                ids.append(int(task.name))
        except (OSError, ValueError):
            continue
    return ids


def lower_priority(thread_id: int, nice: int) -> bool:
    """Raise the nice value of one thread of this process to ``nice`` (never lowers it); True if
    the thread now runs at ``nice`` or lower priority."""
    try:
        if os.getpriority(os.PRIO_PROCESS, thread_id) >= nice:
            return True
        os.setpriority(os.PRIO_PROCESS, thread_id, nice)
        return True
    except OSError:  # the thread ended, or the kernel refused
        return False


class BackgroundPriority:
    """Keeps the background threads at ``nice``: call ``apply()`` from the writer's thread after
    each insert; it acts at most once per ``interval_seconds`` (the engine may start merge threads
    at any time; two threads applying at once only repeat the same idempotent calls). ``nice`` 0
    disables it."""

    def __init__(self, nice: int, interval_seconds: float = 1.0) -> None:
        self.nice = nice
        self._interval = interval_seconds
        self._applied_at = -interval_seconds

    def apply(self) -> None:
        now = time.monotonic()
        if self.nice <= 0 or now - self._applied_at < self._interval:
            return
        self._applied_at = now
        lower_priority(threading.get_native_id(), self.nice)
        for thread_id in thread_ids_named(MERGE_THREAD_NAME):
            lower_priority(thread_id, self.nice)
