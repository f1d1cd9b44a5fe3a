"""Crash groups across builds, crash list filters, 400/404 answers, and per-version health on known
data (each test works in its own time window of the shared crash server)."""

from __future__ import annotations

import pytest

from tests.conftest import LiveServer
from tests.query.crashes import stacks
from tests.query.crashes.scenario import (
    DAY,
    crashes,
    post_logs,
    post_requests,
    request_spans,
    uid,
    wait_crashes,
)
from tests.telemetry import BASE_TIME, SECOND, android_resource, ios_resource, log_record

CHECKOUT = "java.lang.IllegalStateException"
NPE = "java.lang.NullPointerException"


def _java_crash(time: int, session: str, exception_type: str, stacktrace: str) -> object:
    return log_record(
        time,
        event_name="app.crash",
        severity=17,
        attributes={
            "session.id": session,
            "exception.type": exception_type,
            "exception.message": "x",
            "exception.stacktrace": stacktrace,
            "thread.name": "main",
        },
    )


def test_same_crash_from_two_builds_is_one_group_and_another_exception_another(
    crash_server: LiveServer,
) -> None:
    t0 = BASE_TIME + 50 * DAY
    s1, s2, s3 = uid("g1"), uid("g2"), uid("g3")
    old_build = android_resource(app_version="3.2.1", device_id=uid("d"))
    new_build = android_resource(app_version="3.3.0", device_id=uid("d"))
    post_logs(
        crash_server,
        old_build,
        [
            _java_crash(t0 + 10 * SECOND, s1, CHECKOUT, stacks.java_checkout_crash(line=42, lambda_index=0)),
            _java_crash(t0 + 20 * SECOND, s1, NPE, stacks.java_npe_crash(line=88)),
        ],
    )
    post_logs(
        crash_server,
        new_build,
        [
            _java_crash(t0 + 30 * SECOND, s2, CHECKOUT, stacks.java_checkout_crash(line=57, lambda_index=3)),
            _java_crash(t0 + 40 * SECOND, s3, CHECKOUT, stacks.java_checkout_crash(line=61, lambda_index=1)),
        ],
    )
    window = {"since": str(t0), "until": str(t0 + 60 * SECOND)}
    wait_crashes(crash_server, 4, **window)
    response = crash_server.get("/api/v1/crash-groups", **window)
    assert response.status_code == 200
    groups = response.json()["groups"]
    assert [(g["exception_type"], g["count"], g["sessions"]) for g in groups] == [
        (CHECKOUT, 3, 3),
        (NPE, 1, 1),
    ]
    checkout = groups[0]
    assert checkout["app_versions"] == {"3.2.1": 1, "3.3.0": 2}
    assert (checkout["first_seen_unix_nano"], checkout["last_seen_unix_nano"]) == (
        t0 + 10 * SECOND,
        t0 + 40 * SECOND,
    )
    assert checkout["title"] == "IllegalStateException at com.shop.checkout.CheckoutViewModel.submitOrder"
    assert groups[0]["group_id"] != groups[1]["group_id"]

    in_group = crashes(crash_server, group_id=checkout["group_id"], **window)
    assert [c["time_unix_nano"] for c in in_group] == [t0 + 40 * SECOND, t0 + 30 * SECOND, t0 + 10 * SECOND]
    only_new = crash_server.get("/api/v1/crash-groups", app_version="3.3.0", **window).json()["groups"]
    assert [(g["group_id"], g["count"]) for g in only_new] == [(checkout["group_id"], 2)]


def test_crash_list_filters(crash_server: LiveServer) -> None:
    t0 = BASE_TIME + 60 * DAY
    session = uid("f")
    post_logs(
        crash_server,
        android_resource(app_version="4.0.0", device_id=uid("d")),
        [_java_crash(t0 + i * SECOND, session, CHECKOUT, stacks.java_checkout_crash()) for i in range(5)],
    )
    post_logs(
        crash_server,
        ios_resource(app_version="4.0.0 (1)", device_id=uid("d")),
        [
            log_record(
                t0 + 10 * SECOND,
                event_name="app.crash",
                attributes={
                    "session.id": uid("ios"),
                    "exception.type": "EXC_BAD_ACCESS",
                    "exception.stacktrace": stacks.apple_text_crash(),
                },
            )
        ],
    )
    window = {"since": str(t0), "until": str(t0 + 20 * SECOND)}
    everything = wait_crashes(crash_server, 6, **window)
    assert [c["time_unix_nano"] for c in everything] == [t0 + 10 * SECOND] + [
        t0 + i * SECOND for i in range(4, -1, -1)
    ]
    assert len(crashes(crash_server, limit=2, **window)) == 2
    assert {c["os_name"] for c in crashes(crash_server, os_name="iOS", **window)} == {"iOS"}
    assert len(crashes(crash_server, app_version="4.0.0", **window)) == 5
    assert len(crashes(crash_server, session_id=session, since="2020-01-01T00:00:00Z")) == 5
    assert len(crashes(crash_server, kind="native_crash", **window)) == 1
    rfc = crashes(crash_server, since=str(t0 + 2 * SECOND), until="2099-01-01T00:00:00Z", app_version="4.0.0")
    assert len(rfc) == 3


@pytest.mark.parametrize(
    ("path", "params", "named"),
    [
        ("/api/v1/crashes", {"colour": "red"}, "colour"),
        ("/api/v1/crashes", {"limit": "0"}, "limit"),
        ("/api/v1/crashes", {"since": "yesterday"}, "since"),
        ("/api/v1/crashes", {"kind": "meltdown"}, "kind"),
        ("/api/v1/crash-groups", {"session_id": "x"}, "session_id"),
        ("/api/v1/versions", {"app_version": "1"}, "app_version"),
        ("/api/v1/versions", {"until": "soon"}, "until"),
        ("/api/v1/crashes/abcdef", {"verbose": "1"}, "verbose"),
        ("/api/v1/crashes/not-a-crash-id", {}, "crash id"),
    ],
)
def test_bad_parameters_are_400_naming_them(
    crash_server: LiveServer, path: str, params: dict[str, str], named: str
) -> None:
    response = crash_server.get(path, **params)
    assert response.status_code == 400
    assert named in response.text


def test_unknown_crash_is_404(crash_server: LiveServer) -> None:
    response = crash_server.get("/api/v1/crashes/" + "ab" * 16)
    assert response.status_code == 404


def test_version_health_shares_and_crash_free_sessions(crash_server: LiveServer) -> None:
    until = BASE_TIME + 400 * DAY
    start = until - 6 * DAY
    android_v1 = [(uid("a1"), device) for device in ("d1", "d1", "d2", "d3")]
    android_v2 = [(uid("a2"), device) for device in ("d4", "d5")]
    ios_v1 = [(uid("i1"), device) for device in ("i-dev-1", "i-dev-2")]
    tag = uid("h")
    for app_version, sessions, make in (
        ("5.0.0", android_v1, android_resource),
        ("5.1.0", android_v2, android_resource),
        ("5.0.0 (9)", ios_v1, ios_resource),
    ):
        for n, (session, device) in enumerate(sessions):
            resource = make(app_version=app_version, device_id=f"{tag}-{device}")
            post_requests(
                crash_server, resource, [request_spans(start + n * 3600 * SECOND, session_id=session)]
            )
    # Outside the window: an older session of 5.0.0 (8 days before until) is not counted.
    post_requests(
        crash_server,
        android_resource(app_version="5.0.0", device_id=f"{tag}-old"),
        [request_spans(until - 8 * DAY, session_id=uid("old"))],
    )
    crash_time = start + 10 * SECOND
    post_logs(
        crash_server,
        android_resource(app_version="5.0.0", device_id=f"{tag}-d1"),
        [
            _java_crash(crash_time, android_v1[0][0], CHECKOUT, stacks.java_checkout_crash()),
            _java_crash(
                crash_time + SECOND, android_v1[0][0], NPE, stacks.java_npe_crash()
            ),  # same session again
        ],
    )
    post_logs(
        crash_server,
        android_resource(app_version="5.1.0", device_id=f"{tag}-d5"),
        [
            _java_crash(start + 3600 * SECOND + 5 * SECOND, android_v2[1][0], NPE, stacks.java_npe_crash()),
        ],
    )
    # A hang in another 5.0.0 session is recorded but does not make the session crash.
    post_logs(
        crash_server,
        android_resource(app_version="5.0.0", device_id=f"{tag}-d2"),
        [
            log_record(
                start + 2 * 3600 * SECOND + SECOND,
                attributes={"name": "metrickit.diagnostic.hang", "session.id": android_v1[2][0]},
            ),
        ],
        scope="MetricKit",
    )
    # iOS MetricKit crash without a session id: counted for the device's session at crash time.
    post_logs(
        crash_server,
        ios_resource(app_version="5.0.0 (9)", device_id=f"{tag}-i-dev-2"),
        [
            log_record(
                start + 3600 * SECOND + 20 * SECOND,
                observed=until,
                attributes={
                    "name": "metrickit.diagnostic.crash",
                    "exception.type": "EXC_CRASH",
                    "exception.stacktrace": stacks.metrickit_call_stack_tree(),
                },
            ),
        ],
        scope="MetricKit",
    )
    wait_crashes(crash_server, 5, since=str(start), until=str(until))

    response = crash_server.get("/api/v1/versions", until=str(until))
    assert response.status_code == 200
    rows = {(r["app_version"], r["os_name"]): r for r in response.json()["versions"]}
    assert set(rows) == {("5.0.0", "Android"), ("5.1.0", "Android"), ("5.0.0 (9)", "iOS")}
    v1, v2, ios = rows[("5.0.0", "Android")], rows[("5.1.0", "Android")], rows[("5.0.0 (9)", "iOS")]
    assert (v1["sessions"], v1["devices"], v1["share"], v1["crash_free_sessions"]) == (4, 3, 0.5, 0.75)
    assert (v2["sessions"], v2["devices"], v2["share"], v2["crash_free_sessions"]) == (2, 2, 0.25, 0.5)
    assert (ios["sessions"], ios["devices"], ios["share"], ios["crash_free_sessions"]) == (2, 2, 0.25, 0.5)

    only_ios = crash_server.get("/api/v1/versions", until=str(until), os_name="iOS").json()["versions"]
    assert [(r["app_version"], r["sessions"], r["share"], r["crash_free_sessions"]) for r in only_ios] == [
        ("5.0.0 (9)", 2, 1.0, 0.5)
    ]
    # A week later, none of it is in the window.
    assert crash_server.get("/api/v1/versions", until=str(until + 8 * DAY)).json()["versions"] == []
