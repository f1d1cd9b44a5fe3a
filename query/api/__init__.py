"""Query API routers, one per resource; every router requires the read token."""

from tracebridge.query.api.traces import router as traces_router

routers = [traces_router]
