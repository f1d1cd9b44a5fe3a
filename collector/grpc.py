"""OTLP/gRPC receiver: TraceService/Export and LogsService/Export.

Requests arrive as raw bytes (gRPC itself handles gzip message compression) and go through the
same decode -> validate -> durable path as OTLP/HTTP. The ``authorization`` metadata carries the
ingest key. The handler returns only after the data is durable.

Intake is bounded like OTLP/HTTP: the handler takes a slot of the shared ``IntakeLimiter`` or
answers RESOURCE_EXHAUSTED with RetryInfo at once. gRPC reads a message before the handler runs,
so the server also caps the RPCs it holds (``maximum_concurrent_rpcs``, twice the intake limit);
past that cap gRPC itself answers RESOURCE_EXHAUSTED.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent import futures

import grpc
from grpc_status import rpc_status

from tracebridge.auth import AuthResult, check_bearer
from tracebridge.collector.decoding import PROTOBUF, decode, encode_response
from tracebridge.collector.limits import IntakeLimiter
from tracebridge.collector.responses import grpc_code, status_message
from tracebridge.domain import Signal
from tracebridge.ingest.errors import IngestError, Overloaded
from tracebridge.ingest.pipeline import IngestPipeline
from tracebridge.settings import Settings

SERVICES = {
    Signal.TRACES: "opentelemetry.proto.collector.trace.v1.TraceService",
    Signal.LOGS: "opentelemetry.proto.collector.logs.v1.LogsService",
}


def _metadata(context: grpc.ServicerContext, key: str) -> str | None:
    for item in context.invocation_metadata():
        if item.key == key:
            return str(item.value)
    return None


def _abort_with_status(
    context: grpc.ServicerContext, code: grpc.StatusCode, message: str, retry_after: int | None
) -> None:
    if retry_after is not None:
        status = status_message(code.value[0], message, retry_after)
        context.abort_with_status(rpc_status.to_status(status))
    context.abort(code, message)


def make_handler(
    signal: Signal, settings: Settings, pipeline: IngestPipeline, intake: IntakeLimiter
) -> Callable[[bytes, grpc.ServicerContext], bytes]:
    def export(request: bytes, context: grpc.ServicerContext) -> bytes:
        auth = check_bearer(_metadata(context, "authorization"), settings.ingest_key_set)
        if auth is AuthResult.MISSING:
            context.abort(
                grpc.StatusCode.UNAUTHENTICATED,
                "missing credentials: send authorization: Bearer <ingest key>",
            )
        if auth is AuthResult.WRONG:
            context.abort(grpc.StatusCode.PERMISSION_DENIED, "the ingest key is not valid")
        acquired = intake.try_acquire()
        try:
            if not acquired:
                pipeline.counters.refused_overloaded += 1
                raise Overloaded(f"too many exports in progress (limit {intake.limit}); retry later")
            validated = decode(signal, request, PROTOBUF)
            if validated.accepted:
                pipeline.submit(signal, validated.payload, validated.accepted).result()
            return encode_response(signal, validated, PROTOBUF)
        except IngestError as error:
            retry_after = getattr(error, "retry_after", None) if error.retryable else None
            _abort_with_status(context, grpc_code(error), error.message, retry_after)
            raise  # unreachable: abort raises
        finally:
            if acquired:
                intake.release()

    return export


def build_server(
    settings: Settings, pipeline: IngestPipeline, intake: IntakeLimiter, host: str, port: int
) -> tuple[grpc.Server, int]:
    """A started-later gRPC server with both Export methods; returns it and the bound port."""
    server = grpc.server(
        futures.ThreadPoolExecutor(
            max_workers=settings.intake_max_concurrent, thread_name_prefix="tracebridge-grpc"
        ),
        maximum_concurrent_rpcs=2 * settings.intake_max_concurrent,
        options=[
            ("grpc.max_receive_message_length", settings.max_body_bytes),
            ("grpc.max_send_message_length", 4 * 1024 * 1024),
            # gRPC sets SO_REUSEPORT by default: a second tracebridge would silently share the port
            # and receive half the exports. Refuse instead.
            ("grpc.so_reuseport", 0),
        ],
    )
    for signal, service in SERVICES.items():
        handler = grpc.unary_unary_rpc_method_handler(make_handler(signal, settings, pipeline, intake))
        server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(service, {"Export": handler}),))
    bound = server.add_insecure_port(f"{host}:{port}")
    if bound == 0:
        raise OSError(f"cannot bind OTLP/gRPC to {host}:{port}")
    return server, bound
