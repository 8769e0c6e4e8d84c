"""Attach to a running engine (stdlib only; never starts one, never imports pygls).

client = connect(common_dir)          # None when no engine runs
report = client.call("report", {})
"""

from __future__ import annotations

import contextlib
import itertools
import os
import socket
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from agentls.engine.guard import (
    UnsafeEngineError,
    check_private_dir,
    check_socket_file,
    same_user,
)
from agentls.engine.paths import socket_path
from agentls.engine.protocol import EngineError, decode, encode

Listener = Callable[[str, dict[str, Any]], None]


class _Pending:
    __slots__ = ("done", "error", "on_progress", "result")

    def __init__(self, on_progress: Callable[[dict[str, Any]], None] | None = None) -> None:
        self.on_progress = on_progress
        self.done = threading.Event()
        self.result: Any = None
        self.error: EngineError | None = None


class EngineClient:
    """One connection to the engine. Thread-safe; a reader thread delivers answers."""

    def __init__(
        self,
        sock: socket.socket,
        on_notification: Listener | None = None,
        on_close: Callable[[], None] | None = None,
    ) -> None:
        self._sock = sock
        self._on_notification = on_notification
        self._on_close = on_close
        self._write_lock = threading.Lock()
        self._pending: dict[int, _Pending] = {}
        self._ids = itertools.count(1)
        self.closed = threading.Event()
        self._reader = threading.Thread(
            target=self._read, name="agentls-engine-reader", daemon=True
        )
        self._reader.start()

    def call(
        self,
        method: str,
        params: dict[str, Any] | None = None,
        timeout: float | None = 60,
        on_progress: Callable[[dict[str, Any]], None] | None = None,
    ) -> Any:
        """Send a request and wait for its answer; raises EngineError.

        ON_PROGRESS receives the engine's {"message", "percent"} reports for this request.
        """
        request_id = next(self._ids)
        pending = _Pending(on_progress)
        self._pending[request_id] = pending
        try:
            self._send({"id": request_id, "method": method, "params": params or {}})
            if not pending.done.wait(timeout):
                raise EngineError(f"the engine did not answer {method!r} within {timeout} s")
        finally:
            self._pending.pop(request_id, None)
        if pending.error is not None:
            raise pending.error
        return pending.result

    def notify(self, method: str, params: dict[str, Any] | None = None) -> None:
        """Send a notification (no answer)."""
        self._send({"method": method, "params": params or {}})

    def _send(self, message: dict[str, Any]) -> None:
        if self.closed.is_set():
            raise EngineError("the engine connection is closed")
        data = encode(message)
        try:
            with self._write_lock:
                self._sock.sendall(data)
        except OSError as exc:
            self._closed()
            raise EngineError(f"the engine went away: {exc}") from exc

    def _read(self) -> None:
        stream = self._sock.makefile("rb")
        try:
            for line in stream:
                try:
                    message = decode(line)
                except ValueError:
                    continue
                if "id" in message and "method" not in message:
                    pending = self._pending.get(message["id"])
                    if pending is None:
                        continue
                    error = message.get("error")
                    if error:
                        data = error.get("data")
                        pending.error = EngineError(
                            str(error.get("message", "engine error")),
                            int(error.get("code", -32603)),
                            data if isinstance(data, dict) else None,
                        )
                    else:
                        pending.result = message.get("result")
                    pending.done.set()
                elif "method" in message:
                    params = message.get("params")
                    params = params if isinstance(params, dict) else {}
                    if message["method"] == "progress":
                        pending = self._pending.get(params.get("id"))  # type: ignore[arg-type]
                        if pending is not None and pending.on_progress is not None:
                            pending.on_progress(params)
                    elif self._on_notification is not None:
                        self._on_notification(message["method"], params)
        except (OSError, ValueError):
            pass
        finally:
            stream.close()
            self._closed()

    def _closed(self) -> None:
        if self.closed.is_set():
            return
        self.closed.set()
        for pending in list(self._pending.values()):
            pending.error = EngineError("the engine connection closed")
            pending.done.set()
        if self._on_close is not None:
            self._on_close()

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)
        self._sock.close()
        # Fail what is still waiting (a land in flight): its caller's thread must end,
        # or the process exiting would wait for it forever.
        self._closed()


def connect(
    common_dir: Path,
    timeout: float = 0.5,
    *,
    on_notification: Listener | None = None,
    on_close: Callable[[], None] | None = None,
) -> EngineClient | None:
    """A client for the engine of the repository at COMMON_DIR, or None when none runs.

    Raises UnsafeEngineError when the socket's folder, the socket or the process
    answering on it belongs to another user (agentls.engine.guard): nothing is sent.
    """
    path = socket_path(Path(common_dir))
    try:
        os.lstat(path)
    except OSError:
        return None  # no socket (or none this user can reach): no engine to trust or not
    try:
        check_private_dir(path.parent)
    except FileNotFoundError:
        return None
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect(str(path))
    except OSError:
        sock.close()
        return None
    try:
        check_socket_file(path)  # the one connected to, unless swapped: then the peer check
        if not same_user(sock):
            raise UnsafeEngineError(
                f"the process listening on {path} runs as another user",
                "agentls will not talk to it; stop that process or remove the socket",
            )
    except FileNotFoundError:
        sock.close()
        return None  # the engine removed its socket on the way out
    except UnsafeEngineError:
        sock.close()
        raise
    except OSError as exc:
        sock.close()
        raise UnsafeEngineError(f"cannot check the engine socket {path}: {exc}") from exc
    sock.settimeout(None)
    return EngineClient(sock, on_notification, on_close)
