"""The engine's wire format: one JSON object per line over a Unix socket (stdlib only).

Requests `{"id", "method", "params"}` get `{"id", "result"}` or `{"id", "error": {code,
message}}`; notifications (either direction) are `{"method", "params"}` without an id.
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

    def __init__(self, message: str, code: int = INTERNAL_ERROR) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def encode(message: dict[str, Any]) -> bytes:
    # json.dumps never emits a raw newline, so a newline ends exactly one message.
    return json.dumps(message, separators=(",", ":")).encode() + b"\n"


def decode(line: bytes) -> dict[str, Any]:
    value = json.loads(line)
    if not isinstance(value, dict):
        raise ValueError("a message must be a JSON object")
    return value
