"""Explaining and recovering lands that were interrupted (crash, SIGKILL, power loss).

A land is journaled step by step. Whoever next holds the land lock looks at every
entry still marked running and either finishes it (trunk had already moved to the
rebased head: only the bookkeeping is left) or undoes exactly what agentls
started (its own rebase, recognised by the branch, old head and base it recorded).
A rebase agentls did not start is never aborted. Every git step's result is
checked: when one fails, the entry stays open and the message says so, so the next
recovery tries again rather than reporting an undo that did not happen.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

from agentls.git.repo import rev_parse
from agentls.git.runner import run_git, run_git_bytes
from agentls.lifecycle import checkout
from agentls.lifecycle.common import (
    branch_commit,
    git_dir,
    is_ancestor,
    operation_in_progress,
    timestamp,
)
from agentls.lifecycle.journal import RECOVERED, Entry, Journal, LandLock, pid_alive
from agentls.lifecycle.remove import KEPT_DIR
from agentls.lifecycle.repair import clear_half_added_worktrees, clear_stale_locks
from agentls.sessions import clear_id_drafts
from agentls.workspace import Workspace

INTERRUPTED = "interrupted"
REBASE_FIELDS = ("head-name", "orig-head", "onto")


def _read(path: Path) -> str | None:
    try:
        return path.read_text().strip()
    except OSError:
        return None


def _admin_dir(worktree: Path) -> Path | None:
    try:
        return git_dir(worktree) if worktree.is_dir() else None
    except Exception:  # not a worktree any more
        return None


def _rebase_state(entry: Entry, worktree: Path) -> str | None:
    """'ours', 'ours-partial' (killed while git wrote its state), 'theirs', or None."""
    admin = _admin_dir(worktree)
    if admin is None:
        return None
    state = admin / "rebase-merge"
    if not state.is_dir():
        return "theirs" if (admin / "rebase-apply").is_dir() else None
    expected = {
        "head-name": f"refs/heads/{entry.branch}",
        "orig-head": entry.branch_old,
        "onto": entry.onto,
    }
    # git writes no field empty: an empty file is one it was killed while writing
    # (seen: head-name written, onto empty, orig-head not yet there).
    found = {name: _read(state / name) or None for name in REBASE_FIELDS}
    if any(value is not None and value != expected[name] for name, value in found.items()):
        return "theirs"
    if all(value is not None for value in found.values()):
        return "ours"
    return "ours-partial" if entry.step == "rebase" else "theirs"


def rebase_started_by(entry: Entry, worktree: Path) -> bool | None:
    """None when no rebase is in progress; else whether it is the one ENTRY started.

    A rebase killed while it was writing its state has only some of the fields; it
    is ours when it was under way at that step and every field it has is ours.
    """
    state = _rebase_state(entry, worktree)
    return None if state is None else state != "theirs"


def _on_branch(entry: Entry, worktree: Path, cwd: Path) -> bool:
    """WORKTREE is back where the land found it: on the branch, at its old head, no rebase."""
    return (
        operation_in_progress(worktree) != "rebase"
        and run_git(["symbolic-ref", "--quiet", "HEAD"], cwd=worktree, check=False)
        == f"refs/heads/{entry.branch}"
        and branch_commit(cwd, entry.branch) == entry.branch_old
    )


def _blocking_untracked(entry: Entry, worktree: Path) -> list[str]:
    """Files in WORKTREE that the branch's old head has but the index does not: a rebase
    killed while a pick wrote them leaves them untracked, and `--abort` (a `reset --hard`
    to the old head) refuses to overwrite them."""
    args = ["ls-tree", "-r", "-z", "--name-only", entry.branch_old]
    wanted = run_git_bytes(args, cwd=worktree, check=False)
    tracked = run_git_bytes(["ls-files", "-z"], cwd=worktree, check=False)
    if wanted.returncode or tracked.returncode:
        return []
    known = set(tracked.stdout.split(b"\0"))
    found = []
    for raw in wanted.stdout.split(b"\0"):
        if raw and raw not in known:
            relative = os.fsdecode(raw)
            if (worktree / relative).is_symlink() or (worktree / relative).is_file():
                found.append(relative)
    return found


def _move_aside(ws: Workspace, entry: Entry, worktree: Path, paths: list[str]) -> Path | None:
    """Move PATHS out of WORKTREE into <state-dir>/kept/<name>/<time>/ (as `remove` keeps
    git-ignored files): never deleted, even when the old head holds the same bytes."""
    if not paths:
        return None
    destination = ws.repository.state_dir / KEPT_DIR / entry.name / timestamp()
    for relative in paths:
        target = destination / relative
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        shutil.move(worktree / relative, target)
    return destination


def _abort_rebase(ws: Workspace, entry: Entry, worktree: Path, partial: bool) -> tuple[bool, str]:
    """Abort agentls's rebase in WORKTREE; (done, git's words when not)."""
    cwd = ws.repository.cwd
    proc = run_git_bytes(["rebase", "--abort"], cwd=worktree, check=False)
    detail = proc.stderr.decode(errors="replace").strip()
    if proc.returncode != 0 and not partial and operation_in_progress(worktree) == "rebase":
        # A pick killed half-way wrote files it had not added to the index yet.
        kept = _move_aside(ws, entry, worktree, _blocking_untracked(entry, worktree))
        if kept is not None:
            proc = run_git_bytes(["rebase", "--abort"], cwd=worktree, check=False)
            detail = proc.stderr.decode(errors="replace").strip()
            moved = f"moved the untracked files in the way of the abort to {kept}"
            detail = f"{detail}; {moved}" if proc.returncode else moved
    if proc.returncode != 0 and partial and operation_in_progress(worktree) == "rebase":
        # git cannot abort a rebase killed before it wrote all of its state; it had not
        # detached HEAD or touched a file yet (that comes after), so dropping the state
        # (`--quit`) is the whole undo. The branch ref never moved: a rebase moves it last.
        quit_proc = run_git_bytes(["rebase", "--quit"], cwd=worktree, check=False)
        detail = quit_proc.stderr.decode(errors="replace").strip() or detail
        head = run_git(["symbolic-ref", "--quiet", "HEAD"], cwd=worktree, check=False)
        if quit_proc.returncode == 0 and head != f"refs/heads/{entry.branch}":
            # Without --force: git refuses rather than overwrite anything.
            back = run_git_bytes(["checkout", entry.branch], cwd=worktree, check=False)
            detail = back.stderr.decode(errors="replace").strip() or detail
    return _on_branch(entry, worktree, cwd), detail


def recover_entry(ws: Workspace, journal: Journal, entry: Entry) -> str:
    """Finish or undo one interrupted land; a sentence saying what happened (truthfully)."""
    cwd = ws.repository.cwd
    worktree = Path(entry.worktree)
    what = f"the land of {entry.name} interrupted at step '{entry.step}'"
    trunk_branch = entry.trunk_ref.removeprefix("refs/heads/")
    checkout_of_trunk = next((s.path for s in ws.sessions if s.branch == trunk_branch), None)
    repaired = checkout.repair(entry, checkout_of_trunk, cwd) if checkout_of_trunk else None
    if repaired and repaired.startswith("could not"):
        return f"could not undo {what}: {repaired}; run `agentls recover` again"  # stays open
    what += f" ({repaired})" if repaired else ""
    trunk_now = rev_parse(cwd, entry.trunk_ref)
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
    if entry.remote and entry.rebased and entry.step in ("push", "pushed", "fast-forward"):
        settled = _settle_push(ws, journal, entry, what, checkout_of_trunk)
        if settled is not None:
            return settled
    state = _rebase_state(entry, worktree)
    ours = None if state is None else state != "theirs"
    branch_now = branch_commit(cwd, entry.branch)
    if ours:
        done, detail = _abort_rebase(ws, entry, worktree, partial=state == "ours-partial")
        if not done:
            # Left running: the next `agentls recover` (or land) tries again.
            return (
                f"could not undo {what}: git rebase --abort failed in {worktree}"
                f" ({detail or 'no reason given'}); the rebase is still in progress there and"
                f" {entry.branch}'s old head is kept at {entry.backup_ref or entry.branch_old}."
                " Fix that and run `agentls recover` again"
            )
        message = (
            f"undid {what}: aborted the rebase agentls had started;"
            f" {entry.branch} is back at its old head"
        ) + (f" ({detail})" if "moved the untracked" in detail else "")
    elif ours is False:
        message = (
            f"closed {what}: a rebase in {worktree} that agentls did not start is in progress;"
            " left it alone"
        )
    elif branch_now == entry.branch_old:
        message = f"closed {what}: nothing had changed; trunk and {entry.branch} are as before"
        on_it = (
            not worktree.is_dir()
            or run_git(["symbolic-ref", "--quiet", "HEAD"], cwd=worktree, check=False)
            == f"refs/heads/{entry.branch}"
        )
        if not on_it:
            message += (
                f", but {worktree} is not on {entry.branch} any more:"
                f" run `git checkout {entry.branch}` there"
            )
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


def _settle_push(
    ws: Workspace, journal: Journal, entry: Entry, what: str, checkout_of_trunk: Path | None
) -> str | None:
    """A land with a remote trunk killed around its push; None when the push surely did
    not happen (the usual undo follows: the branch stays rebased, trunk did not move).

    After 'pushed' the remote had accepted; at 'push' we ask the remote (a fetch) whether
    it did. Either way, when the remote's trunk holds the tested head, the local trunk
    follows it (only forward, by compare-and-swap) and the session is marked landed.
    """
    from agentls.lifecycle import upstream

    assert entry.remote and entry.remote_ref and entry.rebased
    up = upstream.Upstream(entry.remote, entry.remote_ref)
    cwd = ws.repository.cwd
    if entry.step == "push":
        try:
            remote_trunk = upstream.fetch_trunk(cwd, up)
        except Exception as exc:  # AgentlsError (unreachable): say so, never guess
            message = (
                f"closed {what}: could not ask {up.remote} whether the push of"
                f" {entry.rebased[:12]} reached {up.branch} ({exc}); trunk did not move here,"
                f" {entry.branch} stays rebased and tested (its old head is kept at"
                f" {entry.backup_ref}). Land again: it fetches first and finds out"
            )
            journal.finish(entry, INTERRUPTED, message)
            return message
        if not is_ancestor(cwd, entry.rebased, remote_trunk):
            return None
    local = _follow_remote(cwd, entry, checkout_of_trunk)
    journal.step(entry, "advanced", trunk_new=entry.rebased)
    if ws.store.get(entry.session_id) is not None:
        ws.store.update(entry.session_id, landed=time.time())
    message = (
        f"finished {what}: {up.describe()} already had the tested head {entry.rebased[:12]};"
        f" {local}; marked {entry.name} landed"
    )
    journal.finish(entry, RECOVERED, message)
    return message


def _follow_remote(cwd: Path, entry: Entry, checkout_of_trunk: Path | None) -> str:
    """Fast-forward local trunk from its old commit to ENTRY's pushed head; what happened."""
    assert entry.rebased
    trunk = entry.trunk_ref.removeprefix("refs/heads/")
    if checkout_of_trunk is not None and checkout_of_trunk.is_dir():
        head = run_git(["rev-parse", "HEAD"], cwd=checkout_of_trunk, check=False)
        clean = not operation_in_progress(checkout_of_trunk) and not run_git(
            ["status", "--porcelain", "--untracked-files=no"], cwd=checkout_of_trunk, check=False
        )
        if head == entry.trunk_old and clean:
            proc = run_git_bytes(
                ["merge", "--ff-only", "--no-edit", entry.rebased], checkout_of_trunk, check=False
            )
            if proc.returncode == 0:
                return f"fast-forwarded local {trunk} in {checkout_of_trunk}"
        return (
            f"local {trunk} in {checkout_of_trunk} was left alone (it moved or has changes):"
            f" run `git merge --ff-only {entry.rebased[:12]}` there"
        )
    if checkout.finish_trunk_ref(entry, cwd):
        return f"moved local {trunk} to it"
    return f"local {trunk} had moved and was left alone: merge {entry.rebased[:12]} into it"


def _gitdirs(ws: Workspace, entries: list[Entry]) -> list[Path]:
    """The admin dirs of the landing worktrees and of every worktree git knows."""
    found = [_admin_dir(Path(e.worktree)) for e in entries]
    found += [s.worktree.gitdir for s in ws.sessions]
    return [p for p in found if p is not None]


def recover_locked(ws: Workspace, journal: Journal, lock: LandLock) -> list[str]:
    """With the land lock held: recover every land a dead process left running, after
    removing the lock files killed git processes left (they would fail every git step)."""
    messages = []
    if lock.stale is not None:
        messages.append(
            f"recovered a stale land lock left by {lock.stale.describe()}, which is gone"
        )
    running = journal.running()
    messages += clear_stale_locks(
        ws.repository.common_dir,
        _gitdirs(ws, running),
        [s.path for s in ws.sessions] + [Path(e.worktree) for e in running],
    )
    messages += clear_id_drafts(_gitdirs(ws, []))
    half_made = clear_half_added_worktrees(
        ws.repository.common_dir,
        ws.repository.state_dir / KEPT_DIR,
        [s.path for s in ws.sessions],
    )
    if half_made:
        messages += half_made
        ws.refresh()
    for entry in running:
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


def unfinished(ws: Workspace) -> list[Entry]:
    """Interrupted lands recovery could not settle yet (their process is gone)."""
    lock = LandLock(ws.store, ws.repository.state_dir)
    holder = lock.held_by_other()
    return [
        entry
        for entry in Journal(ws.store).running()
        if not (holder is not None and holder.pid == entry.pid and pid_alive(entry.pid))
    ]


def recover(ws: Workspace, wait: float = 5.0) -> list[str]:
    """Take the land lock and repair what killed processes left; what was done, one line each.

    Interrupted lands are finished or undone, and abandoned git lock files removed.
    """
    journal = Journal(ws.store)
    lock = LandLock(ws.store, ws.repository.state_dir)
    lock.acquire("(recovery)", wait)
    try:
        ws.refresh()
        messages = recover_locked(ws, journal, lock)
    finally:
        lock.release()
    if messages:
        ws.refresh()
    return messages
