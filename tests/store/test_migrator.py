"""The migrator's file handling (the migrations themselves run at every server start in the suite)."""

from __future__ import annotations

from tracebridge.store.migrator import load_migrations, split_statements


def test_migrations_are_numbered_and_unique() -> None:
    migrations = load_migrations()
    versions = [m.version for m in migrations]
    assert versions == sorted(set(versions))
    assert versions[:3] == [1, 2, 3]
    assert migrations[0].always


def test_split_statements_drops_comments_and_keeps_semicolons_inside_lines() -> None:
    sql = "-- header\nCREATE TABLE a (x String DEFAULT ';');\n\n-- only a comment;\nSELECT 1;\n"
    assert split_statements(sql) == ["CREATE TABLE a (x String DEFAULT ';')", "SELECT 1"]
