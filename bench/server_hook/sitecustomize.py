"""Start-up hook for a ``tracebridge serve`` under a bench (never loaded otherwise).

Python imports ``sitecustomize`` at start-up from ``PYTHONPATH``; ``bench/ingest_bench.py
--engine-log`` puts this folder there for the server it starts, with
``TRACEBRIDGE_BENCH_ENGINE_LOG`` naming a file. Then the embedded engine starts with
``system.query_log`` on (the config text of ``bench/engine_logs.py``), and a thread answers
queries against that log: the bench writes SQL to ``<file>.sql`` and reads the rows back, as JSON,
from ``<file>.json``. chDB does not attach a system log again when a store is reopened, so the
log can only be read inside the server's own process.
"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

_FILE = os.environ.get("TRACEBRIDGE_BENCH_ENGINE_LOG", "")


def _install(base: Path) -> None:
    import tracebridge.store.client as store_client
    from bench.engine_logs import logs_config

    config = base.with_suffix(".xml")
    config.write_text(logs_config(["query_log"]), encoding="utf-8")
    engine_options = store_client.embedded_engine_options

    def with_log() -> dict[str, int | float | str]:
        return {**engine_options(), "config-file": str(config)}

    store_client.embedded_engine_options = with_log  # type: ignore[assignment]
    threading.Thread(target=_answer, args=(base,), name="bench-engine-log", daemon=True).start()


def _answer(base: Path) -> None:
    """Answer each ``<base>.sql`` with ``<base>.json`` (rows as lists of strings, or an error)."""
    from tracebridge.settings import Settings
    from tracebridge.store.client import open_client

    asked, answer = base.with_suffix(".sql"), base.with_suffix(".json")
    while True:
        time.sleep(0.5)
        if not asked.exists():
            continue
        sql = asked.read_text(encoding="utf-8")
        asked.unlink()
        try:
            client = open_client(Settings())  # the server's own settings (from its environment)
            client.command("SYSTEM FLUSH LOGS")
            rows: list[list[str]] = [[str(v) for v in row] for row in client.query(sql).result_rows]
            text = json.dumps({"rows": rows})
        except Exception as exc:  # reported to the bench, never raised in the server
            text = json.dumps({"error": repr(exc)})
        partial = answer.with_suffix(".part")
        partial.write_text(text, encoding="utf-8")
        partial.replace(answer)


if _FILE:
    _install(Path(_FILE))
