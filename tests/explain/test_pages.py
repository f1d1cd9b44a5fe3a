"""The pages show issue 14's parts: phases/edge/queued on trace and session pages, phase p99s and
screens on the latency dashboard, the flags dashboard with its stale list."""

from __future__ import annotations

from typing import Any

from tests.conftest import LiveServer
from tests.explain.shapes import Call, android, request_payloads
from tests.explain.test_flags import evaluation_event
from tests.query.builders import poll_json, unique
from tests.telemetry import BASE_TIME, MS, SECOND, backend_resource, new_span_id, span, traces_request
from tracebridge.dashboards.render_explain import latency_phase_section

DAY = 24 * 3600 * SECOND


def _post(server: LiveServer, message: Any) -> None:
    if message.resource_spans:
        assert server.post("/v1/traces", message.SerializeToString()).status_code == 200


def test_pages_show_phases_edge_queued_and_flags(server: LiveServer) -> None:
    session = unique("pages")
    key = unique("checkout_v2")
    start = BASE_TIME + 20000 * SECOND
    call = Call(
        start,
        700 * MS,
        300 * MS,
        edge_ns=500 * MS,
        route="/pages-products/{id}",
        attributes={"http.client.resolve_dns_ms": 42, "http.connection.response_headers_ms": 480},
        events=[evaluation_event(key, "on", start)],
    )
    trace_id, client, backend = request_payloads(android(session), call)
    producer = span(
        trace_id,
        new_span_id(),
        "send order-placed",
        start + 300 * MS,
        start + 301 * MS,
        parent=call.origin_id,
        kind="producer",
    )
    backend.resource_spans.add().CopyFrom(
        traces_request([(backend_resource("catalog"), [producer])]).resource_spans[0]
    )
    _post(server, client)
    _post(server, backend)
    poll_json(server, f"/api/v1/traces/{trace_id.hex()}", lambda d: len(d["spans"]) == 5)

    trace_page = server.get(f"/traces/{trace_id.hex()}").text
    assert "Where the gap went" in trace_page and "okhttp" in trace_page and "42.0" in trace_page
    assert (
        "via edge-cache" in trace_page and "Queued work" in trace_page and "not processed yet" in trace_page
    )
    session_page = server.get(f"/sessions/{session}").text
    assert "okhttp" in session_page and "send order-placed" in session_page

    latency = server.get("/dashboards/latency").text
    assert "Network phase p99 per route" in latency and "/pages-products/{id}" in latency
    assert "Network phase p99 per network type" in latency and "Screens: time to usable" in latency

    flags = server.get("/dashboards/flags", until=str(start + 100 * DAY))
    assert flags.status_code == 200
    assert key in flags.text and "Stale flags" in flags.text
    assert 'id="stale"' in flags.text and flags.text.index(key, flags.text.index('id="stale"')) > 0
    assert server.get("/dashboards/flags", bogus="1").status_code == 400


def test_openapi_describes_the_new_endpoints(server: LiveServer) -> None:
    schema = server.get("/openapi.json").json()
    for path, model in (("/api/v1/flags", "Flags"), ("/api/v1/screens", "Screens")):
        answer = schema["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        assert answer == {"$ref": f"#/components/schemas/{model}"}
    components = schema["components"]["schemas"]
    assert "single_variant_since_unix_nano" in components["StaleFlag"]["properties"]
    assert "time_to_usable_p99_ms" in components["ScreenRow"]["properties"]
    assert {"phases", "edge"} <= set(components["Gap"]["properties"])
    assert "queued" in components["Trace"]["properties"] and "queued" in components["Session"]["properties"]
    assert {"phases", "edge_served_share"} <= set(components["LatencyRow"]["properties"])
    assert {"queue_wait_ns", "consumer_span_id"} <= set(components["QueuedMessage"]["properties"])
    assert {"client_to_edge_ns", "served_at_edge"} <= set(components["Edge"]["properties"])
    assert "after_response_ns" in components["Phases"]["properties"]


def test_latency_phase_section_says_when_it_measured_part_of_the_window() -> None:
    bound = "Screens: the newest 10,000 screen visits of this window <narrow since/until>."
    html = str(latency_phase_section([], [], [], [bound]))
    assert '<p class="bound">Screens: the newest 10,000 screen visits of this window &lt;narrow' in html
    assert 'class="bound"' not in str(latency_phase_section([], [], []))
