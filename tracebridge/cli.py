"""The ``tracebridge`` command: serve, demo, trace, session, dashboards export, dead-letter."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tracebridge.settings import Settings, credential_from_env

if TYPE_CHECKING:
    from tracebridge.ingest.dead_letter import DeadLetter


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


# -- dead-letter replay ----------------------------------------------------------------------
# ``tracebridge dead-letter replay``: put dead letters back through the normal ingest path.
#
# Two ways, because a data directory (its write-ahead log, and chDB's files) is open in one process
# at a time:
#
# - no server runs on the data directory: replay takes the directory's lock, opens the store and an
#   ingest pipeline exactly as ``serve`` does (migrations, write-ahead log replay), decodes and
#   validates each letter, submits it, removes the letter once it is durable in the log, and
#   flushes the pipeline to the store before it exits;
# - a server runs on it: ``--endpoint URL`` posts each letter to that server's OTLP/HTTP receiver
#   and removes it after a 200. Without ``--endpoint`` replay refuses with a message saying so.
#
# Either way a payload the store rejects again is set aside again, as a new letter with the new
# error, and replaying a payload twice never duplicates anything (readers key spans by trace and
# span id, log records by their hash).


@dataclass
class ReplayReport:
    replayed: int = 0
    items: int = 0
    failed: int = 0
    set_aside_again: int = 0
    problems: list[str] | None = None

    def problem(self, letter: DeadLetter, message: str) -> None:
        self.failed += 1
        self.problems = [*(self.problems or []), f"{letter.name}: {message}"]


def replay_in_process(settings: Settings) -> ReplayReport:
    """Replay with the server stopped; raises DataDirInUse when one holds the directory."""
    from tracebridge.collector.decoding import PROTOBUF, decode
    from tracebridge.ingest.data_lock import DataDirLock
    from tracebridge.ingest.dead_letter import DeadLetterStore
    from tracebridge.ingest.errors import IngestError
    from tracebridge.server import open_pipeline

    lock = DataDirLock(settings.data_dir)
    lock.acquire()
    try:
        store = DeadLetterStore(settings.dead_letter_dir)
        letters = store.list()
        report = ReplayReport()
        if not letters:
            return report
        pipeline = open_pipeline(settings)
        pipeline.start()
        try:
            for letter in letters:
                try:
                    validated = decode(letter.signal, store.read(letter), PROTOBUF)
                    if validated.accepted:
                        pipeline.submit(letter.signal, validated.payload, validated.accepted).result()
                except IngestError as error:
                    report.problem(letter, error.message)
                    continue
                store.remove(letter)
                report.replayed += 1
                report.items += validated.accepted
        finally:
            pipeline.stop(timeout=120)
        report.set_aside_again = pipeline.counters.dead_lettered
        return report
    finally:
        lock.release()


def replay_through(endpoint: str, settings: Settings, ingest_key: str | None) -> ReplayReport:
    """Replay through a running server's OTLP/HTTP receiver."""
    import httpx

    from tracebridge.ingest.dead_letter import DeadLetterStore

    store = DeadLetterStore(settings.dead_letter_dir)
    report = ReplayReport()
    headers = {"Content-Type": "application/x-protobuf"}
    if ingest_key:
        headers["Authorization"] = f"Bearer {ingest_key}"
    with httpx.Client(timeout=120) as client:
        for letter in store.list():
            url = f"{endpoint.rstrip('/')}/v1/{letter.signal.value}"
            try:
                response = client.post(url, content=store.read(letter), headers=headers)
            except httpx.HTTPError as exc:
                report.problem(letter, f"{url}: {exc}")
                continue
            if response.status_code != 200:
                report.problem(letter, f"{url} answered {response.status_code}: {response.text[:200]}")
                continue
            store.remove(letter)
            report.replayed += 1
            report.items += letter.items
    return report


def cmd_dead_letter_list(args: argparse.Namespace) -> int:
    import datetime

    from tracebridge.ingest.dead_letter import DeadLetterStore

    settings = settings_from_args(args)
    letters = DeadLetterStore(settings.dead_letter_dir).list()
    if not letters:
        print(f"no dead letters in {settings.dead_letter_dir}")
        return 0
    for letter in letters:
        when = datetime.datetime.fromtimestamp(letter.time_unix, datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        print(
            f"{letter.name}  {letter.signal.value}  {letter.items} item(s)  {letter.size} bytes  {when}  "
            f"{letter.error}"
        )
    print(f"{len(letters)} dead letter(s) in {settings.dead_letter_dir}")
    return 0


def cmd_dead_letter_replay(args: argparse.Namespace) -> int:
    from tracebridge.ingest.data_lock import DataDirInUse

    settings = settings_from_args(args)
    if args.endpoint:
        key = credential_from_env("TRACEBRIDGE_INGEST_KEY", "TRACEBRIDGE_INGEST_KEYS")
        report = replay_through(args.endpoint, settings, key)
    else:
        try:
            report = replay_in_process(settings)
        except DataDirInUse as exc:
            print(
                f"tracebridge: {exc}. Stop that server and run replay again, or replay through it: "
                "tracebridge dead-letter replay --data-dir DIR --endpoint http://HOST:4318",
                file=sys.stderr,
            )
            return 1
    print(f"replayed {report.replayed} dead letter(s), {report.items} item(s)")
    if report.set_aside_again:
        print(
            f"{report.set_aside_again} payload(s) were rejected again and set aside again (see dead-letter list)"
        )
    for problem in report.problems or []:
        print(f"not replayed: {problem}", file=sys.stderr)
    return 1 if report.failed or report.set_aside_again else 0


def cmd_schema(args: argparse.Namespace) -> int:
    from tracebridge.store.layout import Layout
    from tracebridge.store.migrator import schema_statements

    settings = settings_from_args(args)
    layout = Layout(
        database=settings.database,
        cluster=settings.clickhouse_cluster,
        replicated=settings.clickhouse_replicated,
        on_cluster_ddl=not args.node_local,
    )
    for statement in schema_statements(layout, backfills=False):
        print(statement + ";\n")
    return 0


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

    schema = sub.add_parser(
        "schema",
        help="print the DDL the migrations run, rendered for a layout (review, or a shard added later)",
    )
    add_serve_flags(schema)
    schema.add_argument(
        "--node-local",
        action="store_true",
        help="without ON CLUSTER: the tables and views of one node, e.g. a node of a new shard",
    )
    schema.set_defaults(func=cmd_schema)

    dashboards = sub.add_parser("dashboards", help="dashboards as static files")
    dsub = dashboards.add_subparsers(dest="dashboards_command", required=True)
    export = dsub.add_parser("export", help="write the dashboards as static HTML files")
    export.add_argument("--out", required=True, help="output directory")
    export.add_argument("--api", help="query API URL (default $TRACEBRIDGE_API or http://127.0.0.1:8080)")
    export.set_defaults(func=cmd_dashboards_export)

    dead = sub.add_parser("dead-letter", help="payloads the store rejected for good: list, replay")
    dead_sub = dead.add_subparsers(dest="dead_letter_command", required=True)
    listing = dead_sub.add_parser("list", help="list the dead letters with their errors")
    listing.add_argument("--data-dir", type=Path, help="data directory (default ./tracebridge-data)")
    listing.set_defaults(func=cmd_dead_letter_list)
    replay = dead_sub.add_parser(
        "replay", help="put the dead letters back through ingest (idempotent), after fixing the cause"
    )
    replay.add_argument("--data-dir", type=Path, help="data directory (default ./tracebridge-data)")
    replay.add_argument("--clickhouse-url", help="the ClickHouse server the data directory's server uses")
    replay.add_argument(
        "--endpoint",
        help="OTLP/HTTP URL of the server running on this data directory (else it must be stopped)",
    )
    replay.set_defaults(func=cmd_dead_letter_replay)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
