"""Store errors, classified once: can the same insert succeed later, or is the data itself refused?

Every exception an insert raises becomes a ``StoreFault`` of one of three kinds:

- ``TRANSIENT``: the store cannot take data now (unreachable, restarting, timeouts, no disk
  space, memory limits, too many parts, too many queries, read-only or lagging replicas, Keeper,
  a misconfigured or missing table) and any ClickHouse error of unknown cause. The writer retries
  these with capped backoff for as long as they last; they never dead-letter data.
- ``DATA``: ClickHouse rejected the rows (parse, type or value errors). Only these can set a
  payload aside, and only after the payload, retried alone, fails the same way several times.
- ``UNEXPECTED``: not a store error at all (a bug). Logged with its traceback, retried after a
  pause, never dead-lettered.

ClickHouse's numeric codes come from ``Error.code`` (clickhouse-connect sets it for both the HTTP
server and embedded chDB), else from the ``Code: NNN`` in the message.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from clickhouse_connect.driver.exceptions import Error, OperationalError


class FaultKind(enum.StrEnum):
    TRANSIENT = "transient"
    DATA = "data"
    UNEXPECTED = "unexpected"


# ClickHouse error codes (src/Common/ErrorCodes.cpp) whose cause is the inserted data itself.
DATA_ERROR_CODES: dict[int, str] = {
    6: "CANNOT_PARSE_TEXT",
    25: "CANNOT_PARSE_ESCAPE_SEQUENCE",
    26: "CANNOT_PARSE_QUOTED_STRING",
    27: "CANNOT_PARSE_INPUT_ASSERTION_FAILED",
    32: "ATTEMPT_TO_READ_AFTER_EOF",
    33: "CANNOT_READ_ALL_DATA",
    41: "CANNOT_PARSE_DATETIME",
    43: "ILLEGAL_TYPE_OF_ARGUMENT",
    44: "ILLEGAL_COLUMN",
    53: "TYPE_MISMATCH",
    69: "ARGUMENT_OUT_OF_BOUND",
    70: "CANNOT_CONVERT_TYPE",
    72: "CANNOT_PARSE_NUMBER",
    117: "INCORRECT_DATA",
    128: "TOO_LARGE_ARRAY_SIZE",
    131: "TOO_LARGE_STRING_SIZE",
    190: "SIZES_OF_ARRAYS_DONT_MATCH",
    321: "VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE",
    376: "CANNOT_PARSE_UUID",
    395: "FUNCTION_THROW_IF_VALUE_IS_NON_ZERO",
    407: "DECIMAL_OVERFLOW",
    436: "PROTOBUF_BAD_CAST",
    444: "UNKNOWN_PROTOBUF_FORMAT",
    467: "CANNOT_PARSE_BOOL",
    675: "CANNOT_PARSE_IPV4",
    676: "CANNOT_PARSE_IPV6",
}

# Codes known to pass (or to need an operator, not a different payload): retried, never
# dead-lettered. Listed to name them in logs and to document the choice; any code not in
# DATA_ERROR_CODES is transient anyway.
TRANSIENT_ERROR_CODES: dict[int, str] = {
    16: "NO_SUCH_COLUMN_IN_TABLE",
    60: "UNKNOWN_TABLE",
    81: "UNKNOWN_DATABASE",
    75: "CANNOT_WRITE_TO_FILE_DESCRIPTOR",
    76: "CANNOT_OPEN_FILE",
    95: "CANNOT_READ_FROM_SOCKET",
    96: "CANNOT_WRITE_TO_SOCKET",
    115: "UNKNOWN_SETTING",
    159: "TIMEOUT_EXCEEDED",
    160: "TOO_SLOW",
    164: "READONLY",
    173: "CANNOT_ALLOCATE_MEMORY",
    192: "UNKNOWN_USER",
    193: "WRONG_PASSWORD",
    194: "REQUIRED_PASSWORD",
    201: "QUOTA_EXCEEDED",
    202: "TOO_MANY_SIMULTANEOUS_QUERIES",
    204: "CANNOT_FSYNC",
    209: "SOCKET_TIMEOUT",
    210: "NETWORK_ERROR",
    218: "TABLE_IS_DROPPED",
    225: "NO_ZOOKEEPER",
    236: "ABORTED",
    241: "MEMORY_LIMIT_EXCEEDED",
    242: "TABLE_IS_READ_ONLY",
    243: "NOT_ENOUGH_SPACE",
    244: "UNEXPECTED_ZOOKEEPER_ERROR",
    252: "TOO_MANY_PARTS",
    279: "ALL_CONNECTION_TRIES_FAILED",
    285: "TOO_FEW_LIVE_REPLICAS",
    289: "REPLICA_IS_NOT_IN_QUORUM",
    291: "DATABASE_ACCESS_DENIED",
    294: "CANNOT_WRITE_TO_FILE",
    384: "PART_IS_TEMPORARILY_LOCKED",
    394: "QUERY_WAS_CANCELLED",
    415: "ALL_REPLICAS_LOST",
    416: "REPLICA_STATUS_CHANGED",
    434: "CANNOT_PARSE_PROTOBUF_SCHEMA",
    439: "CANNOT_SCHEDULE_TASK",
    473: "DEADLOCK_AVOIDED",
    497: "ACCESS_DENIED",
    516: "AUTHENTICATION_FAILED",
    565: "TOO_MANY_PARTITIONS",
    574: "DISTRIBUTED_TOO_MANY_PENDING_BYTES",
    733: "TABLE_IS_BEING_RESTARTED",
    745: "SERVER_OVERLOADED",
    999: "KEEPER_EXCEPTION",
    1000: "POCO_EXCEPTION",
    1001: "STD_EXCEPTION",
}

_CODE_IN_MESSAGE = re.compile(r"\bcode:\s*(\d+)", re.IGNORECASE)


@dataclass(frozen=True)
class StoreFault:
    """What an insert's exception means. ``key`` identifies "the same error" across retries."""

    kind: FaultKind
    code: int | None
    name: str
    message: str

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.code if self.code is not None else self.name}"

    def describe(self) -> str:
        code = f"Code {self.code} " if self.code is not None else ""
        return f"{code}{self.name}: {self.message}"


def error_code(exc: BaseException) -> int | None:
    """The ClickHouse error code carried by ``exc``, if any."""
    code = getattr(exc, "code", None) if isinstance(exc, Error) else None
    if isinstance(code, int):
        return code
    match = _CODE_IN_MESSAGE.search(str(exc))
    return int(match.group(1)) if match else None


def classify(exc: BaseException) -> StoreFault:
    """The one classification of store errors (see the module docstring)."""
    message = " ".join(str(exc).split())[:2000]
    if isinstance(exc, Error | OSError | TimeoutError):
        code = error_code(exc)
        if code is not None and code in DATA_ERROR_CODES and not isinstance(exc, OperationalError):
            return StoreFault(FaultKind.DATA, code, DATA_ERROR_CODES[code], message)
        if code is not None:
            return StoreFault(FaultKind.TRANSIENT, code, TRANSIENT_ERROR_CODES.get(code, "UNKNOWN"), message)
        name = "UNREACHABLE" if isinstance(exc, OperationalError | OSError | TimeoutError) else "UNKNOWN"
        return StoreFault(FaultKind.TRANSIENT, None, name, message)
    return StoreFault(FaultKind.UNEXPECTED, None, type(exc).__name__, message)
