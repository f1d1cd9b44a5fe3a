"""A small versioned migrator: applies tracebridge/store/migrations/NNNN_name.sql in order, once each.

Applied versions are recorded in ``tracebridge_schema_migrations``. Files named
``NNNN_functions.sql`` (or ``NNNN_*_functions.sql``) hold only CREATE OR REPLACE FUNCTION statements and are applied at every
start, so SQL functions exist even on a server where they were dropped.

Every statement is rendered for the store's ``Layout`` first (tracebridge/store/layout.py: one
server, or local tables + Distributed tables on a cluster). Migrations are safe to run from several
processes at once: every statement is idempotent (IF NOT EXISTS, OR REPLACE, ADD COLUMN IF NOT
EXISTS; the one-off backfills insert rows that readers de-duplicate or aggregate states that merge
to the same value), a racing CREATE that finds the object already made counts as done, and the
versions table is read as a set.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

from tracebridge.store.client import LockedClient
from tracebridge.store.layout import Layout

_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")

CREATE_MIGRATIONS_TABLE = """
CREATE TABLE IF NOT EXISTS {{local tracebridge_schema_migrations}}{{on_cluster}}
(version UInt32, name String, applied_at DateTime64(3) DEFAULT now64(3))
ENGINE = {{engine MergeTree}} ORDER BY version;
{{distributed tracebridge_schema_migrations version}};
"""
SELECT_APPLIED = "SELECT DISTINCT version FROM tracebridge_schema_migrations"
INSERT_APPLIED = (
    "INSERT INTO tracebridge_schema_migrations (version, name) VALUES ({version:UInt32}, {name:String})"
)


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def always(self) -> bool:
        return self.name == "functions" or self.name.endswith("_functions")

    def statements(self, layout: Layout) -> list[str]:
        """The statements of this migration rendered for ``layout`` (empty ones dropped)."""
        return render_statements(self.sql, layout)


def render_statements(sql: str, layout: Layout) -> list[str]:
    rendered = (layout.render_statement(statement) for statement in split_statements(sql))
    return [statement for statement in rendered if statement]


def split_statements(sql: str) -> list[str]:
    """Split a .sql file on semicolons that end a line; comment-only chunks are dropped."""
    out = []
    for chunk in re.split(r";\s*$", sql, flags=re.MULTILINE):
        code = "\n".join(line for line in chunk.splitlines() if not line.strip().startswith("--")).strip()
        if code:
            out.append(code)
    return out


def load_migrations() -> list[Migration]:
    found = []
    for entry in resources.files("tracebridge.store.migrations").iterdir():
        match = _NAME.match(entry.name)
        if match:
            found.append(Migration(int(match.group(1)), match.group(2), entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise RuntimeError(f"duplicate migration versions: {versions}")
    return found


def migrate(client: LockedClient, layout: Layout | None = None) -> list[int]:
    """Bring the schema up to date; returns the versions applied by this call."""
    layout = layout or Layout()
    for statement in render_statements(CREATE_MIGRATIONS_TABLE, layout):
        _run(client, statement)
    applied = {row[0] for row in client.query(SELECT_APPLIED).result_rows}
    done = []
    for migration in load_migrations():
        if migration.version in applied and not migration.always:
            continue
        for statement in migration.statements(layout):
            _run(client, statement)
        if migration.version not in applied:
            client.command(INSERT_APPLIED, parameters={"version": migration.version, "name": migration.name})
            done.append(migration.version)
    return done


def _run(client: LockedClient, statement: str) -> None:
    """Run one DDL statement; a CREATE ... IF NOT EXISTS that lost a race to another migrator
    (the object appeared between its check and its create) has nothing left to do."""
    try:
        client.command(statement)
    except Exception as exc:
        if not (statement.startswith("CREATE") and "IF NOT EXISTS" in statement and _already_exists(exc)):
            raise


def _already_exists(exc: Exception) -> bool:
    text = str(exc)
    return "already exists" in text or "Code: 57." in text


# Every table that holds telemetry or aggregates of it; each has an IngestTime column.
RETENTION_TABLES = (
    "otel_traces",
    "tracebridge_session_spans",
    "tracebridge_trace_index",
    "tracebridge_request_pairs",
    "tracebridge_session_summary",
    "otel_logs",
    "tracebridge_crashes",
    "tracebridge_session_crashes",
    "tracebridge_span_links",
)


def apply_retention(client: LockedClient, days: int, layout: Layout | None = None) -> None:
    """TTL counted from ingest time (never from the data's own clock); 0 removes it. In the
    cluster layout the TTL is set on the local tables, on every node."""
    layout = layout or Layout()
    for name in RETENTION_TABLES:
        table = layout.local(name) + layout.on_cluster()
        if days > 0:
            client.command(
                f"ALTER TABLE {table} MODIFY TTL toDateTime(IngestTime) + INTERVAL {int(days)} DAY"
            )
        else:
            try:
                client.command(f"ALTER TABLE {table} REMOVE TTL")
            except Exception as exc:  # no TTL set yet
                if "TTL" not in str(exc):
                    raise
