"""The one phase mapping over the three shapes SDKs send (pure: StoredSpan in, Phases out)."""

from __future__ import annotations

from tests.explain.spans import MS, T0, stored
from tracebridge.query.phases import Phases, request_phases
from tracebridge.store.rows import NetworkTimingLog


def web_events(start: int, reused: bool = False) -> list[tuple[str, int, dict[str, object]]]:
    """opentelemetry-js fetch instrumentation: one event per non-zero PerformanceResourceTiming
    field, at the field's time (a reused connection has domainLookup*/connect* equal to fetchStart
    and no secureConnectionStart)."""
    if reused:
        return [
            ("fetchStart", start, {}),
            ("domainLookupStart", start, {}),
            ("domainLookupEnd", start, {}),
            ("connectStart", start, {}),
            ("connectEnd", start, {}),
            ("requestStart", start + 2 * MS, {}),
            ("responseStart", start + 200 * MS, {}),
            ("responseEnd", start + 230 * MS, {}),
        ]
    return [
        ("fetchStart", start, {}),
        ("domainLookupStart", start + 4 * MS, {}),
        ("domainLookupEnd", start + 24 * MS, {}),
        ("connectStart", start + 24 * MS, {}),
        ("secureConnectionStart", start + 40 * MS, {}),
        ("connectEnd", start + 90 * MS, {}),
        ("requestStart", start + 91 * MS, {}),
        ("responseStart", start + 391 * MS, {}),
        ("responseEnd", start + 400 * MS, {}),
    ]


def test_resource_timing_follows_the_contract_rules() -> None:
    span = stored("c1", T0, 410 * MS, events=web_events(T0))
    assert request_phases(span) == Phases(
        source="resource_timing",
        stall_ns=4 * MS,
        dns_ns=20 * MS,
        connect_ns=66 * MS,
        tls_ns=50 * MS,
        request_ns=None,
        wait_ns=300 * MS,
        download_ns=9 * MS,
        after_response_ns=10 * MS,
    )


def test_reused_connection_keeps_zero_phases_and_no_tls() -> None:
    phases = request_phases(stored("c1", T0, 230 * MS, events=web_events(T0, reused=True)))
    assert phases is not None
    assert (phases.dns_ns, phases.connect_ns, phases.stall_ns) == (0, 0, 0)
    assert phases.tls_ns is None
    assert phases.after_response_ns == 0


def test_okhttp_durations_from_sentry_listener_attributes() -> None:
    attributes = {
        "http.request.method": "POST",
        "http.client.resolve_dns_ms": 31,
        "http.connect_ms": 140,
        "http.connect.secure_connect_ms": 88,
        "http.connection.request_headers_ms": 2,
        "http.connection.request_body_ms": 3.5,
        "http.connection.response_headers_ms": 612,
        "http.connection.response_body_ms": "45",
    }
    phases = request_phases(stored("c1", T0, 900 * MS, attributes=attributes))
    assert phases == Phases(
        source="okhttp",
        dns_ns=31 * MS,
        connect_ns=140 * MS,
        tls_ns=88 * MS,
        request_ns=5_500_000,
        wait_ns=612 * MS,
        download_ns=45 * MS,
    )


def test_okhttp_reused_connection_reports_only_what_it_measured() -> None:
    attributes = {"http.connection.response_headers_ms": 0, "http.connection.response_body_ms": 12}
    phases = request_phases(stored("c1", T0, 40 * MS, attributes=attributes))
    assert phases is not None
    assert phases.wait_ns == 0 and phases.download_ns == 12 * MS
    assert phases.dns_ns is None and phases.connect_ns is None


def network_timing(relative: bool) -> NetworkTimingLog:
    call_ms = T0 // MS
    offsets = {
        "http.call.start_time": 0,
        "http.dns.start_time": 3,
        "http.dns.end_time": 30,
        "http.connect.start_time": 30,
        "http.secure_connect.start_time": 60,
        "http.secure_connect.end_time": 120,
        "http.connect.end_time": 120,
        "http.request.headers.start_time": 121,
        "http.request.headers.end_time": 122,
        "http.response.headers.start_time": 123,
        "http.response.headers.end_time": 700,
        "http.response.body.start_time": 700,
        "http.response.body.end_time": 760,
        "http.call.end_time": 760,
    }
    record_time = T0 + 800 * MS
    if relative:  # ms after the record's timestamp (negative values are not allowed: use call start)
        record_time = T0
        return NetworkTimingLog("ab" * 16, "c1", record_time, offsets)
    return NetworkTimingLog("ab" * 16, "c1", record_time, {k: call_ms + v for k, v in offsets.items()})


def test_network_timing_absolute_and_relative_agree() -> None:
    span = stored("c1", T0, 765 * MS)
    expected = Phases(
        source="network_timing",
        stall_ns=3 * MS,
        dns_ns=27 * MS,
        connect_ns=90 * MS,
        tls_ns=60 * MS,
        request_ns=1 * MS,
        wait_ns=578 * MS,
        download_ns=60 * MS,
        after_response_ns=5 * MS,
    )
    assert request_phases(span, network_timing(relative=False)) == expected
    assert request_phases(span, network_timing(relative=True)) == expected


def test_inconsistent_phases_are_null_not_clamped() -> None:
    # the span is shorter than the recorded wait: the wait is dropped, the rest kept
    attributes = {"http.client.resolve_dns_ms": 10, "http.connection.response_headers_ms": 5000}
    phases = request_phases(stored("c1", T0, 300 * MS, attributes=attributes))
    assert phases is not None and phases.dns_ns == 10 * MS and phases.wait_ns is None
    # events out of order give a negative phase: null
    events = [("requestStart", T0 + 50 * MS, {}), ("responseStart", T0 + 20 * MS, {})]
    assert request_phases(stored("c2", T0, 100 * MS, events=events)) is None


def test_nothing_recorded_is_none() -> None:
    assert request_phases(stored("c1", T0, 300 * MS, attributes={"http.request.method": "GET"})) is None
    assert request_phases(stored("c1", T0, 300 * MS, events=[("exception", T0, {})])) is None


def test_to_json_has_every_contract_field() -> None:
    phases = request_phases(stored("c1", T0, 410 * MS, events=web_events(T0)))
    assert phases is not None
    assert list(phases.to_json()) == [
        "source",
        "stall_ns",
        "dns_ns",
        "connect_ns",
        "tls_ns",
        "request_ns",
        "wait_ns",
        "download_ns",
        "after_response_ns",
    ]
