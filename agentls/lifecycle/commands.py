"""Running the configured build and test commands: the only shell commands agentls runs."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

OUTPUT_TAIL = 200  # lines of output kept for the result and HANDOFF.md
STOP_GRACE = 3.0  # seconds an interrupted command gets after SIGTERM, before SIGKILL

Progress = Callable[[str, "int | None"], None]


@dataclass
class CommandResult:
    kind: str  # build | test
    command: str
    ok: bool
    exit_code: int | None  # None on timeout
    seconds: float
    output: str  # the last OUTPUT_TAIL lines

    @property
    def outcome(self) -> str:
        """'`pytest -q` passed in 3.1s' (the kind is said by whoever shows it)."""
        if self.exit_code is None:
            return f"`{self.command}` timed out after {self.seconds:.0f}s"
        state = "passed" if self.ok else f"failed (exit {self.exit_code})"
        return f"`{self.command}` {state} in {self.seconds:.1f}s"

    @property
    def summary(self) -> str:
        return f"{self.kind} {self.outcome}"


def _stop_group(proc: subprocess.Popen[bytes], grace: float) -> None:
    """Stop PROC's whole process group: SIGTERM, GRACE seconds, then SIGKILL."""
    try:
        if grace > 0:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGTERM)
            deadline = time.monotonic() + grace
            while time.monotonic() < deadline and _group_alive(proc.pid):
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(timeout=0.05)
    finally:  # even when a second Ctrl-C cuts the grace short
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def run_command(
    kind: str,
    command: str,
    cwd: Path,
    timeout: float,
    progress: Progress,
    on_start: Callable[[], None] | None = None,
) -> CommandResult:
    """Run COMMAND (a configured string, never built from input) in CWD, streaming output."""
    started = time.monotonic()
    proc = subprocess.Popen(
        command,
        shell=True,  # the one sanctioned shell: the user's own configured command
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, so a timeout kills all of it
        env={**os.environ, "AGENTLS_LANDING": "1"},
    )
    assert proc.stdout is not None
    tail: deque[str] = deque(maxlen=OUTPUT_TAIL)

    def pump() -> None:
        assert proc.stdout is not None
        for raw in proc.stdout:
            line = raw.decode(errors="replace").rstrip("\n")
            tail.append(line)
            progress(f"{kind}: {line}", None)

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    if on_start is not None:
        on_start()
    try:
        code: int | None = proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        code = None
        _stop_group(proc, grace=0.0)
    except BaseException:
        # Ctrl-C, SIGTERM, a crash of ours: the command runs in its own process group
        # (so a terminal's Ctrl-C reaches only us); stop all of it, then go on failing.
        _stop_group(proc, grace=STOP_GRACE)
        raise
    reader.join(timeout=5)
    return CommandResult(
        kind=kind,
        command=command,
        ok=code == 0,
        exit_code=code,
        seconds=time.monotonic() - started,
        output="\n".join(tail),
    )
