"""The docs stay true: every setting (``TRACEBRIDGE_*`` variable), CLI flag and HTTP endpoint of
the live objects (``Settings``, the CLI's argparse parser, the FastAPI apps) is named in README.md
or docs/*.md, and every one the docs name still exists. New settings, flags and routes are covered
without touching this test.

What counts as documented: a ``TRACEBRIDGE_NAME`` anywhere; a flag (``--name``) inside inline code
or a code-block line that runs ``tracebridge``; an endpoint as a backticked path (``/api/v1/...``,
``GET /healthz``), with ``{parameters}`` matching any parameter name.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.routing import Route

from tracebridge import cli
from tracebridge.api import create_api_app, create_otlp_app
from tracebridge.runtime import Runtime
from tracebridge.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
DOC_FILES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SOURCE_DIRS = ("tracebridge", "collector", "ingest", "query", "dashboards", "demo", "tests", "bench", "tools")
# Routes FastAPI adds itself.
FRAMEWORK_ROUTES = {"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}
# Documented paths under these prefixes must be served (``/v1/...`` is left out: the docs also name
# the demo backend's routes and example HTTP routes there; the OTLP paths are still required).
SERVED_PREFIXES = (
    "/api/v",
    "/dashboards",
    "/jaeger/",
    "/healthz",
    "/readyz",
    "/traces/",
    "/sessions/",
    "/static/",
    "/search",
)

_VAR = re.compile(r"\bTRACEBRIDGE_[A-Z0-9_]+\b")
_INLINE_CODE = re.compile(r"`([^`\n]+)`")
_FLAG = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*")
_PATH = re.compile(r"(?:^|\s)(/[A-Za-z0-9_./{}:-]*)")


def _docs() -> str:
    return "\n".join(path.read_text(encoding="utf-8") for path in DOC_FILES)


def _code_snippets(text: str) -> list[str]:
    """Inline code spans and the lines of fenced code blocks."""
    snippets = _INLINE_CODE.findall(text)
    in_block = False
    for line in text.splitlines():
        if line.strip().startswith("```"):
            in_block = not in_block
        elif in_block:
            snippets.append(line)
    return snippets


# ---------------------------------------------------------------- settings and variables


def setting_variables() -> set[str]:
    prefix = str(Settings.model_config.get("env_prefix", ""))
    return {f"{prefix}{name}".upper() for name in Settings.model_fields}


def variables_read_by_code() -> set[str]:
    """``TRACEBRIDGE_*`` names in the sources (client-side variables, test switches)."""
    found: set[str] = set()
    for folder in SOURCE_DIRS:
        for path in (ROOT / folder).rglob("*.py"):
            if path.name != Path(__file__).name:
                found.update(_VAR.findall(path.read_text(encoding="utf-8")))
    return found


def test_every_setting_is_documented() -> None:
    missing = setting_variables() - set(_VAR.findall(_docs()))
    assert not missing, f"settings without docs: {sorted(missing)}"


def test_every_documented_variable_exists() -> None:
    unknown = set(_VAR.findall(_docs())) - setting_variables() - variables_read_by_code()
    assert not unknown, f"documented variables nothing reads: {sorted(unknown)}"


# ---------------------------------------------------------------- CLI flags


def cli_flags(parser: argparse.ArgumentParser | None = None) -> set[str]:
    parser = parser or cli.build_parser()
    flags: set[str] = set()
    for action in parser._actions:
        flags.update(o for o in action.option_strings if o.startswith("--") and o != "--help")
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                flags |= cli_flags(sub)
    return flags


def documented_flags() -> set[str]:
    flags: set[str] = set()
    for snippet in _code_snippets(_docs()):
        if re.search(r"(^|[\s/])tracebridge\s", snippet):
            flags.update(_FLAG.findall(snippet))
    return flags


def test_every_cli_flag_is_documented() -> None:
    missing = cli_flags() - documented_flags()
    assert not missing, f"CLI flags without docs: {sorted(missing)}"


def test_every_documented_flag_exists() -> None:
    unknown = documented_flags() - cli_flags()
    assert not unknown, f"documented tracebridge flags the CLI does not have: {sorted(unknown)}"


# ---------------------------------------------------------------- endpoints


def _shape(path: str) -> str:
    """A path with every ``{parameter}`` (any name, any converter) or upper-case placeholder
    segment (``/traces/ID``) as ``{}``, no query string."""
    path = path.split("?", 1)[0].rstrip(".,;:)")
    path = re.sub(r"\{[^}]*\}", "{}", path)
    return re.sub(r"/[A-Z][A-Z0-9_]*(?=/|$)", "/{}", path)


def apps() -> list[FastAPI]:
    runtime = Runtime(settings=Settings(), reader=None, pipeline=None)  # type: ignore[arg-type]
    return [create_otlp_app(runtime), create_api_app(runtime)]


def route_paths(routes: Sequence[Any], prefix: str = "") -> Iterator[str]:
    """Every path served, also inside included routers (FastAPI >= 0.165 keeps them as
    ``_IncludedRouter`` objects holding ``original_router`` and the include's ``prefix``)."""
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from route_paths(inner.routes, prefix + getattr(route.include_context, "prefix", ""))
        elif isinstance(route, (APIRoute, Route)):
            yield prefix + route.path


def endpoints() -> set[str]:
    found: set[str] = set()
    for app in apps():
        for path in route_paths(app.routes):
            if path not in FRAMEWORK_ROUTES:
                found.add(_shape(path))
    return found


def _pattern(shape: str) -> re.Pattern[str]:
    return re.compile(
        "".join("[^/]+" if part == "{}" else re.escape(part) for part in re.split(r"(\{\})", shape))
    )


def _matches(endpoint: str, paths: set[str]) -> bool:
    """Whether a documented path names ``endpoint`` (exactly, or as an instance of its parameters)."""
    pattern = _pattern(endpoint)
    return endpoint in paths or any(pattern.fullmatch(path) for path in paths)


def documented_paths() -> set[str]:
    """Every backticked path of the docs, shaped."""
    return {_shape(path) for snippet in _INLINE_CODE.findall(_docs()) for path in _PATH.findall(snippet)}


def test_every_endpoint_is_documented() -> None:
    documented = documented_paths()
    missing = {e for e in endpoints() if not _matches(e, documented)}
    assert not missing, f"endpoints without docs: {sorted(missing)}"


def test_every_documented_endpoint_exists() -> None:
    claimed = {p for p in documented_paths() if p.startswith(SERVED_PREFIXES) and not p.endswith("/")}
    served = endpoints()
    unknown = {p for p in claimed if not any(_pattern(e).fullmatch(p) or e == p for e in served)}
    assert not unknown, f"documented endpoints no app serves: {sorted(unknown)}"


def test_the_checks_see_the_live_objects() -> None:
    assert "/api/v1/traces/{}" in endpoints() and "/v1/traces" in endpoints()
    assert {"--data-dir", "--api", "--out"} <= cli_flags()
    assert "TRACEBRIDGE_READ_TOKENS" in setting_variables()
