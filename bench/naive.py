"""The naive cycle: what peers do on every change, and the yardstick of every benchmark.

Snapshot every worktree with a temporary index (copy of its index, `git add -A`,
`write-tree`, `commit-tree`), then one `git merge-tree --write-tree` process per
pair. Only plain git commands: none of agentls's own code paths.
"""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import tempfile
from pathlib import Path


def _git(cwd: Path, *args: str, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(
        ["git", *args],
        cwd=cwd,
        capture_output=True,
        env={**os.environ, **(env or {})},
        check=False,
    )
    return proc.stdout.decode().strip()


def naive_cycle(worktrees: list[Path]) -> int:
    """One full naive recompute over WORKTREES; returns the number of conflicted pairs."""
    return naive_merges(worktrees, naive_snapshots(worktrees))


def naive_snapshots(worktrees: list[Path]) -> list[str]:
    """The naive method's first half: a temporary-index snapshot commit per worktree."""
    snapshots = []
    with tempfile.TemporaryDirectory() as temp:
        for i, wt in enumerate(worktrees):
            gitdir = Path(_git(wt, "rev-parse", "--absolute-git-dir"))
            index = Path(temp) / f"index{i}"
            shutil.copy2(gitdir / "index", index)
            env = {"GIT_INDEX_FILE": str(index)}
            _git(wt, "add", "-A", env=env)
            tree = _git(wt, "write-tree", env=env)
            head = _git(wt, "rev-parse", "HEAD")
            snapshots.append(_git(wt, "commit-tree", tree, "-p", head, "-m", "naive"))
    return snapshots


def naive_merges(worktrees: list[Path], snapshots: list[str]) -> int:
    """The second half: `git merge-tree` per pair; the number of conflicted pairs."""
    conflicted = 0
    for a, b in itertools.combinations(snapshots, 2):
        proc = subprocess.run(
            ["git", "merge-tree", "--write-tree", "--name-only", a, b],
            cwd=worktrees[0],
            capture_output=True,
            check=False,
        )
        conflicted += proc.returncode == 1
    return conflicted
