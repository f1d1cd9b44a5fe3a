"""Jaeger's JSON model (its query service's ``model/json``) as strict pydantic models: an answer
that validates here is one Jaeger's UI and Grafana's Jaeger data source can read. Unknown fields
are refused, types are exact (no coercion)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


HexTrace = Field(pattern=r"^[0-9a-f]{16}([0-9a-f]{16})?$")
HexSpan = Field(pattern=r"^[0-9a-f]{16}$")


class KeyValue(Strict):
    key: str
    type: Literal["string", "bool", "int64", "float64", "binary"]
    value: str | bool | int | float

    @model_validator(mode="after")
    def value_matches_type(self) -> KeyValue:
        expected = {"string": str, "bool": bool, "float64": float, "binary": str}.get(self.type)
        if self.type == "int64":
            assert (isinstance(self.value, int) and not isinstance(self.value, bool)) or (
                isinstance(self.value, str) and self.value.lstrip("-").isdigit()
            ), self
        elif expected is float:
            assert isinstance(self.value, int | float) and not isinstance(self.value, bool), self
        else:
            assert expected is not None and isinstance(self.value, expected), self
        return self


class Reference(Strict):
    refType: Literal["CHILD_OF", "FOLLOWS_FROM"]
    traceID: str = HexTrace
    spanID: str = HexSpan


class Log(Strict):
    timestamp: int = Field(ge=0)
    fields: list[KeyValue] = []


class Span(Strict):
    traceID: str = HexTrace
    spanID: str = HexSpan
    flags: int = 0
    operationName: str
    references: list[Reference] = []
    startTime: int = Field(ge=0)
    duration: int = Field(ge=0)
    tags: list[KeyValue] = []
    logs: list[Log] = []
    processID: str
    warnings: list[str] | None = None


class Process(Strict):
    serviceName: str
    tags: list[KeyValue] = []


class Trace(Strict):
    traceID: str = HexTrace
    spans: list[Span]
    processes: dict[str, Process]
    warnings: list[str] | None = None

    @model_validator(mode="after")
    def processes_resolve(self) -> Trace:
        assert all(s.processID in self.processes for s in self.spans)
        assert all(s.traceID == self.traceID for s in self.spans)
        return self


class Error(Strict):
    code: int = 0
    msg: str
    traceID: str = ""


class Envelope(Strict):
    data: list[Trace] | list[str] | None
    total: int
    limit: int
    offset: int
    errors: list[Error] | None
