"""Retention counts from ingest time: old device timestamps are kept, every table gets the TTL."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from tests.conftest import LiveServer, store_env
from tests.telemetry import android_resource, new_span_id, new_trace_id, span, traces_request
from tracebridge.store.migrator import RETENTION_TABLES

# What the store says about each table's TTL, read in a separate process once the server is gone
# (a chDB path can be open in one process only).
SHOW_TTLS = """
import sys
from pathlib import Path
from tracebridge.settings import Settings
from tracebridge.store.client import open_client, store_layout
settings = Settings(data_dir=Path(sys.argv[1]))
client = open_client(settings)
for table in sys.argv[2:]:
    ddl = client.command("SHOW CREATE TABLE " + store_layout(settings).local(table))
    print(table, "TTL toDateTime(IngestTime) + toIntervalDay(1)" in str(ddl))
"""


def _ttls(data_dir: Path) -> dict[str, bool]:
    out = subprocess.run(
        [sys.executable, "-c", SHOW_TTLS, str(data_dir), *RETENTION_TABLES],
        env={**os.environ, **store_env(data_dir)},
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    return {name: flag == "True" for name, flag in (line.split() for line in out.splitlines())}


def test_retention_is_counted_from_ingest_time(
    server_factory: Callable[..., LiveServer], tmp_path: Path
) -> None:
    data_dir = tmp_path / "store"
    live = server_factory(data_dir=data_dir, extra_args=["--retention-days", "1"])
    trace_id, span_id = new_trace_id(), new_span_id()
    a_day_after_1970 = 86_400 * 1_000_000_000
    request = traces_request(
        [(android_resource(), [span(trace_id, span_id, "GET", a_day_after_1970, a_day_after_1970 + 5)])]
    )
    assert live.post("/v1/traces", request.SerializeToString()).status_code == 200
    # A device clock stuck in 1970 is far older than one day, yet the span was ingested now: kept.
    live.wait_for(lambda: live.get(f"/api/v1/traces/{trace_id.hex()}").status_code == 200)
    live.stop()
    assert _ttls(data_dir) == dict.fromkeys(RETENTION_TABLES, True)
