"""`tracebridge serve` refuses to start with a clear message, not a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

from tests.conftest import LiveServer


def _serve(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tracebridge.cli", "serve", "--host", "127.0.0.1", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_port_in_use_is_explained(server: LiveServer, tmp_path: Path) -> None:
    busy = str(urlsplit(server.api).port)
    done = _serve(
        "--data-dir",
        str(tmp_path / "d"),
        "--api-port",
        busy,
        "--otlp-http-port",
        "0",
        "--otlp-grpc-port",
        "0",
    )
    assert done.returncode == 1
    assert f"cannot listen on 127.0.0.1:{busy}" in done.stderr
    assert "--api-port" in done.stderr
    assert "Traceback" not in done.stderr


def test_data_dir_open_in_another_process_is_explained(server: LiveServer) -> None:
    done = _serve(
        "--data-dir",
        str(server.data_dir),
        "--api-port",
        "0",
        "--otlp-http-port",
        "0",
        "--otlp-grpc-port",
        "0",
    )
    assert done.returncode == 1
    assert "one tracebridge process at a time" in done.stderr
    assert "Traceback" not in done.stderr
    assert server.get("/healthz").status_code == 200  # the running server is untouched


def test_grpc_port_in_use_is_refused_not_shared(server: LiveServer, tmp_path: Path) -> None:
    busy = server.otlp_grpc.rsplit(":", 1)[1]
    done = _serve(
        "--data-dir",
        str(tmp_path / "d"),
        "--api-port",
        "0",
        "--otlp-http-port",
        "0",
        "--otlp-grpc-port",
        busy,
    )
    assert done.returncode == 1
    assert f"cannot listen on 127.0.0.1:{busy} for OTLP/gRPC" in done.stderr
    assert "Traceback" not in done.stderr
