"""Query API routers, one per resource; every router requires the read token."""

from tracebridge.query.api.crashes import router as crashes_router
from tracebridge.query.api.flags import router as flags_router
from tracebridge.query.api.latency import router as latency_router
from tracebridge.query.api.screens import router as screens_router
from tracebridge.query.api.sessions import router as sessions_router
from tracebridge.query.api.traces import router as traces_router
from tracebridge.query.api.versions import router as versions_router

routers = [
    traces_router,
    sessions_router,
    latency_router,
    crashes_router,
    versions_router,
    flags_router,
    screens_router,
]
