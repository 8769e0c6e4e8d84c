"""Removing a session (worktree, branch, registration) and restoring a branch from a backup."""

from __future__ import annotations

from typing import Any

from agentls import session_files
from agentls.errors import AgentlsError, InvalidInputError
from agentls.git.repo import rev_parse
from agentls.git.runner import run_git, run_git_bytes
from agentls.lifecycle import backups as kept
from agentls.lifecycle.common import (
    BACKUP_PREFIX,
    backup_ref,
    backups,
    branch_commit,
    dirty_paths,
    operation_in_progress,
    require_present,
    session_named,
)
from agentls.names import validate_name
from agentls.workspace import Workspace


def remove_session(ws: Workspace, session: str, *, force: bool = False) -> dict[str, Any]:
    """Remove SESSION's worktree, branch and registration, keeping a backup ref of its work.

    Refuses unlanded commits or uncommitted work unless FORCE; even then the backup
    ref points at a snapshot commit holding the uncommitted files too. Session files
    (notes, hook configuration) are not work: they are kept beside the backup with
    the session's role, priority and claims (agentls.lifecycle.backups).
    """
    target = session_named(ws, session)
    # Notes written before agentls listed them in info/exclude are not uncommitted work.
    session_files.exclude(ws.repository.common_dir)
    ws.refresh()
    target = ws.session(target.name)
    cwd = ws.repository.cwd
    if target.worktree.is_primary:
        raise InvalidInputError(
            f"session {target.name} is the repository's main checkout ({target.path})",
            "it cannot be removed; remove the other worktrees instead",
        )
    if target.branch and target.branch == ws.trunk.branch:
        raise InvalidInputError(f"session {target.name} has trunk ({ws.trunk.branch}) checked out")
    keep = target.head
    problems: list[str] = []
    if not target.missing:
        operation = operation_in_progress(target.path)
        if operation:
            problems.append(f"a {operation} in progress")
        dirty = dirty_paths(target.path)
        if dirty:
            problems.append(f"uncommitted work in {', '.join(dirty[:5])}")
            # Read the worktree afresh: the backup must hold what is on disk now (a state
            # kept in memory may lag behind, or hold notes read before git ignored them).
            ws.reload(target.id)
            state = ws.states.get(target.id)
            if state is not None:
                keep = state.snapshot()  # the backup holds the uncommitted files as well
    if target.head and not target.is_research:
        unlanded = int(run_git(["rev-list", "--count", f"{ws.trunk.commit}..{target.head}"], cwd))
        if unlanded:
            problems.append(f"{unlanded} commit(s) not on {ws.trunk.branch}")
    if problems and not force:
        first = (
            ""
            if target.is_research  # forks are never landed: their work only lives on in a backup
            else "land it first, or "
        )
        raise AgentlsError(
            f"session {target.name} has {'; '.join(problems)}",
            f"{first}pass --force (a backup ref keeps the work)",
        )
    backup = backup_ref(cwd, target.name, keep) if keep else None
    if backup is not None:
        files = {} if target.missing else session_files.collect(target.path)
        kept.keep(ws.store, backup, target, files)
    # Also for a missing folder: unlike `worktree prune`, this forgets only this worktree,
    # not every other one whose folder happens to be away (an unmounted disk).
    run_git(["worktree", "remove", "--force", "--force", "--", str(target.path)], cwd)
    deleted_branch = None
    if target.branch and branch_commit(cwd, target.branch) is not None:
        run_git(["branch", "-D", "--", target.branch], cwd)
        deleted_branch = target.branch
    ws.store.delete(target.id)
    ws.refresh()
    return {
        "ok": True,
        "session": target.name,
        "path": str(target.path),
        "branch": deleted_branch,
        "backup": backup,
        "forced": bool(problems),
    }


def _refuse_removed(ws: Workspace, name: str, exc: InvalidInputError) -> None:
    """No session NAME: if it left backups (it was removed), say how to bring it back."""
    try:
        validate_name(name)
    except InvalidInputError:
        return
    known = backups(ws.repository.cwd, name)
    if not known:
        return
    ref = known[-1][0]
    raise InvalidInputError(
        f"{exc.message}; it was removed, and its latest backup is {ref}",
        f"bring it back as a new session: agentls new {name} --from {ref}",
    ) from None


def restore_session(ws: Workspace, session: str, backup: str | None = None) -> dict[str, Any]:
    """Put SESSION's branch back to BACKUP (default: its latest backup ref)."""
    try:
        target = session_named(ws, session)
    except InvalidInputError as exc:
        _refuse_removed(ws, session, exc)
        raise
    ws.refresh()
    target = ws.session(target.name)
    require_present(target, "restore")
    cwd = ws.repository.cwd
    if not target.branch:
        raise InvalidInputError(f"session {target.name} is not on a branch; nothing to restore")
    known = backups(cwd, target.name)
    if backup is None:
        if not known:
            raise AgentlsError(
                f"session {target.name} has no backups under {BACKUP_PREFIX}/{target.name}/"
            )
        ref = known[-1][0]
    else:
        if not isinstance(backup, str) or not backup or backup.startswith("-"):
            raise InvalidInputError(f"invalid backup {backup!r}")
        ref = backup if backup.startswith("refs/") else f"{BACKUP_PREFIX}/{target.name}/{backup}"
        if not ref.startswith(f"{BACKUP_PREFIX}/"):
            raise InvalidInputError(f"{backup!r} is not an agentls backup ref")
    commit = rev_parse(cwd, ref)
    if commit is None:
        listing = ", ".join(r.rsplit("/", 1)[1] for r, _ in known) or "none"
        raise InvalidInputError(f"no backup {ref}", f"backups of {target.name}: {listing}")
    operation = operation_in_progress(target.path)
    if operation:
        raise AgentlsError(
            f"a {operation} is in progress in {target.path}", "finish or abort it first"
        )
    dirty = dirty_paths(target.path)
    if dirty:
        raise AgentlsError(
            f"session {target.name} has uncommitted changes ({', '.join(dirty[:5])})",
            "commit or stash them first",
        )
    # A backup made of uncommitted files is an agentls snapshot on top of the real head:
    # the branch goes back to that head and the files come back uncommitted.
    work = kept.real_work(ws, commit, None)
    old = branch_commit(cwd, target.branch)
    saved = backup_ref(cwd, target.name, old) if old and old != work.head else None
    if old != work.head:
        # The worktree is clean, so --keep only moves files the two commits differ in.
        run_git_bytes(["reset", "--keep", work.head], cwd=target.path)
    kept.bring_back_files(target.path, work)
    ws.refresh()
    return {
        "ok": True,
        "session": target.name,
        "branch": target.branch,
        "old": old,
        "new": work.head,
        "backup": ref,
        "saved": saved,
        "uncommitted": work.uncommitted,
    }
