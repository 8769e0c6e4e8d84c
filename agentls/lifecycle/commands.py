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
    def summary(self) -> str:
        if self.exit_code is None:
            return f"{self.kind} `{self.command}` timed out after {self.seconds:.0f}s"
        state = "passed" if self.ok else f"failed (exit {self.exit_code})"
        return f"{self.kind} `{self.command}` {state} in {self.seconds:.1f}s"


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
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    reader.join(timeout=5)
    return CommandResult(
        kind=kind,
        command=command,
        ok=code == 0,
        exit_code=code,
        seconds=time.monotonic() - started,
        output="\n".join(tail),
    )
