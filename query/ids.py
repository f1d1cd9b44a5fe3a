"""Id parsing for the query API, pages and search: one rule per kind of id.

Trace ids are hex, either case on input, lowercase on output. Session ids are kept exactly as
sent (case-sensitive, any printable character) up to ``MAX_SESSION_ID_LENGTH`` characters.
"""

from __future__ import annotations

import re

from tracebridge.domain import MAX_SESSION_ID_LENGTH
from tracebridge.query.errors import BadRequest

_HEX = re.compile(r"^[0-9a-fA-F]+$")


def parse_hex_id(value: str, length: int, what: str) -> str:
    """Lowercase hex id of ``length`` hex digits, or a BadRequest naming what is wrong."""
    if len(value) != length or not _HEX.match(value):
        raise BadRequest(f"malformed {what}: expected {length} hex digits, got {value!r}")
    lowered = value.lower()
    if lowered == "0" * length:
        raise BadRequest(f"malformed {what}: all zero")
    return lowered


def parse_trace_id(value: str) -> str:
    return parse_hex_id(value, 32, "trace id")


def is_trace_id(value: str) -> bool:
    """Whether ``value`` reads as a trace id (32 hex digits, not all zero)."""
    return len(value) == 32 and bool(_HEX.match(value)) and value.strip("0") != ""


def parse_session_id(value: str) -> str:
    """The session id unchanged; BadRequest when empty, longer than MAX_SESSION_ID_LENGTH or
    holding a control character."""
    if not value or len(value) > MAX_SESSION_ID_LENGTH or any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise BadRequest(f"malformed session id: 1 to {MAX_SESSION_ID_LENGTH} printable characters expected")
    return value


def parse_crash_id(value: str) -> str:
    """A crash id: lowercase hex of at most 64 digits (either case on input)."""
    normalized = value.strip().lower()
    if not normalized or len(normalized) > 64 or any(c not in "0123456789abcdef" for c in normalized):
        raise BadRequest(f"invalid crash id {value!r}: expected lowercase hex")
    return normalized
