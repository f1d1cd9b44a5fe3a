"""The running process's shared objects (part of the composition root: server, API apps, CLI).

No stage imports this module: each stage takes what it needs from ``app.state`` through its own
dependencies (``collector/deps.py``, ``query/api/deps.py``), filled in by ``tracebridge.api``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tracebridge.auth import SessionSigner
from tracebridge.collector.limits import IntakeLimiter
from tracebridge.ingest.pipeline import IngestPipeline
from tracebridge.ratelimit import FailureLimiter
from tracebridge.settings import Settings
from tracebridge.store.reader import StoreReader


@dataclass
class Runtime:
    settings: Settings
    reader: StoreReader
    pipeline: IngestPipeline
    # the pages' sign-in: the cookie signer (TRACEBRIDGE_SIGNIN_SECRET, else random for this
    # process) and the per-address limit on wrong tokens
    signer: SessionSigner = field(init=False)
    signin_failures: FailureLimiter = field(init=False)
    # one budget of exports read and decoded at once, shared by OTLP/HTTP and OTLP/gRPC
    intake: IntakeLimiter = field(init=False)

    def __post_init__(self) -> None:
        self.signer = SessionSigner.from_setting(self.settings.signin_secret)
        self.signin_failures = FailureLimiter(self.settings.signin_failures_per_minute)
        self.intake = IntakeLimiter(self.settings.intake_max_concurrent)
