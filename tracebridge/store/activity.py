"""The store's background work as this node sees it: active parts and merges running.

Merges are most of the store's CPU after an ingest burst (docs/ingest.md, "Growth"): an operator
(and the ingest bench) reads them from ``GET /api/v1/stats`` to tell "stored" from "settled".
"""

from __future__ import annotations

from dataclasses import dataclass

from clickhouse_connect.driver.exceptions import Error

from tracebridge.store.client import LockedClient

SELECT_STORE_ACTIVITY = """
SELECT
    (SELECT count() FROM system.parts WHERE database = currentDatabase() AND active) AS ActiveParts,
    (SELECT count() FROM system.merges WHERE database = currentDatabase()) AS MergesRunning
"""


@dataclass(frozen=True)
class StoreActivity:
    """Active data parts of the tracebridge database on this node, and merges running now (in a
    cluster layout: this node's local tables only)."""

    active_parts: int
    merges_running: int


def store_activity(client: LockedClient) -> StoreActivity | None:
    """Read the store's activity now (two small system-table counts); None when the store does not
    answer (the caller's counters stay readable while it is down)."""
    try:
        parts, merges = client.query(SELECT_STORE_ACTIVITY).result_rows[0]
    except Error:
        return None
    return StoreActivity(active_parts=int(parts), merges_running=int(merges))
