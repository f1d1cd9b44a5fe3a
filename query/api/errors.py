"""The one place where query-domain errors become HTTP answers: ``{"detail": ...}`` with the
error's status (400 BadRequest, 404 NotFound), as FastAPI's own errors look."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from tracebridge.query.errors import QueryError
from tracebridge.query.models import Problem

# The error answers every query route may give, for /openapi.json.
ERROR_RESPONSES: dict[int | str, dict[str, object]] = {
    400: {"model": Problem, "description": "a malformed id, an unknown parameter or a bad value"},
    401: {"model": Problem, "description": "no read token"},
    403: {"model": Problem, "description": "a wrong read token"},
}
NOT_FOUND: dict[int | str, dict[str, object]] = {
    404: {"model": Problem, "description": "nothing stored under that id"}
}


async def query_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, QueryError)
    return JSONResponse({"detail": exc.detail}, status_code=exc.status)


def install(app: FastAPI) -> None:
    """Map every QueryError raised by a route of ``app`` to its HTTP answer."""
    app.add_exception_handler(QueryError, query_error)
