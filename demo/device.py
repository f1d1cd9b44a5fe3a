"""One simulated phone running the shop app, instrumented the way the OpenTelemetry mobile SDKs do
it, through the real OpenTelemetry Python SDK: one TracerProvider and one LoggerProvider per device
with the resource the SDK would set, a device clock that is off by the device's skew, a disk buffer
that uploads when the app is online, and crash reports uploaded on the next launch.

Android follows opentelemetry-android (stable HTTP semantic conventions from the OkHttp
instrumentation, ``AppStart`` and ``Created`` spans, ``app.crash`` events with Java stacks, network
attributes, ``session.id`` and ``screen.name`` on every span). iOS follows opentelemetry-swift
(URLSession spans named ``HTTP GET`` with the old ``http.method`` / ``http.url`` /
``http.status_code`` names it still sends by default, ``session.id`` / ``session.previous_id``,
MetricKit crash diagnostics delivered on the next launch without a session id).
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from opentelemetry._logs import SeverityNumber
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import Span, SpanKind, Status, StatusCode, set_span_in_context
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from tracebridge.demo import crashes, stories
from tracebridge.demo.backend import SHIFT_HEADER
from tracebridge.demo.buffer import LogBuffer, SpanBuffer
from tracebridge.demo.catalog import (
    ANDROID_ACTIVITY,
    ANDROID_API_LEVEL,
    ANDROID_BUILD_ID,
    IOS_BUILD_ID,
    IOS_VIEW_CONTROLLER,
    NETWORKS,
    NetworkProfile,
)
from tracebridge.demo.fleet import DevicePlan, Launch, PlannedRequest, Segment, Step
from tracebridge.demo.ids import SeededIdGenerator
from tracebridge.demo.ledger import CrashFact, Ledger, LedgerProcessor, SessionFact
from tracebridge.demo.network import Exchange, Link

PROPAGATOR = TraceContextTextMapPropagator()
RETRYABLE_STATUS = frozenset({502, 503, 504})
MINUTE_NS = 60 * 1_000_000_000


@dataclass(frozen=True)
class Endpoint:
    """Where telemetry goes: the OTLP/HTTP base URL of tracebridge and its ingest credentials."""

    otlp_http: str
    headers: dict[str, str]

    def span_exporter(self) -> OTLPSpanExporter:
        return OTLPSpanExporter(
            endpoint=f"{self.otlp_http}/v1/traces", headers=self.headers or None, timeout=30
        )

    def log_exporter(self) -> OTLPLogExporter:
        return OTLPLogExporter(endpoint=f"{self.otlp_http}/v1/logs", headers=self.headers or None, timeout=30)


class DeviceClock:
    """The device's wall clock: true time plus its skew (a phone set by hand, no network time).

    ``shift_ns`` replays the past: the demo runs a few hours of fleet traffic in a minute, so the
    true time of a launch is the real time minus how long ago the launch happened. The backend
    gets the same shift with each request (``SHIFT_HEADER``), so both sides agree on true time."""

    def __init__(self, skew_ms: int) -> None:
        self.skew_ns = skew_ms * 1_000_000
        self.shift_ns = 0

    def true_now(self) -> int:
        return time.time_ns() - self.shift_ns

    def now(self) -> int:
        return self.true_now() + self.skew_ns


def device_resource(plan: DevicePlan) -> dict[str, Any]:
    """Resource attributes as the platform's OpenTelemetry SDK sets them."""
    release = plan.release
    if plan.os_name == "Android":
        api_level = ANDROID_API_LEVEL[plan.os_version]
        build_id = ANDROID_BUILD_ID[plan.os_version]
        return {
            "service.name": "shop-android",
            "service.version": release.service_version("Android"),
            "rum.sdk.version": "0.11.0",
            "telemetry.sdk.name": "opentelemetry",
            "telemetry.sdk.language": "java",
            "telemetry.sdk.version": "1.45.0",
            "os.name": "Android",
            "os.type": "linux",
            "os.version": plan.os_version,
            "os.description": f"Android Version {plan.os_version} (Build {build_id} API level {api_level})",
            "android.os.api_level": str(api_level),
            "device.manufacturer": plan.manufacturer,
            "device.model.name": plan.model,
            "device.model.identifier": plan.model,
            "device.id": plan.device_id,
        }
    return {
        "service.name": "ShopApp",
        "service.version": release.service_version("iOS"),
        "telemetry.sdk.name": "opentelemetry",
        "telemetry.sdk.language": "swift",
        "telemetry.sdk.version": "2.1.0",
        "os.name": "iOS",
        "os.type": "darwin",
        "os.version": plan.os_version,
        "os.description": f"iOS Version {plan.os_version} (Build {IOS_BUILD_ID[plan.os_version]})",
        "device.model.identifier": plan.model,
        "device.id": plan.device_id,
    }


def network_attributes(profile: NetworkProfile) -> dict[str, Any]:
    """What the SDKs' network attribute appenders add to every span."""
    out: dict[str, Any] = {"network.connection.type": profile.connection_type}
    if profile.subtype:
        out["network.connection.subtype"] = profile.subtype
    if profile.carrier is not None:
        name, mcc, mnc, icc = profile.carrier
        out.update(
            {
                "network.carrier.name": name,
                "network.carrier.mcc": mcc,
                "network.carrier.mnc": mnc,
                "network.carrier.icc": icc,
            }
        )
    return out


class Stopped(Exception):
    """The demo was interrupted (Ctrl-C): the device stops where it is."""


class _Crashed(Exception):
    """The app process died: nothing more runs in this launch."""


class DeviceSimulation:
    """Runs one device's launches; thread-confined (one thread per device at a time)."""

    def __init__(
        self,
        plan: DevicePlan,
        endpoint: Endpoint,
        backend_url: str,
        ledger: Ledger,
        seed: int,
        on_session: Callable[[str], None] = lambda _session_id: None,
        stop: threading.Event | None = None,
    ) -> None:
        self.plan = plan
        self.backend_url = backend_url.rstrip("/")
        self.ledger = ledger
        self.on_session = on_session
        self.stop = stop or threading.Event()
        self.android = plan.os_name == "Android"
        self.rng = random.Random(f"tracebridge-demo:{seed}:device:{plan.index}:run")
        self.clock = DeviceClock(plan.clock_skew_ms)
        self.resource = Resource(device_resource(plan))  # no Python SDK defaults: this is a phone
        self.tracer_provider = TracerProvider(
            resource=self.resource,
            id_generator=SeededIdGenerator(f"tracebridge-demo:{seed}:device:{plan.index}"),
            shutdown_on_exit=False,
        )
        self.tracer_provider.add_span_processor(LedgerProcessor(ledger, "client"))
        self.span_buffer = SpanBuffer(endpoint.span_exporter())
        self.tracer_provider.add_span_processor(self.span_buffer)
        self.logger_provider = LoggerProvider(resource=self.resource, shutdown_on_exit=False)
        self.log_buffer = LogBuffer(endpoint.log_exporter())
        self.logger_provider.add_log_record_processor(self.log_buffer)
        if self.android:
            self.http_tracer = self.tracer_provider.get_tracer("io.opentelemetry.okhttp-3.0", "2.10.0-alpha")
            self.ui_tracer = self.tracer_provider.get_tracer("io.opentelemetry.lifecycle", "0.11.0")
            self.crash_logger = self.logger_provider.get_logger(crashes.ANDROID_CRASH_SCOPE, "0.11.0")
            self.session_logger = self.logger_provider.get_logger("io.opentelemetry.sessions", "0.11.0")
        else:
            self.http_tracer = self.tracer_provider.get_tracer("NSURLSession", "0.0.1")
            self.ui_tracer = self.tracer_provider.get_tracer("ShopApp.UIKit", "1.0.0")
            self.crash_logger = self.logger_provider.get_logger(crashes.METRICKIT_SCOPE, "0.0.1")
        self.network: NetworkProfile = plan.launches[0].network if plan.launches else NETWORKS[0]
        self.pending_metrickit: list[tuple[str, int]] = []  # (crash kind, crash time) for the next launch

    # -- the device's life -----------------------------------------------------------------------

    def run(self) -> None:
        last = len(self.plan.launches) - 1
        for index, launch in enumerate(self.plan.launches):
            self.clock.shift_ns = launch.minutes_ago * MINUTE_NS
            self._deliver_previous_crash()
            self._upload()  # what the last launch left on disk goes out now: late
            crashed = self._run_launch(launch, may_crash=index < last)
            if not crashed and not (launch.defer_upload and index < last):
                self._upload()
            if index < last:
                time.sleep(self.rng.uniform(0.05, 0.2))  # the app is closed for a while
        for attempt in range(5):  # the app keeps what it could not send and tries again
            self._upload()
            if not self.span_buffer.pending and not self.log_buffer.pending:
                break
            time.sleep(0.5 * 2**attempt)
        self.tracer_provider.shutdown()
        self.logger_provider.shutdown()

    def _upload(self) -> None:
        self.span_buffer.upload()
        self.log_buffer.upload()

    def _run_launch(self, launch: Launch, may_crash: bool) -> bool:
        link = Link(launch.network, self.rng)
        self.network = launch.network
        last_segment = len(launch.segments) - 1
        planned_at = -1
        if may_crash and launch.planned_crash:
            planned_at = self.rng.randint(1, max(1, len(launch.segments[-1].steps) - 1))
        try:
            for position, segment in enumerate(launch.segments):
                crash_allowed = may_crash and position == last_segment
                self._run_segment(
                    segment, launch, link, crash_allowed, planned_at if position == last_segment else -1
                )
                if position < last_segment:
                    if not launch.defer_upload:
                        self._upload()
                    time.sleep(self.rng.uniform(0.05, 0.15))  # long enough in the background: a new session
        except _Crashed:
            return True
        return False

    def _run_segment(
        self, segment: Segment, launch: Launch, link: Link, crash_allowed: bool, planned_at: int
    ) -> None:
        self.ledger.add_session(
            SessionFact(
                segment.session_id,
                self.plan.os_name,
                self.plan.release.service_version(self.plan.os_name),
                self.plan.model,
                launch.network.name,
                self.plan.clock_skew_ms,
            )
        )
        self.clock.shift_ns = max(0, self.clock.shift_ns - segment.background_minutes * MINUTE_NS)
        common = self._common_attributes(segment, launch.network)
        if self.android:  # opentelemetry-android announces every new session id with an event
            started: dict[str, Any] = {"session.id": segment.session_id}
            if segment.previous_id:
                started["session.previous_id"] = segment.previous_id
            self.session_logger.emit(
                timestamp=self.clock.now(), event_name="session.start", attributes=started
            )
        try:
            self._app_start(segment, link, common)
            for number, step in enumerate(segment.steps):
                if self.stop.is_set():
                    raise Stopped
                link.offline = step.offline
                self._screen(step, link, common, segment, crash_allowed, number == planned_at, launch)
                if not step.offline and not launch.defer_upload:
                    self._upload()  # the batch processor exports while the app is online
                time.sleep(step.think_ms / 1000)
        finally:
            link.offline = False
            self.on_session(segment.session_id)

    def _common_attributes(self, segment: Segment, network: NetworkProfile) -> dict[str, Any]:
        out: dict[str, Any] = {"session.id": segment.session_id}
        if segment.previous_id and not self.android:
            out["session.previous_id"] = segment.previous_id
        out.update(network_attributes(network))
        return out

    # -- spans -------------------------------------------------------------------------------

    def _app_start(self, segment: Segment, link: Link, common: dict[str, Any]) -> None:
        cold = segment.start_type == "cold"
        old_phone = self.plan.release.age_days > 300
        seconds = self.rng.uniform(0.25, 0.9) if cold else self.rng.uniform(0.06, 0.2)
        if old_phone:
            seconds *= 1.6
        attributes = {**common, "start.type": segment.start_type}
        if self.android:
            attributes["screen.name"] = ANDROID_ACTIVITY["Home"]
        span = self.ui_tracer.start_span(
            "AppStart", kind=SpanKind.INTERNAL, attributes=attributes, start_time=self.clock.now()
        )
        time.sleep(seconds * 0.6)
        if cold:
            self._request(span, PlannedRequest("GET", "/v1/config"), link, common, "Home")
        time.sleep(seconds * 0.4)
        span.end(end_time=self.clock.now())

    def _screen(
        self,
        step: Step,
        link: Link,
        common: dict[str, Any],
        segment: Segment,
        crash_allowed: bool,
        planned_crash_here: bool,
        launch: Launch,
    ) -> None:
        if self.android:
            name = "Created"
            attributes = {
                **common,
                "activity.name": ANDROID_ACTIVITY[step.screen],
                "screen.name": ANDROID_ACTIVITY[step.screen],
            }
        else:
            name = "viewDidAppear"
            attributes = {
                **common,
                "view.name": IOS_VIEW_CONTROLLER[step.screen],
                "screen.name": IOS_VIEW_CONTROLLER[step.screen],
            }
        span = self.ui_tracer.start_span(
            name, kind=SpanKind.INTERNAL, attributes=attributes, start_time=self.clock.now()
        )
        time.sleep(self.rng.uniform(0.005, 0.03))  # inflate the layout
        for planned in step.requests:
            exchange = self._request(span, planned, link, common, step.screen)
            outcome = crashes.CrashOutcome(
                step.screen, exchange.status, exchange.failure != "" or exchange.status >= 500
            )
            if crash_allowed:
                kind = crashes.response_crash(self.plan.os_name, self.plan.release, outcome, self.rng)
                if kind is not None:
                    self._crash(kind, span, segment)
        time.sleep(self.rng.uniform(0.01, 0.06))  # bind and draw the answer
        if (  # issue 14: the new checkout (flag new_checkout = v2) crashes after placing an order
            crash_allowed
            and step.screen == "Checkout"
            and stories.checkout_variant(segment.session_id) == "v2"
            and self.rng.random() < 0.35
        ):
            self._crash("checkout_v2" if self.android else "ios_checkout", span, segment)
        if planned_crash_here and launch.planned_crash:
            self._crash(launch.planned_crash, span, segment)
        span.end(end_time=self.clock.now())

    def _request(
        self, parent: Span, planned: PlannedRequest, link: Link, common: dict[str, Any], screen: str
    ) -> Exchange:
        """One logical request: one CLIENT span per attempt, retried as the apps' HTTP stacks do."""
        url = f"{self.backend_url}{planned.target}"
        context = set_span_in_context(parent)
        exchange = Exchange(0, 0, "offline", False)
        for attempt in range(3):
            started = self.clock.now()
            span = self.http_tracer.start_span(
                planned.method if self.android else f"HTTP {planned.method}",
                context=context,
                kind=SpanKind.CLIENT,
                attributes={**common, **self._http_attributes(planned, url, attempt, screen)},
                start_time=started,
            )
            headers = {"User-Agent": self._user_agent(), "Accept": "application/json"}
            if planned.method == "POST" and planned.target.startswith("/v1/orders"):  # issue 14: the flag
                variant = stories.checkout_variant(str(common["session.id"]))
                span.add_event(
                    "feature_flag.evaluation",
                    stories.evaluation_event(stories.CHECKOUT_FLAG, variant),
                    started,
                )
                headers[stories.CHECKOUT_HEADER] = variant
            if self.clock.shift_ns:
                headers[SHIFT_HEADER] = str(self.clock.shift_ns)
            if planned.method == "POST":
                headers["Content-Type"] = "application/json"
            PROPAGATOR.inject(headers, context=set_span_in_context(span))
            body = b'{"items": [{"product": 1, "quantity": 1}]}' if planned.method == "POST" else b""
            exchange = link.exchange(planned.method, url, headers, body)
            if self.android:  # issue 14: phase durations as Sentry's OkHttp listener records them
                span.set_attributes(stories.okhttp_attributes(exchange.phases))
            self._finish_http_span(span, exchange)
            if self.android and exchange.phases and stories.emits_network_timing(self.plan.device_id):
                self.session_logger.emit(
                    timestamp=self.clock.now(),
                    context=set_span_in_context(span),
                    event_name=stories.NETWORK_TIMING_EVENT,
                    attributes=stories.network_timing_attributes(exchange.phases, started, self.clock.now()),
                )
            if not self._retry(planned.method, exchange):
                break
            time.sleep(0.15 * 2**attempt * self.rng.uniform(0.8, 1.3))
        return exchange

    def _http_attributes(
        self, planned: PlannedRequest, url: str, attempt: int, screen: str
    ) -> dict[str, Any]:
        parts = urlsplit(url)
        if self.android:
            out: dict[str, Any] = {
                "http.request.method": planned.method,
                "url.full": url,
                "server.address": parts.hostname or "",
                "server.port": parts.port or 80,
                "network.protocol.version": "1.1",
                "screen.name": ANDROID_ACTIVITY[screen],
            }
            if attempt:
                out["http.request.resend_count"] = attempt
            return out
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        return {
            "http.method": planned.method,
            "http.url": url,
            "http.target": target,
            "http.scheme": parts.scheme,
            "net.peer.name": parts.hostname or "",
            "net.peer.port": parts.port or 80,
        }

    def _user_agent(self) -> str:
        if self.android:
            return "okhttp/4.12.0"
        return f"ShopApp/{self.plan.release.build} CFNetwork/1568.100.1 Darwin/24.0.0"

    def _finish_http_span(self, span: Span, exchange: Exchange) -> None:
        end = self.clock.now()
        if exchange.status:
            span.set_attribute(
                "http.response.status_code" if self.android else "http.status_code", exchange.status
            )
            span.set_attribute("http.response.body.size", exchange.response_bytes)
            if exchange.status >= 400:
                if self.android:
                    span.set_attribute("error.type", str(exchange.status))
                span.set_status(Status(StatusCode.ERROR, str(exchange.status)))
        else:
            java, apple = {
                "timeout": ("java.net.SocketTimeoutException", "The request timed out."),
                "offline": (
                    "java.net.UnknownHostException",
                    "The Internet connection appears to be offline.",
                ),
                "connection": ("java.net.ConnectException", "Could not connect to the server."),
            }[exchange.failure]
            if self.android:
                span.set_attribute("error.type", java)
                span.add_event(
                    "exception",
                    {"exception.type": java, "exception.message": exchange.failure},
                    timestamp=end,
                )
                span.set_status(Status(StatusCode.ERROR, java))
            else:
                span.set_status(Status(StatusCode.ERROR, apple))
        span.end(end_time=end)

    @staticmethod
    def _retry(method: str, exchange: Exchange) -> bool:
        if exchange.failure == "offline":
            return False
        if method != "GET":  # not idempotent: only a request that never left is sent again
            return exchange.failure == "connection"
        return exchange.failure in ("timeout", "connection") or exchange.status in RETRYABLE_STATUS

    # -- crashes -----------------------------------------------------------------------------

    def _crash(self, kind: str, active: Span, segment: Segment) -> None:
        """The process dies: Android writes an ``app.crash`` record now (sent next launch);
        iOS leaves it to MetricKit, which delivers the diagnostic on the next launch."""
        crash_time = self.clock.now()
        active.set_status(Status(StatusCode.ERROR, "app crashed"))
        active.end(end_time=crash_time)
        context = active.get_span_context()
        if self.android:
            attributes: dict[str, Any] = {
                **crashes.android_crash(kind, self.plan.release),
                "thread.id": 2,
                "thread.name": "main",
                "session.id": segment.session_id,
                **network_attributes(self.network),
            }
            self.crash_logger.emit(
                timestamp=crash_time,
                observed_timestamp=crash_time,
                context=set_span_in_context(active),
                severity_number=SeverityNumber.ERROR,
                severity_text="ERROR",
                event_name=crashes.ANDROID_CRASH_EVENT,
                attributes=attributes,
            )
            exception_type = str(attributes["exception.type"])
        else:
            self.pending_metrickit.append((kind, crash_time))
            exception_type = str(crashes.ios_crash(kind, self.plan.release)["exception.type"])
        self.ledger.add_crash(
            CrashFact(
                segment.session_id,
                self.plan.os_name,
                self.plan.release.service_version(self.plan.os_name),
                exception_type,
                f"{context.trace_id:032x}" if self.android else None,
                after_failed_request=kind not in ("oom", "ios_segv", "checkout_v2"),
            )
        )
        raise _Crashed

    def _deliver_previous_crash(self) -> None:
        """MetricKit hands over the last launch's crash diagnostics when the app starts again."""
        for kind, crash_time in self.pending_metrickit:
            self.crash_logger.emit(
                timestamp=crash_time,
                observed_timestamp=self.clock.now(),
                severity_number=SeverityNumber.FATAL,
                severity_text="FATAL",
                event_name=crashes.METRICKIT_CRASH,
                attributes=crashes.ios_crash(kind, self.plan.release),
            )
        self.pending_metrickit.clear()
