"""Helpers for lifecycle tests: run the real CLI, capture repository state."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

from agentls.workspace import Workspace
from tests.conftest import GIT_ENV, Repo, git

CLI_TIMEOUT = 60


def agentls(
    cwd: Path, *args: str, env: dict[str, str] | None = None, check: bool = False
) -> subprocess.CompletedProcess[str]:
    """Run the real `agentls` command line in CWD."""
    proc = subprocess.run(
        [sys.executable, "-m", "agentls", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, **GIT_ENV, **(env or {})},
        timeout=CLI_TIMEOUT,
        check=False,
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"agentls {' '.join(args)} failed: {proc.stdout}{proc.stderr}")
    return proc


def refs(repo: Repo) -> dict[str, str]:
    out = git(repo.main, "for-each-ref", "--format=%(refname) %(objectname)")
    return dict(line.split(" ", 1) for line in out.splitlines())


def sessions_table(repo: Repo) -> list[tuple[Any, ...]]:
    path = Path(git(repo.main, "rev-parse", "--path-format=absolute", "--git-common-dir"))
    db = path / "agentls" / "store.sqlite3"
    if not db.exists():
        return []
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT id, name, role, priority, claims, source, path FROM sessions")
        return sorted(rows)


def snapshot_state(repo: Repo) -> dict[str, Any]:
    """Refs, worktrees, the sessions table and the sibling folders: 'nothing changed' checks."""
    return {
        "refs": refs(repo),
        "worktrees": git(repo.main, "worktree", "list", "--porcelain"),
        "sessions": sessions_table(repo),
        "folders": sorted(p.name for p in repo.root.iterdir()),
    }


def all_commits(repo: Repo) -> set[str]:
    """Every commit reachable from any ref or worktree HEAD."""
    out = git(repo.main, "rev-list", "--all")
    return set(out.split())


def workspace(repo: Repo) -> Workspace:
    ws = Workspace(repo.main)
    ws.refresh()
    return ws
