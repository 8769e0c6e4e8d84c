"""The hook path stays light: no language-server stack, and no git stack with an engine."""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from agentls.agents.locate import locate
from tests.agents.conftest import AGENTLS, Parallel

HEAVY = ("pygls", "lsprotocol", "mcp")
# What only a scan, a snapshot commit, a new session id or an attribute folder needs: a
# cold hook pays ~1 ms of start-up for each it imports, on every write of every agent.
NOT_FOR_A_CHECK = ("agentls.git.snapshot", "uuid", "tempfile")


def _payload(parallel: Parallel, path: str, session: str) -> str:
    return json.dumps(
        {
            "session_id": session,
            "cwd": str(parallel.auth),
            "hook_event_name": "PreToolUse",
            "tool_name": "Edit",
            "tool_input": {"file_path": str(parallel.auth / path)},
        }
    )


def test_cold_hook_never_imports_the_language_server_stack(parallel: Parallel) -> None:
    env = {**os.environ, "AGENTLS_NO_ENGINE": "1"}
    # The first look at the worktrees gives each session its id (uuid); later writes don't.
    parallel.hook_imports(_payload(parallel, "docs/readme.md", "speed-0"), env)
    names, out = parallel.hook_imports(_payload(parallel, "shared.txt", "speed-1"), env)
    assert '"permissionDecision": "deny"' in out
    assert "pygit2" in names  # the per-path check from disk
    assert not names & set(HEAVY), sorted(names & set(HEAVY))
    assert not names & set(NOT_FOR_A_CHECK), sorted(names & set(NOT_FOR_A_CHECK))


@pytest.fixture
def engine(parallel: Parallel) -> Iterator[Path]:
    """A real shared engine for the repository, stopped afterwards."""
    proc = subprocess.Popen(
        [*AGENTLS, "-C", str(parallel.main), "engine", "--grace", "60"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    located = locate(parallel.main)
    assert located is not None
    from agentls.engine.client import connect

    deadline = time.monotonic() + 60
    try:
        while True:
            client = connect(located[1])
            if client is not None:
                client.call("report", {})
                client.close()
                break
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"the engine did not start: {proc.stderr.read()[-2000:]}")
            time.sleep(0.1)
        yield located[1]
    finally:
        subprocess.run(
            [*AGENTLS, "-C", str(parallel.main), "engine", "--stop"],
            capture_output=True,
            timeout=30,
            check=False,
        )
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_engine_answers_without_the_git_stack(parallel: Parallel, engine: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "AGENTLS_NO_ENGINE"}
    names, out = parallel.hook_imports(_payload(parallel, "shared.txt", "eng-1"), env)
    assert not names & {"pygit2", *HEAVY}, sorted(names & {"pygit2", *HEAVY})
    reason = json.loads(out)["hookSpecificOutput"]["permissionDecisionReason"]
    # the engine's live answer says what the disk check says
    cold_out, _, _ = parallel.hook("claude", _payload(parallel, "shared.txt", "cold-1"))
    cold = json.loads(cold_out)["hookSpecificOutput"]["permissionDecisionReason"]
    assert reason == cold
    # deny once also holds through the engine
    names, again = parallel.hook_imports(_payload(parallel, "shared.txt", "eng-1"), env)
    assert again == ""
    names, clear = parallel.hook_imports(_payload(parallel, "docs/readme.md", "eng-1"), env)
    assert clear == ""
