"""A small versioned migrator: applies tracebridge/store/migrations/NNNN_name.sql in order, once each.

Applied versions are recorded in ``tracebridge_schema_migrations``. Files named
``NNNN_functions.sql`` (or ``NNNN_*_functions.sql``) hold only CREATE OR REPLACE FUNCTION statements and are applied at every
start, so SQL functions exist even on a server where they were dropped.

A statement ``{{recreate NAME ...}}`` drops the NAMEs in the order given (dependents first, e.g. a
view before its source table) and creates them again in the reverse order, each from its CREATE
statement in an earlier migration (as that file says now). It is for objects that hold no rows: a
materialized view (ClickHouse inlines SQL functions into a view when it is created, so a view picks
up a changed function only so) or a Null-engine landing table whose columns changed. When those
earlier migrations run in the same call (a new store), the objects were just created as the files
say and are left alone, so migrators starting together on a new store never drop anything.

Every statement is rendered for the store's ``Layout`` first (tracebridge/store/layout.py: one
server, or local tables + Distributed tables on a cluster). Migrations are safe to run from several
processes at once: every statement is idempotent (IF NOT EXISTS, OR REPLACE, ADD COLUMN IF NOT
EXISTS; the one-off backfills insert rows that readers de-duplicate or aggregate states that merge
to the same value), a racing CREATE that finds the object already made counts as done, and the
versions table is read as a set.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from importlib import resources

from tracebridge.store.client import LockedClient
from tracebridge.store.layout import Layout, TemplateError

_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
_RECREATE = re.compile(r"^\{\{recreate ((?:\w+ ?)+)\}\}$")

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

    def statements(
        self, layout: Layout, earlier: Sequence[Migration] = (), applied: Collection[int] = ()
    ) -> list[str]:
        """The statements of this migration rendered for ``layout`` (empty ones dropped);
        ``earlier``: the migrations before it, where ``{{recreate}}`` finds its CREATE;
        ``applied``: the versions the store had before this run."""
        raw: list[str] = []
        for statement in split_statements(self.sql):
            match = _RECREATE.match(statement)
            raw.extend(_recreate(match.group(1).split(), earlier, applied) if match else [statement])
        rendered = (layout.render_statement(statement) for statement in raw)
        return [statement for statement in rendered if statement]


def _recreate(names: Sequence[str], earlier: Sequence[Migration], applied: Collection[int]) -> list[str]:
    creates = [_creating(name, earlier) for name in names]
    if all(migration.version not in applied for migration, _ in creates):
        return []  # created in this run, from the definitions as they are now
    drops = [f"DROP TABLE IF EXISTS {name}{{{{on_cluster}}}}" for name in names]
    return drops + [statement for _, statement in reversed(creates)]


def _creating(name: str, earlier: Sequence[Migration]) -> tuple[Migration, str]:
    """The earlier migration that creates ``name``, and its CREATE statement."""
    prefixes = (f"CREATE TABLE IF NOT EXISTS {name}", f"CREATE MATERIALIZED VIEW IF NOT EXISTS {name}")
    for migration in reversed(earlier):
        for statement in split_statements(migration.sql):
            for prefix in prefixes:
                rest = statement[len(prefix) :]
                if statement.startswith(prefix) and not (rest[:1].isalnum() or rest[:1] == "_"):
                    return migration, statement
    raise TemplateError(f"{{{{recreate {name}}}}}: no earlier migration creates it")


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


_MIGRATING = threading.Lock()


def migrate(client: LockedClient, layout: Layout | None = None) -> list[int]:
    """Bring the schema up to date; returns the versions applied by this call. Calls in one process
    run one at a time; calls from several processes are safe as the module docstring says."""
    with _MIGRATING:
        return _migrate(client, layout or Layout())


def _migrate(client: LockedClient, layout: Layout) -> list[int]:
    for statement in render_statements(CREATE_MIGRATIONS_TABLE, layout):
        _run(client, statement)
    applied = {row[0] for row in client.query(SELECT_APPLIED).result_rows}
    done = []
    migrations = load_migrations()
    for index, migration in enumerate(migrations):
        if migration.version in applied and not migration.always:
            continue
        for statement in migration.statements(layout, migrations[:index], applied):
            _run(client, statement)
        if migration.version not in applied:
            client.command(INSERT_APPLIED, parameters={"version": migration.version, "name": migration.name})
            done.append(migration.version)
    return done


def schema_statements(layout: Layout, backfills: bool = True) -> list[str]:
    """Every statement the migrations run on an empty store, in order, rendered for ``layout``.
    ``backfills=False`` leaves out the one-off INSERTs that index data stored before a migration
    (nothing to index on a node added later)."""
    statements = render_statements(CREATE_MIGRATIONS_TABLE, layout)
    migrations = load_migrations()
    for index, migration in enumerate(migrations):
        statements.extend(migration.statements(layout, migrations[:index]))
    return [s for s in statements if backfills or not s.startswith("INSERT")]


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
    "otel_traces_trace_id_ts",
    "tracebridge_session_spans",
    "tracebridge_trace_index",
    "tracebridge_request_pairs",
    "tracebridge_request_hops",
    "tracebridge_session_summary",
    "otel_logs",
    "tracebridge_crashes",
    "tracebridge_session_crashes",
    "tracebridge_span_links",
    "tracebridge_gap_facts",
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
