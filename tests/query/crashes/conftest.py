"""One live server for the crash tests of this package (tests isolate by ids and time windows)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import LiveServer, start_server


@pytest.fixture(scope="package")
def crash_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = start_server(tmp_path_factory.mktemp("crash-server"))
    yield live
    live.stop()
