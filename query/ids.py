"""Id parsing for the query API: ids are hex, either case on input, lowercase on output."""

from __future__ import annotations

import re

from fastapi import HTTPException

_HEX = re.compile(r"^[0-9a-fA-F]+$")


def parse_hex_id(value: str, length: int, what: str) -> str:
    """Lowercase hex id of ``length`` hex digits, or a 400 naming what is wrong."""
    if len(value) != length or not _HEX.match(value):
        raise HTTPException(400, f"malformed {what}: expected {length} hex digits, got {value!r}")
    lowered = value.lower()
    if lowered == "0" * length:
        raise HTTPException(400, f"malformed {what}: all zero")
    return lowered


def parse_trace_id(value: str) -> str:
    return parse_hex_id(value, 32, "trace id")
