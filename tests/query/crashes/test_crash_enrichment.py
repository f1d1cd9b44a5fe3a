"""Crash reports through real OTLP (the OTel Python SDK log exporter, protobuf and JSON) into a live
server, and the crash document's enrichment: last requests with server spans and gaps, backend
errors, the active span, the crashed session whatever the uploader and the arrival order."""

from __future__ import annotations

from typing import Any

from opentelemetry._logs import LogRecord, SeverityNumber
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import SimpleLogRecordProcessor
from opentelemetry.sdk.resources import Resource
from opentelemetry.trace import TraceFlags

from tests.conftest import LiveServer
from tests.query.crashes import stacks
from tests.query.crashes.scenario import (
    DAY,
    crash_doc,
    crashes,
    post_logs,
    post_requests,
    request_spans,
    uid,
    wait_crashes,
)
from tests.telemetry import (
    BASE_TIME,
    MS,
    SECOND,
    android_resource,
    ios_resource,
    key_values,
    log_record,
    logs_request,
    to_otlp_json,
)

JAVA_TYPE = "java.lang.IllegalStateException"


def _emit_with_sdk(
    server: LiveServer, resource: dict[str, Any], scope: str, records: list[LogRecord]
) -> None:
    """Send log records the way an app using the OpenTelemetry SDK does: LoggerProvider +
    OTLPLogExporter over HTTP/protobuf to the live server."""
    provider = LoggerProvider(resource=Resource.create(resource))
    provider.add_log_record_processor(
        SimpleLogRecordProcessor(OTLPLogExporter(endpoint=server.otlp_http + "/v1/logs"))
    )
    logger = provider.get_logger(scope, "0.11.0")
    for record in records:
        logger.emit(record)
    provider.shutdown()


def test_android_crash_from_sdk_exporter_is_enriched_with_last_requests_and_backend_errors(
    crash_server: LiveServer,
) -> None:
    session, device = uid("sess"), uid("pixel")
    resource = android_resource(app_version="3.2.1", device_id=device)
    t0 = BASE_TIME + 1 * DAY
    built = [
        request_spans(
            t0 + i * 2 * SECOND,
            session_id=session,
            status=503 if i == 10 else 200,
            client_ms=300 + i,
            server_ms=100 + i,
        )
        for i in range(12)
    ]
    after = request_spans(t0 + 40 * SECOND, session_id=session)  # after the crash: never listed
    requests = post_requests(crash_server, resource, [*built, after])
    last = requests[11]
    crash_time = t0 + 30 * SECOND
    _emit_with_sdk(
        crash_server,
        resource,
        "io.opentelemetry.crash",
        [
            LogRecord(
                timestamp=crash_time,
                observed_timestamp=crash_time + 2 * SECOND,
                trace_id=int(last.trace_id, 16),
                span_id=int(last.client_span_id, 16),
                trace_flags=TraceFlags(1),
                severity_number=SeverityNumber.ERROR,
                event_name="app.crash",
                attributes={
                    "session.id": session,
                    "exception.type": JAVA_TYPE,
                    "exception.message": "Cart is empty for user 81234",
                    "exception.stacktrace": stacks.java_checkout_crash(),
                    "thread.id": 2,
                    "thread.name": "main",
                    "network.connection.type": "cell",
                    "network.connection.subtype": "lte",
                },
            )
        ],
    )

    listed = wait_crashes(crash_server, 1, session_id=session)
    assert len(listed) == 1
    crash = listed[0]
    assert crash["time_unix_nano"] == crash_time
    assert (crash["session_id"], crash["session_inferred"], crash["kind"]) == (session, False, "crash")
    assert crash["trace_id"] == last.trace_id and crash["span_id"] == last.client_span_id

    document = crash_doc(crash_server, crash["crash_id"])
    assert document["exception_type"] == JAVA_TYPE
    assert document["exception_message"] == "Cart is empty for user 81234"
    assert "CheckoutViewModel.submitOrder(CheckoutViewModel.kt:42)" in document["stacktrace"]
    assert (document["app_version"], document["os_name"], document["os_version"]) == (
        "3.2.1",
        "Android",
        "14",
    )
    assert (document["device_model"], document["network_type"]) == ("Pixel 7", "lte")
    assert document["group_id"] == crash["group_id"]

    expected = requests[2:12]  # the last ten before the crash, oldest first
    got = document["last_requests"]
    assert [r["client_span_id"] for r in got] == [r.client_span_id for r in expected]
    for entry, request in zip(got, expected, strict=True):
        assert entry["trace_id"] == request.trace_id
        assert entry["server_span_id"] == request.server_span_id
        assert entry["route"] == request.route  # the server's http.route, as in the gap and latency
        assert entry["client_duration_ns"] == request.client_duration
        assert entry["server_duration_ns"] == request.server_duration
        assert entry["gap_ns"] == request.client_duration - (request.server_duration or 0)
        assert entry["http_status_code"] == request.status
        assert entry["start_time_unix_nano"] == request.start
    failing = requests[10]
    assert [
        (e["trace_id"], e["span_id"], e["http_status_code"], e["service_name"])
        for e in document["backend_errors"]
    ] == [(failing.trace_id, failing.server_span_id, 503, "orders")]
    assert document["backend_errors"][0]["status_message"] == "upstream inventory timeout"
    assert document["active_span"]["span_id"] == last.client_span_id
    assert document["active_span"]["kind"] == "client"

    three = crash_doc(crash_server, crash["crash_id"], last_requests=3)["last_requests"]
    assert [r["client_span_id"] for r in three] == [r.client_span_id for r in requests[9:12]]

    # The crash shows in its trace and its session (the query service calls the crash lookups).
    trace = crash_server.get(f"/api/v1/traces/{last.trace_id}").json()
    assert [c["crash_id"] for c in trace["crashes"]] == [crash["crash_id"]]
    session_doc = crash_server.get(f"/api/v1/sessions/{session}").json()
    assert [c["crash_id"] for c in session_doc["crashes"]] == [crash["crash_id"]]


def test_ios_crash_as_raw_otlp_json_with_uppercase_ids(crash_server: LiveServer) -> None:
    session, device = uid("IOS-SESS").upper(), uid("ios-device")
    resource = ios_resource(device_id=device, **{"session.id": session})
    t0 = BASE_TIME + 2 * DAY
    request, client, backend = request_spans(
        t0, session_id=session, route="/api/checkout", path="/api/checkout"
    )
    post_requests(crash_server, resource, [(request, client, backend)])
    record = log_record(
        t0 + 5 * SECOND,
        observed=t0 + 600 * SECOND,
        severity=21,
        severity_text="FATAL",
        trace_id=bytes.fromhex(request.trace_id),
        span_id=bytes.fromhex(request.client_span_id),
        attributes={
            "emb.type": "sys.ios.crash",
            "exception.type": "NSInvalidArgumentException",
            "exception.message": "-[__NSCFNumber length]: unrecognized selector sent to instance 0x8c1a",
            "exception.stacktrace": stacks.apple_text_crash(),
        },
    )
    body = to_otlp_json(
        logs_request([(resource, [record])], scope="EmbraceCrashReporter"),
        uppercase_ids=True,
        ints_as_numbers=True,
    )
    assert crash_server.post("/v1/logs", body, content_type="application/json").status_code == 200

    crash = wait_crashes(crash_server, 1, session_id=session)[0]
    assert (crash["kind"], crash["os_name"], crash["app_version"]) == ("crash", "iOS", "3.2.1 (412)")
    assert crash["trace_id"] == request.trace_id and crash["time_unix_nano"] == t0 + 5 * SECOND
    document = crash_doc(crash_server, crash["crash_id"])
    assert document["frames"][:2] == [
        "libswiftCore.dylib:_assertionFailure(_:_:file:line:flags:)",
        "ShopApp:CartStore.checkout(items:)",
    ]
    assert [r["server_span_id"] for r in document["last_requests"]] == [request.server_span_id]
    assert document["active_span"]["span_id"] == request.client_span_id


def test_native_crash_replayed_at_next_launch_belongs_to_the_crashed_session(
    crash_server: LiveServer,
) -> None:
    crashed, relaunched, device = uid("sess-a"), uid("sess-b"), uid("pixel")
    t0 = BASE_TIME + 3 * DAY
    resource = android_resource(app_version="3.2.1", device_id=device)
    requests = post_requests(
        crash_server,
        resource,
        [request_spans(t0 + i * SECOND, session_id=crashed, status=500 if i == 2 else 200) for i in range(3)],
    )
    post_requests(crash_server, resource, [request_spans(t0 + 3 * 3600 * SECOND, session_id=relaunched)])
    crash_time = t0 + 4 * SECOND
    # Uploaded three hours later by the next launch: the uploader's session is on the resource,
    # the crashed session on the record.
    uploader = android_resource(app_version="3.2.1", device_id=device, session_id=relaunched)
    record = log_record(
        crash_time,
        observed=t0 + 3 * 3600 * SECOND + 5 * SECOND,
        event_name="app.crash",
        severity=21,
        attributes={
            "session.id": crashed,
            "exception.type": "SIGSEGV",
            "exception.message": "Segmentation fault",
            "exception.stacktrace": stacks.native_sigsegv(),
            "signal": 11,
        },
    )
    post_logs(crash_server, uploader, [record], scope="io.opentelemetry.native-crash")

    crash = wait_crashes(crash_server, 1, session_id=crashed)[0]
    assert (crash["kind"], crash["exception_type"], crash["time_unix_nano"]) == (
        "native_crash",
        "SIGSEGV",
        crash_time,
    )
    assert crashes(crash_server, session_id=relaunched) == []
    document = crash_doc(crash_server, crash["crash_id"])
    assert [r["client_span_id"] for r in document["last_requests"]] == [r.client_span_id for r in requests]
    assert [e["span_id"] for e in document["backend_errors"]] == [requests[2].server_span_id]
    assert document["frames"][:2] == ["libc.so:abort", "libimagecodec.so:decode_row"]


def test_embrace_jvm_crash_uploaded_a_day_after_the_session_ended(crash_server: LiveServer) -> None:
    session, device = uid("emb-sess"), uid("emb-device")
    t0 = BASE_TIME + 4 * DAY
    resource = android_resource(
        device_id=device, **{"os.name": "android", "telemetry.distro.name": "embrace"}
    )
    requests = post_requests(crash_server, resource, [request_spans(t0, session_id=session)])
    record = log_record(
        t0 + 2 * SECOND,
        observed=t0 + DAY,
        severity=17,
        severity_text="ERROR",
        attributes={
            "emb.type": "sys.android.crash",
            "emb.user_session_id": session,
            "emb.state": "foreground",
            "emb.android.crash_number": "1",
            "exception.type": "java.lang.RuntimeException",
            "exception.message": "boom",
            "exception.stacktrace": stacks.java_npe_crash(),
        },
    )
    post_logs(crash_server, resource, [record], scope="io.embrace.android")
    crash = wait_crashes(crash_server, 1, session_id=session)[0]
    assert (crash["kind"], crash["time_unix_nano"], crash["os_name"]) == ("crash", t0 + 2 * SECOND, "Android")
    assert crash["event_name"] == "sys.android.crash"
    document = crash_doc(crash_server, crash["crash_id"])
    assert [r["client_span_id"] for r in document["last_requests"]] == [requests[0].client_span_id]


def test_crash_arriving_before_its_spans_is_enriched_once_they_arrive(crash_server: LiveServer) -> None:
    session, device = uid("sess"), uid("pixel")
    t0 = BASE_TIME + 5 * DAY
    resource = android_resource(device_id=device)
    built = [
        request_spans(t0 + i * SECOND, session_id=session, status=502 if i == 1 else 200) for i in range(2)
    ]
    last = built[-1][0]
    record = log_record(
        t0 + 3 * SECOND,
        event_name="app.crash",
        trace_id=bytes.fromhex(last.trace_id),
        span_id=bytes.fromhex(last.client_span_id),
        attributes={
            "session.id": session,
            "exception.type": JAVA_TYPE,
            "exception.message": "early",
            "exception.stacktrace": stacks.java_checkout_crash(),
        },
    )
    post_logs(crash_server, resource, [record])
    crash = wait_crashes(crash_server, 1, session_id=session)[0]
    before = crash_doc(crash_server, crash["crash_id"])
    assert before["last_requests"] == [] and before["backend_errors"] == [] and before["active_span"] is None

    post_requests(crash_server, resource, built)
    crash_server.wait_for(lambda: len(crash_doc(crash_server, crash["crash_id"])["last_requests"]) == 2)
    after = crash_doc(crash_server, crash["crash_id"])
    assert [r["client_span_id"] for r in after["last_requests"]] == [r.client_span_id for r, _, _ in built]
    assert [e["span_id"] for e in after["backend_errors"]] == [last.server_span_id]
    assert after["active_span"]["span_id"] == last.client_span_id
    assert after["group_id"] == before["group_id"]


def test_metrickit_crash_without_session_id_is_attached_to_the_device_session_at_crash_time(
    crash_server: LiveServer,
) -> None:
    earlier, active, device = uid("MK-S1"), uid("MK-S2"), uid("ios-device")
    t0 = BASE_TIME + 6 * DAY
    resource = ios_resource(device_id=device)
    post_requests(
        crash_server, resource, [request_spans(t0 + i * SECOND, session_id=earlier) for i in range(2)]
    )
    active_requests = post_requests(
        crash_server,
        resource,
        [request_spans(t0 + 3600 * SECOND + i * SECOND, session_id=active) for i in range(3)],
    )
    crash_time = t0 + 3600 * SECOND + 30 * SECOND
    attrs = {
        "name": "metrickit.diagnostic.crash",
        "exception.type": "EXC_BAD_ACCESS",
        "exception.message": "Could not access memory",
        "exception.stacktrace": stacks.metrickit_call_stack_tree(),
        "metrickit.diagnostic.crash.exception.signal": 11,
        "metrickit.diagnostic.crash.exception.signal.name": "SIGSEGV",
    }
    hang = {
        "name": "metrickit.diagnostic.hang",
        "metrickit.diagnostic.hang.hang_duration": 4.5,
        "exception.stacktrace": stacks.metrickit_call_stack_tree(7),
    }
    post_logs(
        crash_server,
        resource,
        [
            log_record(crash_time, observed=t0 + DAY, attributes=attrs),
            log_record(crash_time - 10 * SECOND, observed=t0 + DAY, attributes=hang),
        ],
        scope="MetricKit",
    )

    listed = wait_crashes(crash_server, 2, session_id=active)
    by_kind = {c["kind"]: c for c in listed}
    assert set(by_kind) == {"native_crash", "hang"}
    crash = by_kind["native_crash"]
    assert (crash["session_id"], crash["session_inferred"], crash["fatal"]) == (active, True, True)
    assert (by_kind["hang"]["fatal"], by_kind["hang"]["exception_type"]) == (False, "Hang")
    assert crashes(crash_server, session_id=earlier) == []
    document = crash_doc(crash_server, crash["crash_id"])
    assert document["session_inferred"] is True
    assert [r["client_span_id"] for r in document["last_requests"]] == [
        r.client_span_id for r in active_requests
    ]

    # Session search sees the inferred crash too.
    def search(has_crash: str) -> list[str]:
        found = crash_server.get("/api/v1/sessions", device_id=device, has_crash=has_crash)
        assert found.status_code == 200, found.text
        return [s["session_id"] for s in found.json()["sessions"]]

    assert search("true") == [active]
    assert search("false") == [earlier]


def test_resent_crash_is_listed_once(crash_server: LiveServer) -> None:
    session = uid("sess")
    t0 = BASE_TIME + 7 * DAY
    resource = android_resource(device_id=uid("pixel"))
    record = log_record(
        t0,
        event_name="app.crash",
        attributes={
            "session.id": session,
            "exception.type": JAVA_TYPE,
            "exception.stacktrace": stacks.java_checkout_crash(),
        },
    )
    body = logs_request([(resource, [record])]).SerializeToString()
    for _ in range(3):
        assert crash_server.post("/v1/logs", body).status_code == 200
    marker = log_record(
        t0 + SECOND,
        event_name="device.crash",
        attributes={"session.id": session, "exception.type": "java.lang.OutOfMemoryError"},
    )
    post_logs(crash_server, resource, [marker])
    listed = wait_crashes(crash_server, 2, session_id=session)
    assert sorted(c["exception_type"] for c in listed) == [JAVA_TYPE, "java.lang.OutOfMemoryError"]


def test_recognition_rules_for_span_events_anrs_and_error_logs(crash_server: LiveServer) -> None:
    session = uid("sess")
    t0 = BASE_TIME + 8 * DAY
    resource = android_resource(device_id=uid("pixel"))
    request, client, backend = request_spans(t0, session_id=session)
    escaped = (
        "exception",
        t0 + 50 * MS,
        {
            "exception.type": "java.io.InterruptedIOException",
            "exception.message": "thread interrupted",
            "exception.escaped": True,
        },
    )
    handled = (
        "exception",
        t0 + 60 * MS,
        {"exception.type": "java.net.SocketTimeoutException", "exception.message": "timeout"},
    )
    client[0].events.add(name=escaped[0], time_unix_nano=escaped[1])
    client[0].events[-1].attributes.extend(key_values(escaped[2]))
    client[0].events.add(name=handled[0], time_unix_nano=handled[1])
    client[0].events[-1].attributes.extend(key_values(handled[2]))
    post_requests(crash_server, resource, [(request, client, backend)])
    post_logs(
        crash_server,
        resource,
        [
            # a handled error log: not a crash
            log_record(
                t0 + SECOND,
                severity=17,
                attributes={"session.id": session, "exception.type": "java.io.IOException"},
            ),
            # a fatal log with exception attributes: a crash of kind "exception"
            log_record(
                t0 + 2 * SECOND,
                severity=21,
                attributes={"session.id": session, "exception.type": "java.lang.AssertionError"},
            ),
        ],
        scope="com.shop.logging",
    )
    # an ANR with the main thread's stack, sent last: once it is listed, the records above are stored
    post_logs(
        crash_server,
        resource,
        [
            log_record(
                t0 + 3 * SECOND,
                event_name="device.anr",
                attributes={"session.id": session, "exception.stacktrace": stacks.java_checkout_crash()},
            )
        ],
        scope="io.opentelemetry.anr",
    )
    listed = wait_crashes(crash_server, 3, session_id=session)
    kinds = sorted((c["kind"], c["exception_type"], c["source"]) for c in listed)
    assert kinds == [
        ("anr", "ANR", "log"),
        ("crash", "java.io.InterruptedIOException", "span_event"),
        ("exception", "java.lang.AssertionError", "log"),
    ]
    span_crash = next(c for c in listed if c["source"] == "span_event")
    assert (span_crash["trace_id"], span_crash["span_id"]) == (request.trace_id, request.client_span_id)
    assert span_crash["time_unix_nano"] == t0 + 50 * MS
    trace = crash_server.get(f"/api/v1/traces/{request.trace_id}").json()
    assert [c["crash_id"] for c in trace["crashes"]] == [span_crash["crash_id"]]


def test_non_finite_double_attribute_does_not_break_crash_answers(crash_server: LiveServer) -> None:
    session = uid("sess")
    resource = android_resource(device_id=uid("pixel"))
    record = log_record(
        BASE_TIME + 9 * DAY,
        event_name="app.crash",
        attributes={"session.id": session, "exception.type": JAVA_TYPE, "battery.temperature": float("nan")},
    )
    post_logs(crash_server, resource, [record])
    (listed,) = wait_crashes(crash_server, 1, session_id=session)
    document = crash_doc(crash_server, listed["crash_id"])
    assert document["attributes"]["battery.temperature"] == "NaN"  # as OTLP/JSON writes it
    assert crash_server.get("/api/v1/crash-groups").status_code == 200
