"""HTML pages on the api port: home, trace, session and the three dashboards.

Pages need the read token: a bearer header or the sign-in page's session cookie (without either,
a 401 whose HTML body is the sign-in form; a wrong bearer token is a 403). The static files they load do
not (they hold no data). An unknown trace or session is a 404 page, a malformed id or filter a
400 page naming the problem. Every number comes from the query stage (its typed documents and
its one latency query); shaping happens in polars, drawing in plotly.js from server-built figures.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tracebridge.dashboards import explain_pages, latency_data, queries, sources
from tracebridge.dashboards.assets import router as assets_router
from tracebridge.dashboards.html import problem_page, session_href, trace_href
from tracebridge.dashboards.render_dashboards import bucket_seconds, crashes_page, latency_page, versions_page
from tracebridge.dashboards.render_home import home_page
from tracebridge.dashboards.render_trace import session_page, trace_page
from tracebridge.dashboards.signin import PageRoute, require_page_access
from tracebridge.dashboards.signin import router as signin_router
from tracebridge.domain import MAX_SESSION_ID_LENGTH
from tracebridge.query import service
from tracebridge.query.api.deps import ReaderDep
from tracebridge.query.crashes import trend
from tracebridge.query.errors import BadRequest, NotFound, QueryError
from tracebridge.query.filters import (
    LatencyFilters,
    check_mapping,
    optional_time,
    parse_latency_filters,
    query_params,
)
from tracebridge.query.ids import is_trace_id, parse_session_id, parse_trace_id
from tracebridge.query.service import StoreReader

pages = APIRouter(
    tags=["pages"],
    dependencies=[Depends(require_page_access)],
    include_in_schema=False,
    route_class=PageRoute,
)
router = APIRouter(include_in_schema=False)


def _html(body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(body, status_code=status, headers={"Cache-Control": "no-store"})


def _guarded(build: Callable[[], str]) -> HTMLResponse:
    """Render a page; a BadRequest or NotFound raised while reading becomes an HTML problem page."""
    try:
        return _html(build())
    except QueryError as error:
        title = {BadRequest.status: "Bad request", NotFound.status: "Not found"}.get(error.status, "Error")
        return _html(problem_page(title, error.detail), error.status)


def dashboard_filters(params: Mapping[str, str], allowed: tuple[str, ...]) -> LatencyFilters:
    """Validated filters (BadRequest naming unknown parameters or bad values)."""
    check_mapping(params, allowed)
    return parse_latency_filters(params, with_group_by=False)


def _params(request: Request) -> dict[str, str]:
    return {n: v for n, v in query_params(request).items() if v != ""}  # unknown names: per page


# ---------------------------------------------------------------- home and search


@pages.get("/", response_class=HTMLResponse)
def home(reader: ReaderDep, message: str = "") -> HTMLResponse:
    """Id search, recent sessions, sessions with crashes, dashboard links."""
    recent = service.search_sessions(reader, {"limit": "20"})
    crashed = service.search_sessions(reader, {"has_crash": "true", "limit": "20"})
    return _html(home_page(recent, crashed, message))


@pages.get("/search", response_model=None)
def search(reader: ReaderDep, q: str = "") -> Response:
    """Open a trace or session by id: a stored trace id wins, then a session id (both may be 32 hex)."""
    value = q.strip()
    if not value:
        return _html(problem_page("Bad request", "type a trace id or a session id"), 400)
    lowered = value.lower()
    if is_trace_id(lowered) and service.trace_exists(reader, lowered):
        return RedirectResponse(trace_href(lowered), status_code=303)
    if len(value) <= MAX_SESSION_ID_LENGTH and service.session_exists(reader, value):
        return RedirectResponse(session_href(value), status_code=303)
    return _html(problem_page("Not found", f"no trace or session with id {value!r} is stored"), 404)


# ---------------------------------------------------------------- trace and session


@pages.get("/traces/{trace_id}", response_class=HTMLResponse)
def trace(trace_id: str, reader: ReaderDep) -> HTMLResponse:
    def build() -> str:
        return trace_page(service.trace_document(reader, parse_trace_id(trace_id)))

    return _guarded(build)


@pages.get("/sessions/{session_id:path}", response_class=HTMLResponse)
def session(session_id: str, reader: ReaderDep) -> HTMLResponse:
    def build() -> str:
        document = service.session_document(reader, parse_session_id(session_id))
        return session_page(document, queries.session_screens(reader, document))

    return _guarded(build)


# ---------------------------------------------------------------- dashboards

LATENCY_PARAMS = ("since", "until", "app_version", "os_name", "network_type", "service_name", "route")
CRASH_PARAMS = ("since", "until", "app_version", "os_name")
VERSION_PARAMS = ("until", "os_name")


def build_latency(reader: StoreReader, raw: Mapping[str, str]) -> str:
    filters = dashboard_filters(raw, LATENCY_PARAMS)
    estimate = latency_data.estimate(reader, filters)
    bucket_s = bucket_seconds(filters.since or estimate.first_ns, filters.until or estimate.last_ns)
    summary = latency_data.summary(reader, filters, bucket_s * 1_000_000_000)
    extra = explain_pages.latency_extra(reader, raw, summary.groups)
    return latency_page(filters, raw, estimate, summary, bucket_s, extra)


def build_versions(reader: StoreReader, raw: Mapping[str, str]) -> str:
    check_mapping(raw, VERSION_PARAMS)
    until = optional_time(raw, "until")
    if until is None:
        last = service.last_client_activity(reader)
        until = None if last is None else min(last, time.time_ns())
    rows = [] if until is None else sources.version_health(reader, until, raw.get("os_name", ""))
    os_options = sorted({r.os_name for r in rows if r.os_name})
    return versions_page(rows, until, raw, os_options)


def build_crashes(reader: StoreReader, raw: Mapping[str, str]) -> str:
    filters = dashboard_filters(raw, CRASH_PARAMS)
    extent = trend.crash_extent(reader, filters)
    bucket_s = max(bucket_seconds(filters.since or extent[1], filters.until or extent[2], target=30), 60)
    groups = sources.crash_groups(reader, filters)
    per_bucket = queries.crash_trend(reader, filters, bucket_s * 1_000_000_000)
    versions, os_names = trend.crash_options(reader)
    options = {"app_version": versions, "os_name": os_names}
    return crashes_page(groups, per_bucket, bucket_s, raw, options, extent, filters)


@pages.get("/dashboards/latency", response_class=HTMLResponse)
def latency(request: Request, reader: ReaderDep) -> HTMLResponse:
    return _guarded(lambda: build_latency(reader, _params(request)))


@pages.get("/dashboards/versions", response_class=HTMLResponse)
def versions(request: Request, reader: ReaderDep) -> HTMLResponse:
    return _guarded(lambda: build_versions(reader, _params(request)))


@pages.get("/dashboards/crashes", response_class=HTMLResponse)
def crashes(request: Request, reader: ReaderDep) -> HTMLResponse:
    return _guarded(lambda: build_crashes(reader, _params(request)))


@pages.get("/dashboards/flags", response_class=HTMLResponse)
def flags(request: Request, reader: ReaderDep) -> HTMLResponse:
    """Issue 14: feature-flag variants and stale flags."""
    return _guarded(lambda: explain_pages.build_flags(reader, _params(request)))


router.include_router(assets_router)
router.include_router(signin_router)
router.include_router(pages)
