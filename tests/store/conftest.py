"""The storage suite's store: one fixture, parametrized by mode, so every test of the suite runs
against each store tracebridge supports (like Jaeger's storage integration tests).

Modes (``STORE_MODES``): ``embedded`` (chDB through clickhouse-connect, in this process; with
``TRACEBRIDGE_TEST_CLUSTER=1`` in the cluster layout, a one-shard in-process Distributed cluster,
as tests/conftest.py sets ``TRACEBRIDGE_CLICKHOUSE_CLUSTER``) and ``server`` (a ClickHouse server at
``TRACEBRIDGE_TEST_CLICKHOUSE_URL``, skipped with a reason when unset; each run uses its own
database). To add a mode, add one function to ``STORE_MODES`` that returns the ``Settings`` to
open it with, or skips (chDB opens one data path per process: a second embedded mode needs its own
pytest run).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.store.dataset import Dataset, build_dataset
from tracebridge.domain import Signal
from tracebridge.settings import Settings
from tracebridge.store.client import LockedClient, open_client, store_layout
from tracebridge.store.migrator import migrate
from tracebridge.store.reader import StoreReader
from tracebridge.store.wire import write_schema_file
from tracebridge.store.writer import StoreWriter


def _embedded(data_dir: Path) -> Settings:
    return Settings(data_dir=data_dir)


def _server(data_dir: Path) -> Settings:
    url = os.environ.get("TRACEBRIDGE_TEST_CLICKHOUSE_URL", "")
    if not url:
        pytest.skip("set TRACEBRIDGE_TEST_CLICKHOUSE_URL=http://user:pass@host:8123 to run against a server")
    return Settings(
        data_dir=data_dir, clickhouse_url=url, database=f"tracebridge_test_{uuid.uuid4().hex[:12]}"
    )


STORE_MODES: dict[str, Callable[[Path], Settings]] = {"embedded": _embedded, "server": _server}


@dataclass
class Store:
    """An opened, migrated store loaded with the shared dataset."""

    mode: str
    settings: Settings
    client: LockedClient
    reader: StoreReader
    writer: StoreWriter
    data: Dataset


@pytest.fixture(scope="package", params=sorted(STORE_MODES))
def store(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    mode: str = request.param
    settings = STORE_MODES[mode](tmp_path_factory.mktemp(f"store-{mode}"))
    client = LockedClient(open_client(settings))
    migrate(client, store_layout(settings))
    schema = None if settings.clickhouse_url else write_schema_file(settings.data_dir.resolve() / "schemas")
    writer = StoreWriter(client, schema)
    data = build_dataset()
    writer.insert(Signal.TRACES, data.payloads)
    writer.insert(Signal.TRACES, data.payloads[:1])  # a re-sent batch changes no answer
    try:
        yield Store(mode, settings, client, StoreReader(client), writer, data)
    finally:
        if settings.clickhouse_url:
            client.command(f"DROP DATABASE IF EXISTS `{settings.database}`")
        client.close()
