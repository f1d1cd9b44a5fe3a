"""Background work yields the CPU to lookups: the writer's thread and the engine's merge threads run
at the configured nice value, the other threads keep theirs (real threads, real chDB engine)."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.store.conftest import Store
from tracebridge.domain import Signal
from tracebridge.store.priority import MERGE_THREAD_NAME, BackgroundPriority, lower_priority, thread_ids_named
from tracebridge.store.wire import write_schema_file
from tracebridge.store.writer import StoreWriter


def _nice(thread_id: int) -> int:
    return os.getpriority(os.PRIO_PROCESS, thread_id)


def _in_thread(work: Callable[[], int]) -> int:
    result: list[int] = []
    thread = threading.Thread(target=lambda: result.append(work()))
    thread.start()
    thread.join()
    return result[0]


def test_apply_lowers_only_the_calling_thread() -> None:
    main_before = _nice(threading.get_native_id())

    def lowered() -> int:
        BackgroundPriority(7).apply()
        return _nice(threading.get_native_id())

    assert _in_thread(lowered) == 7
    assert _nice(threading.get_native_id()) == main_before


def test_nice_zero_changes_nothing_and_a_higher_value_is_kept() -> None:
    def stays() -> int:
        BackgroundPriority(0).apply()
        return _nice(threading.get_native_id())

    assert _in_thread(stays) == _nice(threading.get_native_id())

    def kept() -> int:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 15)
        lower_priority(threading.get_native_id(), 5)  # never raises a thread's priority
        return _nice(threading.get_native_id())

    assert _in_thread(kept) == 15


def test_a_thread_that_does_not_exist_is_skipped() -> None:
    beyond_any_id = int(Path("/proc/sys/kernel/pid_max").read_text(encoding="ascii")) + 1
    assert lower_priority(beyond_any_id, 10) is False


def test_writer_lowers_itself_and_the_engine_merge_threads(store: Store) -> None:
    if store.settings.clickhouse_url:
        pytest.skip("a ClickHouse server's merges run in its own process")
    here = _nice(threading.get_native_id())
    schema = write_schema_file(store.settings.data_dir.resolve() / "schemas")
    writer = StoreWriter(store.client, schema, background_nice=9)

    def insert() -> int:
        writer.insert(Signal.TRACES, store.data.payloads[:1])  # a re-sent batch: same answers
        return _nice(threading.get_native_id())

    assert _in_thread(insert) == 9
    merge_threads = thread_ids_named(MERGE_THREAD_NAME)
    assert merge_threads, "the engine names its merge threads MergeMutate"
    assert all(_nice(thread_id) >= 9 for thread_id in merge_threads)
    assert _nice(threading.get_native_id()) == here  # this (test) thread is untouched
