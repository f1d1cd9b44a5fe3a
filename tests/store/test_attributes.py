"""Attribute texts and type digits round-trip to typed values (pure functions)."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from opentelemetry.proto.common.v1 import common_pb2

from tracebridge.store.attributes import ARRAY, KVLIST, KVLIST_MARKER, decode_value, from_stored, to_stored


@pytest.mark.parametrize(
    "attributes",
    [
        {"s": "text", "i": -42, "big": 2**62, "d": 0.1, "whole": 3.0, "b": True, "f": False},
        {"list": ["a", 1, 2.5, True], "map": {"k": "v", "n": {"deep": [1, 2]}}},
        {"empty.list": [], "empty.map": {}, "unicode": "héllo ✓", "none": None},
    ],
)
def test_round_trip(attributes: dict[str, Any]) -> None:
    keys, texts, types = to_stored(attributes)
    decoded = from_stored(keys, texts, types)
    assert decoded == attributes
    for key, value in attributes.items():
        assert type(decoded[key]) is type(value)


def test_duplicate_keys_keep_their_own_types() -> None:
    assert from_stored(["k", "k"], ["1", "x"], "31") == {"k": "x"}


def test_log_json_text_with_markers_for_deep_composites() -> None:
    kv = common_pb2.KeyValueList(
        values=[common_pb2.KeyValue(key="x", value=common_pb2.AnyValue(bool_value=True))]
    )
    text = json.dumps(
        {"a": [1, "two", 3.0], "deep": {KVLIST_MARKER: base64.b64encode(kv.SerializeToString()).decode()}}
    )
    assert decode_value(text, KVLIST) == {"a": [1, "two", 3.0], "deep": {"x": True}}
    assert decode_value('["x", 2]', ARRAY) == ["x", 2]


def test_missing_type_digit_reads_as_string() -> None:
    assert from_stored(["k"], ["v"], "") == {"k": "v"}
    assert decode_value("", "0") is None


def test_spans_stored_before_json_texts_still_decode() -> None:
    """Arrays and key-value lists of spans stored before migration 0014 are base64 protobuf."""
    array = common_pb2.ArrayValue(
        values=[common_pb2.AnyValue(string_value="a"), common_pb2.AnyValue(int_value=7)]
    )
    assert decode_value(base64.b64encode(array.SerializeToString()).decode(), ARRAY) == ["a", 7]


def test_composites_are_stored_as_exporter_json_text() -> None:
    _, texts, types = to_stored({"list": ["a", 1, 2.0, True], "map": {"k": "v", "ü": [1]}})
    assert texts == ['["a",1,2.0,true]', '{"k":"v","ü":[1]}']
    assert types == ARRAY + KVLIST
