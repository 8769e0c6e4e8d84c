"""Refusals on the wire: JSON-RPC error -32001 whose `data` front ends word themselves.

`error.data = {"code": "<stable-code>", "message": "<neutral sentence>", "data": {...}}`.
`message` names what happened without CLI advice (no flags, no shell commands), so a
client that does not know the code can show it as is. Codes come from
`agentls.errors` (the registry is docs/cli.md, "Error codes"); the few the server
adds itself are below. Refusals are expected: they are logged at INFO, never as
ERROR tracebacks.
"""

from __future__ import annotations

import logging
from typing import Any

from pygls.exceptions import JsonRpcException, JsonRpcInternalError

from agentls.engine.protocol import INTERNAL_ERROR, INVALID_PARAMS, REFUSED, EngineError

# Codes the server itself refuses with.
ENGINE_UNAVAILABLE = "engine-unavailable"  # not attached (yet, or any more) to the engine
NOT_A_REPOSITORY = "not-a-repository"  # the window's folder is outside git: it idles
INVALID_ARGUMENTS = "invalid-arguments"  # the engine's own check of a command's arguments
INTERNAL = "internal-error"  # a bug or a crash: not a refusal, logged as an error


def error_object(code: str, message: str, data: dict[str, Any] | None = None) -> dict[str, Any]:
    """The {code, message, data} object refusals, failed lands and operations carry."""
    return {"code": code, "message": message, "data": dict(data or {})}


def refusal(code: str, message: str, data: dict[str, Any] | None = None) -> JsonRpcException:
    """A -32001 JSON-RPC error carrying the error object."""
    return JsonRpcException(message, code=REFUSED, data=error_object(code, message, data))


def is_refusal(error: BaseException) -> bool:
    """An error that answers a request (refused, bad arguments), not a failure."""
    return isinstance(error, JsonRpcException) and not isinstance(error, JsonRpcInternalError)


def engine_error_object(exc: EngineError) -> dict[str, Any]:
    """The error object of anything the engine answered with."""
    found = exc.data
    if isinstance(found, dict) and isinstance(found.get("code"), str):
        data = found.get("data")
        message = str(found.get("message") or exc.message)
        return error_object(found["code"], message, data if isinstance(data, dict) else {})
    if exc.code == INVALID_PARAMS:
        return error_object(INVALID_ARGUMENTS, exc.message)
    if exc.code == REFUSED:
        return error_object(ENGINE_UNAVAILABLE, exc.message)
    return error_object(INTERNAL if exc.code == INTERNAL_ERROR else ENGINE_UNAVAILABLE, exc.message)


def from_engine(exc: EngineError) -> JsonRpcException:
    """The JSON-RPC error for an engine error, keeping its JSON-RPC code."""
    error = engine_error_object(exc)
    return JsonRpcException(error["message"], code=exc.code, data=error)


class QuietRefusals(logging.Filter):
    """pygls logs every error a handler raises with its traceback at ERROR. A refusal
    or a bad argument is an answer, not a failure: one line at INFO (a log handler's
    filter, so it sees pygls's records)."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if error is not None and is_refusal(error):
            assert isinstance(error, JsonRpcException)
            data = error.data if isinstance(error.data, dict) else {}
            record.levelno, record.levelname = logging.INFO, "INFO"
            record.msg, record.args = (
                "answered with an error: %s (%s)",
                (
                    error.message,
                    data.get("code", error.code),
                ),
            )
            record.exc_info = record.exc_text = None
            return logging.getLogger(record.name).isEnabledFor(logging.INFO)
        return True
