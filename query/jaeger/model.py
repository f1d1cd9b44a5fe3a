"""Jaeger's JSON model, as its query service answers (``model/json`` in Jaeger): typed records with
a pure ``to_json`` each. Ids are lowercase hex; times and durations are microseconds."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

TagType = Literal["string", "bool", "int64", "float64", "binary"]
RefType = Literal["CHILD_OF", "FOLLOWS_FROM"]
# JavaScript reads integers beyond 2^53 - 1 inexactly: Jaeger sends those int64 values as text.
JS_MAX_SAFE_INTEGER = 2**53 - 1


@dataclass(frozen=True)
class KeyValue:
    """A typed tag or log field. ``value`` is a str, bool, int, float, or base64 text (binary)."""

    key: str
    type: TagType
    value: str | bool | int | float

    def to_json(self) -> dict[str, Any]:
        value = self.value
        if self.type == "int64" and isinstance(value, int) and abs(value) > JS_MAX_SAFE_INTEGER:
            value = str(value)
        return {"key": self.key, "type": self.type, "value": value}


@dataclass(frozen=True)
class Reference:
    ref_type: RefType
    trace_id: str
    span_id: str

    def to_json(self) -> dict[str, Any]:
        return {"refType": self.ref_type, "traceID": self.trace_id, "spanID": self.span_id}


@dataclass(frozen=True)
class Log:
    timestamp: int
    fields: list[KeyValue]

    def to_json(self) -> dict[str, Any]:
        return {"timestamp": self.timestamp, "fields": [f.to_json() for f in self.fields]}


@dataclass(frozen=True)
class Process:
    service_name: str
    tags: list[KeyValue]

    def to_json(self) -> dict[str, Any]:
        return {"serviceName": self.service_name, "tags": [t.to_json() for t in self.tags]}


@dataclass(frozen=True)
class Span:
    trace_id: str
    span_id: str
    operation_name: str
    references: list[Reference]
    start_time: int
    duration: int
    tags: list[KeyValue]
    logs: list[Log]
    process_id: str
    warnings: list[str] | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {  # no "flags": the Collector's translator leaves them unset
            "traceID": self.trace_id,
            "spanID": self.span_id,
            "operationName": self.operation_name,
            "references": [r.to_json() for r in self.references],
            "startTime": self.start_time,
            "duration": self.duration,
            "tags": [t.to_json() for t in self.tags],
            "logs": [log.to_json() for log in self.logs],
            "processID": self.process_id,
            "warnings": self.warnings,
        }
        return out


@dataclass(frozen=True)
class Trace:
    trace_id: str
    spans: list[Span]
    processes: dict[str, Process]
    warnings: list[str] | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "traceID": self.trace_id,
            "spans": [s.to_json() for s in self.spans],
            "processes": {key: p.to_json() for key, p in self.processes.items()},
            "warnings": self.warnings,
        }


@dataclass(frozen=True)
class Operation:
    """An entry of ``/api/operations`` (the newer UI call): a name and its span kind."""

    name: str
    span_kind: str

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "spanKind": self.span_kind}


@dataclass(frozen=True)
class Error:
    msg: str
    code: int = 0
    trace_id: str = ""

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"code": self.code} if self.code else {}
        out["msg"] = self.msg
        if self.trace_id:
            out["traceID"] = self.trace_id
        return out


@dataclass(frozen=True)
class Envelope:
    """The query service's answer: ``data`` plus total/limit/offset and ``errors`` (null when none).
    ``total`` counts the items of ``data`` (Jaeger itself leaves it 0 on trace answers)."""

    data: list[Any] | None
    errors: list[Error] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        items = (
            None if self.data is None else [d.to_json() if hasattr(d, "to_json") else d for d in self.data]
        )
        return {
            "data": items,
            "total": len(items or []),
            "limit": 0,
            "offset": 0,
            "errors": [e.to_json() for e in self.errors] or None,
        }
