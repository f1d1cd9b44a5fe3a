"""The store owns its SQL (issue #11): no module under query/ or dashboards/ holds SQL text or
imports the store's query modules; they call ``StoreReader`` domain methods only."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FOLDERS = ("query", "dashboards")
# An upper-case SQL clause followed by white space (the store's queries are written this way).
SQL = re.compile(r"\b(SELECT|FROM|WHERE|GROUP BY|ORDER BY|LIMIT \d+ BY|INSERT INTO|ALTER TABLE|ARRAY JOIN)\s")
STORE_QUERY_MODULE = re.compile(r"^tracebridge\.store\.(\w*queries|spans)$")


def _sources() -> list[Path]:
    return sorted(path for folder in FOLDERS for path in (ROOT / folder).rglob("*.py"))


def _sql_literals(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, text) of string constants (f-string parts included) that read as SQL."""
    return [
        (node.lineno, node.value[:60])
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL.search(node.value)
    ]


def test_the_scan_finds_sql() -> None:
    tree = ast.parse('X = f"""\nSELECT a FROM {t}\nWHERE b = 1"""\nY = "plain words, from here"\n')
    assert [line for line, _ in _sql_literals(tree)] == [1, 1]


def test_query_and_dashboards_hold_no_sql() -> None:
    found = []
    for path in _sources():
        for line, text in _sql_literals(ast.parse(path.read_text(encoding="utf-8"))):
            found.append(f"{path.relative_to(ROOT)}:{line}: {text!r}")
    assert found == []


def test_query_and_dashboards_import_no_store_query_module() -> None:
    found = []
    for path in _sources():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
            found += [f"{path.relative_to(ROOT)}: {name}" for name in names if STORE_QUERY_MODULE.match(name)]
    assert found == []
