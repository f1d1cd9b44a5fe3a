"""Exact percentiles in Python, by the contract's one rule (pure).

Linear interpolation between the closest ranks (Excel's PERCENTILE.INC, numpy's default
``linear``, ClickHouse's ``quantilesExactInclusive`` that the SQL aggregates use), so a number
computed here and one computed in ClickHouse over the same requests are the same number.
"""

from __future__ import annotations

import math
from collections.abc import Sequence


def percentile_inc(values: Sequence[int | float], q: float) -> float:
    """The ``q`` (0..1) percentile of a non-empty sequence."""
    if not values:
        raise ValueError("percentile of no values")
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def ms(nanos: float | None) -> float | None:
    """Nanoseconds as milliseconds rounded to the microsecond (the API's unit); None stays None."""
    return None if nanos is None else round(float(nanos) / 1_000_000, 3)
