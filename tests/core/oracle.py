"""The test oracle: snapshots and merges computed with plain git commands only.

Independent of agentls' own code paths: a temporary index via GIT_INDEX_FILE,
`git add -A`, `git write-tree`, `git commit-tree`, then `git merge-tree --write-tree`.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from tests.conftest import GIT_ENV


def _git(cwd: Path, *args: str, env: dict[str, str] | None = None) -> str:
    full_env = {**os.environ, **GIT_ENV, **(env or {})}
    proc = subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, env=full_env, check=False
    )
    if proc.returncode not in (0, 1) or (proc.returncode == 1 and args[0] != "merge-tree"):
        raise AssertionError(f"git {args} failed: {proc.stderr}")
    return proc.stdout


def oracle_snapshot(worktree: Path) -> str:
    """A commit of WORKTREE's full current state, parented on HEAD."""
    gitdir = Path(_git(worktree, "rev-parse", "--absolute-git-dir").strip())
    with tempfile.TemporaryDirectory() as temp:
        index = Path(temp) / "index"
        if (gitdir / "index").exists():
            shutil.copy2(gitdir / "index", index)
        env = {"GIT_INDEX_FILE": str(index)}
        _git(worktree, "add", "-A", "--", ".", env=env)
        tree = _git(worktree, "write-tree", env=env).strip()
    head = _git(worktree, "rev-parse", "--verify", "-q", "HEAD").strip()
    parents = ["-p", head] if head else []
    return _git(worktree, "commit-tree", tree, *parents, "-m", "oracle").strip()


def oracle_pair(cwd: Path, a: str, b: str) -> tuple[set[str], set[str]]:
    """(conflicted paths, clean overlapping paths) for snapshot commits A and B."""
    out = _git(cwd, "merge-tree", "--write-tree", "--name-only", "-z", "--no-messages", a, b)
    parts = out.split("\0")
    # git names one side of a file/symlink or file/directory clash `path~<commit>`.
    conflicted = {re.sub(r"~[0-9a-f]{40}$", "", p) for p in parts[1:] if p}
    # The pair's merge-base is that of the sessions' HEADs (the snapshots' parents):
    # two sessions in identical states still both changed what they changed.
    base = _git(cwd, "merge-base", f"{a}^", f"{b}^").strip()
    changed = []
    for side in (a, b):
        names = _git(cwd, "diff", "--no-renames", "--name-only", "-z", base, side).split("\0")
        changed.append({n for n in names if n})
    return conflicted, (changed[0] & changed[1]) - conflicted


def own_changes(cwd: Path, snapshot: str, trunk: str = "main") -> set[str]:
    """What a session changed itself: its snapshot against its merge-base with trunk."""
    base = _git(cwd, "merge-base", f"{snapshot}^", trunk).strip()
    names = _git(cwd, "diff", "--no-renames", "--name-only", "-z", base, snapshot).split("\0")
    return {n for n in names if n}


def touches(changed: set[str], path: str) -> bool:
    """PATH, a folder above it or a file below it was changed (file/directory clashes)."""
    parts = path.split("/")
    return (
        path in changed
        or any("/".join(parts[:i]) in changed for i in range(1, len(parts)))
        or any(other.startswith(path + "/") for other in changed)
    )
