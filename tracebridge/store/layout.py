"""Table layout of a store, and the small template language of the .sql migrations.

A migration names its tables through placeholders so that one file renders both layouts:

- ``{{local NAME}}``: the table that holds the rows. ``NAME`` on a single server; ``NAME_local``
  (one per shard) in the cluster layout.
- ``{{on_cluster}}``: `` ON CLUSTER `name` `` where DDL must reach every node, else nothing.
- ``{{engine ENGINE}}``: a MergeTree-family engine, made ``Replicated*`` when tables are replicated
  (replica path ``/clickhouse/tables/{shard}/{database}/{table}``, replica ``{replica}``: the
  server's ``macros``).
- ``{{distributed NAME KEY}}``: a whole statement. In the cluster layout it creates ``NAME`` as a
  ``Distributed`` table over ``NAME_local`` sharded by the expression ``KEY``; on a single server it
  renders to nothing (the statement is dropped).
- ``{{cluster_only}}`` at the start of a statement: the statement exists only in the cluster layout
  (e.g. an ALTER of a Distributed table after its local table).

Plain names in a migration (no placeholder) are what readers and the protobuf landing views use:
on a single server the table itself, in a cluster the Distributed table over all shards.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+)(?:\s+([^}]*?))?\s*\}\}")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
CLUSTER_ONLY = "{{cluster_only}}"
REPLICA_PATH = "/clickhouse/tables/{shard}/{database}/{table}"
REPLICA_NAME = "{replica}"
LOCAL_SUFFIX = "_local"


class TemplateError(ValueError):
    """A migration uses an unknown placeholder or a malformed one."""


def _identifier(name: str, what: str) -> str:
    if not _IDENTIFIER.match(name):
        raise TemplateError(f"{what} must be a plain identifier, got {name!r}")
    return name


@dataclass(frozen=True)
class Layout:
    """Where tables live. ``cluster`` None: one server (or embedded chDB), plain tables.

    ``on_cluster_ddl`` False renders the cluster layout without ``ON CLUSTER`` clauses, for a
    one-node cluster that refuses distributed DDL (embedded chDB).
    """

    database: str = "tracebridge"
    cluster: str | None = None
    replicated: bool = False
    on_cluster_ddl: bool = True

    def __post_init__(self) -> None:
        _identifier(self.database, "the database name")
        if self.cluster is not None:
            _identifier(self.cluster, "the cluster name")
        if self.replicated and self.cluster is None:
            raise ValueError("replicated tables need a cluster (--clickhouse-cluster)")

    @property
    def clustered(self) -> bool:
        return self.cluster is not None

    def local(self, table: str) -> str:
        """The table that stores ``table``'s rows on this node."""
        _identifier(table, "a table name")
        return table + LOCAL_SUFFIX if self.clustered else table

    def on_cluster(self) -> str:
        return f" ON CLUSTER `{self.cluster}`" if self.clustered and self.on_cluster_ddl else ""

    def engine(self, engine: str) -> str:
        """``ReplacingMergeTree(IngestTime)`` -> ``ReplicatedReplacingMergeTree(path, replica, IngestTime)``."""
        match = re.match(r"^([A-Za-z]*MergeTree)(?:\((.*)\))?$", engine.strip(), flags=re.DOTALL)
        if match is None:
            raise TemplateError(f"not a MergeTree-family engine: {engine!r}")
        if not self.replicated:
            return engine.strip()
        args = [f"'{REPLICA_PATH}'", f"'{REPLICA_NAME}'"]
        if match.group(2):
            args.append(match.group(2).strip())
        return f"Replicated{match.group(1)}({', '.join(args)})"

    def distributed(self, table: str, key: str) -> str:
        """The CREATE statement of the Distributed table ``table`` ('' on a single server)."""
        if not self.clustered or not key.strip():
            if self.clustered:
                raise TemplateError(f"{{{{distributed {table}}}}} needs a sharding key")
            return ""
        local = self.local(table)
        return (
            f"CREATE TABLE IF NOT EXISTS {table}{self.on_cluster()} AS {local}\n"
            f"ENGINE = Distributed('{self.cluster}', '{self.database}', '{local}', {key.strip()})"
        )

    def render(self, sql: str) -> str:
        """Substitute every placeholder of one statement (or file)."""

        def substitute(match: re.Match[str]) -> str:
            name, arg = match.group(1), (match.group(2) or "").strip()
            if name == "local":
                return self.local(arg)
            if name == "on_cluster" and not arg:
                return self.on_cluster()
            if name == "engine" and arg:
                return self.engine(arg)
            if name == "distributed":
                table, _, key = arg.partition(" ")
                return self.distributed(table, key)
            raise TemplateError(f"unknown placeholder {match.group(0)!r}")

        return _PLACEHOLDER.sub(substitute, sql)

    def render_statement(self, statement: str) -> str:
        """One statement rendered, or '' when it does not exist in this layout."""
        stripped = statement.lstrip()
        if stripped.startswith(CLUSTER_ONLY):
            if not self.clustered:
                return ""
            stripped = stripped[len(CLUSTER_ONLY) :]
        return self.render(stripped).strip()
