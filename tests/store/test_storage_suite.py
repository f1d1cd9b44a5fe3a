"""The storage suite: the same questions asked of every store mode (``tests/store/conftest.py``),
over the shared dataset (``tests/store/dataset.py``).

Where the store computes a derived fact in SQL (materialized views, aggregates), the SQL answer
is checked against the Python definition (``tracebridge.domain`` and ``tracebridge.query``) on the
same stored rows.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from tests.store.conftest import Store
from tests.store.dataset import BULK_REQUESTS, BULK_ROUTE
from tests.telemetry import key_values, new_span_id, new_trace_id, span, traces_request
from tracebridge.domain import Signal, exact_percentile, span_in_error
from tracebridge.query.filters import LatencyFilters
from tracebridge.query.gaps import route_of
from tracebridge.query.pairing import pair_requests
from tracebridge.query.service import build_session, build_trace, latency_groups
from tracebridge.store.attributes import anyvalue_to_python, from_stored

# Every stored span with the SQL rule's verdict, next to the columns the Python rule reads.
SQL_ERRORS = """
SELECT TraceId, SpanId, StatusCode, SpanKind, HttpStatus,
       tracebridge_span_in_error(StatusCode, SpanKind, HttpStatus) AS SqlError
FROM otel_traces
WHERE TraceId IN {trace_ids:Array(String)}
LIMIT 1 BY TraceId, SpanId
"""
STATUS = {"Unset": "unset", "Ok": "ok", "Error": "error"}


def _sql(store: Store, sql: str, parameters: dict[str, Any]) -> list[dict[str, Any]]:
    """Ad-hoc SQL on the store's own client (the reader runs only its named queries)."""
    return list(store.reader.client.query(sql, parameters=parameters).named_results())


def test_span_in_error_sql_equals_python(store: Store) -> None:
    rows = _sql(store, SQL_ERRORS, {"trace_ids": list(store.data.traces.values())})
    assert len(rows) == 17  # 8 client spans, 9 backend spans
    for row in rows:
        python = span_in_error(STATUS[row["StatusCode"]], row["SpanKind"].lower(), int(row["HttpStatus"]))
        assert bool(row["SqlError"]) == python, row
    # and over the whole matrix of inputs, not only the stored ones
    for status, kind, http in itertools.product(
        ("Unset", "Ok", "Error"), ("Client", "Server", "Internal"), (0, 200, 399, 400, 404, 499, 500, 503)
    ):
        sql = _sql(
            store,
            "SELECT tracebridge_span_in_error({s:String}, {k:String}, {h:UInt16}) AS E",
            {"s": status, "k": kind, "h": http},
        )[0]["E"]
        assert bool(sql) == span_in_error(STATUS[status], kind.lower(), http), (status, kind, http)


def test_span_errors_in_documents(store: Store) -> None:
    data = store.data
    client_4xx = build_trace(data.traces["client_4xx"], store.reader.trace_spans(data.traces["client_4xx"]))
    errors = {s.span_id: s.error for s in client_4xx.spans}
    assert errors[data.clients["client_4xx"]] is True  # a client treats 404 as a failure
    assert errors[data.answers["client_4xx"]] is False  # the server does not
    assert client_4xx.has_error and client_4xx.gaps[0].has_error
    failed = build_trace(data.traces["backend_5xx"], store.reader.trace_spans(data.traces["backend_5xx"]))
    assert {s.span_id: s.error for s in failed.spans} == {
        data.clients["backend_5xx"]: False,
        data.answers["backend_5xx"]: True,  # 500 with status unset
    }
    plain = build_trace(data.traces["plain"], store.reader.trace_spans(data.traces["plain"]))
    assert not plain.has_error


def test_answering_attempt_sql_equals_python(store: Store) -> None:
    data = store.data
    trace_ids = [
        data.traces[c] for c in ("plain", "client_4xx", "retried", "proxied", "proxied_retry", "backend_5xx")
    ]
    spans = store.reader.indexed_spans(trace_ids)
    python = {(p.client.trace_id, p.client.span_id): p for p in pair_requests(spans) if p.server is not None}
    sql = {(r.trace_id, r.client_span_id): r for r in store.reader.answered_requests(trace_ids)}
    assert set(sql) == set(python)
    for key, pair in python.items():
        row = sql[key]
        assert pair.server is not None
        assert row.server_span_id == pair.server.span_id
        assert row.server_ns == pair.server.duration_ns
        assert row.client_ns == pair.client.duration_ns
        assert row.service_name == pair.server.service_name
        assert row.route == route_of(pair.client, pair.server)
    # the expected attempts, named by the dataset
    for case in ("plain", "client_4xx", "retried", "proxied", "proxied_retry", "backend_5xx"):
        assert sql[(data.traces[case], data.clients[case])].server_span_id == data.answers[case], case
    retried = sql[(data.traces["retried"], data.clients["retried"])]
    assert (retried.route, retried.service_name, retried.server_ns) == ("/v1/pay", "payments-a", 300_000_000)


def test_full_and_indexed_reads_give_the_same_gaps(store: Store) -> None:
    for trace_id in store.data.traces.values():
        full = build_trace(trace_id, store.reader.trace_spans(trace_id))
        lean = build_trace(trace_id, store.reader.indexed_spans([trace_id]))
        assert full.gaps == lean.gaps, trace_id
        assert full.has_error == lean.has_error


def test_session_search_has_error_covers_backend_spans(store: Store) -> None:
    data = store.data
    counts = store.reader.session_counts([data.session, data.quiet_session])
    assert counts[data.quiet_session].has_error  # only a backend 500 with status unset failed
    assert counts[data.session].has_error
    for session_id in (data.session, data.quiet_session):
        spans = store.reader.indexed_spans(store.reader.session_trace_ids(session_id))
        document = build_session(session_id, spans, [])
        assert document.has_error == counts[session_id].has_error


def test_exact_percentiles_sql_equals_python_above_ten_thousand(store: Store) -> None:
    (group,) = latency_groups(store.reader, ["route"], LatencyFilters(route=BULK_ROUTE))
    assert group.count == BULK_REQUESTS > 10_000
    client = [float(v) for v in store.data.bulk_client_ns]
    server = [float(v) for v in store.data.bulk_server_ns]
    gap = [c - s for c, s in zip(client, server, strict=True)]
    for sql, values in ((group.client_q, client), (group.server_q, server), (group.gap_q, gap)):
        assert sql == pytest.approx(tuple(exact_percentile(values, q) for q in (0.5, 0.95, 0.99)), abs=1.0)


def test_latency_groups_count_proxied_requests(store: Store) -> None:
    groups = {g.key: g for g in latency_groups(store.reader, ["route"], LatencyFilters())}
    assert groups["/v1/cart/{cartId}"].count == 2  # both behind the gateway
    assert groups["/v1/pay"].count == 1 and "/v1/pay/{legacy}" not in groups
    assert "/v1/recommendations" not in groups  # never reached the backend


def test_proxied_answers_are_found_merged_or_not(store: Store) -> None:
    """The cheap existence check (queries.SELECT_HAS_PROXIED_ANSWERS, no FINAL) and the proxied
    join find the answers below a hop (migration 0017: hops in their own table) as inserted, with
    each attempt in a part of its own, and once the pairs are merged."""
    table = "tracebridge_request_pairs" + ("_local" if store.settings.clickhouse_cluster else "")
    assert store.client.query(f"SELECT count() FROM {table} WHERE HasHop = 1").result_rows[0][0] == 0
    assert store.reader.proxied_answers()
    before = {g.key: g.count for g in latency_groups(store.reader, ["route"], LatencyFilters())}
    store.client.command(f"OPTIMIZE TABLE {table} FINAL")
    unclaimed = store.client.query(
        f"SELECT count() FROM {table} WHERE HasServer = 1 AND HasClient = 0"
    ).result_rows[0][0]
    assert unclaimed >= 2  # the answers below the gateway hops, one merged row per hop
    assert store.reader.proxied_answers()
    after = {g.key: g.count for g in latency_groups(store.reader, ["route"], LatencyFilters())}
    assert after == before and after["/v1/cart/{cartId}"] == 2


# Attribute values of every OTLP shape the landing views turn into text (0001's SQL functions).
VALUE_SHAPES: dict[str, Any] = {
    "s": 'text with "quotes" and ü',
    "empty_s": "",
    "b": True,
    "i": -42,
    "d_whole": 2.0,
    "d": 0.25,
    "bytes": b"\x00\x01\xff",
    "arr": ["a", 1, 2.0, False, b"\x02"],
    "arr_empty": [],
    "kv": {"k": "v", "n": 2, "": "empty key", "ü": 1.5},
    "kv_empty": {},
    "deep": {"inner": ["x", {"y": 1}], "list": [[1, 2]]},
}


def test_stored_attribute_values_read_back_typed(store: Store) -> None:
    """Every AnyValue shape, as the landing views store it for spans, events, links and resources
    (0001's SQL functions), reads back as the value that was sent (tracebridge.store.attributes),
    and arrays and key-value lists are the exporter's JSON text."""
    trace_id, span_id = new_trace_id(), new_span_id()
    request = traces_request(
        [
            (
                {"service.name": "attribute-shapes", **VALUE_SHAPES},
                [
                    span(
                        trace_id,
                        span_id,
                        "shapes",
                        1_000,
                        2_000,
                        attributes=VALUE_SHAPES,
                        events=[("e", 1_500, VALUE_SHAPES)],
                        links=[(new_trace_id(), new_span_id(), VALUE_SHAPES)],
                    )
                ],
            )
        ]
    )
    store.writer.insert(Signal.TRACES, [request.SerializeToString()])
    row = _sql(
        store,
        "SELECT SpanAttributes, SpanAttributeTypes, ResourceAttributes, ResourceAttributeTypes, "
        "Events.Attributes AS EA, Events.AttributeTypes AS ET, Links.Attributes AS LA, Links.AttributeTypes AS LT "
        "FROM otel_traces WHERE TraceId = {t:String} LIMIT 1",
        {"t": trace_id.hex()},
    )[0]
    sent = {kv.key: anyvalue_to_python(kv.value) for kv in key_values(VALUE_SHAPES)}

    def read(texts: dict[str, str], types: str) -> dict[str, Any]:
        return from_stored(list(texts), list(texts.values()), types)

    assert read(row["SpanAttributes"], row["SpanAttributeTypes"]) == sent
    assert read(row["EA"][0], row["ET"][0]) == sent
    assert read(row["LA"][0], row["LT"][0]) == sent
    assert read(row["ResourceAttributes"], row["ResourceAttributeTypes"]) == {
        "service.name": "attribute-shapes",
        **sent,
    }
    texts = row["SpanAttributes"]
    assert texts["arr"] == '["a",1,2.0,false,"Ag=="]' and texts["arr_empty"] == "[]"
    assert texts["kv"] == '{"k":"v","n":2,"":"empty key","ü":1.5}' and texts["kv_empty"] == "{}"
    assert texts["d_whole"] == "2" and texts["bytes"] == "AAH/"


def test_trace_index_error_rule_for_new_and_older_rows(store: Store) -> None:
    """The trace index's InError (migration 0018) is the error rule, written by the view for new
    rows and computed from the Doc for rows stored before the column existed (the same answer)."""
    data = store.data
    index = "tracebridge_trace_index" + ("_local" if store.settings.clickhouse_cluster else "")
    rows = store.client.query(
        f"SELECT SpanId, IsError, InError, Doc FROM {index} WHERE TraceId = {{t:String}}",
        parameters={"t": data.traces["client_4xx"]},
    ).result_rows
    by_span = {span_id: (is_error, in_error, doc) for span_id, is_error, in_error, doc in rows}
    is_error, in_error, doc = by_span[data.clients["client_4xx"]]
    assert (is_error, in_error) == (0, 1)  # a client's 404: in error by the rule, not by IsError
    assert by_span[data.answers["client_4xx"]][1] == 0  # the server's 404 is not
    older = new_trace_id().hex()  # a row as stored before 0018: no InError written
    store.client.command(
        f"INSERT INTO {index} (TraceId, SpanId, IsError, Doc, IngestTime) "
        "VALUES ({t:String}, {s:String}, 0, {doc:String}, now64(3))",
        parameters={"t": older, "s": new_span_id().hex(), "doc": doc},
    )
    computed = store.client.query(
        f"SELECT InError FROM {index} WHERE TraceId = {{t:String}}", parameters={"t": older}
    ).result_rows
    assert computed == [(1,)]
