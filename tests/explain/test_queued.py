"""queued[] on trace and session documents: producers joined to consumers by link or by trace,
including a worker that ran minutes later in its own trace (shaped like OTel messaging spans)."""

from __future__ import annotations

from typing import Any

from tests.conftest import LiveServer
from tests.explain.shapes import Call, android, client_span
from tests.query.builders import poll_json, unique
from tests.telemetry import (
    BASE_TIME,
    MS,
    SECOND,
    backend_resource,
    new_span_id,
    new_trace_id,
    span,
    traces_request,
)
from tracebridge.query.explain_models import QueuedMessage

MINUTE = 60 * SECOND


def _post(server: LiveServer, message: Any) -> None:
    assert server.post("/v1/traces", message.SerializeToString()).status_code == 200


def messaging(operation: str, destination: str = "order-placed") -> dict[str, Any]:
    return {
        "messaging.system": "kafka",
        "messaging.operation.type": operation,
        "messaging.destination.name": destination,
        "messaging.kafka.message.key": "order-81234",
    }


def test_queued_work_by_link_and_by_trace(server: LiveServer) -> None:
    session = unique("queued")
    start = BASE_TIME + 4000 * SECOND
    trace_id = new_trace_id()
    call = Call(start, 600 * MS, 400 * MS, route="/orders")
    server_span = new_span_id()
    published, emailed, audited, process = new_span_id(), new_span_id(), new_span_id(), new_span_id()
    s0 = start + 100 * MS
    orders = [
        span(
            trace_id,
            server_span,
            "POST /orders",
            s0,
            s0 + 400 * MS,
            parent=call.client_id,
            kind="server",
            attributes={
                "http.request.method": "POST",
                "http.route": "/orders",
                "http.response.status_code": 201,
            },
        ),
        span(
            trace_id,
            published,
            "send order-placed",
            s0 + 300 * MS,
            s0 + 310 * MS,
            parent=server_span,
            kind="producer",
            attributes=messaging("send"),
        ),
        span(
            trace_id,
            emailed,
            "send order-email",
            s0 + 320 * MS,
            s0 + 325 * MS,
            parent=server_span,
            kind="producer",
            attributes=messaging("send", "order-email"),
        ),
        span(
            trace_id,
            audited,
            "send audit",
            s0 + 330 * MS,
            s0 + 332 * MS,
            parent=server_span,
            kind="producer",
            attributes=messaging("send", "audit"),
        ),
    ]
    # the audit consumer runs in the same trace (parent = producer, through a process span)
    mailer = [
        span(
            trace_id,
            process,
            "process audit",
            s0 + 340 * MS,
            s0 + 390 * MS,
            parent=audited,
            kind="consumer",
            attributes=messaging("process", "audit"),
        ),
    ]
    _post(server, traces_request([(android(session), [client_span(trace_id, call, web=False)])]))
    _post(server, traces_request([(backend_resource("orders"), orders), (backend_resource("audit"), mailer)]))

    def shape(doc: dict[str, Any]) -> dict[str, tuple[Any, ...]]:
        return {
            q["producer_span_id"]: (
                q["consumer_trace_id"],
                q["consumer_span_id"],
                q["queue_wait_ns"],
                q["processing_ns"],
                q["status_code"],
            )
            for q in doc["queued"]
        }

    trace = poll_json(server, f"/api/v1/traces/{trace_id.hex()}", lambda d: len(d["spans"]) == 6)
    before = shape(trace)
    assert before[published.hex()] == (None, None, None, None, None)
    assert before[emailed.hex()] == (None, None, None, None, None)
    assert before[audited.hex()] == (trace_id.hex(), process.hex(), 8 * MS, 50 * MS, "unset")

    # minutes later, workers in their own traces pick the messages up (span links to the producers)
    worker_trace, worker_span = new_trace_id(), new_span_id()
    mail_trace, mail_span = new_trace_id(), new_span_id()
    w0 = s0 + 310 * MS + 3 * MINUTE
    workers = [
        span(
            worker_trace,
            worker_span,
            "process order-placed",
            w0,
            w0 + 1200 * MS,
            kind="consumer",
            attributes=messaging("process"),
            links=[(trace_id, published, {})],
            ok=True,
        ),
        span(
            mail_trace,
            mail_span,
            "process order-email",
            w0 + MINUTE,
            w0 + MINUTE + 80 * MS,
            kind="consumer",
            attributes=messaging("process", "order-email"),
            links=[(trace_id, emailed, {})],
            error="SMTP 550",
        ),
    ]
    _post(server, traces_request([(backend_resource("fulfilment-worker"), workers)]))

    def processed(doc: dict[str, Any]) -> bool:
        return all(q["consumer_span_id"] for q in doc["queued"])

    trace = poll_json(server, f"/api/v1/traces/{trace_id.hex()}", processed)
    for message in trace["queued"]:
        QueuedMessage.model_validate(message)
    after = shape(trace)
    assert after[published.hex()] == (worker_trace.hex(), worker_span.hex(), 3 * MINUTE, 1200 * MS, "ok")
    assert after[emailed.hex()] == (mail_trace.hex(), mail_span.hex(), 4 * MINUTE - 15 * MS, 80 * MS, "error")
    assert after[audited.hex()] == before[audited.hex()]
    assert [q["producer_span_id"] for q in trace["queued"]] == [published.hex(), emailed.hex(), audited.hex()]

    session_doc = poll_json(server, f"/api/v1/sessions/{session}", processed)
    assert shape(session_doc) == after
