"""Errors of the query domain. The API maps them to HTTP in one place
(``tracebridge.query.api.errors``), the pages to problem pages, the terminal never sees them."""

from __future__ import annotations


class QueryError(Exception):
    """A question the query stage cannot answer; ``status`` is the HTTP status it maps to."""

    status = 500

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class BadRequest(QueryError):
    """A malformed id, an unknown parameter or a bad value (the message names it)."""

    status = 400


class NotFound(QueryError):
    """Nothing is stored under that id."""

    status = 404
