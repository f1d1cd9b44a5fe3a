"""The running process's shared objects, and FastAPI dependencies on them as Annotated aliases."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, HTTPException, Request

from tracebridge.auth import AuthResult, check_bearer
from tracebridge.collector.limits import IntakeLimiter
from tracebridge.ingest.pipeline import IngestPipeline
from tracebridge.settings import Settings
from tracebridge.store.reader import StoreReader


@dataclass
class Runtime:
    settings: Settings
    reader: StoreReader
    pipeline: IngestPipeline
    intake: IntakeLimiter = field(init=False)

    def __post_init__(self) -> None:
        self.intake = IntakeLimiter(self.settings.intake_max_concurrent)


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


async def get_intake(runtime: RuntimeDep) -> IntakeLimiter:
    return runtime.intake


IntakeDep = Annotated[IntakeLimiter, Depends(get_intake)]


async def require_read_token(request: Request, settings: SettingsDep) -> None:
    """Router-level dependency for /api/* and pages: 401 without a token, 403 with a wrong one."""
    result = check_bearer(request.headers.get("authorization"), settings.read_token_set)
    if result is AuthResult.MISSING:
        raise HTTPException(
            401,
            "missing credentials: send Authorization: Bearer <read token>",
            {"WWW-Authenticate": "Bearer"},
        )
    if result is AuthResult.WRONG:
        raise HTTPException(403, "the read token is not valid")
