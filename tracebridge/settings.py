"""One settings object for the whole process, from flags and TRACEBRIDGE_* variables."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def _csv_items(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def _csv(value: str) -> frozenset[str]:
    return frozenset(_csv_items(value))


def credential_from_env(single: str, many: str) -> str | None:
    """The credential a client sends: the ``single`` variable (e.g. TRACEBRIDGE_READ_TOKEN), else the
    first entry of the server's comma-separated ``many`` (TRACEBRIDGE_READ_TOKENS), so one
    environment serves both the server and its clients."""
    value = os.environ.get(single, "").strip()
    if value:
        return value
    listed = _csv_items(os.environ.get(many, ""))
    return listed[0] if listed else None


class Settings(BaseSettings):
    """Configuration of a tracebridge process. Every field has a TRACEBRIDGE_<NAME> variable."""

    model_config = SettingsConfigDict(env_prefix="TRACEBRIDGE_", extra="ignore")

    data_dir: Path = Path("./tracebridge-data")
    clickhouse_url: str | None = None
    clickhouse_cluster: str | None = Field(None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    clickhouse_replicated: bool = False
    database: str = "tracebridge"
    host: str = "127.0.0.1"
    otlp_http_port: int = Field(4318, ge=0, le=65535)
    otlp_grpc_port: int = Field(4317, ge=0, le=65535)
    api_port: int = Field(8080, ge=0, le=65535)
    ingest_keys: str = ""
    read_tokens: str = ""
    retention_days: int = Field(0, ge=0)
    # Sign-in for the pages (only with read_tokens): the cookie's HMAC secret (empty: random per
    # process), its lifetime, and wrong tokens allowed per client address per minute.
    signin_secret: str = Field("", repr=False)
    signin_max_age_s: int = Field(12 * 3600, ge=60)
    signin_failures_per_minute: int = Field(5, ge=1)

    read_clients: int = Field(4, ge=1, le=64)
    max_body_bytes: int = Field(64 * 1024 * 1024, gt=0)
    queue_max_bytes: int = Field(8 * 1024 * 1024, ge=0)
    wal_max_bytes: int = Field(2 * 1024 * 1024 * 1024, gt=0)
    batch_max_items: int = Field(50_000, gt=0)
    batch_max_bytes: int = Field(8 * 1024 * 1024, gt=0)
    batch_max_wait_ms: int = Field(200, ge=0)
    durability: Literal["fsync", "none"] = "fsync"
    wal_segment_bytes: int = Field(64 * 1024 * 1024, gt=0)
    store_retry_max_seconds: float = Field(10.0, gt=0)
    dead_letter_attempts: int = Field(3, ge=1)
    ready_stall_seconds: float = Field(60.0, gt=0)
    intake_max_concurrent: int = Field(8, ge=1)
    header_timeout_seconds: float = Field(10.0, gt=0)
    keep_alive_seconds: int = Field(15, ge=1)
    body_timeout_seconds: float = Field(60.0, gt=0)
    # Embedded store: above this resident size, after an insert (at most once a second), the chDB
    # library's idle code pages go back to the kernel (store/writer.py, store/memory.py); 0 never.
    store_purge_above_bytes: int = Field(256 * 1024 * 1024, ge=0)
    # Embedded store: the nice value of the writer's inserts and the engine's merges, so that API
    # lookups in the same process get the CPU first (store/priority.py); 0 runs them like the rest.
    background_nice: int = Field(10, ge=0, le=19)

    @field_validator("signin_secret")
    @classmethod
    def _long_enough(cls, value: str) -> str:
        if value and len(value.encode()) < 16:
            raise ValueError("TRACEBRIDGE_SIGNIN_SECRET must be at least 16 bytes (or unset)")
        return value

    @property
    def ingest_key_set(self) -> frozenset[str]:
        return _csv(self.ingest_keys)

    @property
    def read_token_set(self) -> frozenset[str]:
        return _csv(self.read_tokens)

    @property
    def wal_dir(self) -> Path:
        return self.data_dir.resolve() / "wal"

    @property
    def dead_letter_dir(self) -> Path:
        return self.data_dir.resolve() / "dead-letter"

    @property
    def chdb_dir(self) -> Path:
        return self.data_dir.resolve() / "chdb"
