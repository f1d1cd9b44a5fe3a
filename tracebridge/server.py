"""One process: OTLP/HTTP and OTLP/gRPC receivers, the ingest pipeline, the query API and pages.

chDB can be open in one process only, so with the embedded store everything runs here. The
process opens the store, applies migrations, replays the write-ahead log, then binds its ports
and prints them. SIGINT/SIGTERM stop the receivers, then flush everything acknowledged.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
import socket
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

import uvicorn

from tracebridge.api import create_api_app, create_otlp_app
from tracebridge.collector.grpc import build_server
from tracebridge.collector.limits import http_config, raise_open_files_limit, return_big_buffers_to_the_os
from tracebridge.ingest.data_lock import DataDirInUse, DataDirLock
from tracebridge.ingest.pipeline import IngestPipeline
from tracebridge.ingest.wal import WriteAheadLog
from tracebridge.runtime import Runtime
from tracebridge.settings import Settings
from tracebridge.store.client import ClientPool, LockedClient, open_client, store_layout
from tracebridge.store.migrator import apply_retention, migrate
from tracebridge.store.reader import StoreReader
from tracebridge.store.wire import write_schema_file
from tracebridge.store.writer import StoreWriter

log = logging.getLogger("tracebridge")


@dataclass(frozen=True)
class Bindings:
    host: str
    otlp_http_port: int
    otlp_grpc_port: int
    api_port: int

    @property
    def otlp_http_url(self) -> str:
        return f"http://{_url_host(self.host)}:{self.otlp_http_port}"

    @property
    def otlp_grpc_address(self) -> str:
        return f"{_url_host(self.host)}:{self.otlp_grpc_port}"

    @property
    def api_url(self) -> str:
        return f"http://{_url_host(self.host)}:{self.api_port}"

    def lines(self) -> list[str]:
        return [
            f"otlp-http: {self.otlp_http_url}",
            f"otlp-grpc: {self.otlp_grpc_address}",
            f"api: {self.api_url}",
        ]


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


class _QuietServer(uvicorn.Server):
    """Signals are handled once for the whole process, not by each uvicorn server."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class StartupError(RuntimeError):
    """tracebridge cannot start; the message says why and what to do about it."""


def _bind(host: str, port: int, flag: str) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted sockets inherit this: without it a keep-alive client waits ~40 ms (Nagle + delayed ACK).
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host.strip("[]"), port))
    except OSError as exc:
        sock.close()
        raise StartupError(
            f"cannot listen on {_url_host(host)}:{port}: {exc.strerror or exc}. "
            f"Is another process using the port? Choose another with {flag} (0 picks a free one)."
        ) from exc
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _open_runtime_or_explain(settings: Settings, lock: DataDirLock) -> Runtime:
    try:
        lock.acquire()
    except DataDirInUse as exc:
        raise StartupError(f"{exc}: stop the other process or pass --data-dir.") from exc
    try:
        return open_runtime(settings)
    except Exception as exc:
        lock.release()
        if settings.clickhouse_url:
            where = urlsplit(settings.clickhouse_url)
            raise StartupError(
                f"cannot use the ClickHouse server at {where.hostname}:{where.port or ''}: {exc}"
            ) from exc
        raise StartupError(
            f"cannot open the embedded store at {settings.chdb_dir}: {exc}. A data directory can be "
            "open in one tracebridge process at a time: stop the other process or pass --data-dir."
        ) from exc


def open_pipeline(settings: Settings) -> IngestPipeline:
    """The store's writer client (schema migrated), the write-ahead log and the pipeline, not
    started. The caller holds the data directory's lock."""
    write_client = LockedClient(open_client(settings))
    layout = store_layout(settings)
    migrate(write_client, layout)
    apply_retention(write_client, settings.retention_days, layout)
    wal = WriteAheadLog(settings.wal_dir, settings.wal_segment_bytes, fsync=settings.durability == "fsync")
    schema_file = (
        None if settings.clickhouse_url else write_schema_file(settings.data_dir.resolve() / "format_schemas")
    )
    purge = (
        settings.store_purge_above_bytes
        if schema_file is not None and settings.store_purge_above_bytes
        else None
    )
    nice = settings.background_nice if schema_file is not None else 0
    return IngestPipeline(settings, StoreWriter(write_client, schema_file, purge, background_nice=nice), wal)


def open_runtime(settings: Settings) -> Runtime:
    """Open the store (one client for the writer, a pool for readers), migrate, start ingest.

    Start-up order: what the write-ahead log holds past its checkpoint is queued for the writer
    ahead of anything new, then the receivers open at once (they do not wait for the replay to
    reach the store). Nothing acknowledged is lost either way, and readers de-duplicate, so a
    record stored just before a crash and replayed shows once."""
    pipeline = open_pipeline(settings)
    read_client = ClientPool([open_client(settings) for _ in range(settings.read_clients)])
    replayed = pipeline.start()
    if replayed:
        log.info("replaying %d acknowledged request(s) from the write-ahead log into the store", replayed)
    return Runtime(settings=settings, reader=StoreReader(read_client), pipeline=pipeline)


class TracebridgeServer:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.runtime: Runtime | None = None
        self.bindings: Bindings | None = None
        self._servers: list[uvicorn.Server] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    async def serve(self, on_ready: Callable[[Bindings], None] | None = None) -> None:
        s = self.settings
        raise_open_files_limit()
        return_big_buffers_to_the_os()
        with contextlib.ExitStack() as on_failure:  # sockets bound so far are closed if start-up fails
            http_sock = _bind(s.host, s.otlp_http_port, "--otlp-http-port")
            on_failure.callback(http_sock.close)
            api_sock = _bind(s.host, s.api_port, "--api-port")
            on_failure.callback(api_sock.close)
            lock = DataDirLock(s.data_dir)
            self.runtime = runtime = await asyncio.to_thread(_open_runtime_or_explain, s, lock)
            on_failure.callback(lock.release)
            try:
                grpc_server, grpc_port = build_server(
                    s, runtime.pipeline, runtime.intake, _url_host(s.host), s.otlp_grpc_port
                )
            except (OSError, RuntimeError) as exc:  # grpc cannot bind the port
                await asyncio.to_thread(runtime.pipeline.stop)
                raise StartupError(
                    f"cannot listen on {_url_host(s.host)}:{s.otlp_grpc_port} for OTLP/gRPC: "
                    f"{str(exc).rstrip('.')}. Is another process using the port? "
                    "Choose another with --otlp-grpc-port (0 picks a free one)."
                ) from exc
            on_failure.pop_all()
        grpc_server.start()
        self.bindings = Bindings(s.host, http_sock.getsockname()[1], grpc_port, api_sock.getsockname()[1])
        self._servers = [
            _QuietServer(http_config(create_otlp_app(runtime), s)),
            _QuietServer(http_config(create_api_app(runtime), s)),
        ]
        self._loop = asyncio.get_running_loop()
        tasks = [
            asyncio.create_task(self._servers[0].serve(sockets=[http_sock])),
            asyncio.create_task(self._servers[1].serve(sockets=[api_sock])),
        ]
        while not all(server.started for server in self._servers):
            if any(t.done() for t in tasks):
                break
            await asyncio.sleep(0.01)
        # What start-up allocated (modules, apps, schemas: ~150k objects) lives as long as the
        # process: out of the collector's reach, a full collection no longer walks it on every
        # few lookups (~30 ms of CPU each, docs/query.md "Session lookup CPU").
        gc.freeze()
        if on_ready is not None:
            on_ready(self.bindings)
        try:
            await asyncio.gather(*tasks)
        finally:
            grpc_server.stop(grace=5).wait()
            await asyncio.to_thread(runtime.pipeline.stop)
            lock.release()

    def request_stop(self) -> None:
        for server in self._servers:
            server.should_exit = True

    def run_forever(self) -> None:
        """Serve in the foreground until SIGINT/SIGTERM; print the bound ports when ready."""

        def ready(bindings: Bindings) -> None:
            for line in bindings.lines():
                print(line, flush=True)

        async def main() -> None:
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, self.request_stop)
            await self.serve(ready)

        asyncio.run(main())

    # -- in a background thread (demo, tests, benchmarks) --------------------------------------

    def start_background(self, timeout: float = 120.0) -> Bindings:
        ready = threading.Event()
        errors: list[BaseException] = []

        def target() -> None:
            try:
                asyncio.run(self.serve(lambda _b: ready.set()))
            except BaseException as exc:
                errors.append(exc)
                ready.set()

        self._thread = threading.Thread(target=target, name="tracebridge-server", daemon=True)
        self._thread.start()
        if not ready.wait(timeout) or errors or self.bindings is None:
            if errors and isinstance(errors[0], StartupError):
                raise errors[0]  # it already says what to do
            raise RuntimeError(f"tracebridge server did not start: {errors[0] if errors else 'timeout'}")
        return self.bindings

    def stop_background(self, timeout: float = 60.0) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self.request_stop)
        if self._thread is not None:
            self._thread.join(timeout)


def configure_logging(verbose: bool = False) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
