"""The two HTTP applications: the OTLP receiver app and the query/pages app."""

from __future__ import annotations

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict

from tracebridge import __version__
from tracebridge.collector.http import router as otlp_router
from tracebridge.dashboards.pages import router as pages_router
from tracebridge.query.api import errors as query_errors
from tracebridge.query.api import routers as query_routers
from tracebridge.query.api.deps import require_read_token
from tracebridge.query.api.jaeger import router as jaeger_router
from tracebridge.runtime import Runtime


class IngestStats(BaseModel):
    """GET /api/v1/stats: the ingest pipeline's counters since start (more may be added)."""

    model_config = ConfigDict(extra="allow")

    requests: int
    items_accepted: int
    items_rejected: int
    refused_overloaded: int
    items_stored: int
    inserts: int
    insert_retries: int
    dead_lettered: int
    replayed: int
    queued_bytes: int


def _provide(app: FastAPI, runtime: Runtime) -> None:
    """What the stages' dependencies read from ``app.state``."""
    app.state.runtime = runtime
    app.state.settings = runtime.settings
    app.state.pipeline = runtime.pipeline
    app.state.reader = runtime.reader
    app.state.read_tokens = runtime.settings.read_token_set
    app.state.signer = runtime.signer
    app.state.signin_failures = runtime.signin_failures


def create_otlp_app(runtime: Runtime) -> FastAPI:
    app = FastAPI(
        title="tracebridge OTLP receiver",
        version=__version__,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    _provide(app, runtime)
    app.include_router(otlp_router)
    return app


async def _bad_request(request: Request, exc: Exception) -> JSONResponse:
    """Invalid query parameters are a 400 that names them (the contract), not FastAPI's 422."""
    assert isinstance(exc, RequestValidationError)
    problems = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error.get("loc", ()) if part not in ("query", "path"))
        problems.append(f"{where}: {error.get('msg', 'invalid')}")
    return JSONResponse({"detail": "; ".join(problems) or "invalid request"}, status_code=400)


def create_api_app(runtime: Runtime) -> FastAPI:
    app = FastAPI(title="tracebridge", version=__version__)
    _provide(app, runtime)
    app.add_exception_handler(RequestValidationError, _bad_request)
    query_errors.install(app)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> JSONResponse:
        if runtime.reader.ping():
            return JSONResponse({"status": "ok"})
        return JSONResponse({"status": "unavailable"}, status_code=503)

    @app.get("/api/v1/stats", dependencies=[Depends(require_read_token)], response_model=IngestStats)
    def stats() -> IngestStats:
        """Ingest counters since start (accepted, rejected, refused when overloaded, stored,
        insert retries, dead-lettered, replayed at start) and bytes waiting for the store."""
        pipeline = runtime.pipeline
        return IngestStats.model_validate(
            {**pipeline.counters.snapshot(), "queued_bytes": pipeline.queued_bytes}
        )

    for router in query_routers:
        app.include_router(router)
    app.include_router(jaeger_router)  # /jaeger/api/*: Jaeger's query API for Grafana and the Jaeger UI
    app.include_router(pages_router)
    return app
