"""Returning the chDB library's idle code pages to the kernel: the resident set shrinks, the engine
keeps answering exactly as before, and only clean read-only library mappings are ever advised."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.store.conftest import Store
from tracebridge.store.memory import LibraryPages, _releasable, resident_bytes


def _library_resident_kib(fragment: str) -> int:
    """Resident KiB of this process's mappings whose path contains ``fragment``."""
    total, inside = 0, False
    for line in Path("/proc/self/smaps").read_text(encoding="utf-8", errors="replace").splitlines():
        if re.match(r"^[0-9a-f]+-[0-9a-f]+ ", line):
            inside = fragment in line
        elif inside and line.startswith("Rss:"):
            total += int(line.split()[1])
    return total


def test_releasing_library_pages_shrinks_the_resident_set_and_changes_no_answer(store: Store) -> None:
    if store.settings.clickhouse_url:
        pytest.skip("the library pages are the embedded engine's")
    if not Path("/proc/self/smaps").exists():
        pytest.skip("Linux /proc only")
    query = "SELECT count(), uniqExact(SpanId), max(Duration) FROM otel_traces"
    before = store.client.query(query).result_rows
    touched = _library_resident_kib("_chdb")
    assert touched > 0
    pages = LibraryPages()
    assert pages.release() > 0
    released = _library_resident_kib("_chdb")
    assert released < touched / 2, (touched, released)
    assert (resident_bytes() or 0) > 0
    # The engine maps the code it needs again, and answers the same.
    assert store.client.query(query).result_rows == before
    assert pages.release() > 0  # a second release re-checks the mappings by identity only


@pytest.mark.parametrize(
    ("perms", "path", "anonymous", "expected"),
    [
        ("r-xp", "/venv/chdb/_chdb.abi3.so", 0, True),
        ("r--p", "/usr/lib/libssl.so.3", 0, True),
        ("r--p", "/venv/chdb/_chdb.abi3.so", 12, False),  # relocated read-only data: copied pages
        ("rw-p", "/venv/chdb/_chdb.abi3.so", 0, False),  # writable
        ("r-xs", "/venv/chdb/_chdb.abi3.so", 0, False),  # shared
        ("r--p", "/data/part.bin", 0, False),  # not a library
        ("r--p", "[vdso]", 0, False),
    ],
)
def test_only_clean_private_read_only_library_mappings_are_released(
    perms: str, path: str, anonymous: int, expected: bool
) -> None:
    assert _releasable(perms, path, {"Anonymous": anonymous, "Rss": 100}) is expected
    assert not _releasable(perms, path, {"Rss": 100})  # unknown anonymous size: never
