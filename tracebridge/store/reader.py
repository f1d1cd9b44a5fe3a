"""The store reader: named queries and typed results. Every query is parameterized.

Reads de-duplicate before merges: a span re-sent by a retry is stored twice until
ReplacingMergeTree merges, and ``LIMIT 1 BY SpanId`` (newest ingest first) keeps one.
"""

from __future__ import annotations

from typing import Any

from tracebridge.store.client import LockedClient
from tracebridge.store.rows import SPAN_COLUMNS, StoredSpan, from_span_row

SELECT_TRACES_SPANS = f"""
SELECT {SPAN_COLUMNS}
FROM otel_traces
WHERE TraceId IN {{trace_ids:Array(String)}}
ORDER BY IngestTime DESC
LIMIT 1 BY TraceId, SpanId
"""


class StoreReader:
    """Read access to the store. Thread-safe: each call takes the client's lock, or borrows one
    client of a ``ClientPool`` (the API's reader), for its duration."""

    def __init__(self, client: LockedClient) -> None:
        self.client = client

    def rows(self, sql: str, parameters: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Run a named query; rows as dicts keyed by column name."""
        return list(self.client.query(sql, parameters=parameters or {}).named_results())

    def spans_of_traces(self, trace_ids: list[str]) -> list[StoredSpan]:
        if not trace_ids:
            return []
        spans = [from_span_row(r) for r in self.rows(SELECT_TRACES_SPANS, {"trace_ids": trace_ids})]
        spans.sort(key=lambda s: (s.trace_id, s.start_time_unix_nano, s.span_id))
        return spans

    def ping(self) -> bool:
        try:
            self.client.query("SELECT 1")
            return True
        except Exception:
            return False
