"""Units of the API's numbers (pure)."""

from __future__ import annotations


def ms(nanos: float | None) -> float | None:
    """Nanoseconds as milliseconds rounded to the microsecond (the API's unit); None stays None."""
    return None if nanos is None else round(float(nanos) / 1_000_000, 3)
