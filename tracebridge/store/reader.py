"""The store reader: runs the named, parameterized queries of the query stage.

Those queries de-duplicate before merges: a span re-sent by a retry is stored twice until
ReplacingMergeTree merges, and each read keeps one (``LIMIT 1 BY``, ``argMax``, ``FINAL``, or in
Python, newest ingest first).
"""

from __future__ import annotations

from typing import Any

from tracebridge.store.client import LockedClient


class StoreReader:
    """Read access to the store. Thread-safe: each call takes the client's lock, or borrows one
    client of a ``ClientPool`` (the API's reader), for its duration."""

    def __init__(self, client: LockedClient) -> None:
        self.client = client

    def rows(self, sql: str, parameters: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Run a named query; rows as dicts keyed by column name."""
        return list(self.client.query(sql, parameters=parameters or {}).named_results())

    def ping(self) -> bool:
        try:
            self.client.query("SELECT 1")
            return True
        except Exception:
            return False
