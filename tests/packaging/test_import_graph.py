"""Dependencies point one way: collector -> ingest -> store, query -> store, dashboards -> query;
shared modules (domain types, settings, auth) import no stage; the composition root (api, server,
cli, runtime) and the demo (an application of its own) may import any stage, and no stage imports them.
Read from the source of every module of the installed package (``import`` statements, wherever
they are, also inside functions)."""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path

import tracebridge

STAGES = ("collector", "ingest", "query", "dashboards", "store")
ROOT = ("api", "server", "cli", "runtime", "demo")
# stage -> the stages it may import (besides itself and the shared modules)
ALLOWED = {
    "collector": {"ingest"},
    "ingest": {"store"},
    "store": set(),
    "query": {"store"},
    "dashboards": {"query"},
    "shared": set(),
}


def layer(module: str) -> str:
    """``collector`` ... ``store``, ``root`` (composition root and demo), or ``shared``."""
    parts = module.split(".")
    if len(parts) < 2:
        return "shared"
    if parts[1] in STAGES:
        return parts[1]
    return "root" if parts[1] in ROOT else "shared"


def modules() -> dict[str, Path]:
    """Every module of the package; the stage folders are mapped into it (package-dir), so each
    sub-package is walked from its own path."""
    names = [info.name for info in pkgutil.iter_modules(tracebridge.__path__, "tracebridge.")]
    for package in ("collector", "ingest", "query", "dashboards", "store", "demo"):
        sub = importlib.import_module(f"tracebridge.{package}")
        names += [info.name for info in pkgutil.walk_packages(sub.__path__, f"tracebridge.{package}.")]
    found = {}
    for name in names:
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.origin and spec.origin.endswith(".py"):
            found[name] = Path(spec.origin)
    return found


def imports(path: Path) -> set[str]:
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
    return {name for name in out if name == "tracebridge" or name.startswith("tracebridge.")}


def test_every_stage_is_found() -> None:
    layers = {layer(name) for name in modules()}
    assert set(STAGES) | {"root", "shared"} <= layers


def test_dependencies_point_one_way() -> None:
    wrong = []
    for name, path in sorted(modules().items()):
        source = layer(name)
        if source == "root":
            continue
        for target_module in sorted(imports(path)):
            target = layer(target_module)
            if target in (source, "shared") and source != "shared":
                continue
            if source == "shared" and target == "shared":
                continue
            if target not in ALLOWED[source]:
                wrong.append(f"{name} ({source}) imports {target_module} ({target})")
    assert not wrong, "\n".join(wrong)


def test_rule_catches_a_wrong_edge() -> None:
    assert layer("tracebridge.query.service") == "query"
    assert "root" not in ALLOWED["query"] and "dashboards" not in ALLOWED["store"]
    assert layer("tracebridge.runtime") == "root" and layer("tracebridge.domain") == "shared"
