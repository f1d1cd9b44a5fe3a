"""The embedded store with some of ClickHouse's own system logs switched on, for the benches.

chDB writes no system log unless its config file names it; the server never does (the logs cost
memory and CPU). A bench that needs ``system.part_log``, ``system.query_log`` or
``system.query_views_log`` opens its own store through :func:`open_store_with_logs`, with the
server's engine options otherwise, so what it measures is the server's store plus the logging.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import clickhouse_connect

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tracebridge.settings import Settings  # noqa: E402
from tracebridge.store.client import LockedClient, embedded_engine_options  # noqa: E402

LOG_SECTION = (
    "    <{name}><database>system</database><table>{name}</table>"
    "<flush_interval_milliseconds>1000</flush_interval_milliseconds></{name}>\n"
)


def logs_config(logs: Sequence[str]) -> str:
    """A chDB (ClickHouse server) config file's text that turns on the named system logs."""
    return "<clickhouse>\n" + "".join(LOG_SECTION.format(name=name) for name in logs) + "</clickhouse>\n"


def open_store_with_logs(data_dir: Path, logs: Sequence[str]) -> LockedClient:
    """Open (creating) the embedded store under ``data_dir`` with ``logs`` on; not migrated."""
    settings = Settings(data_dir=data_dir)
    settings.chdb_dir.mkdir(parents=True, exist_ok=True)
    config = data_dir / "engine-logs.xml"
    config.write_text(logs_config(logs), encoding="utf-8")
    options: dict[str, str | int | float] = {**embedded_engine_options(), "config-file": str(config)}
    client = clickhouse_connect.get_client(dsn=f"chdb://{settings.chdb_dir}", chdb_options=options)
    client.command(f"CREATE DATABASE IF NOT EXISTS `{settings.database}`")
    client.database = settings.database
    return LockedClient(client)
