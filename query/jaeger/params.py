"""Parameters of Jaeger's trace search and trace lookup (pure parsing; errors are ParamError with
Jaeger-style messages). Unknown parameters are ignored, as Jaeger's query service ignores them
(its UI sends ``lookback`` and ``prettyPrint``); the first value of a repeated one counts, except
``tags``/``tag``/``traceID``, which accumulate."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction

DEFAULT_LIMIT = 20
MAX_LIMIT = 1500
MAX_TAGS = 64
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
UINT64_MAX = 2**64 - 1

_UNITS_NS = {
    "ns": 1,
    "us": 1_000,
    "µs": 1_000,
    "μs": 1_000,
    "ms": 1_000_000,
    "s": 10**9,
    "m": 60 * 10**9,
    "h": 3600 * 10**9,
}
_DURATION_PART = re.compile(r"(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)")
_HEX = re.compile(r"^[0-9a-fA-F]{1,32}$")
_LOGFMT = re.compile(r'\s*([^\s=:"]+)\s*[=:]\s*(?:"((?:[^"\\]|\\.)*)"|(\S*))')


class ParamError(ValueError):
    """A bad parameter; the message is what the client is told."""


@dataclass(frozen=True)
class SearchQuery:
    """A trace search: a trace matches when one of its spans meets every condition at once."""

    service: str = ""
    operation: str = ""
    tags: dict[str, str] = field(default_factory=dict)
    min_duration_us: int = 0
    max_duration_us: int = UINT64_MAX
    start_us: int = INT64_MIN
    end_us: int = INT64_MAX
    limit: int = DEFAULT_LIMIT
    trace_ids: tuple[str, ...] = ()


def parse_duration_ns(text: str) -> int:
    """Go's duration syntax (``time.ParseDuration``): "300ms", "1.5s", "1h2m", "4.5us", "0"; a
    negative duration is refused (no span has one)."""
    value = text.strip()
    if value in ("0", "+0", "-0"):
        return 0
    if value.startswith("-"):
        raise ParamError("negative duration")
    value = value.removeprefix("+")
    position, total = 0, Fraction(0)
    if not value:
        raise ParamError(f"invalid duration {text!r}")
    while position < len(value):
        match = _DURATION_PART.match(value, position)
        if match is None:
            raise ParamError(f"invalid duration {text!r}: expected a number and a unit (ns, us, ms, s, m, h)")
        number, unit = match.group(1), match.group(2)
        total += Fraction(number if not number.endswith(".") else number[:-1]) * _UNITS_NS[unit]
        position = match.end()
    return int(total)


def parse_trace_id(text: str) -> str:
    """Jaeger accepts 1 to 32 hex digits (a shorter id is left-padded with zeros); 32 lowercase
    hex digits as stored."""
    if not _HEX.match(text):
        raise ParamError(f"cannot parse traceID {text!r}: expected 1 to 32 hex digits")
    return text.lower().rjust(32, "0")


def _parse_int(name: str, text: str, low: int, high: int) -> int:
    try:
        value = int(text.strip())
    except ValueError:
        raise ParamError(f"unable to parse param '{name}': {text!r} is not an integer") from None
    if not low <= value <= high:
        raise ParamError(f"unable to parse param '{name}': {value} is out of range")
    return value


def _tag_text(key: str, value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return json.dumps(value)
    raise ParamError(f"malformed 'tags' parameter: the value of {key!r} must be a string")


def parse_tags(json_values: Sequence[str], simple_values: Sequence[str]) -> dict[str, str]:
    """``tags`` as a JSON object ({"http.status_code":"500"}) or, when it is not JSON, logfmt
    (``http.status_code=500 error=true`` or ``k:v``); ``tag=k:v`` pairs. Later keys win."""
    out: dict[str, str] = {}
    for simple in simple_values:
        key, sep, value = simple.partition(":")
        if not sep or not key:
            raise ParamError(f"malformed 'tag' parameter, expecting key:value, received: {simple}")
        out[key] = value
    for raw in json_values:
        text = raw.strip()
        if not text:
            continue
        if text.startswith("{"):
            try:
                loaded = json.loads(text)
            except ValueError as error:
                raise ParamError(f"malformed 'tags' parameter, cannot unmarshal JSON: {error}") from None
            if not isinstance(loaded, dict):
                raise ParamError("malformed 'tags' parameter: expected a JSON object")
            out.update({str(k): _tag_text(str(k), v) for k, v in loaded.items()})
            continue
        position = 0
        while position < len(text):
            match = _LOGFMT.match(text, position)
            if match is None:
                raise ParamError(
                    f"malformed 'tags' parameter: expected a JSON object or key=value pairs, received: {raw}"
                )
            quoted, plain = match.group(2), match.group(3)
            out[match.group(1)] = re.sub(r"\\(.)", r"\1", quoted) if quoted is not None else plain or ""
            position = match.end()
            while position < len(text) and text[position].isspace():
                position += 1
    if len(out) > MAX_TAGS:
        raise ParamError(f"too many tags: at most {MAX_TAGS}")
    return out


def parse_search(items: Sequence[tuple[str, str]]) -> SearchQuery:
    """A SearchQuery from the query string's (name, value) pairs."""
    first: dict[str, str] = {}
    many: dict[str, list[str]] = {"tags": [], "tag": [], "traceID": []}
    for name, value in items:
        if name in many:
            many[name].append(value)
        first.setdefault(name, value)
    trace_ids = tuple(parse_trace_id(v) for v in many["traceID"])
    service = first.get("service", "")
    if not service and not trace_ids:
        raise ParamError("parameter 'service' is required")
    min_ns = max_ns = 0
    for name in ("minDuration", "maxDuration"):
        text = first.get(name, "")
        if text:
            try:
                nanos = parse_duration_ns(text)
            except ParamError as error:
                raise ParamError(f"unable to parse param '{name}': {error}") from None
            if name == "minDuration":
                min_ns = nanos
            else:
                max_ns = nanos
    if min_ns and max_ns and max_ns < min_ns:
        raise ParamError("'maxDuration' should be greater than 'minDuration'")
    limit = DEFAULT_LIMIT
    if first.get("limit", ""):
        limit = _parse_int("limit", first["limit"], 0, 2**31 - 1) or DEFAULT_LIMIT
    start = _parse_int("start", first["start"], INT64_MIN, INT64_MAX) if first.get("start") else INT64_MIN
    end = _parse_int("end", first["end"], INT64_MIN, INT64_MAX) if first.get("end") else INT64_MAX
    return SearchQuery(
        service=service,
        operation=first.get("operation", ""),
        tags=parse_tags(many["tags"], many["tag"]),
        min_duration_us=min_ns // 1000,
        max_duration_us=max_ns // 1000 if max_ns else UINT64_MAX,
        start_us=start,
        end_us=end,
        limit=min(limit, MAX_LIMIT),
        trace_ids=trace_ids,
    )
