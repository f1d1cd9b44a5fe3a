"""Store errors are classified once, over ClickHouse's real error codes and real driver errors."""

from __future__ import annotations

import socket
from pathlib import Path

import clickhouse_connect
import pytest
from clickhouse_connect.driver.exceptions import OperationalError

from tests.ingest.faults import clickhouse_error, open_database, shared_chdb_path
from tracebridge.store.errors import DATA_ERROR_CODES, TRANSIENT_ERROR_CODES, FaultKind, classify


@pytest.fixture(scope="module")
def real_error_names(tmp_path_factory: pytest.TempPathFactory) -> dict[int, str]:
    """Every error code of the ClickHouse build that chDB embeds, from system.errors."""
    client = open_database(shared_chdb_path(tmp_path_factory.getbasetemp()), "default")
    rows = client.query(
        "SELECT code, name FROM system.errors SETTINGS system_events_show_zero_values = 1"
    ).result_rows
    client.close()
    return {int(code): str(name) for code, name in rows}


def test_every_listed_code_is_the_real_clickhouse_code(real_error_names: dict[int, str]) -> None:
    for code, name in {**DATA_ERROR_CODES, **TRANSIENT_ERROR_CODES}.items():
        assert real_error_names.get(code) == name, (code, name)
    assert not set(DATA_ERROR_CODES) & set(TRANSIENT_ERROR_CODES)


@pytest.mark.parametrize(
    "name",
    [
        "NOT_ENOUGH_SPACE",
        "MEMORY_LIMIT_EXCEEDED",
        "CANNOT_ALLOCATE_MEMORY",
        "TOO_MANY_PARTS",
        "TOO_MANY_SIMULTANEOUS_QUERIES",
        "TABLE_IS_READ_ONLY",
        "READONLY",
        "KEEPER_EXCEPTION",
        "NO_ZOOKEEPER",
        "TIMEOUT_EXCEEDED",
        "SOCKET_TIMEOUT",
        "NETWORK_ERROR",
        "ALL_CONNECTION_TRIES_FAILED",
        "REPLICA_IS_NOT_IN_QUORUM",
        "TOO_FEW_LIVE_REPLICAS",
        "UNKNOWN_TABLE",
        "AUTHENTICATION_FAILED",
        "SERVER_OVERLOADED",
    ],
)
def test_outages_and_limits_are_transient(name: str, real_error_names: dict[int, str]) -> None:
    code = next(c for c, n in real_error_names.items() if n == name)
    fault = classify(clickhouse_error(code, name))
    assert fault.kind is FaultKind.TRANSIENT
    assert fault.code == code and fault.name == name


@pytest.mark.parametrize(
    "name",
    ["CANNOT_PARSE_TEXT", "INCORRECT_DATA", "TOO_LARGE_STRING_SIZE", "CANNOT_READ_ALL_DATA", "TYPE_MISMATCH"],
)
def test_data_errors_are_data(name: str, real_error_names: dict[int, str]) -> None:
    code = next(c for c, n in real_error_names.items() if n == name)
    assert classify(clickhouse_error(code, name)).kind is FaultKind.DATA


def test_unknown_codes_and_unknown_causes_are_transient() -> None:
    assert classify(clickhouse_error(99999, "SOMETHING_NEW")).kind is FaultKind.TRANSIENT
    assert classify(OperationalError("Network Error")).kind is FaultKind.TRANSIENT
    assert classify(ConnectionResetError(104, "reset")).kind is FaultKind.TRANSIENT
    # the code is read from the message when the exception does not carry it
    assert classify(OperationalError("Received ClickHouse exception, code: 243, ...")).code == 243


def test_a_bug_is_unexpected_never_data() -> None:
    fault = classify(KeyError("oops"))
    assert fault.kind is FaultKind.UNEXPECTED
    assert fault.name == "KeyError"


def test_real_chdb_data_error_is_data(tmp_path_factory: pytest.TempPathFactory) -> None:
    client = open_database(shared_chdb_path(tmp_path_factory.getbasetemp()), "t_errors")
    client.command("CREATE TABLE IF NOT EXISTS t (s String) ENGINE = Memory")
    with pytest.raises(Exception) as raised:
        client.raw_insert("t", insert_block=b"\xff\xff\xff\xff\x0fzz", fmt="RowBinary")
    client.command("DROP DATABASE t_errors")
    fault = classify(raised.value)
    assert fault.kind is FaultKind.DATA, fault
    assert fault.code in DATA_ERROR_CODES


def test_real_refused_connection_is_transient(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again below: nothing listens there
    with pytest.raises(Exception) as raised:
        clickhouse_connect.get_client(host="127.0.0.1", port=port, connect_timeout=2)
    fault = classify(raised.value)
    assert fault.kind is FaultKind.TRANSIENT, fault
