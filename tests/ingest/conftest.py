"""Fixtures for the fault tests: the real pipeline over a scripted writer on real chDB."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.ingest.faults import Harness, shared_chdb_path


@pytest.fixture
def harness(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., Harness]]:
    """Build started harnesses private to one test (each its own database and data directory)."""
    made: list[Harness] = []
    chdb = shared_chdb_path(tmp_path_factory.getbasetemp())

    def factory(**settings: object) -> Harness:
        built = Harness(tmp_path / f"data-{len(made)}", chdb, dict(settings))
        made.append(built)
        built.start()
        return built

    yield factory
    for built in made:
        built.close()
