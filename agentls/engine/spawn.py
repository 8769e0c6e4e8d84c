"""Attach to the repository's engine, starting it first when none runs (stdlib only)."""

from __future__ import annotations

import math
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from agentls.engine.client import EngineClient, Listener, connect
from agentls.engine.guard import make_private_dir
from agentls.engine.paths import log_path, socket_path
from agentls.engine.protocol import EngineError

MAX_LOG_BYTES = 1 << 20  # past this, a starting engine moves the log to engine.log.1
# An engine a front end starts exits this long after its last client leaves, so closing
# the last editor window frees it (`agentls engine` typed by hand stays far longer).
SPAWNED_GRACE = 5.0
# When this process last started an engine, per common dir: attach() does not start
# another one while that one is still coming up.
_started: dict[Path, float] = {}


def spawned_grace() -> float:
    """AGENTLS_ENGINE_GRACE when it is a valid number of seconds, else SPAWNED_GRACE."""
    raw = os.environ.get("AGENTLS_ENGINE_GRACE")
    try:
        value = float(raw) if raw else SPAWNED_GRACE
    except ValueError:
        return SPAWNED_GRACE
    return value if math.isfinite(value) and value >= 0 else SPAWNED_GRACE


def rotate_log(log: Path) -> None:
    """Keep the engine log bounded: every start appends to it, for the repository's life."""
    try:
        if log.stat().st_size > MAX_LOG_BYTES:
            os.replace(log, log.with_name(log.name + ".1"))
    except OSError:
        pass  # no log yet, or another server rotated it first


def start_engine(common_dir: Path, *, wait: bool = True, first_client_within: float = 0.0) -> None:
    """Start a detached engine for COMMON_DIR (it exits at once if one already runs).

    Without WAIT, return at once: the `--detach` parent is reaped by a thread. With
    FIRST_CLIENT_WITHIN, the caller will ask for its open files within that many
    seconds, and the engine holds its worktrees' walks and scans until then.
    """
    log = log_path(common_dir)
    make_private_dir(log.parent)
    # Here, not only in the engine: a folder another user planted is refused at once,
    # with the reason, instead of an engine that never comes up.
    make_private_dir(socket_path(common_dir).parent)
    rotate_log(log)
    with open(log, "ab") as stderr:
        # Its own session: closing the editor's terminal or process group leaves it alone.
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "agentls",
                "engine",
                "--detach",
                "--repository",
                str(common_dir),
                "--grace",
                repr(spawned_grace()),
                "--first-client-within",
                repr(first_client_within),
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            start_new_session=True,
            close_fds=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    _started[common_dir] = time.monotonic()
    if wait:
        proc.wait(timeout=30)  # --detach forks and returns at once; this reaps the parent
    else:
        threading.Thread(target=proc.wait, daemon=True).start()


def attach(
    common_dir: Path,
    *,
    timeout: float = 20.0,
    on_notification: Listener | None = None,
    on_close: Callable[[], None] | None = None,
) -> EngineClient:
    """A connection to COMMON_DIR's engine, started if needed; raises EngineError."""
    deadline = time.monotonic() + timeout
    last_start = _started.get(common_dir, 0.0)
    delay = 0.01
    while True:
        client = connect(common_dir, on_notification=on_notification, on_close=on_close)
        if client is not None:
            return client
        now = time.monotonic()
        if now > deadline:
            raise EngineError(
                f"could not start the agentls engine for {common_dir}; see {log_path(common_dir)}"
            )
        if now - last_start > 3.0:  # the first start, or a racing engine that gave up
            start_engine(common_dir)
            last_start = time.monotonic()
        time.sleep(delay)
        delay = min(delay * 1.5, 0.1)
