"""Every ingest failure is classified once, here: permanent (the client must not retry) or
retryable (the client should retry after ``retry_after`` seconds). The receivers map these
classes to HTTP and gRPC status codes in one place each (collector/responses.py)."""

from __future__ import annotations


class IngestError(Exception):
    """Base class: ``message`` is safe to show to the client."""

    retryable: bool = False

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class PermanentError(IngestError):
    """The request itself is wrong; retrying it unchanged cannot succeed."""


class MalformedRequest(PermanentError):
    """The body is not a valid OTLP message in its declared encoding (HTTP 400)."""


class UnsupportedMediaType(PermanentError):
    """Content-Type or Content-Encoding is not one tracebridge reads (HTTP 415)."""


class PayloadTooLarge(PermanentError):
    """The body, before or after decompression, is over the limit (HTTP 413)."""


class RetryableError(IngestError):
    """The server cannot take the request now; the same request may succeed later."""

    retryable = True

    def __init__(self, message: str, retry_after: int = 1) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Overloaded(RetryableError):
    """Too many exports are being read at once (HTTP 429, gRPC RESOURCE_EXHAUSTED with RetryInfo)."""


class RequestTimeout(RetryableError):
    """The client did not send its whole body within the body timeout (HTTP 408)."""


class Unavailable(RetryableError):
    """The server is starting or stopping, cannot make data durable, or its write-ahead log is
    full (HTTP 503, gRPC UNAVAILABLE)."""
