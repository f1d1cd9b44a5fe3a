"""``tracebridge dead-letter replay``: put dead letters back through the normal ingest path.

Two ways, because a data directory (its write-ahead log, and chDB's files) is open in one process
at a time:

- no server runs on the data directory: replay takes the directory's lock, opens the store and an
  ingest pipeline exactly as ``serve`` does (migrations, write-ahead log replay), decodes and
  validates each letter, submits it, removes the letter once it is durable in the log, and
  flushes the pipeline to the store before it exits;
- a server runs on it: ``--endpoint URL`` posts each letter to that server's OTLP/HTTP receiver
  and removes it after a 200. Without ``--endpoint`` replay refuses with a message saying so.

Either way a payload the store rejects again is set aside again, as a new letter with the new
error, and replaying a payload twice never duplicates anything (readers key spans by trace and
span id, log records by their hash).
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from tracebridge.collector.decoding import PROTOBUF, decode
from tracebridge.ingest.data_lock import DataDirLock
from tracebridge.ingest.dead_letter import DeadLetter, DeadLetterStore
from tracebridge.ingest.errors import IngestError
from tracebridge.settings import Settings


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
