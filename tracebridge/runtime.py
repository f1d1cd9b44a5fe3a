"""The running process's shared objects, and FastAPI dependencies on them as Annotated aliases."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, HTTPException, Request

from tracebridge.auth import COOKIE_NAME, AuthResult, SessionSigner, check_bearer
from tracebridge.ingest.pipeline import IngestPipeline
from tracebridge.ratelimit import FailureLimiter
from tracebridge.settings import Settings
from tracebridge.store.reader import StoreReader

SIGNIN_PATH = "/signin"


@dataclass
class Runtime:
    settings: Settings
    reader: StoreReader
    pipeline: IngestPipeline
    signer: SessionSigner = field(init=False)
    signin_failures: FailureLimiter = field(init=False)

    def __post_init__(self) -> None:
        self.signer = SessionSigner.from_setting(self.settings.signin_secret)
        self.signin_failures = FailureLimiter(self.settings.signin_failures_per_minute)


async def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


async def get_settings(runtime: RuntimeDep) -> Settings:
    return runtime.settings


async def get_reader(runtime: RuntimeDep) -> StoreReader:
    return runtime.reader


async def get_pipeline(runtime: RuntimeDep) -> IngestPipeline:
    return runtime.pipeline


SettingsDep = Annotated[Settings, Depends(get_settings)]
ReaderDep = Annotated[StoreReader, Depends(get_reader)]
PipelineDep = Annotated[IngestPipeline, Depends(get_pipeline)]


def read_access(request: Request, runtime: Runtime) -> AuthResult:
    """How a request stands against the read tokens. An ``Authorization`` header decides when
    present (the API's bearer tokens); otherwise a valid session cookie from the sign-in page is
    OK, and a missing, expired, forged or revoked one is MISSING."""
    accepted = runtime.settings.read_token_set
    if not accepted:
        return AuthResult.OK
    header = request.headers.get("authorization")
    if header:
        return check_bearer(header, accepted)
    cookie = request.cookies.get(COOKIE_NAME)
    if cookie and runtime.signer.verify(cookie, accepted, time.time()):
        request.state.signed_in = True
        return AuthResult.OK
    return AuthResult.MISSING


async def require_read_token(request: Request, runtime: RuntimeDep) -> None:
    """Router-level dependency for /api/*: 401 without a credential, 403 with a wrong one.
    Bearer tokens, or the pages' session cookie (GET-only API plus SameSite=Strict: no CSRF)."""
    result = read_access(request, runtime)
    if result is AuthResult.MISSING:
        raise HTTPException(
            401,
            "missing credentials: send Authorization: Bearer <read token>",
            {"WWW-Authenticate": "Bearer"},
        )
    if result is AuthResult.WRONG:
        raise HTTPException(403, "the read token is not valid")


async def require_page_access(request: Request, runtime: RuntimeDep) -> None:
    """Router-level dependency for the HTML pages: like ``require_read_token``, but a browser
    without a credential is sent (303) to the sign-in page, which returns it here afterwards."""
    result = read_access(request, runtime)
    if result is AuthResult.MISSING:
        here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise HTTPException(303, "sign in first", {"Location": f"{SIGNIN_PATH}?next={quote(here, safe='')}"})
    if result is AuthResult.WRONG:
        raise HTTPException(403, "the read token is not valid")
