"""``tracebridge demo``: start tracebridge (or use a running one), start the instrumented demo
backend, drive the simulated fleet through it, wait until the API shows everything, print what was
ingested and where to look, then keep serving until Ctrl-C (or exit with ``--exit``)."""

from __future__ import annotations

import argparse
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from tracebridge.demo import stories
from tracebridge.demo.backend import DemoBackend
from tracebridge.demo.device import DeviceSimulation, Endpoint, Stopped
from tracebridge.demo.fleet import DevicePlan, plan_fleet
from tracebridge.demo.ledger import Ledger
from tracebridge.demo.summary import Highlights, IngestWait, highlights
from tracebridge.demo.web import web_sessions
from tracebridge.settings import Settings, credential_from_env

DEVICE_WORKERS = 12  # phones simulated at once; most of their time is spent waiting on the network


@dataclass(frozen=True)
class Target:
    """The tracebridge the demo sends to and reads from."""

    otlp_http: str
    api: str
    ingest_key: str | None
    read_token: str | None


def external_target(endpoint: str, api: str | None) -> Target:
    """A running tracebridge: ``--endpoint`` is its OTLP/HTTP base URL (``/v1/traces`` may be given)."""
    otlp = endpoint.rstrip("/").removesuffix("/v1/traces").removesuffix("/v1/logs")
    if api is None:
        parts = urlsplit(otlp)
        api = f"{parts.scheme or 'http'}://{parts.hostname or '127.0.0.1'}:8080"
    return Target(
        otlp,
        api.rstrip("/"),
        credential_from_env("TRACEBRIDGE_INGEST_KEY", "TRACEBRIDGE_INGEST_KEYS"),
        credential_from_env("TRACEBRIDGE_READ_TOKEN", "TRACEBRIDGE_READ_TOKENS"),
    )


def simulate(
    plans: list[DevicePlan], endpoint: Endpoint, backend_url: str, ledger: Ledger, seed: int, console: Console
) -> None:
    """Run every device (a few at a time) with a progress bar counting sessions. Ctrl-C stops the
    devices at their next screen and re-raises."""
    total = sum(plan.session_count for plan in plans)
    columns = (TextColumn("[bold]mobile sessions"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    stop = threading.Event()
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task("sessions", total=total)

        def run(plan: DevicePlan) -> None:
            simulation = DeviceSimulation(
                plan, endpoint, backend_url, ledger, seed, lambda _sid: progress.advance(task), stop
            )
            try:
                simulation.run()
            except Stopped:
                return

        pool = ThreadPoolExecutor(max_workers=min(DEVICE_WORKERS, len(plans)), thread_name_prefix="device")
        futures = [pool.submit(run, plan) for plan in plans]
        try:
            for future in futures:
                future.result()
        except KeyboardInterrupt:
            stop.set()
            pool.shutdown(wait=True, cancel_futures=True)
            raise
        finally:
            pool.shutdown(wait=True)


def free_seed(waiter: IngestWait, sessions: int, seed: int, console: Console) -> int:
    """The requested seed, or the next one whose sessions the store does not hold yet: the same seed
    always gives the same session ids, and a second run must not merge into the first one's sessions."""
    for candidate in range(seed, seed + 100):
        first = plan_fleet(sessions, candidate)[0].launches[0].segments[0].session_id
        try:
            if not waiter.session_stored(first):
                break
        except httpx.HTTPError:
            break  # no API to ask: trust the seed
    else:
        return seed
    if candidate != seed:
        console.print(
            f"the store already holds the fleet of seed {seed}; simulating seed {candidate} instead"
        )
    return candidate


def report(
    console: Console,
    h: Highlights,
    api: str,
    simulated_s: float,
    verified_s: float,
    crash_listed: bool | None,
    missing: list[str],
) -> None:
    """Print what was ingested and the links worth opening."""
    by_os = ", ".join(f"{count} {os_name}" for os_name, count in sorted(h.sessions_by_os.items()))
    console.print()
    console.print(
        f"[bold]ingested[/bold]: {h.sessions} sessions ({by_os}), "
        f"{h.client_spans + h.backend_spans} spans ({h.client_spans} client, {h.backend_spans} backend) "
        f"in {h.traces} traces, {h.crashes} crashes",
        soft_wrap=True,
    )
    console.print(f"app versions: {', '.join(h.app_versions)}", soft_wrap=True)
    console.print(
        f"fleet simulated in {simulated_s:.1f} s, every span verified through the API in {verified_s:.1f} s",
        soft_wrap=True,
    )
    if missing:
        console.print(
            f"[yellow]warning: {len(missing)} trace(s) not complete in the API yet, e.g. {missing[0]}"
        )
    if crash_listed is False:
        console.print("[yellow]warning: the crashed session's crash is not listed by /api/v1/crashes yet")
    console.print()
    rows: list[tuple[str, str, str]] = []
    if h.slowest_session:
        rows.append(
            (
                f"slowest session ({h.slowest_session_wait_ms / 1000:.1f} s waiting on the network)",
                f"{api}/sessions/{h.slowest_session}",
                f"{api}/api/v1/sessions/{h.slowest_session}",
            )
        )
    if h.crashed_session:
        rows.append(
            (
                f"crashed session ({h.crash_type})",
                f"{api}/sessions/{h.crashed_session}",
                f"{api}/api/v1/crashes?session_id={h.crashed_session}",
            )
        )
    if h.large_gap_trace:
        rows.append(
            (
                f"trace with a large gap ({h.large_gap_ms:.0f} ms client minus server)",
                f"{api}/traces/{h.large_gap_trace}",
                f"{api}/api/v1/traces/{h.large_gap_trace}",
            )
        )
    if h.skewed_trace:
        rows.append(
            (
                f"trace from a device clock {h.skew_ms / 1000:+.0f} s off",
                f"{api}/traces/{h.skewed_trace}",
                f"{api}/api/v1/traces/{h.skewed_trace}",
            )
        )
    for label, page, json_url in rows:
        console.print(f"{label}:", highlight=False)
        console.print(f"  page: {page}", highlight=False, soft_wrap=True)
        console.print(f"  json: {json_url}", highlight=False, soft_wrap=True)
    for label, page, json_url in _issue14_rows(h, api):
        console.print(f"{label}:", highlight=False)
        console.print(f"  page: {page}", highlight=False, soft_wrap=True)
        console.print(f"  json: {json_url}", highlight=False, soft_wrap=True)
    console.print("dashboards:", highlight=False)
    for name in ("latency", "versions", "crashes", "flags"):
        console.print(f"  {api}/dashboards/{name}", highlight=False, soft_wrap=True)
    console.print(f"  {api}/api/v1/latency?group_by=route", highlight=False, soft_wrap=True)
    console.print(f"  {api}/api/v1/latency?group_by=network_type", highlight=False, soft_wrap=True)
    console.print(f"  {api}/api/v1/latency?group_by=route&phases=true", highlight=False, soft_wrap=True)
    console.print(f"  {api}/api/v1/screens", highlight=False, soft_wrap=True)
    if h.large_gap_trace:
        console.print(
            f"in the terminal: tracebridge trace {h.large_gap_trace} --api {api}",
            highlight=False,
            soft_wrap=True,
        )


def _issue14_rows(h: Highlights, api: str) -> list[tuple[str, str, str]]:
    """The stories of issue 14: where a slow request's gap went, the edge, the queue, the flags."""
    rows = []
    if h.phases_trace:
        rows.append(
            (
                f"slow request, phase by phase ({h.phases_ms:.0f} ms: DNS, connect, TLS, wait, download)",
                f"{api}/traces/{h.phases_trace}",
                f"{api}/api/v1/traces/{h.phases_trace}",
            )
        )
    if h.edge_served_trace:
        rows.append(
            (
                "product read served by the edge cache (no origin span)",
                f"{api}/traces/{h.edge_served_trace}",
                f"{api}/api/v1/traces/{h.edge_served_trace}",
            )
        )
    if h.queued_session:
        rows.append(
            (
                "session whose order went through the order-placed queue",
                f"{api}/sessions/{h.queued_session}",
                f"{api}/api/v1/sessions/{h.queued_session}",
            )
        )
    rows.append(
        (
            f"flags: {stories.CHECKOUT_FLAG}=v2 slower and crashier; {stories.LEGACY_FLAG} stale (on for {stories.LEGACY_DAYS} days)",
            f"{api}/dashboards/flags",
            f"{api}/api/v1/flags",
        )
    )
    return rows


def run_demo_command(args: argparse.Namespace, settings: Settings) -> int:
    """The ``demo`` subcommand (flags: --sessions, --seed, --endpoint, --api, --exit, serve flags)."""
    console = Console()
    sessions = max(1, int(args.sessions))
    seed = int(args.seed)
    server = None
    if args.endpoint:
        target = external_target(args.endpoint, getattr(args, "api", None))
    else:
        from tracebridge.server import StartupError, TracebridgeServer

        console.print(f"starting tracebridge (embedded store in {settings.data_dir}) ...")
        server = TracebridgeServer(settings)
        try:
            bindings = server.start_background()
        except StartupError as exc:  # a port in use, or the store open in another process
            console.print(f"[red]{exc}[/red]\nTo use a tracebridge that is already running: --endpoint URL")
            server.stop_background(timeout=10)
            return 1
        except RuntimeError as exc:
            console.print(f"[red]{exc}[/red]")
            server.stop_background(timeout=10)
            return 1
        for line in bindings.lines():
            print(line, flush=True)
        target = Target(
            bindings.otlp_http_url,
            bindings.api_url,
            min(settings.ingest_key_set, default=None),
            min(settings.read_token_set, default=None),
        )
    waiter = IngestWait(target.api, target.read_token)
    try:
        started = time.monotonic()
        headers = {"Authorization": f"Bearer {target.ingest_key}"} if target.ingest_key else {}
        seed = free_seed(waiter, sessions, seed, console)
        ledger = Ledger()
        plans = plan_fleet(sessions, seed)
        backend = DemoBackend(f"{target.otlp_http}/v1/traces", headers, ledger, seed)
        backend.start()
        console.print(
            f"demo backend (edge-cache -> shop-gateway -> orders -> inventory, fulfilment-worker) on {backend.url}; "
            f"{len(plans)} devices, {sessions} sessions, seed {seed}"
        )
        try:
            simulate(plans, Endpoint(target.otlp_http, headers), backend.url, ledger, seed, console)
            # issue 14: the web shop's browsers, and 120 days of the old flag's history
            web_sessions(
                max(1, sessions // 6),
                Endpoint(target.otlp_http, headers).span_exporter,
                backend.url,
                ledger,
                seed,
            )
            stories.send_flag_history(f"{target.otlp_http}/v1/logs", headers, time.time_ns(), seed)
        finally:
            backend.stop()  # flushes every backend span
        simulated = time.monotonic()
        found = highlights(ledger)
        missing: list[str] = []
        crash_listed: bool | None = None
        try:
            with console.status("waiting until the API shows every span ..."):
                waiter.pipeline_idle()
                missing = waiter.traces_complete(found.expected_spans)
                crash_listed = waiter.crash_visible(found.crashed_session) if found.crashed_session else None
        except httpx.HTTPError as exc:
            console.print(f"[yellow]warning: could not check the ingest through {target.api}: {exc}")
            missing = sorted(found.expected_spans)
        report(
            console,
            found,
            target.api,
            simulated - started,
            time.monotonic() - simulated,
            crash_listed,
            missing,
        )
        if args.exit or server is None:
            return 0 if not missing else 1
        console.print("\nserving; press Ctrl-C to stop")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            console.print("stopping")
        return 0
    finally:
        waiter.close()
        if server is not None:
            server.stop_background()
