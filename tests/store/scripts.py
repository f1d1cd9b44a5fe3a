"""Run store code in a child process: a chDB data path can be open in one process only, and the
pytest process keeps none open. The child inherits the suite's store mode (tests/conftest.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.conftest import store_env


def run_store_script(script: str, data_dir: Path, *args: str, env: dict[str, str] | None = None) -> Any:
    """Run ``script`` with argv ``[data_dir, *args]``; returns the JSON it prints on its last line."""
    done = subprocess.run(
        [sys.executable, "-c", script, str(data_dir), *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **store_env(data_dir), **(env or {})},
    )
    if done.returncode != 0:
        raise AssertionError(f"store script failed:\n{done.stdout}\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])
