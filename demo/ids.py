"""Seeded OpenTelemetry id generators: the same seed gives the same trace and span ids.

A device's spans are created by one thread at a time, so one seeded generator per device is
enough. A backend service handles requests on many threads at once, so its generator is
re-seeded per request from the incoming ``traceparent``: the ids of the spans a request creates
depend only on the request, not on which thread ran first.
"""

from __future__ import annotations

import random
import threading

from opentelemetry.sdk.trace.id_generator import IdGenerator


class SeededIdGenerator(IdGenerator):
    """Ids from one ``random.Random`` (never zero, as the W3C format requires)."""

    def __init__(self, seed: str) -> None:
        self._rng = random.Random(seed)

    def generate_span_id(self) -> int:
        return self._rng.getrandbits(64) or 1

    def generate_trace_id(self) -> int:
        return self._rng.getrandbits(128) or 1


class PerRequestIdGenerator(IdGenerator):
    """Ids from a thread-local generator that :meth:`reseed` sets at the start of each request."""

    def __init__(self, seed: str) -> None:
        self._seed = seed
        self._local = threading.local()

    def reseed(self, key: str) -> random.Random:
        """Seed this thread's generator from ``key`` and return it (handlers draw their choices from it)."""
        rng = random.Random(f"{self._seed}:{key}")
        self._local.rng = rng
        return rng

    def _rng(self) -> random.Random:
        rng = getattr(self._local, "rng", None)
        if rng is None:
            rng = self.reseed(f"thread-{threading.get_ident()}")
        return rng  # type: ignore[no-any-return]

    def generate_span_id(self) -> int:
        return self._rng().getrandbits(64) or 1

    def generate_trace_id(self) -> int:
        return self._rng().getrandbits(128) or 1
