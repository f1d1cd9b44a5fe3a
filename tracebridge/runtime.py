"""The running process's shared objects (part of the composition root: server, API apps, CLI).

No stage imports this module: each stage takes what it needs from ``app.state`` through its own
dependencies (``collector/deps.py``, ``query/api/deps.py``), filled in by ``tracebridge.api``.
"""

from __future__ import annotations

from dataclasses import dataclass

from tracebridge.ingest.pipeline import IngestPipeline
from tracebridge.settings import Settings
from tracebridge.store.reader import StoreReader


@dataclass
class Runtime:
    settings: Settings
    reader: StoreReader
    pipeline: IngestPipeline
