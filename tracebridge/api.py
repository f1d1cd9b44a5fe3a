"""The two HTTP applications: the OTLP receiver app and the query/pages app."""

from __future__ import annotations

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict

from tracebridge import __version__
from tracebridge.collector.http import router as otlp_router
from tracebridge.dashboards.pages import router as pages_router
from tracebridge.dashboards.signin import SignInRequired, signin_required
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
    store_active_parts: int | None = None
    store_merges_running: int | None = None


# Liveness and readiness, as the contract defines them (no credentials, no data revealed).
#
# ``GET /healthz``: 200 while the process accepts data (the write-ahead log takes it even when the
# store is down), 503 while starting or stopping. ``GET /readyz``: the same body; 503 when a
# backlog exists and the store has accepted nothing for ``ready_stall_seconds`` (60 s), or when the
# process does not accept data. Body: ``status``, ``store`` (``ok|unreachable``), ``writer``
# (``running|retrying|stopped``), ``backlog_items`` (acknowledged export requests not yet
# stored), ``backlog_bytes``, ``oldest_unstored_age_s``, ``dead_letters``, ``last_error`` (the
# store's error while retrying, else null).
health_router = APIRouter(include_in_schema=False)


def _report(request: Request) -> tuple[dict[str, object], bool, bool]:
    """(body, live, ready)."""
    runtime: Runtime = request.app.state.runtime
    pipeline = runtime.pipeline
    status = pipeline.status()
    live = pipeline.accepting
    stalled = status.stalled(runtime.settings.ready_stall_seconds)
    body: dict[str, object] = {
        "status": "ok" if live and not stalled else ("stalled" if live else "unavailable"),
        "store": "ok" if runtime.reader.ping() else "unreachable",
        "writer": status.writer,
        "backlog_items": status.backlog_items,
        "backlog_bytes": status.backlog_bytes,
        "oldest_unstored_age_s": status.oldest_unstored_age_s,
        "dead_letters": pipeline.dead_letters.count(),
        "last_error": status.last_error,
    }
    return body, live, live and not stalled


@health_router.get("/healthz")
def healthz(request: Request) -> JSONResponse:
    body, live, _ = _report(request)
    return JSONResponse(body, status_code=200 if live else 503)


@health_router.get("/readyz")
def readyz(request: Request) -> JSONResponse:
    body, _, ready = _report(request)
    return JSONResponse(body, status_code=200 if ready else 503)


def _provide(app: FastAPI, runtime: Runtime) -> None:
    """What the stages' dependencies read from ``app.state``."""
    app.state.runtime = runtime
    app.state.settings = runtime.settings
    app.state.pipeline = runtime.pipeline
    app.state.reader = runtime.reader
    app.state.read_tokens = runtime.settings.read_token_set
    app.state.signer = runtime.signer
    app.state.signin_failures = runtime.signin_failures
    app.state.intake = runtime.intake


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
    app.add_exception_handler(SignInRequired, signin_required)
    query_errors.install(app)

    app.include_router(health_router)

    @app.get("/api/v1/stats", dependencies=[Depends(require_read_token)], response_model=IngestStats)
    def stats() -> IngestStats:
        """Ingest counters since start (accepted, rejected, refused when overloaded, stored,
        insert retries, dead-lettered, replayed at start), bytes waiting for the store, and the
        store's active parts and running merges (null while the store does not answer)."""
        pipeline = runtime.pipeline
        activity = runtime.reader.activity()
        store = {
            "store_active_parts": activity.active_parts if activity else None,
            "store_merges_running": activity.merges_running if activity else None,
        }
        return IngestStats.model_validate(
            {
                **pipeline.counters.snapshot(),
                "queued_bytes": pipeline.queued_bytes,
                "dead_letters": pipeline.dead_letters.count(),
                **store,
            }
        )

    for router in query_routers:
        app.include_router(router)
    app.include_router(jaeger_router)  # /jaeger/api/*: Jaeger's query API for Grafana and the Jaeger UI
    app.include_router(pages_router)
    return app
