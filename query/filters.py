"""Query-parameter parsing shared by the query API routers (pure, reusable).

The contract: times are RFC 3339 or unix nanoseconds; unknown parameters or bad values are a 400
that names them. Every function here raises ``tracebridge.query.errors.BadRequest`` with the
parameter's name in the message, so a router needs no error handling of its own.

Typical use in a router::

    reject_unknown(request, {"since", "until", "limit"})
    since = parse_time(request.query_params.get("since"), "since")
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from fastapi import Request

from tracebridge.query.errors import BadRequest

_DIGITS = re.compile(r"^-?[0-9]+$")
# RFC 3339 with an optional fraction of any length (Python's fromisoformat stops at 6 digits).
_RFC3339 = re.compile(
    r"^(?P<base>\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2})(?:\.(?P<frac>\d{1,9})\d*)?(?P<tz>[Zz]|[+-]\d{2}:?\d{2})?$"
)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MAX_LIMIT = 10_000


def bad_request(name: str, message: str) -> BadRequest:
    return BadRequest(f"invalid parameter {name!r}: {message}")


def reject_unknown(request: Request, allowed: Iterable[str]) -> None:
    """400 naming every query parameter of ``request`` not in ``allowed``, and any given twice."""
    check_names(list(request.query_params.multi_items()), allowed)


def query_params(request: Request) -> dict[str, str]:
    """The request's query parameters as a dict; 400 for a name given more than once (unknown
    names are left to the parser of each resource)."""
    items = list(request.query_params.multi_items())
    check_names(items, {name for name, _ in items})
    return dict(items)


def check_names(items: list[tuple[str, str]], allowed: Iterable[str]) -> None:
    """``reject_unknown`` on plain (name, value) pairs (for callers without a Request)."""
    allowed_set = set(allowed)
    names = [name for name, _ in items]
    unknown = sorted({n for n in names if n not in allowed_set})
    if unknown:
        raise BadRequest(
            f"unknown query parameter(s): {', '.join(unknown)}; allowed: {', '.join(sorted(allowed_set))}"
        )
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise BadRequest(f"query parameter(s) given more than once: {', '.join(repeated)}")


def parse_time(value: str, name: str = "time") -> int:
    """Unix nanoseconds from RFC 3339 (``2024-05-01T12:00:00.123456789Z``, offsets allowed; a bare
    date means its midnight UTC; no zone means UTC) or from an integer of unix nanoseconds."""
    text = value.strip()
    if _DIGITS.match(text):
        nanos = int(text)
        if nanos < 0 or nanos >= 2**63:
            raise bad_request(name, f"{value!r} is out of range for unix nanoseconds")
        return nanos
    if _DATE.match(text):
        text += "T00:00:00Z"
    match = _RFC3339.match(text)
    if not match:
        raise bad_request(name, f"{value!r} is neither RFC 3339 nor unix nanoseconds")
    tz = match.group("tz") or "Z"
    tz = "+00:00" if tz in ("Z", "z") else (tz if ":" in tz else tz[:3] + ":" + tz[3:])
    try:
        moment = datetime.fromisoformat(match.group("base").replace("t", "T").replace(" ", "T") + tz)
    except ValueError as error:
        raise bad_request(name, f"{value!r}: {error}") from None
    seconds = int((moment - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds())
    fraction = (match.group("frac") or "").ljust(9, "0")
    nanos = seconds * 1_000_000_000 + int(fraction)
    if nanos < 0:
        raise bad_request(name, f"{value!r} is before 1970")
    return nanos


def optional_time(params: Mapping[str, str], name: str) -> int | None:
    value = params.get(name)
    return None if value is None or value == "" else parse_time(value, name)


def parse_limit(value: str | None, default: int, maximum: int = MAX_LIMIT, name: str = "limit") -> int:
    """A positive integer no larger than ``maximum``; ``default`` when absent."""
    if value is None or value == "":
        return default
    if not _DIGITS.match(value.strip()) or int(value) < 1:
        raise bad_request(name, f"{value!r} is not a positive integer")
    if int(value) > maximum:
        raise bad_request(name, f"{value!r} exceeds the maximum of {maximum}")
    return int(value)


def parse_bool(value: str | None, name: str) -> bool | None:
    """true/false/1/0/yes/no (any case); None when absent."""
    if value is None or value == "":
        return None
    lowered = value.strip().lower()
    if lowered in ("true", "1", "yes"):
        return True
    if lowered in ("false", "0", "no"):
        return False
    raise bad_request(name, f"{value!r} is not a boolean (true or false)")


def parse_choice(value: str | None, name: str, choices: Iterable[str], default: str | None = None) -> str:
    """One of ``choices``; ``default`` when absent (400 if absent and no default)."""
    options = list(choices)
    if value is None or value == "":
        if default is None:
            raise bad_request(name, f"required; one of {', '.join(options)}")
        return default
    if value not in options:
        raise bad_request(name, f"{value!r} is not one of {', '.join(options)}")
    return value


@dataclass(frozen=True)
class TimeRange:
    """since/until as unix nanoseconds; None means unbounded (all stored data)."""

    since: int | None = None
    until: int | None = None


def parse_time_range(params: Mapping[str, str]) -> TimeRange:
    """``since``/``until`` from query parameters; 400 when since is after until."""
    since = optional_time(params, "since")
    until = optional_time(params, "until")
    if since is not None and until is not None and since > until:
        raise bad_request("since", "is after 'until'")
    return TimeRange(since, until)


def check_mapping(params: Mapping[str, str], allowed: Iterable[str]) -> None:
    """``reject_unknown`` for a plain mapping of query parameters."""
    check_names([(name, params[name]) for name in params], allowed)


def parse_text(params: Mapping[str, str], name: str) -> str | None:
    """A free-text filter value; None when absent or empty, 400 when absurdly long."""
    value = params.get(name)
    if value is None or value == "":
        return None
    if len(value) > 1000:
        raise bad_request(name, "longer than 1000 characters")
    return value


@dataclass(frozen=True)
class SessionFilters:
    """Filters of GET /api/v1/sessions. A session matches when it overlaps [since, until]."""

    app_version: str | None = None
    os_name: str | None = None
    os_version: str | None = None
    device_model: str | None = None
    device_id: str | None = None
    has_crash: bool | None = None
    since: int | None = None
    until: int | None = None
    limit: int = 50


SESSION_FILTER_NAMES = (
    "app_version",
    "os_name",
    "os_version",
    "device_model",
    "device_id",
    "has_crash",
    "since",
    "until",
    "limit",
)


def parse_session_filters(params: Mapping[str, str]) -> SessionFilters:
    """SessionFilters from query parameters (400 for unknown names or bad values)."""
    check_mapping(params, SESSION_FILTER_NAMES)
    times = parse_time_range(params)
    return SessionFilters(
        app_version=parse_text(params, "app_version"),
        os_name=parse_text(params, "os_name"),
        os_version=parse_text(params, "os_version"),
        device_model=parse_text(params, "device_model"),
        device_id=parse_text(params, "device_id"),
        has_crash=parse_bool(params.get("has_crash"), "has_crash"),
        since=times.since,
        until=times.until,
        limit=parse_limit(params.get("limit"), 50, 1000),
    )


GROUP_BY_CHOICES = ("route", "app_version", "os_name", "network_type", "service_name")


@dataclass(frozen=True)
class LatencyFilters:
    """Filters of GET /api/v1/latency, on the client request (times: its start, device clock)."""

    since: int | None = None
    until: int | None = None
    app_version: str | None = None
    os_name: str | None = None
    os_version: str | None = None
    device_model: str | None = None
    network_type: str | None = None
    service_name: str | None = None
    route: str | None = None


LATENCY_FILTER_NAMES = (
    "since",
    "until",
    "app_version",
    "os_name",
    "os_version",
    "device_model",
    "network_type",
    "service_name",
    "route",
)


def parse_latency_filters(params: Mapping[str, str], with_group_by: bool = True) -> LatencyFilters:
    """LatencyFilters from query parameters; ``group_by`` is allowed (and parsed elsewhere) when
    ``with_group_by``."""
    check_mapping(params, (*LATENCY_FILTER_NAMES, *(("group_by",) if with_group_by else ())))
    times = parse_time_range(params)
    return LatencyFilters(
        since=times.since,
        until=times.until,
        **{name: parse_text(params, name) for name in LATENCY_FILTER_NAMES if name not in ("since", "until")},
    )


def latency_filters_of(params: LatencyFilters | Mapping[str, str]) -> LatencyFilters:
    """The latency filters as given, or parsed from query parameters (``group_by`` allowed)."""
    return params if isinstance(params, LatencyFilters) else parse_latency_filters(params, with_group_by=True)


def parse_group_by(params: Mapping[str, str]) -> str:
    return parse_choice(params.get("group_by"), "group_by", GROUP_BY_CHOICES, default="route")
