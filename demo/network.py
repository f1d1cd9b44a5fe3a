"""A device's network link over real loopback HTTP: added round-trip time, bandwidth, loss,
timeouts and offline periods, as a phone on wifi, LTE, 3G or roaming sees them.

One :meth:`Link.exchange` is one attempt of one request. The request really reaches the demo
backend (unless it is lost on the way up or the phone is offline); a response lost on the way
down leaves the server span finished and the client waiting for its timeout, the classic large
client-versus-server gap.
"""

from __future__ import annotations

import http.client
import random
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from tracebridge.demo.catalog import NetworkProfile

# The apps' HTTP timeout, shortened from the SDK defaults (OkHttp 10 s, URLSession 60 s) so that the
# demo finishes in about a minute; it is still many times a round trip.
TIMEOUT_S = 2.5
NEW_CONNECTION_SHARE = 0.25  # the rest reuse a pooled keep-alive connection


@dataclass(frozen=True)
class Exchange:
    """How one attempt ended. ``status`` is 0 when no response arrived. ``phases``: (name, start s,
    end s) from the attempt's start, for the phases that happened: ``dns``, ``connect`` and ``tls``
    (inside connect) on a new connection, ``request``, ``wait`` (to the first byte), ``download``."""

    status: int
    response_bytes: int
    failure: str  # "" | "timeout" | "offline" | "connection"
    reached_server: bool
    phases: tuple[tuple[str, float, float], ...] = ()


class Link:
    """The network of one device during one launch; ``rng`` is the device's own generator."""

    def __init__(self, profile: NetworkProfile, rng: random.Random) -> None:
        self.profile = profile
        self.rng = rng
        self.offline = False

    def _one_way_s(self) -> float:
        low, high = self.profile.rtt_ms
        rtt = self.rng.uniform(low, high)
        if self.rng.random() < 0.06:  # a radio wake-up or a handover: one slow leg
            rtt *= self.rng.uniform(2.0, 4.0)
        return rtt / 2000

    def _transfer_s(self, size: int) -> float:
        return size * 8 / (self.profile.kbps * 1000)

    def _wait_until(self, started: float, seconds: float) -> None:
        remaining = started + seconds - time.monotonic()
        if remaining > 0:
            time.sleep(remaining)

    def exchange(self, method: str, url: str, headers: dict[str, str], body: bytes = b"") -> Exchange:
        """Send one attempt through the simulated link and the real loopback connection."""
        started = time.monotonic()
        timeout = TIMEOUT_S
        if self.offline:
            time.sleep(self.rng.uniform(0.002, 0.02))  # DNS fails at once without a network
            return Exchange(0, 0, "offline", False)
        phases: list[tuple[str, float, float]] = []

        def phase(name: str, began: float, seconds: float) -> None:
            time.sleep(seconds)
            phases.append((name, began - started, time.monotonic() - started))

        if self.rng.random() < NEW_CONNECTION_SHARE:  # DNS, TCP and TLS handshakes, else a pooled one
            phase("dns", time.monotonic(), self.rng.uniform(0.005, 0.06) if self.rng.random() < 0.5 else 0.0)
            connect_at = time.monotonic()
            time.sleep(self._one_way_s() * 2)
            phase("tls", time.monotonic(), self._one_way_s() * 2)
            phases.append(("connect", connect_at - started, time.monotonic() - started))
        up = self._one_way_s() + self._transfer_s(len(body) + 400)
        lost_up = self.rng.random() < self.profile.loss / 2
        lost_down = self.rng.random() < self.profile.loss / 2
        down = self._one_way_s()
        if lost_up:
            self._wait_until(started, timeout)
            return Exchange(0, 0, "timeout", False, tuple(phases))
        phase("request", time.monotonic(), up)
        waiting = time.monotonic()
        parts = urlsplit(url)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port or 80, timeout=30)
        try:
            connection.request(method, target, body=body or None, headers={**headers, "Connection": "close"})
            response = connection.getresponse()
            payload = response.read()
            status = response.status
        except OSError:
            return Exchange(0, 0, "connection", False, tuple(phases))
        finally:
            connection.close()
        if lost_down or time.monotonic() - started + down > timeout:
            self._wait_until(started, timeout)
            return Exchange(0, 0, "timeout", True, tuple(phases))
        phase("wait", waiting, down)
        phase("download", time.monotonic(), self._transfer_s(len(payload) + 300))
        return Exchange(status, len(payload), "", True, tuple(phases))
