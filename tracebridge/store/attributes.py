"""Typed attribute values back out of the store (pure functions).

The store keeps each attribute set as two maps: the text form (``SpanAttributes``) and the
OTLP type of each key (``SpanAttributeTypes``: string_value, int_value, ...). ``from_stored``
turns them back into JSON-ready Python values with their OTLP type: int, float, bool, str,
bytes as base64 text, arrays as lists and key-value lists as dicts. ``to_stored`` is its
inverse for the write side's tests and for tools that insert rows directly.
"""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Mapping
from typing import Any

from opentelemetry.proto.common.v1 import common_pb2

ARRAY_MARKER = "$otlp.array"
KVLIST_MARKER = "$otlp.kvlist"


def from_stored(values: Mapping[str, str], types: Mapping[str, str]) -> dict[str, Any]:
    """Decode one stored attribute set; a key with no recorded type is read as a string."""
    return {key: decode_value(text, types.get(key, "string_value")) for key, text in values.items()}


def decode_value(text: str, kind: str) -> Any:
    if kind == "string_value":
        return text
    if kind == "int_value":
        return int(text)
    if kind == "double_value":
        return float(text)
    if kind == "bool_value":
        return text == "true"
    if kind == "bytes_value":
        return text
    if kind in ("array_value", "kvlist_value"):
        return _expand(json.loads(text)) if text else ([] if kind == "array_value" else {})
    return None


def _expand(value: Any) -> Any:
    """Replace the store's markers for deeply nested composites by their decoded value."""
    if isinstance(value, dict):
        if len(value) == 1 and ARRAY_MARKER in value:
            message = common_pb2.ArrayValue.FromString(base64.b64decode(value[ARRAY_MARKER]))
            return [anyvalue_to_python(v) for v in message.values]
        if len(value) == 1 and KVLIST_MARKER in value:
            kvs = common_pb2.KeyValueList.FromString(base64.b64decode(value[KVLIST_MARKER]))
            return {kv.key: anyvalue_to_python(kv.value) for kv in kvs.values}
        return {k: _expand(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_expand(v) for v in value]
    return value


def anyvalue_to_python(value: common_pb2.AnyValue) -> Any:
    """An OTLP AnyValue as a JSON-ready Python value (bytes as base64 text)."""
    kind = value.WhichOneof("value")
    if kind is None:
        return None
    if kind == "array_value":
        return [anyvalue_to_python(v) for v in value.array_value.values]
    if kind == "kvlist_value":
        return {kv.key: anyvalue_to_python(kv.value) for kv in value.kvlist_value.values}
    if kind == "bytes_value":
        return base64.b64encode(value.bytes_value).decode("ascii")
    return getattr(value, kind)


def to_stored(attributes: Mapping[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
    """Encode Python attribute values as the store does (text map, type map)."""
    values: dict[str, str] = {}
    types: dict[str, str] = {}
    for key, value in attributes.items():
        kind = python_kind(value)
        types[key] = kind
        if kind == "bool_value":
            values[key] = "true" if value else "false"
        elif kind == "double_value":
            values[key] = repr(float(value)) if math.isfinite(value) else str(value)
        elif kind in ("array_value", "kvlist_value"):
            values[key] = json.dumps(value, separators=(",", ":"))
        else:
            values[key] = str(value)
    return values, types


def python_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool_value"
    if isinstance(value, int):
        return "int_value"
    if isinstance(value, float):
        return "double_value"
    if isinstance(value, list | tuple):
        return "array_value"
    if isinstance(value, dict):
        return "kvlist_value"
    return "string_value"
