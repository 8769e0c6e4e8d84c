"""The engine's wire format: one JSON object per line over a Unix socket (stdlib only).

Requests `{"id", "method", "params"}` get `{"id", "result"}` or `{"id", "error": {code,
message, data?}}`; a refusal's `data` is `{"code": "<stable-code>", "message", "data": {...}}`
(see agentls.errors). Notifications (either direction) are `{"method", "params"}`.
"""

from __future__ import annotations

import json
from typing import Any

INVALID_PARAMS = -32602
METHOD_NOT_FOUND = -32601
INTERNAL_ERROR = -32603
REFUSED = -32001  # the action was refused: name taken, land conflict...


class EngineError(Exception):
    """The engine answered with an error, or went away."""

    def __init__(
        self, message: str, code: int = INTERNAL_ERROR, data: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.data = data  # a refusal: {"code": stable code, "message", "data": {...}}

    @classmethod
    def refusal(cls, error: Any) -> EngineError:
        """The wire form of an AgentlsError (duck-typed: this module stays stdlib-only)."""
        return cls(
            error.message,
            REFUSED,
            {"code": error.code, "message": error.message, "data": dict(error.data)},
        )

    def to_wire(self) -> dict[str, Any]:
        wire: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.data is not None:
            wire["data"] = self.data
        return wire


def encode(message: dict[str, Any]) -> bytes:
    # json.dumps never emits a raw newline, so a newline ends exactly one message.
    return json.dumps(message, separators=(",", ":")).encode() + b"\n"


def decode(line: bytes) -> dict[str, Any]:
    value = json.loads(line)
    if not isinstance(value, dict):
        raise ValueError("a message must be a JSON object")
    return value
