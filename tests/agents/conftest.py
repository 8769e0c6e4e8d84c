"""A repository with parallel sessions whose work collides, for the agents tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import Repo, numbered

AGENTLS = [sys.executable, "-m", "agentls"]


@dataclass
class Parallel:
    """main (trunk), billing and auth sessions; billing and auth both edit shared.txt."""

    repo: Repo
    main: Path
    billing: Path
    auth: Path

    def hook(self, agent: str, payload: object, cwd: Path | None = None) -> tuple[str, int, str]:
        """Run `agentls hook AGENT` as the agent would: a real process, payload on stdin."""
        text = payload if isinstance(payload, str) else json.dumps(payload)
        env = {**os.environ, "AGENTLS_NO_ENGINE": "1"}
        proc = subprocess.run(
            [*AGENTLS, "hook", agent],
            input=text,
            capture_output=True,
            text=True,
            cwd=cwd or self.auth,
            env=env,
            timeout=60,
            check=False,
        )
        return proc.stdout, proc.returncode, proc.stderr

    def hook_imports(self, payload: str, env: dict[str, str]) -> tuple[set[str], str]:
        """Run `agentls hook claude` from auth under `python -X importtime`: the modules it
        imported (dotted names, and each top-level package), and its stdout."""
        proc = subprocess.run(
            [sys.executable, "-X", "importtime", "-m", "agentls", "hook", "claude"],
            input=payload,
            capture_output=True,
            text=True,
            cwd=self.auth,
            env=env,
            timeout=60,
            check=True,
        )
        names = set()
        for line in proc.stderr.splitlines():
            if line.startswith("import time:") and "|" in line:
                module = line.rsplit("|", 1)[1].strip()
                names.update((module, module.split(".")[0]))
        assert "agentls" in names, proc.stderr[-2000:]
        return names, proc.stdout

    def agentls(self, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "AGENTLS_NO_ENGINE": "1"}
        return subprocess.run(
            [*AGENTLS, *args],
            capture_output=True,
            text=True,
            cwd=cwd or self.auth,
            env=env,
            timeout=60,
            check=False,
        )


@pytest.fixture
def parallel(repo: Repo) -> Parallel:
    repo.write(repo.main, "shared.txt", numbered(60))
    repo.write(repo.main, "billing/invoice.py", numbered(10, "invoice"))
    repo.write(repo.main, "docs/readme.md", "readme\n")
    repo.write(repo.main, ".gitignore", "*.log\n")
    repo.commit(repo.main, "base")
    billing = repo.worktree("billing", "feat/billing")
    auth = repo.worktree("auth", "feat/auth")
    # billing commits a change at line 40 and leaves an unstaged one in its invoice module
    text = numbered(60).replace("line 40\n", "billing 40\n")
    repo.write(billing, "shared.txt", text)
    repo.commit(billing, "billing: shared line 40")
    repo.write(billing, "billing/invoice.py", numbered(10, "invoice").replace("invoice 3", "B3"))
    repo.write(billing, "HANDOFF.md", "# billing\nRework invoice rounding\n")
    return Parallel(repo, repo.main, billing, auth)
