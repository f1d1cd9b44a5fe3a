"""FastAPI dependencies of the query stage (its routers and the pages), on what the composition
root (``tracebridge.api``) puts in ``app.state``: ``reader`` (a StoreReader), ``read_tokens`` and
``signer`` (the pages' session cookies, ``tracebridge.auth.SessionSigner``)."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import Depends, HTTPException, Request

from tracebridge.auth import COOKIE_NAME, AuthResult, SessionSigner, check_bearer
from tracebridge.store.reader import StoreReader


async def get_reader(request: Request) -> StoreReader:
    reader: StoreReader = request.app.state.reader
    return reader


ReaderDep = Annotated[StoreReader, Depends(get_reader)]


def read_access(request: Request) -> AuthResult:
    """How a request stands against the read tokens. An ``Authorization`` header decides when
    present (bearer tokens); otherwise a valid session cookie from the sign-in page is OK (and
    marks ``request.state.signed_in``), and a missing, expired, forged or revoked one is MISSING."""
    accepted: frozenset[str] = request.app.state.read_tokens
    if not accepted:
        return AuthResult.OK
    header = request.headers.get("authorization")
    if header:
        return check_bearer(header, accepted)
    cookie = request.cookies.get(COOKIE_NAME)
    signer: SessionSigner | None = getattr(request.app.state, "signer", None)
    if cookie and signer is not None and signer.verify(cookie, accepted, time.time()):
        request.state.signed_in = True
        return AuthResult.OK
    return AuthResult.MISSING


async def require_read_token(request: Request) -> None:
    """Router-level dependency for /api/* and /jaeger/api/*: 401 without a credential, 403 with a
    wrong one. Bearer tokens, or the pages' session cookie (the API only reads, and the cookie is
    SameSite=Strict: no CSRF)."""
    result = read_access(request)
    if result is AuthResult.MISSING:
        raise HTTPException(
            401,
            "missing credentials: send Authorization: Bearer <read token>",
            {"WWW-Authenticate": "Bearer"},
        )
    if result is AuthResult.WRONG:
        raise HTTPException(403, "the read token is not valid")
