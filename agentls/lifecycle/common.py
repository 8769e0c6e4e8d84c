"""Helpers every lifecycle verb shares: finding sessions, safety checks, backup refs."""

from __future__ import annotations

import datetime
import os
import signal
from pathlib import Path

from agentls.errors import AgentlsError, InvalidInputError
from agentls.git.runner import git_ok, run_git, run_git_bytes
from agentls.names import validate_name
from agentls.remote import view as remote_view
from agentls.session_files import ALWAYS_EXCLUDED
from agentls.sessions import Session
from agentls.workspace import Workspace

BACKUP_PREFIX = "refs/agentls/backup"
# Tests set this to a step name to SIGKILL the process right there (crash tests).
KILL_ENV = "AGENTLS_TEST_KILL_AT"
ZERO = "0" * 40


def kill_point(step: str) -> None:
    """Crash tests: die here, as a power cut would, when KILL_ENV names STEP."""
    if os.environ.get(KILL_ENV) == step:
        os.kill(os.getpid(), signal.SIGKILL)


def session_named(ws: Workspace, name: object, *, fresh: bool = False) -> Session:
    """The session called NAME (after validating the name); FRESH: refresh the workspace
    first (one full refresh, which a caller about to change things needs anyway)."""
    remote_view.refuse_lifecycle(ws, name)  # a remote session's name is no local name
    validate_name(name)
    assert isinstance(name, str)
    refreshed = fresh or not ws.sessions
    if refreshed:
        ws.refresh()
    try:
        return ws.session(name)
    except InvalidInputError:
        if not refreshed:
            ws.refresh()  # it may have been created by another process a moment ago
    try:
        return ws.session(name)
    except InvalidInputError:
        known = backups(ws.repository.cwd, name)
        if not known:
            raise
        # It was removed: say so, and how to bring it back.
        raise InvalidInputError.refuse("session-removed", name=name, backup=known[-1][0]) from None


def require_present(session: Session, action: str) -> None:
    if session.missing:
        raise AgentlsError.refuse(
            "session-folder-gone", session=session.name, path=str(session.path), action=action
        )


def dirty_paths(worktree: Path) -> list[str]:
    """Uncommitted changes in WORKTREE (staged, unstaged, untracked-not-ignored).

    Untracked session files (notes, agentls's hook files) are never the user's work,
    even in a repository whose info/exclude does not list them yet.
    """
    # One `git status` (GIT_OPTIONAL_LOCKS=0: it never writes the index; hooks and
    # fsmonitor off); a folder that vanished meanwhile is a GitError (one line), never
    # a library traceback.
    out = run_git(["status", "--porcelain", "-z", "--untracked-files=all"], cwd=worktree)
    paths = []
    records = iter(out.split("\0"))
    for record in records:
        if len(record) < 4:
            continue
        status, path = record[:2], record[3:]
        if status[0] in "RC":
            next(records, None)  # a rename's source path follows as its own record
        if status == "??" and path in ALWAYS_EXCLUDED:
            continue
        paths.append(path)
    return paths


def operation_in_progress(worktree: Path) -> str | None:
    """'rebase', 'merge', 'cherry-pick', 'revert' or 'bisect' when one is under way there."""
    gitdir = Path(run_git(["rev-parse", "--path-format=absolute", "--git-dir"], cwd=worktree))
    for marker, what in (
        ("rebase-merge", "rebase"),
        ("rebase-apply", "rebase"),
        ("MERGE_HEAD", "merge"),
        ("CHERRY_PICK_HEAD", "cherry-pick"),
        ("REVERT_HEAD", "revert"),
        ("BISECT_LOG", "bisect"),
    ):
        if (gitdir / marker).exists():
            return what
    return None


def git_dir(worktree: Path) -> Path:
    return Path(run_git(["rev-parse", "--path-format=absolute", "--git-dir"], cwd=worktree))


def timestamp() -> str:
    """UTC time for backup ref names: sortable, valid in a ref name."""
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")


def backup_ref(cwd: Path, name: str, commit: str) -> str:
    """Keep COMMIT under refs/agentls/backup/<name>/<timestamp> (never overwrites one)."""
    base = f"{BACKUP_PREFIX}/{name}/{timestamp()}"
    ref, n = base, 2
    while not git_ok(["update-ref", "-m", "agentls backup", ref, commit, ZERO], cwd):
        if n > 50:
            raise AgentlsError.refuse("backup-failed", ref=base)
        ref, n = f"{base}-{n}", n + 1
    return ref


def backups(cwd: Path, name: str) -> list[tuple[str, str]]:
    """(ref, commit) of NAME's backups, oldest first."""
    out = run_git(
        ["for-each-ref", "--format=%(refname) %(objectname)", f"{BACKUP_PREFIX}/{name}/"], cwd
    )
    pairs = [tuple(line.split(" ", 1)) for line in out.splitlines() if line]
    return sorted((ref, commit) for ref, commit in pairs)  # type: ignore[misc]


def is_ancestor(cwd: Path, a: str, b: str) -> bool:
    return git_ok(["merge-base", "--is-ancestor", a, b], cwd)


def branch_commit(cwd: Path, branch: str) -> str | None:
    proc = run_git_bytes(
        ["rev-parse", "--verify", "--quiet", f"refs/heads/{branch}^{{commit}}"], cwd, check=False
    )
    return proc.stdout.decode().strip() or None if proc.returncode == 0 else None


def branch_clash(cwd: Path, branch: str) -> str | None:
    """An existing branch that keeps BRANCH from being created: `feat` vs `feat/cli`.

    git stores branches as files under refs/heads/, so a branch and a folder of
    branches cannot share a name (either way round).
    """
    parts = branch.split("/")
    for depth in range(1, len(parts)):  # `feat/cli/x` is blocked by a branch `feat/cli`
        prefix = "/".join(parts[:depth])
        if branch_commit(cwd, prefix) is not None:
            return prefix
    below = run_git(
        ["for-each-ref", "--count=1", "--format=%(refname)", f"refs/heads/{branch}/"], cwd
    )
    return below.removeprefix("refs/heads/") or None


def trunk_session(ws: Workspace) -> Session | None:
    """The session whose worktree has trunk checked out, if any."""
    if not ws.trunk.ref.startswith("refs/heads/"):
        return None
    return next((s for s in ws.sessions if s.branch == ws.trunk.branch), None)


def session_brief(session: Session) -> dict[str, object]:
    return {"name": session.name, "path": str(session.path), "branch": session.branch}
