"""Attribute text/type maps round-trip to typed values (pure functions)."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from opentelemetry.proto.common.v1 import common_pb2

from tracebridge.store.attributes import ARRAY_MARKER, KVLIST_MARKER, decode_value, from_stored, to_stored


@pytest.mark.parametrize("attributes", [
    {"s": "text", "i": -42, "big": 2**62, "d": 0.1, "whole": 3.0, "b": True, "f": False},
    {"list": ["a", 1, 2.5, True], "map": {"k": "v", "n": {"deep": [1, 2]}}},
    {"empty.list": [], "empty.map": {}, "unicode": "héllo ✓"},
])
def test_round_trip(attributes: dict[str, Any]) -> None:
    values, types = to_stored(attributes)
    assert from_stored(values, types) == attributes
    for key, value in attributes.items():
        assert type(from_stored(values, types)[key]) is type(value)


def test_markers_for_deep_composites_decode() -> None:
    inner = common_pb2.ArrayValue(values=[common_pb2.AnyValue(int_value=1), common_pb2.AnyValue(bytes_value=b"\x00")])
    kv = common_pb2.KeyValueList(values=[common_pb2.KeyValue(key="x", value=common_pb2.AnyValue(bool_value=True))])
    text = ('[{"%s":"%s"},{"%s":"%s"}]' % (ARRAY_MARKER, base64.b64encode(inner.SerializeToString()).decode(),
                                           KVLIST_MARKER, base64.b64encode(kv.SerializeToString()).decode()))
    assert decode_value(text, "array_value") == [[1, "AA=="], {"x": True}]


def test_unknown_type_reads_as_string() -> None:
    assert from_stored({"k": "v"}, {}) == {"k": "v"}
    assert decode_value("", "none") is None
