"""Liveness and readiness, as the contract defines them (no credentials, no data revealed).

``GET /healthz``: 200 while the process accepts data (the write-ahead log takes it even when the
store is down), 503 while starting or stopping. ``GET /readyz``: the same body; 503 when a
backlog exists and the store has accepted nothing for ``ready_stall_seconds`` (60 s), or when the
process does not accept data. Body: ``status``, ``store`` (``ok|unreachable``), ``writer``
(``running|retrying|stopped``), ``backlog_items`` (acknowledged export requests not yet
stored), ``backlog_bytes``, ``oldest_unstored_age_s``, ``dead_letters``, ``last_error`` (the
store's error while retrying, else null).
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from tracebridge.runtime import RuntimeDep

router = APIRouter(include_in_schema=False)


def _report(runtime: RuntimeDep) -> tuple[dict[str, object], bool, bool]:
    """(body, live, ready)."""
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


@router.get("/healthz")
def healthz(runtime: RuntimeDep) -> JSONResponse:
    body, live, _ = _report(runtime)
    return JSONResponse(body, status_code=200 if live else 503)


@router.get("/readyz")
def readyz(runtime: RuntimeDep) -> JSONResponse:
    body, _, ready = _report(runtime)
    return JSONResponse(body, status_code=200 if ready else 503)
