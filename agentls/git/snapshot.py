"""Snapshots: a commit of a worktree's whole current state, made without touching it.

The worktree's index is *copied* (keeping its mtime, so git still treats entries
written in the same second as the index as racily clean and re-reads them),
`git add -A` runs against the copy, and the result is loaded into an in-memory
pygit2 index that later edits update one file at a time.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
from pathlib import Path

import pygit2

from agentls.errors import GitError
from agentls.git.runner import run_git_bytes

SNAPSHOT_NAME, SNAPSHOT_EMAIL = "agentls", "agentls@localhost"
SNAPSHOT_MESSAGE = "agentls snapshot\n"

# Temporary indexes carry their process id, so those of a killed process can be told
# apart from a live one's and removed; git's own lock beside one ends in `.lock`.
SCRATCH_PATTERN = re.compile(r"snapshot-(?:(?P<pid>\d+)-)?[^/]*\.index(?:\.lock)?")
UNOWNED_SCRATCH_AGE = 3600.0  # seconds: files named before the pid was part of the name
_cleaned: set[Path] = set()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_scratch(scratch_dir: Path) -> list[Path]:
    """Remove temporary indexes left by agentls processes that are gone (killed)."""
    removed: list[Path] = []
    try:
        entries = list(scratch_dir.iterdir())
    except OSError:
        return removed
    for path in entries:
        match = SCRATCH_PATTERN.fullmatch(path.name)
        if match is None or path.is_symlink() or not path.is_file():
            continue
        pid = match["pid"]
        if pid is not None and (int(pid) == os.getpid() or _alive(int(pid))):
            continue
        try:
            if pid is None and time.time() - path.stat().st_mtime < UNOWNED_SCRATCH_AGE:
                continue
            path.unlink()
        except OSError:
            continue
        removed.append(path)
    return removed


def index_worktree(worktree: Path, gitdir: Path, scratch_dir: Path) -> pygit2.Index:
    """An in-memory index of WORKTREE as it is now: tracked, staged, unstaged, untracked."""
    scratch_dir.mkdir(parents=True, exist_ok=True)
    if scratch_dir not in _cleaned:  # once per process: what killed ones left behind
        _cleaned.add(scratch_dir)
        clean_scratch(scratch_dir)
    prefix = f"snapshot-{os.getpid()}-"
    fd, temp_name = tempfile.mkstemp(prefix=prefix, suffix=".index", dir=scratch_dir)
    os.close(fd)
    temp = Path(temp_name)
    try:
        real_index = gitdir / "index"
        if real_index.exists():
            shutil.copy2(real_index, temp)  # copy2 keeps the mtime: see module docstring
        else:
            temp.unlink()
        proc = run_git_bytes(
            ["add", "-A", "--ignore-errors", "--", "."],
            cwd=worktree,
            env={"GIT_INDEX_FILE": str(temp)},
            check=False,
        )
        # With --ignore-errors git still writes the index and exits 1 when some paths
        # could not be added (an unreadable file, a nested repository without a commit).
        if proc.returncode not in (0, 1) or (proc.returncode == 1 and not temp.exists()):
            detail = proc.stderr.decode(errors="replace").strip()
            raise GitError(f"git add -A failed in {worktree}: {detail}")
        return pygit2.Index(str(temp)) if temp.exists() else pygit2.Index()
    finally:
        temp.unlink(missing_ok=True)


def snapshot_signature(repo: pygit2.Repository, parent: str | None) -> pygit2.Signature:
    """A fixed identity dated at PARENT's commit date (the epoch for a root snapshot).

    Deterministic, so the same state always gives the same commit id and merge results
    can be cached by id. Not the epoch after a parent: git's merge-base search walks
    commits newest first by date, and without a commit-graph file (a fresh clone) a
    commit older than its parent makes it walk the whole history.
    """
    if parent is None:
        return pygit2.Signature(SNAPSHOT_NAME, SNAPSHOT_EMAIL, 0, 0)
    committer = repo[parent].peel(pygit2.Commit).committer
    return pygit2.Signature(SNAPSHOT_NAME, SNAPSHOT_EMAIL, committer.time, committer.offset)


def snapshot_commit(repo: pygit2.Repository, tree: str, parent: str | None) -> str:
    """A deterministic commit of TREE on top of PARENT (the session's HEAD)."""
    parents = [pygit2.Oid(hex=parent)] if parent else []
    signature = snapshot_signature(repo, parent)
    oid = repo.create_commit(
        None, signature, signature, SNAPSHOT_MESSAGE, pygit2.Oid(hex=tree), parents
    )
    return str(oid)


def is_snapshot(commit: pygit2.Commit) -> bool:
    """COMMIT is one of agentls's snapshot commits (never the user's work)."""
    return (
        commit.author.email == SNAPSHOT_EMAIL
        and commit.author.name == SNAPSHOT_NAME
        and commit.message == SNAPSHOT_MESSAGE
    )


def without_snapshots(repo: pygit2.Repository, commit: str) -> str | None:
    """The first commit at or below COMMIT (first parents) that is not an agentls snapshot.

    None when there is none: a snapshot of a branch that had no commit yet.
    """
    current = repo[commit].peel(pygit2.Commit)
    while is_snapshot(current):
        if not current.parents:
            return None
        current = current.parents[0]
    return str(current.id)


def snapshots_in(repo: pygit2.Repository, head: str, exclude: str) -> list[pygit2.Commit]:
    """agentls snapshot commits reachable from HEAD but not from EXCLUDE, newest first."""
    walker = repo.walk(head, pygit2.enums.SortMode.TOPOLOGICAL)
    walker.hide(exclude)
    return [commit for commit in walker if is_snapshot(commit)]
