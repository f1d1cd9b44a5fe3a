"""Recovery against live servers: dead letters listed and replayed (idempotent, both with the
server stopped and through a running one), kill -9 under load with a retrying client, and a full
disk under the store."""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tests.conftest import LiveServer
from tests.ingest.faults import trace_export
from tests.ingest.test_durability import span_count
from tracebridge.domain import Signal
from tracebridge.ingest.dead_letter import DeadLetterStore
from tracebridge.store.errors import FaultKind, StoreFault


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tracebridge.cli", *args], capture_output=True, text=True, timeout=180
    )


def test_dead_letters_are_listed_and_replayed_once(
    server_factory: Callable[..., LiveServer], tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    letters = DeadLetterStore(data_dir / "dead-letter")
    fault = StoreFault(FaultKind.DATA, 117, "INCORRECT_DATA", "Cannot parse input")
    sent = [trace_export(3), trace_export(2)]
    for body, _trace, count in sent:
        letters.put(Signal.TRACES, body, count, fault, 3)

    listed = cli("dead-letter", "list", "--data-dir", str(data_dir))
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.count("INCORRECT_DATA") == 2 and "2 dead letter(s)" in listed.stdout

    live = server_factory(data_dir=data_dir)
    assert live.get("/healthz").json()["dead_letters"] == 2
    refused = cli("dead-letter", "replay", "--data-dir", str(data_dir))
    assert refused.returncode == 1
    assert "in use by another tracebridge process" in refused.stderr and "--endpoint" in refused.stderr
    through = cli("dead-letter", "replay", "--data-dir", str(data_dir), "--endpoint", live.otlp_http)
    assert through.returncode == 0, through.stderr
    assert "replayed 2 dead letter(s)" in through.stdout
    for _body, trace_id, count in sent:
        live.wait_for(lambda t=trace_id, c=count: span_count(live, t) == c)  # type: ignore[misc]
    assert live.get("/healthz").json()["dead_letters"] == 0
    live.stop()

    # the same payload replayed again, with the server stopped: still once
    body, trace_id, count = sent[0]
    letters.put(Signal.TRACES, body, count, fault, 3)
    offline = cli("dead-letter", "replay", "--data-dir", str(data_dir))
    assert offline.returncode == 0, offline.stderr + offline.stdout
    assert "replayed 1 dead letter(s)" in offline.stdout
    again = server_factory(data_dir=data_dir)
    assert span_count(again, trace_id) == count
    assert again.get("/healthz").json()["dead_letters"] == 0


class RetryingClient:
    """Exports like an OTel SDK: at least once, retrying the same body until it gets a 200."""

    def __init__(self) -> None:
        self.url = ""
        self.acknowledged: list[tuple[str, int]] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self.stop.is_set():
            body, trace_id, count = trace_export(random.randint(2, 4))
            while True:
                try:
                    response = httpx.post(
                        self.url + "/v1/traces",
                        content=body,
                        headers={"Content-Type": "application/x-protobuf"},
                        timeout=10,
                    )
                    if response.status_code == 200:
                        self.acknowledged.append((trace_id, count))
                        break
                except httpx.HTTPError:
                    pass
                if self.stop.is_set():
                    return
                time.sleep(0.05)


def kill_under_load(
    start: Callable[[], LiveServer], kills: int, clients: int, pause: tuple[float, float]
) -> tuple[LiveServer, list[tuple[str, int]]]:
    """Retrying clients export while the server is killed -9 ``kills`` times at random moments and
    restarted by ``start``; returns the last server and every acknowledged (trace id, span count)."""
    live = start()
    load = [RetryingClient() for _ in range(clients)]
    for client in load:
        client.url = live.otlp_http
        client.thread.start()
    for _kill in range(kills):
        time.sleep(random.uniform(*pause))
        live.kill()
        live = start()
        for client in load:
            client.url = live.otlp_http
    time.sleep(0.5)
    for client in load:
        client.stop.set()
        client.thread.join(60)
    return live, [item for client in load for item in client.acknowledged]


def test_kill_9_under_load_loses_nothing_and_duplicates_nothing(
    server_factory: Callable[..., LiveServer], tmp_path: Path
) -> None:
    data_dir = tmp_path / "kill"
    live, acknowledged = kill_under_load(lambda: server_factory(data_dir=data_dir), 2, 3, (0.5, 1.5))
    assert len(acknowledged) > 10
    for trace_id, count in acknowledged:
        live.wait_for(lambda t=trace_id, c=count: span_count(live, t) == c)  # type: ignore[misc]


def _mount_tmpfs(path: Path, size: str) -> bool:
    path.mkdir(parents=True, exist_ok=True)
    if shutil.which("mount") is None:
        return False
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True
    )
    return done.returncode == 0


def _fill(path: Path) -> Path:
    filler = path / "filler"
    with open(filler, "wb") as handle:
        try:
            while True:
                handle.write(b"\0" * (1 << 20))
                handle.flush()
        except OSError:
            pass
    return filler


def test_full_disk_under_the_store_loses_nothing(
    server_factory: Callable[..., LiveServer], tmp_path: Path
) -> None:
    data_dir = tmp_path / "full"
    store_dir = data_dir / "chdb"
    if not _mount_tmpfs(store_dir, "256m"):
        pytest.skip("cannot mount a tmpfs here (needs root or CAP_SYS_ADMIN): the disk-full test needs one")
    try:
        live = server_factory(data_dir=data_dir)
        filler = _fill(store_dir)
        sent = [trace_export(3) for _ in range(15)]
        for body, _trace, _count in sent:
            assert live.post("/v1/traces", body).status_code == 200  # the log is on another disk
        live.wait_for(lambda: live.get("/healthz").json()["writer"] == "retrying", timeout=30)
        health = live.get("/healthz").json()
        assert health["backlog_items"] > 0 and health["dead_letters"] == 0
        filler.unlink()
        for _body, trace_id, count in sent:
            live.wait_for(lambda t=trace_id, c=count: span_count(live, t) == c, timeout=60)  # type: ignore[misc]
        health = live.get("/healthz").json()
        assert health["dead_letters"] == 0 and health["writer"] == "running"
        assert not any((data_dir / "dead-letter").glob("*.pb"))
        live.stop()
    finally:
        subprocess.run(["umount", "-l", str(store_dir)], capture_output=True)
    os.sync()
