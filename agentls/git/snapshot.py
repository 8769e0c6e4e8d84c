"""Snapshots: a commit of a worktree's whole current state, made without touching it.

A worktree's state is its HEAD plus the few paths that differ from it. Which paths
differ is git's own answer, `git status` on the worktree's index: git compares
stat data and hashes only what changed (entries racily clean against the index
file's mtime are re-read by content, as git always does). It never writes the
user's index (GIT_OPTIONAL_LOCKS=0): it reads and refreshes agentls's own copy of it
(agentls.git.status_index), or the real one read-only when no copy can be made.
The caller reads the files git names through the worktree's clean filters, as
`git add -A` would, and builds the snapshot tree from HEAD's tree and those entries
(agentls.git.trees), so sessions share every unchanged tree and blob.

The scan runs as a background process writing to a temporary file: the engine
starts the next worktree's scan while it walks this one's folders.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import pygit2

from agentls.errors import GitError
from agentls.git.repo import Repository
from agentls.git.runner import git_env
from agentls.git.trees import Entry

SNAPSHOT_NAME, SNAPSHOT_EMAIL = "agentls", "agentls@localhost"
SNAPSHOT_MESSAGE = "agentls snapshot\n"

# Temporary indexes (snapshots before 2026-12 were made in them, `git add -A` on a copy
# of the worktree's index) carry their process id, so those of a killed process can be
# told apart from a live one's and removed; git's own lock beside one ends in `.lock`.
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


def clean_scratch_once(repository: Repository) -> None:
    """clean_scratch and the stale status indexes, once per process and repository (a
    Workspace opening calls it)."""
    from agentls.git.status_index import clean_status_indexes

    if repository.scratch_dir not in _cleaned:
        _cleaned.add(repository.scratch_dir)
        clean_scratch(repository.scratch_dir)
        clean_status_indexes(repository.scratch_dir, repository.common_dir)


# Exactly what `git add -A` would look at: every untracked file (not folders), no
# rename pairing, a submodule counted only when its checked-out commit moved (its
# dirty files are not the superproject's). Paths stay relative to the worktree's top.
# (git_env switches hooks and the fsmonitor command off, as for every git agentls runs.)
STATUS_ARGS = [
    "-c",
    "status.relativePaths=false",
    "status",
    "--porcelain=v2",
    "-z",
    "--untracked-files=all",
    "--no-renames",
    "--ignore-submodules=dirty",
]

_ZERO_MODE = "000000"


@dataclass(frozen=True)
class WorktreeChange:
    """One path where the worktree (or its index) differs from HEAD."""

    path: str
    index: Entry  # what the worktree's index holds for PATH (None: not in the index)
    read_disk: bool  # the file differs from the index: `git add -A` would read it


class Scan:
    """A running `git status` of one worktree; `result()` waits for and parses it."""

    def __init__(self, worktree: Path, index: Path | None = None) -> None:
        """INDEX: a copy of the worktree's index that git may refresh and write
        (agentls.git.status_index); without one, git reads the real index only."""
        self.worktree = worktree
        args, env = ["git", *STATUS_ARGS], git_env()
        if index is not None:
            # A split index's copy is written whole: no shared-index file is ever
            # written or expired in the user's git dir.
            args = ["git", "-c", "core.splitIndex=false", *STATUS_ARGS]
            env = git_env({"GIT_INDEX_FILE": str(index), "GIT_OPTIONAL_LOCKS": "1"})
        # Files, not pipes: git never blocks on output the engine has not read yet.
        self._out: IO[bytes] = tempfile.TemporaryFile(prefix="agentls-scan-")  # noqa: SIM115
        self._err: IO[bytes] = tempfile.TemporaryFile(prefix="agentls-scan-")  # noqa: SIM115
        try:
            self._proc = subprocess.Popen(
                args,
                cwd=str(worktree),
                stdin=subprocess.DEVNULL,
                stdout=self._out,
                stderr=self._err,
                env=env,
            )
        except OSError as exc:
            self.close()
            raise GitError(f"cannot run git status in {worktree}: {exc}") from exc

    def done(self) -> bool:
        return self._proc.poll() is not None

    def result(self) -> list[WorktreeChange]:
        try:
            code = self._proc.wait()
            self._out.seek(0)
            raw = self._out.read()
            if code != 0:
                self._err.seek(0)
                detail = self._err.read().decode(errors="replace").strip()
                raise GitError(f"git status failed in {self.worktree}: {detail}")
            return parse_status(raw)
        finally:
            self.close()

    def close(self) -> None:
        proc = getattr(self, "_proc", None)
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()
        self._out.close()
        self._err.close()


def parse_status(raw: bytes) -> list[WorktreeChange]:
    """`git status --porcelain=v2 -z` records, in git's order (untracked files last)."""
    found: list[WorktreeChange] = []
    fields = raw.split(b"\0")
    i = 0
    while i < len(fields):
        record = fields[i]
        i += 1
        if not record:
            continue
        kind = record[:1]
        if kind == b"1":
            # 1 XY sub mH mI mW hH hI path
            parts = record.split(b" ", 8)
            found.append(_tracked(parts[1], parts[4], parts[7], parts[8]))
        elif kind == b"2":
            # 2 XY sub mH mI mW hH hI Xscore path NUL origPath (only if renames slip in)
            parts = record.split(b" ", 9)
            found.append(_tracked(parts[1], parts[4], parts[7], parts[9]))
            if i < len(fields):
                found.append(WorktreeChange(os.fsdecode(fields[i]), None, True))
                i += 1
        elif kind == b"u":
            # u XY sub m1 m2 m3 mW h1 h2 h3 path: unmerged; git add takes the file as it is
            parts = record.split(b" ", 10)
            found.append(WorktreeChange(os.fsdecode(parts[10]), None, True))
        elif kind == b"?":
            path = os.fsdecode(record[2:])
            # A nested repository shows as its folder ("vendor/lib/"): a gitlink candidate.
            found.append(WorktreeChange(path.rstrip("/"), None, True))
    return found


def _tracked(xy: bytes, index_mode: bytes, index_id: bytes, path: bytes) -> WorktreeChange:
    mode = index_mode.decode()
    index: Entry = None if mode == _ZERO_MODE else (index_id.decode(), int(mode, 8))
    return WorktreeChange(os.fsdecode(path), index, read_disk=xy[1:2] != b".")


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
