"""Bearer-token checks shared by every port: missing -> 401, wrong -> 403, compared in constant time.
Credentials are never logged or echoed."""

from __future__ import annotations

import hmac
from enum import Enum


class AuthResult(Enum):
    OK = "ok"
    MISSING = "missing"
    WRONG = "wrong"


def check_bearer(authorization: str | None, accepted: frozenset[str]) -> AuthResult:
    """Check an ``Authorization`` header value against the accepted tokens (none set: open)."""
    if not accepted:
        return AuthResult.OK
    if not authorization:
        return AuthResult.MISSING
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return AuthResult.MISSING if not token.strip() else AuthResult.WRONG
    presented = token.strip().encode()
    # compare against every key so that timing does not reveal which one matched
    matched = False
    for key in accepted:
        matched |= hmac.compare_digest(presented, key.encode())
    return AuthResult.OK if matched else AuthResult.WRONG
