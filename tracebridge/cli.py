"""The ``tracebridge`` command: serve, demo, trace, session, dashboards export."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tracebridge.settings import Settings, credential_from_env


def add_serve_flags(parser: argparse.ArgumentParser) -> None:
    """The serve flags; each defaults to its TRACEBRIDGE_* variable, then to the built-in default."""
    parser.add_argument(
        "--data-dir", type=Path, help="embedded store and write-ahead log (default ./tracebridge-data)"
    )
    parser.add_argument("--clickhouse-url", help="use a ClickHouse server, e.g. http://user:pass@host:8123")
    parser.add_argument(
        "--clickhouse-cluster",
        help="cluster layout on this ClickHouse cluster (remote_servers name): local tables created "
        "ON CLUSTER, Distributed tables under the plain names; with the embedded store, a one-shard "
        "in-process cluster",
    )
    parser.add_argument(
        "--clickhouse-replicated",
        action="store_const",
        const=True,
        help="with --clickhouse-cluster: Replicated*MergeTree local tables (needs Keeper and the "
        "{shard}/{replica} macros)",
    )
    parser.add_argument("--host", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--otlp-http-port", type=int, help="OTLP/HTTP port (default 4318, 0 = any free port)")
    parser.add_argument("--otlp-grpc-port", type=int, help="OTLP/gRPC port (default 4317, 0 = any free port)")
    parser.add_argument(
        "--api-port", type=int, help="query API and pages port (default 8080, 0 = any free port)"
    )
    parser.add_argument("--retention-days", type=int, help="drop data N days after ingest (default 0 = keep)")


def settings_from_args(args: argparse.Namespace) -> Settings:
    overrides: dict[str, Any] = {}
    for name in (
        "data_dir",
        "clickhouse_url",
        "clickhouse_cluster",
        "clickhouse_replicated",
        "host",
        "otlp_http_port",
        "otlp_grpc_port",
        "api_port",
        "retention_days",
    ):
        value = getattr(args, name, None)
        if value is not None:
            overrides[name] = value
    return Settings(**overrides)


def cmd_serve(args: argparse.Namespace) -> int:
    from tracebridge.server import StartupError, TracebridgeServer, configure_logging

    configure_logging(args.verbose)
    try:
        TracebridgeServer(settings_from_args(args)).run_forever()
    except StartupError as exc:
        print(f"tracebridge: {exc}", file=sys.stderr)
        return 1
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    try:
        from tracebridge.demo.main import run_demo_command
    except ModuleNotFoundError as missing:
        if not (missing.name or "").startswith("opentelemetry"):
            raise
        print(
            "tracebridge demo drives the OpenTelemetry SDK, which the server does not need: "
            "install it with  pip install 'tracebridge[demo]'",
            file=sys.stderr,
        )
        return 2

    return run_demo_command(args, settings_from_args(args))


def _api_url(args: argparse.Namespace) -> str:
    return str(args.api or os.environ.get("TRACEBRIDGE_API", "http://127.0.0.1:8080"))


def _read_token() -> str | None:
    return credential_from_env("TRACEBRIDGE_READ_TOKEN", "TRACEBRIDGE_READ_TOKENS")


def cmd_trace(args: argparse.Namespace) -> int:
    from tracebridge.query.terminal import print_trace

    return print_trace(_api_url(args), args.trace_id, _read_token())


def cmd_session(args: argparse.Namespace) -> int:
    from tracebridge.query.terminal import print_session

    return print_session(_api_url(args), args.session_id, _read_token())


def cmd_dashboards_export(args: argparse.Namespace) -> int:
    from tracebridge.dashboards.export import export_dashboards

    return export_dashboards(_api_url(args), Path(args.out), _read_token())


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tracebridge", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="OTLP receivers + ingest + query API + dashboards in one process")
    add_serve_flags(serve)
    serve.set_defaults(func=cmd_serve)

    demo = sub.add_parser(
        "demo", help="drive a simulated mobile fleet and an instrumented backend through tracebridge"
    )
    add_serve_flags(demo)
    demo.add_argument("--sessions", type=int, default=60, help="mobile sessions to simulate (default 60)")
    demo.add_argument("--seed", type=int, default=7, help="random seed: the same seed gives the same fleet")
    demo.add_argument("--endpoint", help="OTLP/HTTP endpoint of a running tracebridge (default: start one)")
    demo.add_argument(
        "--api", help="query API of that running tracebridge (with --endpoint; default port 8080)"
    )
    demo.add_argument(
        "--exit", action="store_true", help="exit after printing the summary instead of serving"
    )
    demo.set_defaults(func=cmd_demo)

    trace = sub.add_parser("trace", help="draw one trace as a waterfall in the terminal")
    trace.add_argument("trace_id")
    trace.add_argument("--api", help="query API URL (default $TRACEBRIDGE_API or http://127.0.0.1:8080)")
    trace.set_defaults(func=cmd_trace)

    session = sub.add_parser("session", help="draw one user session in the terminal")
    session.add_argument("session_id")
    session.add_argument("--api", help="query API URL (default $TRACEBRIDGE_API or http://127.0.0.1:8080)")
    session.set_defaults(func=cmd_session)

    dashboards = sub.add_parser("dashboards", help="dashboards as static files")
    dsub = dashboards.add_subparsers(dest="dashboards_command", required=True)
    export = dsub.add_parser("export", help="write the dashboards as static HTML files")
    export.add_argument("--out", required=True, help="output directory")
    export.add_argument("--api", help="query API URL (default $TRACEBRIDGE_API or http://127.0.0.1:8080)")
    export.set_defaults(func=cmd_dashboards_export)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
