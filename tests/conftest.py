"""Shared fixtures: live ``tracebridge serve`` processes on loopback, and an HTTP client for them.

Every server is a real subprocess with its own data directory and ports picked by the OS
(port 0), so tests never collide and a test can kill -9 its server. No test opens chDB in the
pytest process itself except through ``store_client`` (one path per process is chDB's rule).

Store modes, chosen by the environment of the pytest run (every server and helper subprocess
inherits them):
- default: each server's embedded chDB store, plain tables;
- ``TRACEBRIDGE_TEST_CLUSTER=1``: the cluster layout on a one-shard in-process chDB cluster
  (local tables, Distributed tables, views per shard);
- ``TRACEBRIDGE_TEST_CLICKHOUSE_URL`` (+ ``TRACEBRIDGE_TEST_CLICKHOUSE_CLUSTER``): a real
  ClickHouse server or cluster, one database per server data directory.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

_LINE = re.compile(r"^(otlp-http|otlp-grpc|api): (.+)$")

TEST_CLUSTER_NAME = "tracebridge_test"
TEST_CLICKHOUSE_URL = os.environ.get("TRACEBRIDGE_TEST_CLICKHOUSE_URL", "")
if os.environ.get("TRACEBRIDGE_TEST_CLUSTER") == "1":
    os.environ.setdefault("TRACEBRIDGE_CLICKHOUSE_CLUSTER", TEST_CLUSTER_NAME)
if os.environ.get("TRACEBRIDGE_TEST_CLICKHOUSE_CLUSTER"):
    os.environ["TRACEBRIDGE_CLICKHOUSE_CLUSTER"] = os.environ["TRACEBRIDGE_TEST_CLICKHOUSE_CLUSTER"]


def store_env(data_dir: Path) -> dict[str, str]:
    """Environment that points a process at the test store of ``data_dir``: nothing for the
    embedded store; with a real server, a database of its own named after the data directory (so
    a restart on the same directory finds its data)."""
    if not TEST_CLICKHOUSE_URL:
        return {}
    digest = hashlib.sha1(str(data_dir.resolve()).encode()).hexdigest()[:16]
    return {"TRACEBRIDGE_CLICKHOUSE_URL": TEST_CLICKHOUSE_URL, "TRACEBRIDGE_DATABASE": f"tbtest_{digest}"}


@dataclass
class LiveServer:
    process: subprocess.Popen[str]
    data_dir: Path
    otlp_http: str
    otlp_grpc: str
    api: str
    env: dict[str, str] = field(default_factory=dict)
    output: list[str] = field(default_factory=list)

    def post(
        self,
        path: str,
        body: bytes,
        content_type: str = "application/x-protobuf",
        gzip_body: bool = False,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        all_headers = {"Content-Type": content_type, **(headers or {})}
        if gzip_body:
            body = gzip.compress(body)
            all_headers["Content-Encoding"] = "gzip"
        return httpx.post(self.otlp_http + path, content=body, headers=all_headers, timeout=60)

    def get(self, path: str, headers: dict[str, str] | None = None, **params: Any) -> httpx.Response:
        return httpx.get(self.api + path, params=params or None, headers=headers, timeout=60)

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 30.0) -> None:
        """Poll until data written through the pipeline is queryable (batches flush within ~0.2 s)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            time.sleep(0.1)
        raise AssertionError("condition not met within timeout")

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(30)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.kill()


def start_server(
    data_dir: Path,
    env: dict[str, str] | None = None,
    extra_args: list[str] | None = None,
    timeout: float = 120.0,
) -> LiveServer:
    """Start ``tracebridge serve`` on free ports and wait for its three port lines."""
    full_env = {**os.environ, **store_env(data_dir), **(env or {})}
    command = [
        sys.executable,
        "-m",
        "tracebridge.cli",
        "serve",
        "--data-dir",
        str(data_dir),
        "--host",
        "127.0.0.1",
        "--otlp-http-port",
        "0",
        "--otlp-grpc-port",
        "0",
        "--api-port",
        "0",
        *(extra_args or []),
    ]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=full_env
    )
    found: dict[str, str] = {}
    output: list[str] = []
    deadline = time.monotonic() + timeout
    assert process.stdout is not None
    while len(found) < 3:
        if time.monotonic() > deadline or process.poll() is not None:
            process.kill()
            raise RuntimeError("tracebridge serve did not start:\n" + "".join(output))
        line = process.stdout.readline()
        output.append(line)
        match = _LINE.match(line.strip())
        if match:
            found[match.group(1)] = match.group(2)
    server = LiveServer(
        process, data_dir, found["otlp-http"], found["otlp-grpc"], found["api"], env or {}, output
    )
    _drain(process, output)
    return server


def _drain(process: subprocess.Popen[str], output: list[str]) -> None:
    """Keep reading the server's output (into ``output``, so tests can inspect its log)."""
    import threading

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            output.append(line)

    threading.Thread(target=pump, daemon=True).start()


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One live server shared by the read-mostly tests of a run (tests use their own random ids)."""
    live = start_server(tmp_path_factory.mktemp("shared-server"))
    yield live
    live.stop()


@pytest.fixture
def server_factory(tmp_path: Path) -> Iterator[Callable[..., LiveServer]]:
    """Start servers private to one test (auth settings, restarts, kill -9)."""
    started: list[LiveServer] = []

    def factory(
        env: dict[str, str] | None = None, data_dir: Path | None = None, extra_args: list[str] | None = None
    ) -> LiveServer:
        live = start_server(data_dir or tmp_path / f"server-{len(started)}", env, extra_args)
        started.append(live)
        return live

    yield factory
    for live in started:
        live.stop()
