"""The plain layout: each stage folder is mapped into the one import root, with no symlinks."""

from __future__ import annotations

import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SETUPTOOLS = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]


def _tracked_files() -> list[str]:
    out = subprocess.run(["git", "ls-files", "-s"], cwd=ROOT, capture_output=True, text=True, check=True)
    return out.stdout.splitlines()


def test_no_symlinks_are_tracked() -> None:
    links = [line.split("\t", 1)[1] for line in _tracked_files() if line.startswith("120000")]
    assert links == []


def test_every_package_folder_is_listed() -> None:
    """A folder with an __init__.py below a mapped folder must be in ``packages``, or the wheel
    silently lacks it (an editable install would still find it)."""
    listed = set(SETUPTOOLS["packages"])
    for name, folder in SETUPTOOLS["package-dir"].items():
        for init in (ROOT / folder).rglob("__init__.py"):
            relative = init.parent.relative_to(ROOT / folder).parts
            assert ".".join([name, *relative]) in listed, (
                f"{init.parent} is not in [tool.setuptools] packages"
            )


def test_stage_modules_import_from_their_one_path() -> None:
    import tracebridge.collector.http
    import tracebridge.dashboards.html
    import tracebridge.ingest.pipeline
    import tracebridge.query.service

    for module, folder in [
        (tracebridge.collector.http, "collector"),
        (tracebridge.ingest.pipeline, "ingest"),
        (tracebridge.query.service, "query"),
        (tracebridge.dashboards.html, "dashboards"),
    ]:
        assert Path(module.__file__ or "").resolve().parent == ROOT / folder


@pytest.mark.slow
def test_wheel_has_one_import_root_and_its_data(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", tmp_path, ROOT],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("tracebridge-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    roots = {name.split("/", 1)[0] for name in names if not name.split("/", 1)[0].endswith(".dist-info")}
    assert roots == {"tracebridge"}
    for expected in (
        "tracebridge/collector/http.py",
        "tracebridge/query/api/traces.py",
        "tracebridge/store/migrations/0002_traces.sql",
        "tracebridge/store/otlp_wire.proto",
        "tracebridge/dashboards/static/tracebridge.js",
        "tracebridge/demo/main.py",
    ):
        assert expected in names
