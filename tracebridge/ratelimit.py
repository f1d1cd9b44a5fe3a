"""A failure limiter: at most N failures per client address in a sliding window (thread-safe).

Used by the sign-in page against token guessing. Memory is bounded: addresses whose failures
have all left the window are dropped, and past ``max_addresses`` the oldest entries go first.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict, deque


class FailureLimiter:
    def __init__(self, limit: int, window_s: float = 60.0, max_addresses: int = 10_000) -> None:
        self.limit = limit
        self.window_s = window_s
        self.max_addresses = max_addresses
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def _recent(self, address: str, now: float) -> deque[float] | None:
        times = self._failures.get(address)
        if times is None:
            return None
        while times and times[0] <= now - self.window_s:
            times.popleft()
        if not times:
            del self._failures[address]
            return None
        return times

    def retry_after(self, address: str, now: float) -> int:
        """Whole seconds until ``address`` may try again; 0 when it may try now."""
        with self._lock:
            times = self._recent(address, now)
            if times is None or len(times) < self.limit:
                return 0
            return max(1, math.ceil(times[0] + self.window_s - now))

    def record_failure(self, address: str, now: float) -> None:
        with self._lock:
            times = self._recent(address, now)
            if times is None:
                times = self._failures[address] = deque()
            times.append(now)
            self._failures.move_to_end(address)
            while len(self._failures) > self.max_addresses:
                self._failures.popitem(last=False)
