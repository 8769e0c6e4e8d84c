"""Helpers every lifecycle verb shares: finding sessions, safety checks, backup refs."""

from __future__ import annotations

import datetime
from pathlib import Path

from agentls.errors import AgentlsError, InvalidInputError
from agentls.git.runner import git_ok, gitpython_repo, run_git, run_git_bytes
from agentls.names import validate_name
from agentls.session_files import ALWAYS_EXCLUDED
from agentls.sessions import Session
from agentls.workspace import Workspace

BACKUP_PREFIX = "refs/agentls/backup"
ZERO = "0" * 40


def session_named(ws: Workspace, name: object) -> Session:
    """The session called NAME (after validating the name), from a fresh view of the worktrees."""
    validate_name(name)
    assert isinstance(name, str)
    if not ws.sessions:
        ws.refresh()
    try:
        return ws.session(name)
    except InvalidInputError:
        ws.refresh()  # it may have been created by another process a moment ago
        return ws.session(name)


def require_present(session: Session, action: str) -> None:
    if session.missing:
        raise AgentlsError(
            f"cannot {action} session {session.name}: its folder {session.path} is gone",
            f"restore the folder, or run `agentls remove {session.name}`",
        )


def dirty_paths(worktree: Path) -> list[str]:
    """Uncommitted changes in WORKTREE (staged, unstaged, untracked-not-ignored).

    Untracked session files (notes, agentls's hook files) are never the user's work,
    even in a repository whose info/exclude does not list them yet.
    """
    repo = gitpython_repo(worktree)  # hooks and fsmonitor off
    try:
        # GitPython answers the common question; porcelain lists the paths for the message.
        if not repo.is_dirty(index=True, working_tree=True, untracked_files=True):
            return []
        out = repo.git.status("--porcelain", "-z", "--untracked-files=all")
    finally:
        repo.close()
    paths = []
    for record in out.split("\0"):
        if len(record) < 4:
            continue
        status, path = record[:2], record[3:]
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
            raise AgentlsError(f"cannot create backup ref {base}", "check the repository")
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


def trunk_session(ws: Workspace) -> Session | None:
    """The session whose worktree has trunk checked out, if any."""
    if not ws.trunk.ref.startswith("refs/heads/"):
        return None
    return next((s for s in ws.sessions if s.branch == ws.trunk.branch), None)


def session_brief(session: Session) -> dict[str, object]:
    return {"name": session.name, "path": str(session.path), "branch": session.branch}
