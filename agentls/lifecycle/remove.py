"""Removing a session (worktree, branch, registration) and restoring a branch from a backup."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
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
    kill_point,
    operation_in_progress,
    require_present,
    session_named,
    timestamp,
)
from agentls.lifecycle.journal import Journal, LandLock, pid_alive
from agentls.sessions import Session
from agentls.workspace import Workspace

# git-ignored files (`.env`, local settings) are not in any commit, so a backup ref
# cannot hold them: remove copies them to <state-dir>/kept/<name>/<time>/ first. Whole
# ignored folders (build output, virtualenvs, node_modules) are rebuilt, not kept.
KEPT_DIR = "kept"
MAX_KEPT_FILE = 1 << 20  # bytes; larger ignored files are build output, not settings
MAX_KEPT_TOTAL = 16 << 20


def _landing_now(ws: Workspace, target: Session) -> int | None:
    """The pid of a live land of TARGET, if one is running right now."""
    holder = LandLock(ws.store, ws.repository.state_dir).held_by_other()
    if holder is None:
        return None
    for entry in Journal(ws.store).running():
        if entry.session_id == target.id and entry.pid == holder.pid and pid_alive(entry.pid):
            return entry.pid
    return None


def ignored_paths(worktree: Path) -> tuple[list[str], list[str]]:
    """(ignored files, ignored folders) in WORKTREE, as git reports them."""
    out = run_git(
        ["status", "--porcelain", "-z", "--ignored=traditional", "--untracked-files=normal"],
        cwd=worktree,
    )
    files: list[str] = []
    folders: list[str] = []
    for record in out.split("\0"):
        if record.startswith("!! "):
            path = record[3:]
            (folders if path.endswith("/") else files).append(path)
    return files, folders


def _keep_ignored(ws: Workspace, target: Session) -> dict[str, Any]:
    """Copy TARGET's small ignored files out of the worktree before it is deleted."""
    files, folders = ignored_paths(target.path)
    copied: list[str] = []
    dropped: list[str] = list(folders)
    destination = ws.repository.state_dir / KEPT_DIR / target.name / timestamp()
    total = 0
    for relative in files:
        if session_files.is_session_file(relative):
            continue  # notes and hook files are kept with the backup (agentls.lifecycle.backups)
        source = target.path / relative
        try:
            size = source.lstat().st_size
        except OSError:
            continue
        if size > MAX_KEPT_FILE or total + size > MAX_KEPT_TOTAL:
            dropped.append(relative)
            continue
        copy = destination / relative
        copy.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        shutil.copy2(source, copy, follow_symlinks=False)
        total += size
        copied.append(relative)
    return {
        "kept": copied,
        "keptAt": str(destination) if copied else None,
        "deleted": dropped,
    }


def _step_out_of(ws: Workspace, folder: Path) -> None:
    """Make the workspace run git from a folder that outlives FOLDER's removal.

    `agentls land --remove` run inside the session's own folder would otherwise run
    every git command after the removal in a folder that no longer exists.
    """
    toplevel = ws.repository.toplevel
    if toplevel is not None and (toplevel == folder or folder in toplevel.parents):
        ws.repository = ws.repository._replace(toplevel=None)
    here = Path(os.path.abspath(os.curdir)) if os.path.isdir(os.curdir) else None
    if here is not None and (here == folder or folder in here.parents):
        os.chdir(ws.repository.common_dir)


def remove_session(ws: Workspace, session: str, *, force: bool = False) -> dict[str, Any]:
    """Remove SESSION's worktree, branch and registration, keeping a backup ref of its work.

    Refuses unlanded commits or uncommitted work unless FORCE; even then the backup
    ref points at a snapshot commit holding the uncommitted files too. Session files
    (notes, hook configuration) are not work: they are kept beside the backup with
    the session's role, priority and claims (agentls.lifecycle.backups). Small
    git-ignored files are copied aside (see KEPT_DIR).
    """
    target = session_named(ws, session)
    # Notes written before agentls listed them in info/exclude are not uncommitted work.
    session_files.exclude(ws.repository.common_dir)
    ws.refresh()
    target = ws.session(target.name)
    cwd = ws.repository.cwd
    if target.worktree.is_primary:
        raise InvalidInputError.refuse(
            "primary-checkout", session=target.name, path=str(target.path)
        )
    if target.branch and target.branch == ws.trunk.branch:
        raise InvalidInputError.refuse(
            "on-trunk", session=target.name, trunk=ws.trunk.branch, action="remove"
        )
    landing = _landing_now(ws, target)
    if landing is not None:
        raise AgentlsError.refuse("landing-now", session=target.name, pid=landing)
    keep = target.head
    problems: dict[str, Any] = {}
    if not target.missing:
        operation = operation_in_progress(target.path)
        if operation:
            problems["operation"] = operation
        dirty = dirty_paths(target.path)
        if dirty:
            problems["dirty"] = dirty[:100]
            # Read the worktree afresh: the backup must hold what is on disk now (a state
            # kept in memory may lag behind, or hold notes read before git ignored them).
            ws.reload(target.id)
            state = ws.states.get(target.id)
            if state is not None:
                keep = state.snapshot()  # the backup holds the uncommitted files as well
    if target.head and not target.is_research:
        unlanded = int(run_git(["rev-list", "--count", f"{ws.trunk.commit}..{target.head}"], cwd))
        if unlanded:
            problems["unlanded"] = unlanded
    if problems and not force:
        raise AgentlsError.refuse(
            "unlanded-work", session=target.name, trunk=ws.trunk.branch,
            research=target.is_research, **problems,
        )  # fmt: skip
    backup = backup_ref(cwd, target.name, keep) if keep else None
    if backup is not None:
        files = {} if target.missing else session_files.collect(target.path)
        kept.keep(ws.store, backup, target, files)
    ignored = (
        _keep_ignored(ws, target)
        if not target.missing
        else {"kept": [], "keptAt": None, "deleted": []}
    )
    _step_out_of(ws, target.path)
    cwd = ws.repository.cwd
    # Also for a missing folder: unlike `worktree prune`, this forgets only this worktree,
    # not every other one whose folder happens to be away (an unmounted disk).
    run_git(["worktree", "remove", "--force", "--force", "--", str(target.path)], cwd)
    kill_point("removed-worktree")
    deleted_branch = None
    if target.branch and branch_commit(cwd, target.branch) is not None:
        run_git(["branch", "-D", "--", target.branch], cwd)
        deleted_branch = target.branch
    from agentls.remote.publish import withdraw

    unpublished = withdraw(ws, target.id)  # its published work-in-progress ref, if any
    ws.store.delete(target.id)
    ws.refresh()
    return {
        **({"unpublished": unpublished} if unpublished else {}),
        "ok": True,
        "session": target.name,
        "path": str(target.path),
        "branch": deleted_branch,
        "backup": backup,
        "forced": bool(problems),
        "ignored": ignored,
    }


def restore_session(ws: Workspace, session: str, backup: str | None = None) -> dict[str, Any]:
    """Put SESSION's branch back to BACKUP (default: its latest backup ref)."""
    target = session_named(ws, session, fresh=True)  # a removed one: says how to bring it back
    require_present(target, "restore")
    cwd = ws.repository.cwd
    if not target.branch:
        raise InvalidInputError.refuse("not-on-branch", session=target.name)
    known = backups(cwd, target.name)
    if backup is None:
        if not known:
            raise AgentlsError.refuse("no-backups", session=target.name, prefix=BACKUP_PREFIX)
        ref = known[-1][0]
    else:
        if not isinstance(backup, str) or not backup or backup.startswith("-"):
            raise InvalidInputError.refuse("invalid-backup", backup=str(backup))
        ref = backup if backup.startswith("refs/") else f"{BACKUP_PREFIX}/{target.name}/{backup}"
        if not ref.startswith(f"{BACKUP_PREFIX}/"):
            raise InvalidInputError.refuse("invalid-backup", backup=backup, reason="foreign")
    commit = rev_parse(cwd, ref)
    if commit is None:
        raise InvalidInputError.refuse(
            "backup-not-found", ref=ref, session=target.name,
            known=[r.rsplit("/", 1)[1] for r, _ in known],
        )  # fmt: skip
    operation = operation_in_progress(target.path)
    if operation:
        raise AgentlsError.refuse(
            "operation-in-progress", operation=operation, session=target.name,
            role="session", path=str(target.path),
        )  # fmt: skip
    dirty = dirty_paths(target.path)
    if dirty:
        raise AgentlsError.refuse(
            "dirty-worktree", session=target.name, role="session", path=str(target.path),
            paths=dirty[:100], count=len(dirty), action="restore",
        )  # fmt: skip
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
        "changed": old != work.head or bool(work.uncommitted),
    }
