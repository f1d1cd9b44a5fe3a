"""The two HTTP applications: the OTLP receiver app and the query/pages app."""

from __future__ import annotations

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from tracebridge import __version__
from tracebridge.collector.http import router as otlp_router
from tracebridge.health import router as health_router
from tracebridge.runtime import Runtime, require_read_token


def create_otlp_app(runtime: Runtime) -> FastAPI:
    app = FastAPI(
        title="tracebridge OTLP receiver",
        version=__version__,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.runtime = runtime
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
    from tracebridge.dashboards.pages import router as pages_router
    from tracebridge.query.api import routers as query_routers

    app = FastAPI(title="tracebridge", version=__version__)
    app.state.runtime = runtime
    app.add_exception_handler(RequestValidationError, _bad_request)

    app.include_router(health_router)

    @app.get("/api/v1/stats", dependencies=[Depends(require_read_token)])
    def stats() -> dict[str, object]:
        """Ingest counters since start (docs/ingest.md lists them), bytes waiting for the store
        and the dead letters on disk."""
        pipeline = runtime.pipeline
        return {
            **pipeline.counters.snapshot(),
            "queued_bytes": pipeline.queued_bytes,
            "dead_letters": pipeline.dead_letters.count(),
        }

    for router in query_routers:
        app.include_router(router)
    app.include_router(pages_router)
    return app
