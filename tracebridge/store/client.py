"""Open a clickhouse-connect client on chDB (embedded) or a ClickHouse server, from settings."""

from __future__ import annotations

import os
import queue
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import clickhouse_connect
from clickhouse_connect.driver.client import Client

from tracebridge.settings import Settings
from tracebridge.store.layout import Layout

# Session settings of every client in the cluster layout: an IN / JOIN subquery over a Distributed
# table inside a query over a Distributed table runs once on the initiator and is shipped to every
# shard (GLOBAL), so session-keyed reads see all shards; an insert into a Distributed table returns
# only once every shard has it (what the write-ahead log acknowledges is really stored).
CLUSTER_SETTINGS: dict[str, Any] = {"distributed_product_mode": "global", "insert_distributed_sync": 1}

# A one-shard cluster for embedded chDB: its single replica is this process's own TCP port, so
# the shard is local and Distributed tables run ClickHouse's distributed query code in-process.
_CHDB_CLUSTER_CONFIG = """<clickhouse>
    <tcp_port>{port}</tcp_port>
    <listen_host>127.0.0.1</listen_host>
    <remote_servers>
        <{cluster}>
            <shard><replica><host>127.0.0.1</host><port>{port}</port></replica></shard>
        </{cluster}>
    </remote_servers>
</clickhouse>
"""
_chdb_configs: dict[Path, Path] = {}
_chdb_configs_lock = threading.Lock()


def store_layout(settings: Settings) -> Layout:
    """The table layout the settings ask for. ON CLUSTER DDL only on a server: the embedded
    one-shard cluster refuses distributed DDL, and has a single node to create tables on."""
    return Layout(
        database=settings.database,
        cluster=settings.clickhouse_cluster,
        replicated=settings.clickhouse_replicated,
        on_cluster_ddl=bool(settings.clickhouse_url),
    )


# Server settings of the embedded engine, sized for a process that shares its machine (ClickHouse's
# defaults are sized for a dedicated server: 5 GiB mark and primary-index caches). The caches fill
# lazily; these bounds cover the marks and primary keys of tens of millions of spans (docs/ingest.md).
EMBEDDED_ENGINE_OPTIONS: dict[str, int] = {
    "mark_cache_size": 128 * 1024 * 1024,
    "index_mark_cache_size": 16 * 1024 * 1024,
    "primary_index_cache_size": 64 * 1024 * 1024,
    "uncompressed_cache_size": 0,
}

# Freed memory the engine's allocator (jemalloc) may keep for reuse before its memory worker returns
# it to the system. The engine's default is 20% of its memory limit (0.9 x RAM): gigabytes kept
# resident after an insert or a merge freed them (docs/ingest.md#memory).
ENGINE_DIRTY_PAGES_MAX_BYTES = 64 * 1024 * 1024
_ENGINE_MEMORY_LIMIT_RATIO = 0.9  # the engine's max_server_memory_usage_to_ram_ratio


def embedded_engine_options() -> dict[str, int | float]:
    """``EMBEDDED_ENGINE_OPTIONS`` and the memory worker's purge threshold, which the engine takes
    as a ratio of its memory limit (0.9 x this machine's or cgroup's memory)."""
    limit = _ENGINE_MEMORY_LIMIT_RATIO * memory_amount()
    ratio = min(0.2, ENGINE_DIRTY_PAGES_MAX_BYTES / limit) if limit > 0 else 0.2
    return {**EMBEDDED_ENGINE_OPTIONS, "memory_worker_purge_dirty_pages_threshold_ratio": ratio}


def memory_amount() -> int:
    """Bytes of memory this process may use: physical memory, or a smaller cgroup (v2) limit."""
    try:
        amount = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError):
        return 0
    try:
        limit = Path("/sys/fs/cgroup/memory.max").read_text(encoding="ascii").strip()
    except OSError:
        return amount
    return min(amount, int(limit)) if limit.isdigit() and int(limit) > 0 else amount


def open_client(settings: Settings) -> Client:
    """A client with the tracebridge database created and selected.

    chDB allows one data path per process; every client opened by this process on the
    same path shares the engine (the first one starts it with ``embedded_engine_options()`` and, in
    the cluster layout, one cluster config file).
    """
    client_settings = CLUSTER_SETTINGS if settings.clickhouse_cluster else {}
    if settings.clickhouse_url:
        client = _server_client(settings.clickhouse_url, client_settings)
    else:
        settings.chdb_dir.mkdir(parents=True, exist_ok=True)
        options: dict[str, str | int | float] = dict(embedded_engine_options())
        if settings.clickhouse_cluster:
            options["config-file"] = str(chdb_cluster_config(settings.data_dir, settings.clickhouse_cluster))
        client = clickhouse_connect.get_client(
            dsn=f"chdb://{settings.chdb_dir}", chdb_options=options, settings=client_settings
        )
    on_cluster = store_layout(settings).on_cluster()
    client.command(f"CREATE DATABASE IF NOT EXISTS `{settings.database}`{on_cluster}")
    client.database = settings.database
    return client


def chdb_cluster_config(data_dir: Path, cluster: str) -> Path:
    """Write (once per process and data dir) the one-shard cluster config on a free TCP port."""
    key = data_dir.resolve()
    with _chdb_configs_lock:
        if key not in _chdb_configs:
            path = key / "chdb-cluster.xml"
            path.write_text(_CHDB_CLUSTER_CONFIG.format(port=free_port(), cluster=cluster), encoding="utf-8")
            _chdb_configs[key] = path
        return _chdb_configs[key]


def free_port() -> int:
    """A TCP port on loopback that nothing listens on now (the OS picks it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _server_client(url: str, settings: dict[str, Any]) -> Client:
    parsed = urlparse(url)
    kwargs: dict[str, Any] = {
        "host": parsed.hostname or "localhost",
        "port": parsed.port or (8443 if parsed.scheme == "https" else 8123),
        "secure": parsed.scheme == "https",
        "username": parsed.username or "default",
        "password": parsed.password or "",
        "settings": settings,
    }
    return clickhouse_connect.get_client(**kwargs)


class LockedClient:
    """Serializes calls on one client: a clickhouse-connect client is not thread-safe."""

    def __init__(self, client: Client) -> None:
        self._client = client
        self._lock = threading.Lock()

    def query(self, sql: str, parameters: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        with self._lock:
            return self._client.query(sql, parameters=parameters, **kwargs)

    def command(self, sql: str, parameters: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        with self._lock:
            return self._client.command(sql, parameters=parameters, **kwargs)

    def raw_insert(self, table: str, data: bytes, fmt: str, settings: dict[str, Any]) -> Any:
        with self._lock:
            return self._client.raw_insert(table, insert_block=data, fmt=fmt, settings=settings)

    def close(self) -> None:
        with self._lock:
            self._client.close()


class ClientPool(LockedClient):
    """Several clients for readers, so that API requests run concurrently (ClickHouse and chDB
    both serve concurrent queries; one clickhouse-connect client serves one at a time). Each
    call borrows one client for its duration; same interface as ``LockedClient``."""

    def __init__(self, clients: list[Client]) -> None:
        if not clients:
            raise ValueError("a client pool needs at least one client")
        self._all = list(clients)
        self._idle: queue.Queue[Client] = queue.Queue()
        for client in clients:
            self._idle.put(client)

    @contextmanager
    def _borrow(self) -> Iterator[Client]:
        client = self._idle.get()
        try:
            yield client
        finally:
            self._idle.put(client)

    def query(self, sql: str, parameters: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        with self._borrow() as client:
            return client.query(sql, parameters=parameters, **kwargs)

    def command(self, sql: str, parameters: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        with self._borrow() as client:
            return client.command(sql, parameters=parameters, **kwargs)

    def raw_insert(self, table: str, data: bytes, fmt: str, settings: dict[str, Any]) -> Any:
        with self._borrow() as client:
            return client.raw_insert(table, insert_block=data, fmt=fmt, settings=settings)

    def close(self) -> None:
        for client in self._all:
            client.close()
