"""FastAPI dependencies of the query stage (its routers and the pages), on what the composition
root (``tracebridge.api``) puts in ``app.state``: ``reader`` (a StoreReader) and ``read_tokens``."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request

from tracebridge.auth import AuthResult, check_bearer
from tracebridge.store.reader import StoreReader


async def get_reader(request: Request) -> StoreReader:
    reader: StoreReader = request.app.state.reader
    return reader


ReaderDep = Annotated[StoreReader, Depends(get_reader)]


async def require_read_token(request: Request) -> None:
    """Router-level dependency for /api/* and pages: 401 without a token, 403 with a wrong one."""
    accepted: frozenset[str] = request.app.state.read_tokens
    result = check_bearer(request.headers.get("authorization"), accepted)
    if result is AuthResult.MISSING:
        raise HTTPException(
            401,
            "missing credentials: send Authorization: Bearer <read token>",
            {"WWW-Authenticate": "Bearer"},
        )
    if result is AuthResult.WRONG:
        raise HTTPException(403, "the read token is not valid")
