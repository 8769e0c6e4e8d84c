"""The stdio message loop: LSP framing read without trusting the client, every request answered.

pygls's own loop reads as many bytes as `Content-Length` says (20 digits: an
OverflowError ends the server; a large number: all memory, or a wait forever), and
a body that does not parse or does not fit its method's schema goes to an error
handler, leaving the request without an answer. This loop replaces it:

- header lines are read with a bound; a `Content-Length` above MAX_MESSAGE is never
  read into memory: the request behind it (when its id can be seen) gets -32600,
  and reading resumes at the next `Content-Length` header;
- a body that is not JSON gets -32700 and one that is not a JSON-RPC object -32600,
  both with id null, as JSON-RPC 2.0 says;
- a request for a method the server does not have gets -32601, and one whose params
  do not fit its method -32602; notifications never get answers, only a log line;
- after `shutdown`, requests get -32600 instead of silence.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import threading
from concurrent.futures import Executor
from typing import Any, BinaryIO

from cattrs import ClassValidationError, transform_error
from pygls.exceptions import JsonRpcMethodNotFound
from pygls.protocol import JsonRPCProtocol

log = logging.getLogger(__name__)

MAX_MESSAGE = 64 * 1024 * 1024  # bytes in one message body
MAX_HEADER_LINE = 64 * 1024  # a longer "line" is read in pieces (and ignored)
PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602

_CONTENT_LENGTH = re.compile(rb"Content-Length:[ \t]*(\d+)[ \t]*\r?\n\Z", re.IGNORECASE)
# The id of an oversized request, seen before its params (clients write id first).
_EARLY_ID = re.compile(rb'"id"[ \t\r\n]*:[ \t\r\n]*(-?\d{1,15}|"(?:[^"\\\r\n]|\\.){0,200}")')


class StdinReader:
    """Blocking stdin reads, run on an executor so the event loop keeps going."""

    def __init__(self, stream: BinaryIO, executor: Executor | None) -> None:
        self.stream = stream
        self.executor = executor

    async def readline(self) -> bytes:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, self.stream.readline, MAX_HEADER_LINE)

    async def read(self, size: int) -> bytes:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, self.stream.read, size)


def reply_error(protocol: JsonRPCProtocol, msg_id: Any, code: int, message: str) -> None:
    """Send a JSON-RPC error response (MSG_ID None is sent as null)."""
    protocol._send_data(
        {"jsonrpc": "2.0", "id": msg_id, "error": {"code": code, "message": message}}
    )


def _valid_id(value: Any) -> bool:
    return isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool))


def _known(protocol: JsonRPCProtocol, method: str) -> bool:
    try:
        protocol._get_handler(method)
    except JsonRpcMethodNotFound:
        return False
    return True


def dispatch(protocol: JsonRPCProtocol, body: bytes) -> None:
    """Handle one message body; every request either reaches pygls or gets an error here."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        log.warning("ignoring a message that is not JSON: %s", exc)
        reply_error(protocol, None, PARSE_ERROR, f"the message is not JSON: {exc}")
        return
    if not isinstance(data, dict):
        reply_error(protocol, None, INVALID_REQUEST, "a message must be a JSON object")
        return
    has_id, method = "id" in data, data.get("method")
    msg_id = data.get("id")
    if has_id and not _valid_id(msg_id):
        if "method" in data:
            reply_error(protocol, None, INVALID_REQUEST, "a request id must be a string or integer")
        else:
            log.warning("ignoring a response with an invalid id %r", msg_id)
        return
    if data.get("jsonrpc") != "2.0" or ("method" in data and not isinstance(method, str)):
        if has_id and "method" in data:
            reply_error(protocol, msg_id, INVALID_REQUEST, "not a JSON-RPC 2.0 request")
        else:
            log.warning("ignoring a message that is not JSON-RPC 2.0")
        return
    is_request = has_id and isinstance(method, str)
    if is_request and protocol._shutdown and method != "exit":
        reply_error(protocol, msg_id, INVALID_REQUEST, "the server is shutting down")
        return
    if is_request and not _known(protocol, str(method)):
        reply_error(protocol, msg_id, METHOD_NOT_FOUND, f"unknown method {method!r}")
        return
    try:
        message = protocol.structure_message(data)
    except Exception as exc:
        why = _why(exc)
        if is_request:
            reply_error(protocol, msg_id, INVALID_PARAMS, f"invalid params for {method}: {why}")
        else:
            log.warning("ignoring %s: its params do not fit (%s)", method or "a message", why)
        return
    try:
        protocol.handle_message(message)
    except Exception:
        log.exception("could not handle %s", method or "a message")
        if is_request:  # pygls answers what it handles; this is only reached when it did not
            reply_error(protocol, msg_id, -32603, f"{method} failed inside the server")


def _why(exc: BaseException) -> str:
    """What did not fit, e.g. "required field missing @ $.params.text_document"."""
    cause = exc.__cause__ or exc
    if isinstance(cause, ClassValidationError):
        return "; ".join(transform_error(cause, path="$"))
    return str(cause) or type(cause).__name__


class QuietDeserializeErrors(logging.Filter):
    """pygls logs a whole traceback per message that does not fit; dispatch says it in a line."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Unable to deserialize message")


async def serve(stop: threading.Event, reader: StdinReader, protocol: JsonRPCProtocol) -> None:
    """Read and dispatch messages until stdin closes or STOP is set."""
    length: int | None = None
    skipping = False  # inside a refused body: only the next header counts
    while not stop.is_set():
        line = await reader.readline()
        if not line:
            return  # the client closed stdin
        header = _CONTENT_LENGTH.search(line)
        if header is not None:
            length, skipping = int(header[1]), False
            continue
        if skipping or line.strip() or length is None:
            continue  # another header (Content-Type), or noise between messages
        if length > MAX_MESSAGE:
            length = await _refuse_oversized(reader, protocol, length)
            skipping = length is None
            continue
        body = await reader.read(length)
        if len(body) < length:
            return  # stdin closed in the middle of a message
        length = None
        dispatch(protocol, body)


async def _refuse_oversized(
    reader: StdinReader, protocol: JsonRPCProtocol, length: int
) -> int | None:
    """Answer a request too large to read, from the id at its start when there is one.

    Returns the length of the next message when its header is already in the piece read.
    """
    log.error("refused a message of %d bytes (the limit is %d)", length, MAX_MESSAGE)
    start = await reader.readline()
    params_at = start.find(b'"params"')
    found = _EARLY_ID.search(start if params_at < 0 else start[:params_at])
    msg_id: Any = None
    if found is not None:
        try:
            msg_id = json.loads(found[1])
        except ValueError:
            msg_id = None
    if msg_id is not None:
        reply_error(
            protocol,
            msg_id,
            INVALID_REQUEST,
            f"message too large: {length} bytes (agentls reads at most {MAX_MESSAGE})",
        )
    header = _CONTENT_LENGTH.search(start)
    return int(header[1]) if header is not None else None
