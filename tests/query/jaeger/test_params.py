"""Jaeger's search parameters: Go durations, tags (JSON, logfmt, tag=k:v), limits, errors."""

from __future__ import annotations

import pytest

from tracebridge.query.jaeger.params import (
    DEFAULT_LIMIT,
    INT64_MIN,
    MAX_LIMIT,
    UINT64_MAX,
    ParamError,
    parse_duration_ns,
    parse_search,
    parse_tags,
    parse_trace_id,
)


@pytest.mark.parametrize(
    ("text", "nanos"),
    [
        ("4.5us", 4_500),
        ("4.5µs", 4_500),
        ("300ms", 300_000_000),
        ("1.2s", 1_200_000_000),
        ("1m", 60_000_000_000),
        ("1h2m3.5s", 3_723_500_000_000),
        ("0", 0),
        (".5s", 500_000_000),
        ("0.3s", 300_000_000),
        ("17ns", 17),
        ("+2ms", 2_000_000),
    ],
)
def test_go_durations(text: str, nanos: int) -> None:
    assert parse_duration_ns(text) == nanos


@pytest.mark.parametrize("text", ["", "5", "1.2", "ms", "3parsecs", "1s2", "-1s", "1 s", "1e3ms"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ParamError):
        parse_duration_ns(text)


def test_tags_in_every_spelling() -> None:
    assert parse_tags(['{"http.status_code":"500","error":true,"n":3}'], []) == {
        "http.status_code": "500",
        "error": "true",
        "n": "3",
    }
    assert parse_tags(['error=true http.route="/api/orders/{id}" session.id:abc'], []) == {
        "error": "true",
        "http.route": "/api/orders/{id}",
        "session.id": "abc",
    }
    assert parse_tags(['k="say \\"hi\\""'], ["a:b:c"]) == {"a": "b:c", "k": 'say "hi"'}
    assert parse_tags(["", "  "], []) == {}


@pytest.mark.parametrize(
    ("json_tags", "simple", "message"),
    [
        (["{bad"], [], "cannot unmarshal JSON"),
        (['["a"]'], [], "JSON object"),
        (['{"a":{"b":1}}'], [], "must be a string"),
        (['{"a":null}'], [], "must be a string"),
        ([], ["novalue"], "expecting key:value"),
        (["=x"], [], "key=value"),
    ],
)
def test_bad_tags(json_tags: list[str], simple: list[str], message: str) -> None:
    with pytest.raises(ParamError, match=message):
        parse_tags(json_tags, simple)


def test_search_defaults_and_bounds() -> None:
    query = parse_search([("service", "orders"), ("lookback", "1h"), ("prettyPrint", "true")])
    assert query.limit == DEFAULT_LIMIT and query.tags == {} and query.operation == ""
    assert (query.min_duration_us, query.max_duration_us) == (0, UINT64_MAX)
    assert query.start_us == INT64_MIN  # no window guessed from "now"
    full = parse_search(
        [
            ("service", "orders"),
            ("operation", "GET /cart"),
            ("minDuration", "1.5ms"),
            ("maxDuration", "2s"),
            ("start", "1764000000000000"),
            ("end", "1764000001000000"),
            ("limit", "5"),
            ("tags", '{"a":"1"}'),
            ("tag", "b:2"),
        ]
    )
    assert (full.min_duration_us, full.max_duration_us) == (1_500, 2_000_000)
    assert (full.start_us, full.end_us, full.limit) == (1_764_000_000_000_000, 1_764_000_001_000_000, 5)
    assert full.tags == {"a": "1", "b": "2"}
    assert parse_search([("service", "s"), ("limit", "100000")]).limit == MAX_LIMIT
    assert parse_search([("service", "s"), ("limit", "0")]).limit == DEFAULT_LIMIT
    assert parse_search([("traceID", "abc")]).trace_ids == ("0" * 29 + "abc",)


@pytest.mark.parametrize(
    ("items", "message"),
    [
        ([], "parameter 'service' is required"),
        ([("service", "s"), ("minDuration", "2s"), ("maxDuration", "1s")], "'maxDuration' should be greater"),
        ([("service", "s"), ("minDuration", "fast")], "unable to parse param 'minDuration'"),
        ([("service", "s"), ("limit", "ten")], "unable to parse param 'limit'"),
        ([("service", "s"), ("limit", "-1")], "unable to parse param 'limit'"),
        ([("service", "s"), ("start", "yesterday")], "unable to parse param 'start'"),
        ([("service", "s"), ("end", "9" * 30)], "unable to parse param 'end'"),
        ([("traceID", "xyz")], "cannot parse traceID"),
    ],
)
def test_bad_searches(items: list[tuple[str, str]], message: str) -> None:
    with pytest.raises(ParamError, match=message):
        parse_search(items)


def test_trace_ids() -> None:
    assert parse_trace_id("0AF7651916CD43DD8448EB211C80319C") == "0af7651916cd43dd8448eb211c80319c"
    assert parse_trace_id("00f067aa0ba902b7") == "0" * 16 + "00f067aa0ba902b7"
    for bad in ("", "g" * 32, "a" * 33):
        with pytest.raises(ParamError):
            parse_trace_id(bad)
