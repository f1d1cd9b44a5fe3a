"""Read and ingest credentials shared by every port: bearer tokens and signed session cookies.

Bearer: missing -> 401, wrong -> 403. Session cookies (the pages' sign-in) are
``v1.<fingerprint>.<expires>.<signature>``: ``fingerprint`` is HMAC-SHA256(secret, token) cut to
16 bytes (the cookie reveals nothing about the token without the secret), ``expires`` unix
seconds, ``signature`` HMAC-SHA256(secret, everything before it). A cookie is valid while its
signature matches, it has not expired and its fingerprint is still that of an accepted token, so
removing a token from the list invalidates every cookie it signed in. Every comparison is
constant-time; credentials are never logged or echoed.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from collections.abc import Iterable
from enum import Enum

COOKIE_NAME = "tracebridge_session"
_VERSION = "v1"
_FINGERPRINT_BYTES = 16


class AuthResult(Enum):
    OK = "ok"
    MISSING = "missing"
    WRONG = "wrong"


def token_accepted(presented: str, accepted: Iterable[str]) -> bool:
    """Whether ``presented`` is one of ``accepted``; compares against every entry so that timing
    does not reveal which one matched (or how much of one)."""
    value = presented.encode()
    matched = False
    for key in accepted:
        matched |= hmac.compare_digest(value, key.encode())
    return matched


def check_bearer(authorization: str | None, accepted: frozenset[str]) -> AuthResult:
    """Check an ``Authorization`` header value against the accepted tokens (none set: open)."""
    if not accepted:
        return AuthResult.OK
    if not authorization:
        return AuthResult.MISSING
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return AuthResult.MISSING if not token.strip() else AuthResult.WRONG
    return AuthResult.OK if token_accepted(token.strip(), accepted) else AuthResult.WRONG


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes | None:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return None


class SessionSigner:
    """Issues and checks session cookies with one server secret (see the module docstring)."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) < 16:
            raise ValueError("the session secret must hold at least 16 bytes")
        self._secret = secret

    @classmethod
    def from_setting(cls, configured: str) -> SessionSigner:
        """The configured secret, else 32 random bytes for this process only (cookies then end
        when the process does)."""
        return cls(configured.encode() if configured else secrets.token_bytes(32))

    def fingerprint(self, token: str) -> bytes:
        return hmac.new(self._secret, b"token:" + token.encode(), hashlib.sha256).digest()[
            :_FINGERPRINT_BYTES
        ]

    def _sign(self, payload: str) -> str:
        return _b64(hmac.new(self._secret, payload.encode("ascii"), hashlib.sha256).digest())

    def issue(self, token: str, now: float, max_age_s: int) -> str:
        """A cookie value for a token already checked, expiring ``max_age_s`` after ``now``."""
        payload = f"{_VERSION}.{_b64(self.fingerprint(token))}.{int(now) + max_age_s}"
        return f"{payload}.{self._sign(payload)}"

    def verify(self, cookie: str, accepted: frozenset[str], now: float) -> bool:
        """Whether the cookie is genuine, unexpired and still bound to an accepted token."""
        parts = cookie.split(".")
        if len(parts) != 4 or parts[0] != _VERSION or not accepted:
            return False
        payload = ".".join(parts[:3])
        try:
            expected = self._sign(payload)
        except UnicodeEncodeError:
            return False
        if not hmac.compare_digest(expected.encode("ascii"), parts[3].encode("utf-8", "replace")):
            return False
        fingerprint = _unb64(parts[1])
        if fingerprint is None or not parts[2].isdigit() or int(parts[2]) <= now:
            return False
        matched = False
        for token in accepted:
            matched |= hmac.compare_digest(fingerprint, self.fingerprint(token))
        return matched
