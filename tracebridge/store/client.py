"""Open a clickhouse-connect client on chDB (embedded) or a ClickHouse server, from settings."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlparse

import clickhouse_connect
from clickhouse_connect.driver.client import Client

from tracebridge.settings import Settings

# Server settings of the embedded engine, sized for a process that shares its machine (ClickHouse's
# defaults are sized for a dedicated server: 5 GiB mark and primary-index caches). The caches fill
# lazily; these bounds cover the marks and primary keys of tens of millions of spans (docs/ingest.md).
EMBEDDED_ENGINE_OPTIONS: dict[str, int] = {
    "mark_cache_size": 128 * 1024 * 1024,
    "index_mark_cache_size": 16 * 1024 * 1024,
    "primary_index_cache_size": 64 * 1024 * 1024,
    "uncompressed_cache_size": 0,
}


def open_client(settings: Settings) -> Client:
    """A client with the tracebridge database created and selected.

    chDB allows one data path per process; every client opened by this process on the
    same path shares the engine (the first one starts it with ``EMBEDDED_ENGINE_OPTIONS``).
    """
    if settings.clickhouse_url:
        client = _server_client(settings.clickhouse_url)
    else:
        settings.chdb_dir.mkdir(parents=True, exist_ok=True)
        client = clickhouse_connect.get_client(
            dsn=f"chdb://{settings.chdb_dir}", chdb_options=EMBEDDED_ENGINE_OPTIONS
        )
    client.command(f"CREATE DATABASE IF NOT EXISTS `{settings.database}`")
    client.database = settings.database
    return client


def _server_client(url: str) -> Client:
    parsed = urlparse(url)
    kwargs: dict[str, Any] = {
        "host": parsed.hostname or "localhost",
        "port": parsed.port or (8443 if parsed.scheme == "https" else 8123),
        "secure": parsed.scheme == "https",
        "username": parsed.username or "default",
        "password": parsed.password or "",
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
