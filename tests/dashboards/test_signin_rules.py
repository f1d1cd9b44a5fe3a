"""The pure parts of the pages' sign-in: cookie signing and checking, the failure limiter, and the
``next`` filter (no server needed)."""

from __future__ import annotations

import pytest

from tracebridge.auth import SessionSigner, token_accepted
from tracebridge.dashboards.signin import safe_next
from tracebridge.ratelimit import FailureLimiter

SECRET = b"s" * 32
NOW = 1_800_000_000.0


def test_a_cookie_is_valid_until_it_expires() -> None:
    signer = SessionSigner(SECRET)
    cookie = signer.issue("tok-a", NOW, 3600)
    assert signer.verify(cookie, frozenset({"tok-a", "tok-b"}), NOW)
    assert signer.verify(cookie, frozenset({"tok-a"}), NOW + 3599)
    assert not signer.verify(cookie, frozenset({"tok-a"}), NOW + 3600)


def test_a_cookie_dies_with_its_token() -> None:
    signer = SessionSigner(SECRET)
    cookie = signer.issue("tok-a", NOW, 3600)
    assert not signer.verify(cookie, frozenset({"tok-b"}), NOW)
    assert not signer.verify(cookie, frozenset(), NOW)


def test_the_cookie_does_not_carry_the_token() -> None:
    cookie = SessionSigner(SECRET).issue("a-very-recognisable-token", NOW, 60)
    assert "recognisable" not in cookie
    # the fingerprint depends on the secret: without it nothing can be checked offline
    assert SessionSigner(b"t" * 32).fingerprint("x") != SessionSigner(SECRET).fingerprint("x")


def _tamper(cookie: str, index: int, value: str) -> str:
    parts = cookie.split(".")
    parts[index] = value
    return ".".join(parts)


@pytest.mark.parametrize(
    "forge",
    [
        lambda c: _tamper(c, 2, str(int(c.split(".")[2]) + 10**6)),  # later expiry, old signature
        lambda c: _tamper(c, 1, SessionSigner(SECRET).issue("tok-b", NOW, 60).split(".")[1]),  # other token
        lambda c: _tamper(c, 3, c.split(".")[3][:-2] + "AA"),
        lambda c: _tamper(c, 0, "v2"),
        lambda c: c + ".x",
        lambda c: c.rsplit(".", 1)[0],
        lambda c: SessionSigner(b"x" * 32).issue("tok-a", NOW, 3600),  # another server's secret
        lambda c: "",
        lambda c: "v1.é.1.é",
        lambda c: "v1.!!!.99999999999.abc",
    ],
)
def test_forged_cookies_are_refused(forge: object) -> None:
    signer = SessionSigner(SECRET)
    cookie = signer.issue("tok-a", NOW, 3600)
    assert callable(forge)
    assert not signer.verify(forge(cookie), frozenset({"tok-a", "tok-b"}), NOW)


def test_secrets_are_long_or_random() -> None:
    with pytest.raises(ValueError):
        SessionSigner(b"short")
    one, two = SessionSigner.from_setting(""), SessionSigner.from_setting("")
    assert not two.verify(one.issue("t", NOW, 60), frozenset({"t"}), NOW)
    fixed = SessionSigner.from_setting("0123456789abcdef")
    assert SessionSigner.from_setting("0123456789abcdef").verify(
        fixed.issue("t", NOW, 60), frozenset({"t"}), NOW
    )


def test_token_accepted() -> None:
    assert token_accepted("b", ["a", "b"])
    assert (
        not token_accepted("b ", ["a", "b"]) and not token_accepted("", ["a"]) and not token_accepted("a", [])
    )


def test_failure_limiter_window_and_addresses() -> None:
    limiter = FailureLimiter(limit=3, window_s=60)
    for offset in (0, 10, 20):
        assert limiter.retry_after("1.1.1.1", NOW + offset) == 0
        limiter.record_failure("1.1.1.1", NOW + offset)
    assert limiter.retry_after("1.1.1.1", NOW + 21) == 39  # the first failure leaves at NOW + 60
    assert limiter.retry_after("2.2.2.2", NOW + 21) == 0
    assert limiter.retry_after("1.1.1.1", NOW + 60) == 0


def test_failure_limiter_memory_is_bounded() -> None:
    limiter = FailureLimiter(limit=1, window_s=60, max_addresses=100)
    for n in range(1000):
        limiter.record_failure(f"10.0.{n // 256}.{n % 256}", NOW)
    assert len(limiter._failures) == 100
    assert limiter.retry_after("10.0.3.231", NOW) > 0  # the newest are kept


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("/traces/ab?x=1#y", "/traces/ab?x=1#y"),
        ("/dashboards/latency", "/dashboards/latency"),
        ("", "/"),
        (None, "/"),
        ("//evil.example/x", "/"),
        ("/\\evil.example", "/"),
        ("https://evil.example/", "/"),
        ("javascript:alert(1)", "/"),
        ("evil.example", "/"),
        ("/\t/evil.example", "/"),
        ("/signin?next=/", "/"),
        ("/signout", "/"),
    ],
)
def test_next_is_a_local_path(value: str | None, expected: str) -> None:
    assert safe_next(value) == expected
