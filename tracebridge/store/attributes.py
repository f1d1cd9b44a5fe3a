"""Typed attribute values back out of the store (pure functions).

The store keeps an attribute set as a map of texts (``SpanAttributes``) and a string of type
digits, one per attribute in key order (``SpanAttributeTypes``): 1 string, 2 bool, 3 int,
4 double, 5 array, 6 kvlist, 7 bytes, 0 empty. Texts are what the Collector's clickhouseexporter
writes: numbers and booleans printed, bytes base64, arrays and key-value lists as JSON text
(doubles keep a decimal point, so 2.0 reads back as a double); a composite nested two levels deep
is a marker object holding the base64 of its OTLP protobuf. Spans stored before migration 0014
have arrays and key-value lists as base64 of their OTLP protobuf; both are read. ``from_stored``
turns all of it back into JSON-ready values with their OTLP type: int, float, bool, str, bytes
as base64 text, arrays as lists, key-value lists as dicts. ``to_stored`` is its inverse.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

from opentelemetry.proto.common.v1 import common_pb2

ARRAY_MARKER = "$otlp.array"
KVLIST_MARKER = "$otlp.kvlist"

NONE, STRING, BOOL, INT, DOUBLE, ARRAY, KVLIST, BYTES = "01234567"


def from_stored(keys: Sequence[str], texts: Sequence[str], types: str) -> dict[str, Any]:
    """Decode one stored attribute set; a key with no type digit is read as a string."""
    return {
        key: decode_value(text, types[index] if index < len(types) else STRING)
        for index, (key, text) in enumerate(zip(keys, texts, strict=False))
    }


def decode_value(text: str, kind: str) -> Any:
    if kind == STRING:
        return text
    if kind == INT:
        return int(text)
    if kind == DOUBLE:
        return float(text)
    if kind == BOOL:
        return text == "true"
    if kind == BYTES:
        return text
    if kind == ARRAY:
        if not text:
            return []
        if text.startswith("["):
            return _expand(json.loads(text))
        return [anyvalue_to_python(v) for v in common_pb2.ArrayValue.FromString(_b64(text)).values]
    if kind == KVLIST:
        if not text:
            return {}
        if text.startswith("{"):
            return _expand(json.loads(text))
        return {
            kv.key: anyvalue_to_python(kv.value)
            for kv in common_pb2.KeyValueList.FromString(_b64(text)).values
        }
    return None


def _b64(text: str) -> bytes:
    try:
        return base64.b64decode(text)
    except binascii.Error:
        return b""


def _expand(value: Any) -> Any:
    """Replace the store's markers for deeply nested composites by their decoded value."""
    if isinstance(value, dict):
        if len(value) == 1 and ARRAY_MARKER in value:
            message = common_pb2.ArrayValue.FromString(_b64(value[ARRAY_MARKER]))
            return [anyvalue_to_python(v) for v in message.values]
        if len(value) == 1 and KVLIST_MARKER in value:
            kvs = common_pb2.KeyValueList.FromString(_b64(value[KVLIST_MARKER]))
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


def to_stored(attributes: Mapping[str, Any]) -> tuple[list[str], list[str], str]:
    """Encode Python attribute values as the store does: (keys, texts, type digits)."""
    keys: list[str] = []
    texts: list[str] = []
    types: list[str] = []
    for key, value in attributes.items():
        kind = python_kind(value)
        keys.append(key)
        types.append(kind)
        if kind == BOOL:
            texts.append("true" if value else "false")
        elif kind == DOUBLE:
            texts.append(repr(float(value)) if math.isfinite(value) else str(value))
        elif kind in (ARRAY, KVLIST):
            texts.append(json.dumps(value, ensure_ascii=False, separators=(",", ":")))
        elif kind == NONE:
            texts.append("")
        else:
            texts.append(str(value))
    return keys, texts, "".join(types)


def python_kind(value: Any) -> str:
    if value is None:
        return NONE
    if isinstance(value, bool):
        return BOOL
    if isinstance(value, int):
        return INT
    if isinstance(value, float):
        return DOUBLE
    if isinstance(value, list | tuple):
        return ARRAY
    if isinstance(value, dict):
        return KVLIST
    return STRING
