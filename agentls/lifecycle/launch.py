"""`new --agent CMD`: prepare a known agent for agentls, then start it in the new worktree.

CMD is split with shlex and started as an argument list (never through a shell),
detached in its own session with output in `<state-dir>/agents/<session>.log`.
When agentls is not on a terminal (an editor, a script) it only says what to run,
because an interactive agent needs a terminal of its own.
"""

from __future__ import annotations

import logging
import os
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agentls.errors import InvalidInputError

log = logging.getLogger(__name__)

KNOWN_AGENTS = ("claude", "codex", "cursor", "cursor-agent", "gemini", "copilot")


@dataclass(frozen=True)
class AgentPlan:
    command: str
    argv: list[str]
    program: str  # resolved executable
    known: bool


def plan_agent(command: object) -> AgentPlan:
    """Check CMD before anything is created: it must parse and its program must exist."""
    if not isinstance(command, str) or not command.strip():
        raise InvalidInputError.refuse("invalid-agent", reason="empty")
    try:
        argv = shlex.split(command)
    except ValueError as exc:
        raise InvalidInputError.refuse(
            "invalid-agent", reason="parse", command=command, detail=str(exc)
        ) from exc
    program = shutil.which(argv[0])
    if program is None:
        raise InvalidInputError.refuse("invalid-agent", reason="missing", program=argv[0])
    return AgentPlan(command, argv, program, Path(argv[0]).name in KNOWN_AGENTS)


def _install(plan: AgentPlan, worktree: Path) -> tuple[list[str], str | None]:
    """(what the hook setup changed and noted, a failure note or None)."""
    try:
        from agentls.agents.install import install_for_agent_command  # type: ignore[import-not-found]
    except ImportError:
        log.info("agentls.agents.install is not available; skipping the agent's hook setup")
        return [], "agent hook setup is not available in this build; skipped"
    try:
        return install_for_agent_command(worktree, plan.command), None
    except Exception as exc:  # the agent still starts; the note says what went wrong
        log.warning("setting up %s for agentls failed: %s", plan.argv[0], exc)
        return [], f"agent hook setup failed: {exc}"


def start_agent(
    plan: AgentPlan, worktree: Path, state_dir: Path, session: str, launch: bool | None
) -> dict[str, Any]:
    """Install hooks for a known agent and start it, or return the command to run."""
    result: dict[str, Any] = {"command": plan.command, "known": plan.known, "started": False}
    if plan.known:
        lines, note = _install(plan, worktree)
        result["hooks"] = lines  # files changed, then "note: ..." lines (install's format)
        if note:
            result["note"] = note
    run = f"cd {shlex.quote(str(worktree))} && {plan.command}"
    if launch is None:
        launch = sys.stdin.isatty() and sys.stdout.isatty()
    if not launch:
        result["run"] = run
        return result
    logs = state_dir / "agents"
    logs.mkdir(parents=True, exist_ok=True)
    log_path = logs / f"{session}.log"
    with open(log_path, "ab") as out:
        proc = subprocess.Popen(
            [plan.program, *plan.argv[1:]],
            cwd=worktree,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # survives this command and the terminal closing
            env={**os.environ, "AGENTLS_SESSION": session},
        )
    result.update(started=True, pid=proc.pid, log=str(log_path), run=run)
    return result
