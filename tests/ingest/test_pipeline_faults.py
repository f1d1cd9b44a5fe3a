"""The real pipeline (write-ahead log, batching, dead letters) and real chDB, with a store writer
that fails on script: transient faults pass without loss or dead letters, a poisoned payload is
set aside alone, a bug does not stop the writer, and a half-applied insert is completed once.
Server mode (--clickhouse-url) differs only in the client below the writer, so the same scripts
with the errors clickhouse-connect raises for a server (connection refused, a connection lost
after the server applied the insert, Keeper, read-only replica...) cover it."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Sequence

import pytest
from clickhouse_connect.driver.exceptions import DatabaseError, OperationalError

from tests.ingest.faults import Harness, clickhouse_error, connection_refused, trace_export
from tracebridge.domain import Signal
from tracebridge.ingest.pipeline import RETRYING, RUNNING

TRACE_TABLES = (
    "otel_traces",
    "tracebridge_session_spans",
    "tracebridge_trace_index",
    "tracebridge_request_pairs",
    "tracebridge_session_summary",
)


def final_counts(h: Harness) -> dict[str, int]:
    """Rows as readers see them (after de-duplication) in every trace table."""
    return {t: h.scalar(f"SELECT count() FROM {t} FINAL") for t in TRACE_TABLES}


def exports(n: int) -> list[tuple[bytes, str, int]]:
    return [trace_export(2 + i % 3) for i in range(n)]


def submit_all(h: Harness, bodies: list[tuple[bytes, str, int]]) -> None:
    for body, _trace, count in bodies:
        h.submit(body, count)


def expected_counts(harness: Callable[..., Harness], bodies: list[tuple[bytes, str, int]]) -> dict[str, int]:
    """The same exports through a pipeline without faults: what every table must hold."""
    control = harness()
    submit_all(control, bodies)
    control.wait(control.idle)
    return final_counts(control)


def test_transient_faults_for_seconds_lose_nothing_and_log_once(
    harness: Callable[..., Harness], caplog: pytest.LogCaptureFixture
) -> None:
    bodies = exports(20)
    want = expected_counts(harness, bodies)
    h = harness()
    h.writer.fail_for(1.5, lambda: clickhouse_error(243, "NOT_ENOUGH_SPACE", "Cannot reserve 1.00 MiB"))
    with caplog.at_level(logging.INFO, logger="tracebridge.ingest"):
        submit_all(h, bodies)
        h.wait(lambda: h.pipeline.status().writer == RETRYING)
        status = h.pipeline.status()
        assert status.backlog_items > 0 and status.backlog_bytes > 0
        assert status.last_error is not None and "NOT_ENOUGH_SPACE" in status.last_error
        h.wait(h.idle)
    assert final_counts(h) == want
    assert h.pipeline.status().writer == RUNNING
    assert h.pipeline.dead_letters.count() == 0
    counters = h.pipeline.counters
    assert counters.transient_errors >= 3 and counters.dead_lettered == 0
    assert counters.items_stored == sum(c for _b, _t, c in bodies)
    messages = [r.getMessage() for r in caplog.records]
    assert sum("store refuses inserts" in m for m in messages) == 1, messages
    assert sum("accepts inserts again" in m for m in messages) == 1


SERVER_FAULTS: list[Callable[[], Exception]] = [
    connection_refused,
    lambda: clickhouse_error(209, "SOCKET_TIMEOUT"),
    lambda: clickhouse_error(210, "NETWORK_ERROR"),
    lambda: clickhouse_error(241, "MEMORY_LIMIT_EXCEEDED"),
    lambda: clickhouse_error(252, "TOO_MANY_PARTS"),
    lambda: clickhouse_error(242, "TABLE_IS_READ_ONLY"),
    lambda: clickhouse_error(999, "KEEPER_EXCEPTION"),
    lambda: clickhouse_error(202, "TOO_MANY_SIMULTANEOUS_QUERIES"),
]


def test_server_mode_transient_errors_never_dead_letter(harness: Callable[..., Harness]) -> None:
    h = harness()
    stored = 0
    for error in SERVER_FAULTS:
        h.writer.rules = []
        h.writer.fail_times(3, error)
        body, _trace, count = trace_export(3)
        h.submit(body, count)
        stored += count
        h.wait(h.idle)
        assert h.scalar("SELECT count() FROM otel_traces FINAL") == stored
    assert h.pipeline.counters.transient_errors == 3 * len(SERVER_FAULTS)
    assert h.pipeline.dead_letters.count() == 0


def test_server_restarting_mid_insert_stores_once(harness: Callable[..., Harness]) -> None:
    """The server applied the insert, then the connection dropped before the answer: retried, and
    every table still holds each row once."""
    bodies = exports(6)
    want = expected_counts(harness, bodies)
    h = harness()
    dropped = [0]

    def applied_then_lost(signal: Signal, payloads: Sequence[bytes]) -> None:
        if dropped[0] < 2:
            dropped[0] += 1
            h.writer.real.insert(signal, payloads)
            raise OperationalError(
                "Error ('Connection aborted.', RemoteDisconnected(...)) executing HTTP request"
            )

    h.writer.rules.append(applied_then_lost)
    submit_all(h, bodies)
    h.wait(h.idle)
    assert dropped[0] == 2
    assert final_counts(h) == want


def test_store_down_across_a_restart_loses_nothing(harness: Callable[..., Harness]) -> None:
    down = threading.Event()
    down.set()
    bodies = exports(8)
    want = expected_counts(harness, bodies)
    h = harness()
    h.writer.fail_while(down.is_set, connection_refused)
    submit_all(h, bodies)
    h.wait(lambda: h.pipeline.status().writer == RETRYING)
    assert h.restart() == len(bodies)  # stopping while the store is down leaves it all in the log
    down.clear()
    h.wait(h.idle)
    assert final_counts(h) == want


def test_one_poisoned_payload_is_set_aside_alone_with_its_error(harness: Callable[..., Harness]) -> None:
    good = exports(12)
    poison, poison_trace, poison_count = trace_export(3)
    want = expected_counts(harness, good)
    h = harness(batch_max_wait_ms=300)
    h.writer.reject_containing(
        bytes.fromhex(poison_trace), lambda: clickhouse_error(117, "INCORRECT_DATA", "Cannot parse input")
    )
    futures = [h.pipeline.submit(Signal.TRACES, body, count) for body, _t, count in good[:6]]
    futures.append(h.pipeline.submit(Signal.TRACES, poison, poison_count))
    futures += [h.pipeline.submit(Signal.TRACES, body, count) for body, _t, count in good[6:]]
    for future in futures:
        future.result(timeout=10)
    h.wait(h.idle)
    assert final_counts(h) == want
    letters = h.pipeline.dead_letters.list()
    assert len(letters) == 1
    letter = letters[0]
    assert h.pipeline.dead_letters.read(letter) == poison
    assert letter.code == 117 and "INCORRECT_DATA" in letter.error
    assert letter.attempts == h.settings.dead_letter_attempts
    meta = json.loads(letter.payload_path.with_suffix(".json").read_text())
    assert meta["items"] == poison_count and meta["signal"] == "traces"
    assert h.pipeline.counters.dead_lettered == 1
    assert h.pipeline.counters.items_stored == sum(c for _b, _t, c in good)


def test_a_payload_failing_once_as_data_is_not_set_aside(harness: Callable[..., Harness]) -> None:
    """A data error that does not repeat when the payload is retried alone is not deterministic."""
    h = harness()
    h.writer.fail_times(1, lambda: clickhouse_error(6, "CANNOT_PARSE_TEXT"))
    body, _trace, count = trace_export(3)
    h.submit(body, count)
    h.wait(h.idle)
    assert h.pipeline.dead_letters.count() == 0
    assert h.scalar("SELECT count() FROM otel_traces FINAL") == count


def test_an_unexpected_exception_is_logged_and_the_writer_carries_on(
    harness: Callable[..., Harness], caplog: pytest.LogCaptureFixture
) -> None:
    h = harness()
    h.writer.fail_times(2, lambda: RuntimeError("a bug in the writer"))
    body, _trace, count = trace_export(3)
    with caplog.at_level(logging.INFO, logger="tracebridge.ingest"):
        h.submit(body, count)
        h.wait(h.idle)
    assert h.scalar("SELECT count() FROM otel_traces FINAL") == count
    assert h.pipeline.status().writer == RUNNING
    assert h.pipeline.counters.unexpected_errors == 2
    assert h.pipeline.dead_letters.count() == 0
    tracebacks = [r for r in caplog.records if r.exc_info]
    assert len(tracebacks) == 1 and "a bug in the writer" in str(tracebacks[0].exc_info[1])  # type: ignore[index]


def test_an_exception_outside_the_insert_keeps_the_batch(harness: Callable[..., Harness]) -> None:
    """Reading a spilled payload back fails once (a bug or I/O error): the batch is retried."""
    h = harness(queue_max_bytes=0)  # every payload is read back from the log
    real_read = h.pipeline.wal.read_payload
    failures = [0]

    def flaky_read(end, length):  # type: ignore[no-untyped-def]
        if failures[0] == 0:
            failures[0] += 1
            raise OSError(5, "Input/output error")
        return real_read(end, length)

    h.pipeline.wal.read_payload = flaky_read  # type: ignore[method-assign]
    bodies = exports(5)
    submit_all(h, bodies)
    h.wait(h.idle)
    assert failures[0] == 1
    assert h.scalar("SELECT count() FROM otel_traces FINAL") == sum(c for _b, _t, c in bodies)


def test_insert_failing_after_some_views_ran_leaves_every_table_complete_once(
    harness: Callable[..., Harness],
) -> None:
    """A view that fails after otel_traces and some derived tables got their rows (others not):
    the retry must leave every table complete, each row once."""
    bodies = exports(5)
    want = expected_counts(harness, bodies)
    h = harness(batch_max_wait_ms=200)
    h.client.command("CREATE TABLE fault_switch (on UInt8) ENGINE = Memory")
    h.client.command("CREATE TABLE fault_sink (x UInt8) ENGINE = Null")
    h.client.command(
        "CREATE MATERIALIZED VIEW zz_fault_mv TO fault_sink AS "
        "SELECT throwIf((SELECT count() FROM fault_switch) > 0, 'injected: a view failed') AS x FROM otel_traces"
    )
    partial: list[dict[str, int]] = []

    def fail_after_views(signal: Signal, payloads: Sequence[bytes]) -> None:
        if partial:
            return
        h.client.command("INSERT INTO fault_switch VALUES (1)")
        try:
            h.writer.real.insert(signal, payloads)
        except DatabaseError:
            pass
        finally:
            h.client.command("TRUNCATE TABLE fault_switch")
        partial.append(final_counts(h))
        raise clickhouse_error(241, "MEMORY_LIMIT_EXCEEDED", "while pushing to view zz_fault_mv")

    h.writer.rules.append(fail_after_views)
    submit_all(h, bodies)
    h.wait(h.idle)
    half = partial[0]
    assert half["otel_traces"] == want["otel_traces"]  # the spans were written...
    assert any(half[t] < want[t] for t in TRACE_TABLES[1:])  # ...and some derived rows were not
    assert final_counts(h) == want


def test_spilled_backlog_is_read_back_from_the_log(harness: Callable[..., Harness]) -> None:
    h = harness(queue_max_bytes=1)
    bodies = exports(10)
    submit_all(h, bodies)
    h.wait(h.idle)
    assert h.scalar("SELECT count() FROM otel_traces FINAL") == sum(c for _b, _t, c in bodies)


def test_readiness_says_stalled_only_with_a_backlog_and_no_progress(harness: Callable[..., Harness]) -> None:
    h = harness(ready_stall_seconds=0.5)
    assert not h.pipeline.status().stalled(0.5)
    down = threading.Event()
    down.set()
    h.writer.fail_while(down.is_set, connection_refused)
    body, _trace, count = trace_export(2)
    h.submit(body, count)
    h.wait(lambda: h.pipeline.status().stalled(0.5), timeout=5)
    down.clear()
    h.wait(h.idle)
    assert not h.pipeline.status().stalled(0.5)
