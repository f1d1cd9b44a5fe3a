"""Shared domain types and the derived-fact rules of the contract (pure; every stage may import this).

Nothing here imports another tracebridge module. The rules are the contract's "Derived facts",
each defined once in Python; the store computes two of them in SQL as well (materialized views),
and ``tracebridge/store/migrations/0008_derived_facts.sql`` holds those SQL twins, which
``tests/store/test_storage_suite.py`` checks against these functions on the same rows.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Sequence
from typing import Literal


class Signal(enum.StrEnum):
    """The OTLP signals tracebridge stores."""

    TRACES = "traces"
    LOGS = "logs"


SpanKind = Literal["client", "server", "internal", "producer", "consumer", "unspecified"]
SpanSide = Literal["client", "backend"]
StatusCode = Literal["unset", "ok", "error"]

# Session ids are kept exactly as sent; this is the longest one the API, pages, terminal and
# search accept (one limit everywhere).
MAX_SESSION_ID_LENGTH = 1000


def span_in_error(status_code: str, kind: str, http_status: int) -> bool:
    """The contract's "span in error": status ``error``, or an HTTP status code (the
    ``http.response.status_code`` attribute, else ``http.status_code``; 0 when absent) >= 500,
    or a CLIENT span with an HTTP status code >= 400 (a client treats 4xx as a failure).

    SQL twin: ``tracebridge_span_in_error(StatusCode, SpanKind, HttpStatus)``."""
    return status_code == "error" or http_status >= 500 or (kind == "client" and http_status >= 400)


def attempt_order(end_time_unix_nano: int, span_id: str) -> tuple[int, str]:
    """Sort key of the server attempts of one client request: by end time, ties by span id. The
    last attempt in this order is the one that answers the request (the answer the client got).

    SQL twin: ``argMax(..., (ServerEnd, ServerSpanId))`` in ``tracebridge_request_pairs``."""
    return (end_time_unix_nano, span_id)


def exact_percentile(values: Sequence[float], q: float) -> float:
    """The q-quantile (0..1) of ``values``, linearly interpolated between the closest ranks
    (numpy's default ``linear`` method, Excel's PERCENTILE.INC, ClickHouse's
    ``quantileExactInclusive``). NaN for no values.

    SQL twin: ``quantilesExactInclusive`` in the store's latency query."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (rank - low) * (ordered[high] - ordered[low])
