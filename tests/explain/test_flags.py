"""GET /api/v1/flags on evaluations shaped like OpenFeature's OTel hooks send them (span events and
log records, current and older event names), with crashes and stale flags."""

from __future__ import annotations

from typing import Any

from tests.conftest import LiveServer
from tests.explain.shapes import Call, android, backend_groups, client_span, web_resource
from tests.query.builders import poll_json, unique
from tests.telemetry import (
    BASE_TIME,
    MS,
    SECOND,
    log_record,
    logs_request,
    new_span_id,
    new_trace_id,
    traces_request,
)
from tracebridge.query.explain_models import Flags
from tracebridge.query.flags import Evaluation, stale_flags

DAY = 24 * 3600 * SECOND


def evaluation_event(key: str, variant: str, at: int) -> tuple[str, int, dict[str, Any]]:
    """OpenFeature's OpenTelemetry hook (current semantic conventions)."""
    return (
        "feature_flag.evaluation",
        at,
        {
            "feature_flag.key": key,
            "feature_flag.result.variant": variant,
            "feature_flag.result.reason": "targeting_match",
            "feature_flag.provider.name": "flagd",
        },
    )


def _post(server: LiveServer, path: str, message: Any) -> None:
    assert server.post(path, message.SerializeToString()).status_code == 200


def _request(server: LiveServer, session: str, call: Call) -> bytes:
    trace_id = new_trace_id()
    _post(
        server, "/v1/traces", traces_request([(android(session), [client_span(trace_id, call, web=False)])])
    )
    _post(server, "/v1/traces", traces_request(backend_groups(trace_id, call)))
    return trace_id


def test_flag_variants_latency_crashes_and_sources(server: LiveServer) -> None:
    key = unique("new_checkout")
    start = BASE_TIME + 2000 * SECOND
    # treatment: 3 sessions, slower, one crashes; control: 2 sessions
    for index, (variant, client_ms) in enumerate(
        [("treatment", 900), ("treatment", 1100), ("treatment", 1300), ("control", 400), ("control", 500)]
    ):
        session = unique(f"flag-{variant}")
        at = start + index * SECOND
        call = Call(
            at, client_ms * MS, 200 * MS, route="/checkout", events=[evaluation_event(key, variant, at)]
        )
        trace_id = _request(server, session, call)
        if index == 2:
            crash = log_record(
                at + 2 * SECOND,
                event_name="app.crash",
                severity=17,
                attributes={
                    "session.id": session,
                    "exception.type": "java.lang.IllegalStateException",
                    "exception.message": "checkout v2 state",
                    "exception.stacktrace": "java.lang.IllegalStateException: checkout v2 state\n"
                    "\tat com.shop.checkout.V2.submit(V2.kt:42)\n",
                },
                trace_id=trace_id,
                span_id=call.client_id,
            )
            _post(server, "/v1/logs", logs_request([(android(session), [crash])]))

    # the older `feature_flag` event on a backend span: counts for the trace's session
    old_key = unique("legacy_banner")
    session = unique("flag-backend")
    trace_id = new_trace_id()
    call = Call(start + 10 * SECOND, 300 * MS, 100 * MS)
    _post(
        server, "/v1/traces", traces_request([(android(session), [client_span(trace_id, call, web=False)])])
    )
    groups = backend_groups(trace_id, call)
    groups[0][1][0].events.add(name="feature_flag", time_unix_nano=call.start + 150 * MS).attributes.extend(
        traces_request([({"feature_flag.key": old_key, "feature_flag.variant": "on"}, [])])
        .resource_spans[0]
        .resource.attributes
    )
    _post(server, "/v1/traces", traces_request(groups))
    # a web client's evaluation as a log record (OTel Events API) in a span's context
    web_session = unique("flag-web")
    record = log_record(
        start + 11 * SECOND,
        event_name="feature_flag.evaluation",
        attributes={
            "feature_flag.key": old_key,
            "feature_flag.result.variant": "on",
            "feature_flag.provider.name": "LaunchDarkly",
        },
        trace_id=new_trace_id(),
        span_id=new_span_id(),
    )
    _post(server, "/v1/logs", logs_request([(web_resource(web_session), [record])]))

    def ready(doc: dict[str, Any]) -> bool:
        rows = [r for r in doc["flags"] if r["key"] in (key, old_key)]
        return sum(r["evaluations"] for r in rows) == 7 and any(
            r["crash_free_sessions"] not in (None, 1.0) for r in rows
        )

    doc = poll_json(server, "/api/v1/flags", ready, until=str(start + DAY))
    Flags.model_validate(doc)
    rows = {(r["key"], r["variant"]): r for r in doc["flags"]}
    treatment, control = rows[(key, "treatment")], rows[(key, "control")]
    assert (treatment["evaluations"], treatment["sessions"]) == (3, 3)
    assert abs(treatment["crash_free_sessions"] - 2 / 3) < 1e-9
    assert control["crash_free_sessions"] == 1.0
    assert treatment["client_p50_ms"] == 1100.0 and control["client_p50_ms"] == 450.0
    assert treatment["client_p99_ms"] == 1296.0
    assert treatment["server_p99_ms"] == 200.0 and treatment["gap_p99_ms"] == 1096.0
    assert (
        treatment["first_seen_unix_nano"] == start and treatment["last_seen_unix_nano"] == start + 2 * SECOND
    )
    legacy = rows[(old_key, "on")]
    assert (legacy["evaluations"], legacy["sessions"]) == (2, 2)
    assert (
        legacy["client_p50_ms"] is None
    )  # evaluated on a backend span and a log: no client request carries it

    filtered = server.get("/api/v1/flags", os_name="Android", until=str(start + DAY)).json()
    assert (old_key, "on") in {(r["key"], r["variant"]) for r in filtered["flags"]}
    assert next(r for r in filtered["flags"] if r["key"] == old_key)["evaluations"] == 1
    assert server.get("/api/v1/flags", flavour="x").status_code == 400
    assert server.get("/api/v1/flags", until="yesterday").status_code == 400

    later = server.get("/api/v1/flags", until=str(start + 120 * DAY)).json()
    stale = {s["key"]: s for s in later["stale"]}
    assert stale[old_key] == {
        "key": old_key,
        "variant": "on",
        "single_variant_since_unix_nano": start + 10 * SECOND + 150 * MS,
    }
    # the checkout flag has returned only "control" since its 4th evaluation
    assert (
        stale[key]["variant"] == "control"
        and stale[key]["single_variant_since_unix_nano"] == start + 3 * SECOND
    )
    sooner = server.get("/api/v1/flags", until=str(start + 60 * DAY)).json()
    assert not {key, old_key} & {s["key"] for s in sooner["stale"]}


def _evaluation(key: str, variant: str, at: int) -> Evaluation:
    return Evaluation(key, variant, at, "t", "s", "sess", "1.0", "Android")


def test_stale_rule() -> None:
    until = 200 * DAY
    evaluations = [
        _evaluation("old", "on", 10 * DAY),
        _evaluation("old", "on", 190 * DAY),
        _evaluation("flipped", "a", 10 * DAY),
        _evaluation("flipped", "b", 150 * DAY),
        _evaluation("flipped", "b", 160 * DAY),
        _evaluation("young", "x", 150 * DAY),
        _evaluation("rolled", "off", 1 * DAY),
        _evaluation("rolled", "on", 100 * DAY),
        _evaluation("rolled", "on", 199 * DAY),
    ]
    assert stale_flags(evaluations, until) == [
        {"key": "old", "variant": "on", "single_variant_since_unix_nano": 10 * DAY},
        {"key": "rolled", "variant": "on", "single_variant_since_unix_nano": 100 * DAY},
    ]
    # exactly 90 days is not more than 90 days
    assert stale_flags([_evaluation("edge", "x", 110 * DAY)], until) == []
