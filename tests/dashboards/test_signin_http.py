"""Sign-in for the pages against a live server with TRACEBRIDGE_READ_TOKENS set: redirects, the
cookie's attributes, cookie access to pages and /api/* GETs, forgery, expiry, revocation when a
token leaves the list, sign-out, the per-address limit on wrong tokens, cross-site forms."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from tests.conftest import LiveServer, start_server
from tracebridge.auth import COOKIE_NAME, SessionSigner

SECRET = "test-signin-secret-0123456789"
TRACE = "/traces/" + "ab" * 16
API_TRACE = "/api/v1/traces/" + "ab" * 16


@pytest.fixture(scope="module")
def locked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = start_server(
        tmp_path_factory.mktemp("signin"),
        env={
            "TRACEBRIDGE_READ_TOKENS": "tok-a,tok-b",
            "TRACEBRIDGE_SIGNIN_SECRET": SECRET,
            "TRACEBRIDGE_SIGNIN_MAX_AGE_S": "600",
            "TRACEBRIDGE_SIGNIN_FAILURES_PER_MINUTE": "3",
        },
    )
    yield live
    live.stop()


def sign_in(live: LiveServer, token: str, next_path: str = "/", **kwargs: object) -> httpx.Response:
    return httpx.post(
        live.api + "/signin", data={"token": token, "next": next_path}, follow_redirects=False, **kwargs
    )  # type: ignore[arg-type]


def cookie_of(response: httpx.Response) -> str:
    value = response.cookies.get(COOKIE_NAME)
    assert value, response.headers
    return value


def get(live: LiveServer, path: str, cookie: str | None = None, **headers: str) -> httpx.Response:
    cookies = {COOKIE_NAME: cookie} if cookie is not None else None
    return httpx.get(live.api + path, cookies=cookies, headers=headers, follow_redirects=False, timeout=60)


def test_pages_answer_401_with_the_sign_in_form_and_the_api_says_401(locked: LiveServer) -> None:
    answer = get(locked, TRACE + "?x=1&y=%2F")
    assert answer.status_code == 401 and answer.headers["www-authenticate"] == "Bearer"
    assert answer.headers["content-type"].startswith("text/html")
    assert 'name="token"' in answer.text and f'value="{TRACE}?x=1&amp;y=%2F"' in answer.text
    form = get(locked, "/signin?next=" + quote(TRACE + "?x=1&y=%2F", safe=""))
    assert (
        form.status_code == 200
        and 'name="token"' in form.text
        and f'value="{TRACE}?x=1&amp;y=%2F"' in form.text
    )
    api = get(locked, API_TRACE)
    assert api.status_code == 401 and api.headers["content-type"] == "application/json"
    assert get(locked, "/", Authorization="Bearer wrong").status_code == 403
    assert get(locked, API_TRACE, Authorization="Bearer wrong").status_code == 403
    assert get(locked, API_TRACE, Authorization="Bearer tok-b").status_code == 404  # bearer still works
    assert get(locked, "/static/tracebridge.css").status_code == 200


def test_sign_in_sets_a_strict_http_only_expiring_cookie(locked: LiveServer) -> None:
    answer = sign_in(locked, "tok-a", TRACE + "?x=1")
    assert answer.status_code == 303 and answer.headers["location"] == TRACE + "?x=1"
    header = answer.headers["set-cookie"]
    attributes = {part.strip().split("=")[0].lower() for part in header.split(";")[1:]}
    assert attributes == {"httponly", "max-age", "path", "samesite"}  # no Secure over plain http
    assert "Max-Age=600" in header and "Path=/" in header and "samesite=strict" in header.lower()
    assert "tok-a" not in header
    cookie = cookie_of(answer)
    home = get(locked, "/", cookie)
    assert home.status_code == 200 and 'id="signout"' in home.text
    assert get(locked, TRACE, cookie).status_code == 404  # an HTML 404 page: signed in
    assert get(locked, API_TRACE, cookie).status_code == 404  # the pages' /api/* GETs
    assert (
        get(locked, "/signin?next=/dashboards/crashes", cookie).headers["location"] == "/dashboards/crashes"
    )
    # a bearer header decides when present, even next to a valid cookie
    assert get(locked, "/", cookie, Authorization="Bearer wrong").status_code == 403
    assert 'id="signout"' not in get(locked, "/", Authorization="Bearer tok-a").text


@pytest.mark.parametrize(
    "proxy_headers", [{"X-Forwarded-Proto": "https"}, {"X-Forwarded-Proto": "https, http"}]
)
def test_the_cookie_is_secure_behind_tls(locked: LiveServer, proxy_headers: dict[str, str]) -> None:
    answer = sign_in(locked, "tok-a", headers=proxy_headers)
    assert "secure" in {p.strip().lower() for p in answer.headers["set-cookie"].split(";")}


def test_forged_and_expired_cookies_are_refused(locked: LiveServer) -> None:
    genuine = cookie_of(sign_in(locked, "tok-b"))
    payload, signature = genuine.rsplit(".", 1)
    version, fingerprint, expires = payload.split(".")
    ours = SessionSigner(SECRET.encode())
    for forged in (
        f"{version}.{fingerprint}.{int(expires) + 86400}.{signature}",
        SessionSigner(b"another-secret-entirely").issue("tok-b", time.time(), 600),
        ours.issue("tok-b", time.time() - 700, 600),  # expired 100 s ago, correctly signed
        ours.issue("not-a-token", time.time(), 600),
        "garbage",
    ):
        assert get(locked, "/", forged).status_code == 401
        assert get(locked, API_TRACE, forged).status_code == 401
    assert get(locked, "/", genuine).status_code == 200


def test_sign_out_clears_the_cookie(locked: LiveServer) -> None:
    cookie = cookie_of(sign_in(locked, "tok-a"))
    out = httpx.post(locked.api + "/signout", cookies={COOKIE_NAME: cookie}, follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/signin"
    assert (
        out.headers["set-cookie"].startswith(f'{COOKIE_NAME}=""') and "Max-Age=0" in out.headers["set-cookie"]
    )
    evil = {"Origin": "https://evil.example"}
    assert httpx.post(locked.api + "/signout", headers=evil).status_code == 400
    assert sign_in(locked, "tok-a", headers=evil).status_code == 400  # login CSRF
    same = {"Origin": locked.api}
    assert sign_in(locked, "tok-a", headers=same).status_code == 303


@pytest.mark.parametrize("evil", ["//evil.example/", "https://evil.example/", "/\\evil.example", "/signin"])
def test_next_never_leaves_the_server(locked: LiveServer, evil: str) -> None:
    assert sign_in(locked, "tok-a", evil).headers["location"] == "/"
    form = get(locked, "/signin?next=" + httpx.QueryParams({"n": evil})["n"])
    assert 'name="next" value="/"' in form.text


def test_wrong_tokens_are_limited_per_address(locked: LiveServer) -> None:
    """Three wrong tokens a minute (this server's setting) from 127.0.0.2; the fourth try, even
    with a right token, is a 429 with Retry-After, while 127.0.0.1 still signs in."""
    other = httpx.Client(transport=httpx.HTTPTransport(local_address="127.0.0.2"), timeout=60)
    with other:

        def attempt(token: str) -> httpx.Response:
            return other.post(locked.api + "/signin", data={"token": token}, follow_redirects=False)

        for _ in range(3):
            wrong = attempt("guess")
            assert wrong.status_code == 403 and "not a read token" in wrong.text
        for token in ("guess", "tok-a"):
            limited = attempt(token)
            assert limited.status_code == 429
            assert 50 <= int(limited.headers["retry-after"]) <= 60
            assert COOKIE_NAME not in limited.headers.get("set-cookie", "")
    assert sign_in(locked, "tok-a").status_code == 303


def test_bad_forms_are_a_400(locked: LiveServer) -> None:
    big = httpx.post(locked.api + "/signin", content=b"token=" + b"x" * 10_000)
    assert big.status_code == 400
    binary = httpx.post(
        locked.api + "/signin",
        content=b"token=\xff\xfe",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert binary.status_code == 400


def test_a_removed_token_ends_its_sessions(server_factory: Callable[..., LiveServer], tmp_path: Path) -> None:
    """Cookies survive a restart with the same secret, but not the removal of their token; without
    a configured secret every restart ends every session (a random secret per process)."""
    env = {"TRACEBRIDGE_READ_TOKENS": "keep,drop", "TRACEBRIDGE_SIGNIN_SECRET": SECRET}
    first = server_factory(env=env, data_dir=tmp_path / "data")
    kept, dropped = cookie_of(sign_in(first, "keep")), cookie_of(sign_in(first, "drop"))
    first.stop()
    second = server_factory(env={**env, "TRACEBRIDGE_READ_TOKENS": "keep"}, data_dir=tmp_path / "data")
    assert get(second, "/", kept).status_code == 200
    assert get(second, "/", dropped).status_code == 401
    assert get(second, API_TRACE, dropped).status_code == 401
    second.stop()
    third = server_factory(env={"TRACEBRIDGE_READ_TOKENS": "keep"}, data_dir=tmp_path / "data")
    assert get(third, "/", kept).status_code == 401
    assert get(third, "/", cookie_of(sign_in(third, "keep"))).status_code == 200


def test_without_read_tokens_sign_in_is_a_pass_through(server: LiveServer) -> None:
    assert get(server, "/signin?next=/dashboards/versions").headers["location"] == "/dashboards/versions"
    assert get(server, "/").status_code == 200
