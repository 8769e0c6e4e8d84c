"""Running the configured build and test commands: the only shell commands agentls runs.

Land runs them in the landed session's worktree; semantic checks and reviews run the
same code in a scratch checkout (agentls.semantic.scratch), at low CPU and I/O
priority, with a full log and a cancel switch.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

OUTPUT_TAIL = 200  # lines of output kept for the result and HANDOFF.md
STOP_GRACE = 3.0  # seconds an interrupted command gets after SIGTERM, before SIGKILL
POLL = 0.2  # seconds between looks at the cancel switch

Progress = Callable[[str, "int | None"], None]


@dataclass
class CommandResult:
    kind: str  # build | test
    command: str
    ok: bool
    exit_code: int | None  # None on timeout (or cancellation)
    seconds: float
    output: str  # the last OUTPUT_TAIL lines
    cancelled: bool = False
    log: str | None = None  # the whole output, when a log file was asked for
    failures: list[dict[str, object]] = field(default_factory=list)  # failing tests

    @property
    def timed_out(self) -> bool:
        return self.exit_code is None and not self.cancelled

    @property
    def outcome(self) -> str:
        """'`pytest -q` passed in 3.1s' (the kind is said by whoever shows it)."""
        if self.cancelled:
            return f"`{self.command}` was cancelled after {self.seconds:.0f}s"
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


def low_priority_prefix() -> list[str]:
    """`nice -n 19 ionice -c 2 -n 7`, as far as this system has them."""
    prefix: list[str] = []
    nice, ionice = shutil.which("nice"), shutil.which("ionice")
    if nice:
        prefix += [nice, "-n", "19"]
    if ionice:
        prefix += [ionice, "-c", "2", "-n", "7"]  # best effort, lowest: never starved
    return prefix


def run_command(
    kind: str,
    command: str,
    cwd: Path,
    timeout: float,
    progress: Progress,
    on_start: Callable[[], None] | None = None,
    *,
    env: Mapping[str, str] | None = None,
    low_priority: bool = False,
    cancel: threading.Event | None = None,
    log: Path | None = None,
    started: Callable[[int], None] | None = None,
    kill_group_after: bool = False,
) -> CommandResult:
    """Run COMMAND (a configured string, never built from input) in CWD, streaming output.

    ENV is added to the environment (default: AGENTLS_LANDING=1). LOW_PRIORITY runs it
    under nice/ionice. CANCEL, when set, kills it (its whole process group) as a
    timeout does. LOG receives the whole output. STARTED gets the process group id.
    """
    begun = time.monotonic()
    extra = dict(env) if env is not None else {"AGENTLS_LANDING": "1"}
    argv = [*(low_priority_prefix() if low_priority else []), "/bin/sh", "-c", command]
    tail: deque[str] = deque(maxlen=OUTPUT_TAIL)
    sink: IO[bytes] | None = None
    if log is not None:  # opened first: a log that cannot be written starts nothing
        fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
        sink = os.fdopen(fd, "wb")
    try:
        proc = subprocess.Popen(
            argv,  # the one sanctioned shell: the user's own configured command
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so a timeout kills all of it
            env={**os.environ, **extra},
        )
    except BaseException:
        if sink is not None:
            sink.close()
        raise

    def pump() -> None:
        assert proc.stdout is not None
        for raw in proc.stdout:
            if sink is not None:
                with contextlib.suppress(ValueError, OSError):  # closed after a kill
                    sink.write(raw)
            line = raw.decode(errors="replace").rstrip("\n")
            tail.append(line)
            progress(f"{kind}: {line}", None)

    reader = threading.Thread(target=pump, daemon=True)
    code: int | None = None
    cancelled = False
    deadline = begun + timeout
    # Everything from here on is inside the try: a Ctrl-C or SIGTERM that lands between
    # the start and the first wait must stop the group too (CI once caught that gap).
    try:
        if started is not None:
            started(proc.pid)
        reader.start()
        if on_start is not None:
            on_start()
        while True:
            try:
                code = proc.wait(timeout=POLL if cancel is not None else max(0.0, timeout))
                break
            except subprocess.TimeoutExpired:
                cancelled = cancel is not None and cancel.is_set()
                if cancelled or time.monotonic() >= deadline:
                    break
    except BaseException:
        # Ctrl-C, SIGTERM, a crash of ours: the command runs in its own process group
        # (so a terminal's Ctrl-C reaches only us); stop all of it, then go on failing.
        _stop_group(proc, grace=STOP_GRACE)
        raise
    finally:
        if code is None or kill_group_after:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
        if code is None:
            with contextlib.suppress(ChildProcessError):
                proc.wait()
        if reader.ident is not None:  # started
            reader.join(timeout=5)
        elif proc.stdout is not None:
            proc.stdout.close()
        if sink is not None:
            sink.close()
    return CommandResult(
        kind=kind,
        command=command,
        ok=code == 0,
        exit_code=code,
        seconds=time.monotonic() - begun,
        output="\n".join(tail),
        cancelled=cancelled,
        log=str(log) if log is not None else None,
    )
