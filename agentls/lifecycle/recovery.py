"""Explaining and recovering lands that were interrupted (crash, SIGKILL, power loss).

A land is journaled step by step. Whoever next holds the land lock looks at every
entry still marked running and either finishes it (trunk had already moved to the
rebased head: only the bookkeeping is left) or undoes exactly what agentls
started (its own rebase, recognised by the branch, old head and base it recorded).
A rebase agentls did not start is never aborted.
"""

from __future__ import annotations

import time
from pathlib import Path

from agentls.git.repo import rev_parse
from agentls.git.runner import run_git_bytes
from agentls.lifecycle.common import branch_commit, git_dir, is_ancestor
from agentls.lifecycle.journal import RECOVERED, Entry, Journal, LandLock, pid_alive
from agentls.workspace import Workspace

INTERRUPTED = "interrupted"


def _read(path: Path) -> str | None:
    try:
        return path.read_text().strip()
    except OSError:
        return None


def rebase_started_by(entry: Entry, worktree: Path) -> bool | None:
    """None when no rebase is in progress; else whether it is the one ENTRY started."""
    if not worktree.is_dir():
        return None
    admin = git_dir(worktree)
    state = admin / "rebase-merge"
    if not state.is_dir():
        return False if (admin / "rebase-apply").is_dir() else None
    return (
        _read(state / "head-name") == f"refs/heads/{entry.branch}"
        and _read(state / "orig-head") == entry.branch_old
        and _read(state / "onto") == entry.trunk_old
    )


def recover_entry(ws: Workspace, journal: Journal, entry: Entry) -> str:
    """Finish or undo one interrupted land; a sentence saying what happened."""
    cwd = ws.repository.cwd
    worktree = Path(entry.worktree)
    trunk_now = rev_parse(cwd, entry.trunk_ref)
    what = f"the land of {entry.name} interrupted at step '{entry.step}'"
    if (
        entry.rebased
        and trunk_now
        and is_ancestor(cwd, entry.rebased, trunk_now)
        and (not is_ancestor(cwd, entry.rebased, entry.trunk_old))
    ):
        # Trunk already holds the rebased branch: only the bookkeeping was left.
        journal.step(entry, "advanced", trunk_new=entry.rebased)
        if ws.store.get(entry.session_id) is not None:
            ws.store.update(entry.session_id, landed=time.time())
        message = f"finished {what}: trunk already contained it; marked {entry.name} landed"
        journal.finish(entry, RECOVERED, message)
        return message
    ours = rebase_started_by(entry, worktree)
    branch_now = branch_commit(cwd, entry.branch)
    if ours:
        run_git_bytes(["rebase", "--abort"], cwd=worktree, check=False)
        branch_now = branch_commit(cwd, entry.branch)
        state = "back at its old head" if branch_now == entry.branch_old else f"at {branch_now}"
        message = f"undid {what}: aborted the rebase agentls had started; {entry.branch} is {state}"
    elif ours is False:
        message = (
            f"closed {what}: a rebase in {worktree} that agentls did not start is in progress;"
            " left it alone"
        )
    elif branch_now == entry.branch_old:
        message = f"closed {what}: nothing had changed; trunk and {entry.branch} are as before"
    elif branch_now is not None and branch_now == entry.rebased:
        message = (
            f"closed {what}: {entry.branch} stays rebased onto trunk (its old head is kept at"
            f" {entry.backup_ref}); trunk did not move. Land again to finish, or"
            f" `agentls restore {entry.name}` to go back"
        )
    else:
        message = (
            f"closed {what}: trunk did not move; {entry.branch} is at {branch_now or 'nothing'}"
            f" (its pre-land head is kept at {entry.backup_ref or entry.branch_old})"
        )
    journal.finish(entry, INTERRUPTED, message)
    return message


def recover_locked(ws: Workspace, journal: Journal, lock: LandLock) -> list[str]:
    """With the land lock held: recover every land a dead process left running."""
    messages = []
    if lock.stale is not None:
        messages.append(
            f"recovered a stale land lock left by {lock.stale.describe()}, which is gone"
        )
    for entry in journal.running():
        messages.append(recover_entry(ws, journal, entry))
    return messages


def pending(ws: Workspace) -> list[str]:
    """Interrupted lands waiting for recovery, explained (for `agentls status`); no changes."""
    journal = Journal(ws.store)
    lock = LandLock(ws.store, ws.repository.state_dir)
    holder = lock.held_by_other()
    notes = []
    for entry in journal.running():
        if holder is not None and holder.pid == entry.pid and pid_alive(entry.pid):
            notes.append(
                f"session {entry.name} is landing now (pid {entry.pid}, step {entry.step})"
            )
        else:
            notes.append(
                f"the land of {entry.name} (pid {entry.pid}) was interrupted at step"
                f" '{entry.step}'; `agentls land` or `agentls recover` will finish or undo it"
            )
    return notes


def recover(ws: Workspace, wait: float = 5.0) -> list[str]:
    """Take the land lock and recover interrupted lands; what was done, one line each."""
    journal = Journal(ws.store)
    lock = LandLock(ws.store, ws.repository.state_dir)
    lock.acquire("(recovery)", wait)
    try:
        messages = recover_locked(ws, journal, lock)
    finally:
        lock.release()
    if messages:
        ws.refresh()
    return messages
