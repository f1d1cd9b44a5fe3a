"""FastAPI dependencies of the OTLP/HTTP receiver, on what the composition root
(``tracebridge.api``) puts in ``app.state``: ``settings``, ``pipeline`` and ``intake``."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from tracebridge.collector.limits import IntakeLimiter
from tracebridge.ingest.pipeline import IngestPipeline
from tracebridge.settings import Settings


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_pipeline(request: Request) -> IngestPipeline:
    pipeline: IngestPipeline = request.app.state.pipeline
    return pipeline


SettingsDep = Annotated[Settings, Depends(get_settings)]
PipelineDep = Annotated[IngestPipeline, Depends(get_pipeline)]


async def get_intake(request: Request) -> IntakeLimiter:
    intake: IntakeLimiter = request.app.state.intake
    return intake


IntakeDep = Annotated[IntakeLimiter, Depends(get_intake)]
