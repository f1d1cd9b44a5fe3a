"""Sign-in for the pages when TRACEBRIDGE_READ_TOKENS is set: a browser cannot send a bearer header.

``GET /signin`` shows a form for a read token; ``POST /signin`` checks it (constant time) and sets
the session cookie (``tracebridge.auth.SessionSigner``): HttpOnly, SameSite=Strict, Path=/,
Max-Age from TRACEBRIDGE_SIGNIN_MAX_AGE_S, Secure when the request came over TLS (its scheme, or
``X-Forwarded-Proto: https`` from a proxy), then redirects (303) to ``next``, which may only be a
local path. A page asked for without a credential answers 401 (the contract's answer, with
``WWW-Authenticate: Bearer``) whose HTML body is this form, so a browser shows the sign-in right
where it is and returns to that page afterwards. Wrong tokens are limited per client address (TRACEBRIDGE_SIGNIN_FAILURES_PER_MINUTE,
then 429 with Retry-After, also for a right token). ``POST /signout`` clears the cookie. Both POSTs
refuse a cross-site ``Origin``. ``require_page_access`` guards the pages; ``PageRoute`` adds a
sign-out button to pages seen through a cookie. Reads ``settings``, ``signer`` and
``signin_failures`` from ``app.state`` (filled by ``tracebridge.api``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import parse_qs, urlsplit

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute

from tracebridge.auth import COOKIE_NAME, AuthResult, SessionSigner, token_accepted
from tracebridge.dashboards.html import Markup, esc, page
from tracebridge.query.api.deps import read_access
from tracebridge.ratelimit import FailureLimiter
from tracebridge.settings import Settings

SIGNIN_PATH = "/signin"
SIGNOUT_PATH = "/signout"
MAX_FORM_BYTES = 8192
SIGNOUT_FORM = (
    f'<form class="signout" action="{SIGNOUT_PATH}" method="post">'
    '<button type="submit" id="signout">Sign out</button></form>'
).encode()

router = APIRouter(tags=["sign-in"], include_in_schema=False)


class SignInRequired(Exception):
    """A page was asked for without a credential; ``next_path`` is where to return after sign-in."""

    def __init__(self, next_path: str) -> None:
        super().__init__("sign in first")
        self.next_path = next_path


async def require_page_access(request: Request) -> None:
    """Router-level dependency of the HTML pages: like ``require_read_token`` (401 without a
    credential, 403 with a wrong one), but the 401 carries the sign-in form (``signin_required``)."""
    result = read_access(request)
    if result is AuthResult.MISSING:
        raise SignInRequired(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
    if result is AuthResult.WRONG:
        raise HTTPException(403, "the read token is not valid")


async def signin_required(request: Request, exc: Exception) -> Response:
    """Exception handler for ``SignInRequired``: 401 + ``WWW-Authenticate: Bearer``, the form as body."""
    assert isinstance(exc, SignInRequired)
    response = _form_page(safe_next(exc.next_path), status=401)
    response.headers["WWW-Authenticate"] = "Bearer"
    return response


def safe_next(value: str | None) -> str:
    """``value`` when it is a path on this server ("/..."), else "/": never another host
    (``//host``, ``/\\host``, ``https://...``), never the sign-in page itself."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        return "/"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or parts.path in (SIGNIN_PATH, SIGNOUT_PATH):
        return "/"
    return value


def over_tls(request: Request) -> bool:
    forwarded = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    return request.url.scheme == "https" or forwarded == "https"


def same_origin(request: Request) -> bool:
    """A form POST from another site (CSRF, login CSRF) carries its Origin; refuse it. No Origin
    (old browsers, curl) is allowed: the cookie is SameSite=Strict anyway."""
    origin = request.headers.get("origin")
    if origin is None:
        return True
    return urlsplit(origin).netloc.lower() == request.headers.get("host", "").lower()


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _form_page(next_path: str, message: str = "", status: int = 200, retry_after: int = 0) -> HTMLResponse:
    notice = f'<div class="problem" id="signin-problem">{esc(message)}</div>' if message else ""
    body = Markup(
        "<h1>Sign in</h1>"
        f"{notice}"
        '<p class="muted">This tracebridge needs a read token (one of TRACEBRIDGE_READ_TOKENS). '
        "It is kept in a signed, HttpOnly session cookie until you sign out or it expires.</p>"
        f'<form id="signin" class="filters" action="{SIGNIN_PATH}" method="post">'
        f'<input type="hidden" name="next" value="{esc(next_path)}">'
        '<label>Read token <input type="password" name="token" autocomplete="current-password" '
        "required autofocus></label>"
        '<button type="submit">Sign in</button></form>'
    )
    headers = {"Cache-Control": "no-store"}
    if retry_after:
        headers["Retry-After"] = str(retry_after)
    return HTMLResponse(page("Sign in", body), status_code=status, headers=headers)


@router.get(SIGNIN_PATH, response_model=None)
def signin_form(request: Request, next: str = "/") -> Response:
    """The form; straight on to ``next`` when auth is off or the browser is already signed in."""
    target = safe_next(next)
    if read_access(request) is AuthResult.OK:
        return RedirectResponse(target, status_code=303)
    return _form_page(target)


@router.post(SIGNIN_PATH, response_model=None)
async def signin(request: Request) -> Response:
    """200-form/303-redirect flow: 303 with the cookie for a right token, 403 and the form again
    for a wrong one, 429 + Retry-After while the address is over its failure limit, 400 for a
    malformed or cross-site form."""
    body = await request.body()
    if len(body) > MAX_FORM_BYTES or not same_origin(request):
        return _form_page("/", "the sign-in form could not be read", 400)
    try:
        fields = parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=10)
    except (UnicodeDecodeError, ValueError):
        return _form_page("/", "the sign-in form could not be read", 400)
    target = safe_next((fields.get("next") or ["/"])[0])
    settings: Settings = request.app.state.settings
    signer: SessionSigner = request.app.state.signer
    failures: FailureLimiter = request.app.state.signin_failures
    accepted = settings.read_token_set
    if not accepted:
        return RedirectResponse(target, status_code=303)
    address, now = client_address(request), time.monotonic()
    wait = failures.retry_after(address, now)
    if wait:
        message = f"too many wrong tokens from your address: try again in {wait} s"
        return _form_page(target, message, 429, retry_after=wait)
    token = (fields.get("token") or [""])[0].strip()
    if not token or not token_accepted(token, accepted):
        failures.record_failure(address, now)
        return _form_page(target, "that token is not a read token of this server", 403)
    response = RedirectResponse(target, status_code=303)
    max_age = settings.signin_max_age_s
    response.set_cookie(
        COOKIE_NAME,
        signer.issue(token, time.time(), max_age),
        max_age=max_age,
        path="/",
        secure=over_tls(request),
        httponly=True,
        samesite="strict",
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post(SIGNOUT_PATH, response_model=None)
def signout(request: Request) -> Response:
    """Clear the cookie (it stays valid until it expires if copied elsewhere: revoke the token
    itself to end every session)."""
    if not same_origin(request):
        return _form_page("/", "cross-site sign-out refused", 400)
    response = RedirectResponse(SIGNIN_PATH, status_code=303)
    response.delete_cookie(COOKIE_NAME, path="/", secure=over_tls(request), httponly=True, samesite="strict")
    return response


class PageRoute(APIRoute):
    """A page route whose HTML gains a sign-out button when the browser is signed in by cookie."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            response = await handler(request)
            signed_in = getattr(request.state, "signed_in", False)
            if signed_in and isinstance(response, HTMLResponse) and not isinstance(response.body, memoryview):
                response.body = bytes(response.body).replace(b"</header>", SIGNOUT_FORM + b"</header>", 1)
                response.headers["content-length"] = str(len(response.body))
            return response

        return route
