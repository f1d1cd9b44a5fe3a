"""mypy over the one import root, with every module at its one path on disk.

The stages live in top-level folders (``collector/`` ...) that setuptools maps into the
``tracebridge`` package (``[tool.setuptools] package-dir`` in pyproject.toml). Plain ``mypy``
would name ``collector/http.py`` module ``collector.http``; this runs mypy with each file under its
installed name (``tracebridge.collector.http``), read from that same package-dir table, so errors
point at the real file and imports resolve exactly as they do at run time. Options come from
``[tool.mypy]``. Usage: ``python tools/typecheck.py`` (exit status as mypy's).
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

from mypy import build
from mypy.errors import CompileError
from mypy.find_sources import BuildSource
from mypy.main import process_options

ROOT = Path(__file__).resolve().parent.parent


def package_dirs(pyproject: Path) -> dict[str, Path]:
    """Import name -> folder, from pyproject's ``package-dir`` table."""
    table = tomllib.loads(pyproject.read_text())["tool"]["setuptools"]["package-dir"]
    return {name: ROOT / folder for name, folder in table.items()}


def sources(mapping: dict[str, Path]) -> list[BuildSource]:
    """One BuildSource per module file, named as the installed package names it."""
    found: list[BuildSource] = []
    for package, folder in mapping.items():
        for path in sorted(folder.rglob("*.py")):
            parts = list(path.relative_to(folder).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found.append(BuildSource(str(path.relative_to(ROOT)), ".".join([package, *parts]), None))
    return found


def main() -> int:
    _, options = process_options(["--config-file", str(ROOT / "pyproject.toml"), "-c", "pass"])
    try:
        package = sources(package_dirs(ROOT / "pyproject.toml"))
        result = build.build(package, options)
    except CompileError as error:
        print("\n".join(error.messages))
        return 2
    for line in result.errors:
        print(line)
    checked = len(result.files)  # modules analysed in this run; 0 when mypy's cache was fresh
    if result.errors:
        print(f"mypy: {len(result.errors)} lines of errors", file=sys.stderr)
        return 1
    print(
        f"Success: no issues found in the tracebridge package ({len(package)} modules; "
        f"{checked} analysed in this run incl. dependencies, the rest unchanged since mypy's cache)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
