"""Landing one session: rebase onto trunk, build and test, fast-forward trunk.

Safety (DESIGN.md hard rules): a dirty worktree is never touched; the branch's old
head is kept under refs/agentls/backup/<name>/<timestamp> before the rebase; trunk
moves only forward, by compare-and-swap (`update-ref NEW OLD`) or, when it is
checked out somewhere, by `merge --ff-only` in that worktree; every step is
journaled so an interrupted land is finished or undone by the next one
(`agentls.lifecycle.recovery`). One land at a time per repository (the land lock).
When trunk tracks a remote branch, the tested head is pushed there by compare-and-swap
before trunk moves here, and a lost race is retried (`agentls.lifecycle.upstream`);
a remote session lands through a temporary local one (`agentls.lifecycle.land_remote`).
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from agentls.errors import AgentlsError, GitError, InvalidInputError
from agentls.git.merge import conflict_path
from agentls.git.runner import run_git, run_git_bytes
from agentls.git.snapshot import snapshots_in
from agentls.lifecycle import config as land_config
from agentls.lifecycle import upstream
from agentls.lifecycle.commands import CommandResult, run_command
from agentls.lifecycle.common import (
    KILL_ENV,
    backup_ref,
    branch_commit,
    dirty_paths,
    is_ancestor,
    kill_point,
    operation_in_progress,
    require_present,
    session_named,
    trunk_session,
)
from agentls.lifecycle.conflict import conflict_context, conflicted_files
from agentls.lifecycle.journal import (
    CONFLICT,
    FAILED,
    LANDED,
    RACED,
    Entry,
    Journal,
    LandLock,
)
from agentls.lifecycle.recovery import recover_entry, recover_locked
from agentls.sessions import Session
from agentls.vocabulary import plural
from agentls.workspace import Workspace

Progress = Callable[[str, "int | None"], None]
FAILED_TAIL = 40  # lines of a failed build/test kept in the journal (and HANDOFF.md)

# Steps a crash test can SIGKILL the landing process at (common.KILL_ENV).
KILL_POINTS = (
    "locked", "backup", "mid-rebase", "rebased", "during-build", "during-tests", "tested",
    "mid-ff",
)  # fmt: skip
# Only with a remote trunk: before the push of trunk, after the remote accepted it.
PUSH_KILL_POINTS = ("pushing", "pushed")


_kill_point = kill_point


class NothingToLand(AgentlsError):
    pass


@dataclass
class Plan:
    """Everything checked before a land changes anything."""

    session: Session
    branch: str
    head: str
    trunk_ref: str
    trunk_old: str
    trunk_branch: str
    trunk_worktree: Session | None
    ahead: int
    config: land_config.LandConfig = field(default_factory=land_config.LandConfig)
    # With a remote trunk (agentls.lifecycle.upstream): where trunk is pushed, and BASE,
    # the remote trunk's commit the branch is rebased onto (else local trunk's).
    upstream: upstream.Upstream | None = None
    base: str = ""
    previous_base: str | None = None  # a retry: the base the branch was rebased onto before
    attempt: int = 1

    @property
    def onto(self) -> str:
        return self.base or self.trunk_old


def _identify(ws: Workspace, name: str) -> Session:
    """Checks that do not depend on an interrupted land: who, and is it landable at all."""
    session = session_named(ws, name, fresh=True)
    require_present(session, "land")
    if session.is_research:
        raise InvalidInputError.refuse("research-fork", session=session.name)
    if not session.branch:
        if operation_in_progress(session.path):  # a rebase detaches HEAD: say that instead
            _refuse_unclean(session, "session")
        raise InvalidInputError.refuse(
            "detached-head", session=session.name, path=str(session.path)
        )
    if session.branch == ws.trunk.branch:
        raise InvalidInputError.refuse("on-trunk", session=session.name, trunk=ws.trunk.branch)
    if not ws.trunk.ref.startswith("refs/heads/"):
        raise AgentlsError.refuse("trunk-remote-only", trunk=ws.trunk.branch, ref=ws.trunk.ref)
    return session


def _refuse_unclean(session: Session, role: str, action: str = "land") -> None:
    """Refuse when SESSION (ROLE 'session' or 'trunk') has an operation or uncommitted work."""
    where = {"session": session.name, "role": role, "path": str(session.path)}
    operation = operation_in_progress(session.path)
    if operation:
        raise AgentlsError.refuse("operation-in-progress", operation=operation, **where)
    dirty = dirty_paths(session.path)
    if dirty:
        raise AgentlsError.refuse(
            "dirty-worktree", paths=dirty[:100], count=len(dirty), action=action, **where
        )


def preflight(
    ws: Workspace,
    name: str,
    *,
    fetch: bool = True,
    push: bool | None = None,
    previous_base: str | None = None,
    attempt: int = 1,
) -> Plan:
    """Refuse unless the session can be landed now; what the land will do.

    With a remote trunk and pushing on, FETCH the remote's trunk first (a dry run uses
    the last fetched one); PUSH False lands locally only. A retry (ATTEMPT > 1, after a
    lost race) names the base the branch was rebased onto before (PREVIOUS_BASE).
    """
    session = _identify(ws, name)
    _refuse_unclean(session, "session")
    trunk_wt = trunk_session(ws)
    if trunk_wt is not None:
        if trunk_wt.missing:
            raise AgentlsError.refuse(
                "trunk-folder-gone", trunk=ws.trunk.branch, path=str(trunk_wt.path)
            )
        _refuse_unclean(trunk_wt, "trunk")
    cwd = ws.repository.cwd
    head = branch_commit(cwd, session.branch or "")
    if head is None or session.branch is None:  # deleted since the refresh (a racing remove)
        raise AgentlsError.refuse("session-vanished", session=session.name, path=str(session.path))
    ahead = int(run_git(["rev-list", "--count", f"{ws.trunk.commit}..{head}"], cwd=cwd))
    if ahead == 0:
        raise NothingToLand.refuse(
            "nothing-to-land", session=session.name, branch=session.branch, trunk=ws.trunk.branch
        )
    _refuse_snapshots(ws, session, head)
    config = land_config.load(cwd, ws.trunk.commit)
    up, base = _remote_base(ws, config, push=push, fetch=fetch)
    if base != ws.trunk.commit:
        ahead = int(run_git(["rev-list", "--count", f"{base}..{head}"], cwd=cwd))
        if ahead == 0:
            assert up is not None
            raise NothingToLand.refuse(
                "nothing-to-land", session=session.name, branch=session.branch,
                trunk=ws.trunk.branch, remote=up.describe(),
            )  # fmt: skip
    if config.require_review and attempt == 1:  # the review gate (agentls.review.gate)
        from agentls.review.gate import require_approval

        require_approval(ws, session)  # (a retry re-lands the approved head, rebased)
    return Plan(
        session=session,
        branch=session.branch,
        head=head,
        trunk_ref=ws.trunk.ref,
        trunk_old=ws.trunk.commit,
        trunk_branch=ws.trunk.branch,
        trunk_worktree=trunk_wt,
        ahead=ahead,
        config=config,
        upstream=up,
        base=base,
        previous_base=previous_base,
        attempt=attempt,
    )


def _remote_base(
    ws: Workspace, config: land_config.LandConfig, *, push: bool | None, fetch: bool
) -> tuple[upstream.Upstream | None, str]:
    """(where trunk is pushed, the commit to rebase onto): (None, local trunk) when the
    land is local only; else the remote trunk's commit, refusing when local trunk has
    commits the remote lacks."""
    cwd, trunk = ws.repository.cwd, ws.trunk
    up = upstream.find(cwd, trunk.branch)
    if up is None or push is False or not upstream.push_wanted(cwd, config.push):
        return None, trunk.commit
    remote = upstream.fetch_trunk(cwd, up) if fetch else upstream.last_fetched(cwd, up)
    remote = remote or trunk.commit
    upstream.require_behind(cwd, trunk.branch, trunk.commit, up, remote)
    return up, remote


def _refuse_snapshots(ws: Workspace, session: Session, head: str) -> None:
    """Never land agentls's own snapshot commits (author agentls@localhost, dated 1970).

    One gets onto a branch only by hand (a branch started at a backup or fork commit
    with plain git); its files are real work, the commit is not.
    """
    found = snapshots_in(ws.git, head, ws.trunk.commit)
    if not found:
        return
    newest = found[0]
    parent = str(newest.parents[0].id) if newest.parents else None
    raise AgentlsError.refuse(
        "snapshot-commit", session=session.name, branch=session.branch, path=str(session.path),
        trunk=ws.trunk.branch, commit=str(newest.id), more=len(found) - 1,
        # Only the newest at the tip: `git reset --soft PARENT` keeps its files as changes.
        parent=parent if str(newest.id) == head and len(found) == 1 else None,
    )  # fmt: skip


def predicted_conflicts(ws: Workspace, trunk: str, head: str) -> list[str]:
    """Every path git's merge of TRUNK and HEAD stops on (what a rebase will hit, overall)."""
    merged = ws.merger.merge(trunk, head)
    return sorted({conflict_path(path) for path in merged.conflicted})


def _dry_run(ws: Workspace, plan: Plan) -> dict[str, Any]:
    conflicts = predicted_conflicts(ws, plan.onto, plan.head)
    steps: list[dict[str, Any]] = [
        {"step": "lock", "status": "would", "detail": "take the land lock"},
        {"step": "backup", "status": "would",
         "detail": f"keep {plan.head[:12]} under refs/agentls/backup/{plan.session.name}/<time>"},
        {"step": "rebase", "status": "would fail" if conflicts else "would",
         "detail": f"rebase {plural(plan.ahead, 'commit')} of {plan.branch} onto "
                   f"{plan.upstream.describe() if plan.upstream else plan.trunk_branch}"
                   f" {plan.onto[:12]}"
                   + (f"; predicted conflicts: {', '.join(conflicts)}" if conflicts else "")},
    ]  # fmt: skip
    for kind, command in plan.config.commands():
        steps.append({"step": kind, "status": "would", "detail": f"run `{command}`"})
    if plan.upstream is not None:
        detail = (
            f"push to {plan.upstream.remote} {plan.upstream.branch}, compare-and-swap against"
            f" {plan.onto[:12]} (as last fetched; the land fetches first), retried up to"
            f" {upstream.ATTEMPTS} times when the remote moved"
        )
        steps.append({"step": "push", "status": "would", "detail": detail})
    where = (
        f"merge --ff-only in {plan.trunk_worktree.path}"
        if plan.trunk_worktree
        else f"update-ref {plan.trunk_ref} (compare-and-swap)"
    )
    steps.append({"step": "fast-forward", "status": "would", "detail": where})
    pending = Journal(ws.store).running()
    message = (
        f"dry run: {plan.session.name} would conflict on {', '.join(conflicts)}"
        if conflicts
        else f"dry run: {plan.session.name} would land {plural(plan.ahead, 'commit')} cleanly"
    )
    result: dict[str, Any] = {
        "ok": not conflicts,
        "dryRun": True,
        "session": plan.session.name,
        "steps": steps,
        "message": message,
        "conflicts": conflicts,
        "trunk": {"old": plan.trunk_old, "new": None},
    }
    if conflicts:
        result["error"] = _failure(
            "land-conflict", session=plan.session.name, trunk=plan.trunk_branch,
            branch=plan.branch, files=conflicts, kept_open=False, predicted=True,
        )  # fmt: skip
    if pending:
        result["recovery"] = [
            f"an interrupted land of {e.name} will be recovered first" for e in pending
        ]
    return result


def _failure(code: str, **data: Any) -> dict[str, Any]:
    """The `error` object of a failed land: the same shape as a refusal's."""
    return AgentlsError.refuse(code, **data).to_json()


class _Lander:
    """One land in progress (holding the lock)."""

    def __init__(self, ws: Workspace, plan: Plan, journal: Journal, progress: Progress) -> None:
        self.ws, self.plan, self.journal, self.progress = ws, plan, journal, progress
        self.cwd = ws.repository.cwd
        self.worktree = plan.session.path
        self.steps: list[dict[str, Any]] = []
        self.commands: list[CommandResult] = []
        self.entry: Entry = journal.start(
            session_id=plan.session.id,
            name=plan.session.name,
            branch=plan.branch,
            worktree=str(self.worktree),
            trunk_ref=plan.trunk_ref,
            trunk_old=plan.trunk_old,
            branch_old=plan.head,
            remote=plan.upstream.remote if plan.upstream else None,
            remote_ref=plan.upstream.remote_ref if plan.upstream else None,
            base=plan.base if plan.upstream else None,
        )

    def note(self, step: str, status: str, detail: str, percent: int | None) -> None:
        self.steps.append({"step": step, "status": status, "detail": detail})
        self.progress(f"{step}: {detail}", percent)

    def result(self, ok: bool, message: str, **extra: Any) -> dict[str, Any]:
        trunk_new = self.entry.trunk_new
        out: dict[str, Any] = {
            "ok": ok,
            "session": self.plan.session.name,
            "steps": self.steps,
            "message": message,
            "trunk": {"old": self.plan.trunk_old, "new": trunk_new},
            "backup": self.entry.backup_ref,
        }
        if self.commands:
            out["output"] = "\n".join(c.output for c in self.commands if c.output)
        out.update(extra)
        return out

    def fail(
        self, status: str, code: str, context: dict[str, Any] | None = None, **data: Any
    ) -> dict[str, Any]:
        """Finish the journal entry as failed with CODE; the failed result (and its error)."""
        error = _failure(code, **data)
        self.finish(status, error["message"], **({"conflict": context} if context else {}))
        return self.result(False, error["message"], error=error)

    def finish(self, status: str, message: str, **details: Any) -> None:
        details["commands"] = [
            {"kind": c.kind, "command": c.command, "ok": c.ok, "summary": c.summary}
            # A failure's last lines go to HANDOFF.md, so the agent sees what broke.
            | ({} if c.ok else {"output": "\n".join(c.output.splitlines()[-FAILED_TAIL:])})
            for c in self.commands
        ]
        self.journal.finish(self.entry, status, message, details)

    # --- the steps --------------------------------------------------------------------

    def backup(self) -> None:
        ref = backup_ref(self.cwd, self.plan.session.name, self.plan.head)
        self.journal.step(self.entry, "backup", backup_ref=ref)
        self.note("backup", "done", f"old head {self.plan.head[:12]} kept at {ref}", 10)
        _kill_point("backup")

    def rebase(self, keep_open: bool) -> dict[str, Any] | None:
        """Rebase in the session's worktree; None when done, else the conflict context."""
        self.journal.step(self.entry, "rebase")
        plan = self.plan
        onto = plan.onto
        if is_ancestor(self.cwd, onto, plan.head):
            self.journal.step(self.entry, "rebased", rebased=plan.head)
            self.note("rebase", "skipped", f"{plan.branch} is already on {plan.trunk_branch}", 40)
            return None
        env = {"GIT_EDITOR": "true"}
        args = ["-c", "rebase.autoStash=false", "-c", "rebase.updateRefs=false", "rebase"]
        if os.environ.get(KILL_ENV) == "mid-rebase":
            # Test hook: stop the rebase after its first commit, as a crash would leave it.
            env["GIT_SEQUENCE_EDITOR"] = "sed -i '1a break'"
            args.append("--interactive")
        self.progress(f"rebase: {plural(plan.ahead, 'commit')} onto {onto[:12]}", 20)
        # A retry replays exactly the commits the last attempt rebased (above its base),
        # even when the remote's trunk was rewritten meanwhile.
        targets = ["--onto", onto, plan.previous_base] if plan.previous_base else [onto]
        proc = run_git_bytes([*args, *targets], cwd=self.worktree, env=env, check=False)
        _kill_point("mid-rebase")
        in_progress = operation_in_progress(self.worktree) == "rebase"
        if proc.returncode == 0 and not in_progress:
            rebased = branch_commit(self.cwd, plan.branch)
            assert rebased is not None
            self.journal.step(self.entry, "rebased", rebased=rebased)
            self.note("rebase", "done", f"{plan.branch} is now {rebased[:12]}", 40)
            _kill_point("rebased")
            return None
        git_says = proc.stderr.decode(errors="replace").strip()
        stopped_on = conflicted_files(self.worktree) if in_progress else []
        # The rebase stops at the first conflicting commit; the merge of trunk and the
        # whole branch knows every path that will conflict, so the agent fixes them all.
        files = sorted(set(stopped_on) | set(predicted_conflicts(self.ws, onto, plan.head)))
        if not in_progress:
            files = []  # the rebase failed for another reason: say that, not a guess
        landings = self.journal.landings()
        for entry in landings:  # name each landed session as it is called now (renames)
            record = self.ws.store.get(entry.session_id)
            entry.name = record.name if record is not None else entry.name
        context = conflict_context(self.cwd, files, plan.head, onto, landings, plan.trunk_branch)
        context["stopped_on"] = stopped_on
        context["git"] = git_says[-2000:]
        if in_progress and not keep_open:
            abort = run_git_bytes(["rebase", "--abort"], cwd=self.worktree, check=False)
            if branch_commit(self.cwd, plan.branch) != plan.head:
                raise GitError.refuse(
                    "rebase-abort-failed", branch=plan.branch, backup=self.entry.backup_ref,
                    detail=abort.stderr.decode(errors="replace").strip()[-500:],
                )  # fmt: skip
        context["kept_open"] = bool(in_progress and keep_open)
        return context

    def run_commands(self) -> CommandResult | None:
        """Build and test; the first failure, or None when all passed."""
        config = self.plan.config
        commands = config.commands()
        for index, (kind, command) in enumerate(commands):
            self.journal.step(self.entry, kind)
            percent = 50 + (35 * index) // max(1, len(commands))
            self.progress(f"{kind}: running `{command}`", percent)
            hook = "during-tests" if kind == "test" else "during-build"
            result = run_command(
                kind, command, self.worktree, config.timeout, self.progress,
                on_start=lambda hook=hook: _kill_point(hook),  # type: ignore[misc]
            )  # fmt: skip
            self.commands.append(result)
            self.note(kind, "passed" if result.ok else "failed", result.outcome, None)
            if not result.ok:
                return result
        self.journal.step(self.entry, "tested")
        _kill_point("tested")
        return None

    def push(self) -> upstream.PushOutcome | tuple[str, dict[str, Any]] | None:
        """Push the tested head to the remote trunk (compare-and-swap against the base it
        was rebased onto); None without a remote trunk, else the outcome, or (code, data)
        when the branch moved under the land."""
        plan, rebased, up = self.plan, self.entry.rebased, self.plan.upstream
        if up is None:
            return None
        assert rebased is not None
        now = branch_commit(self.cwd, plan.branch)
        if now != rebased:
            return "branch-moved", {"branch": plan.branch, "now": now}
        self.journal.step(self.entry, "push")
        self.progress(f"push: {rebased[:12]} to {up.remote} {up.branch}", 88)
        _kill_point("pushing")
        outcome = upstream.push(self.cwd, up, rebased, plan.base)
        if outcome.kind == "accepted":
            self.journal.step(self.entry, "pushed")
            self.note(
                "push", "done",
                f"{up.remote} {up.branch}: {plan.base[:12]} -> {rebased[:12]} (compare-and-swap)",
                89,
            )  # fmt: skip
            _kill_point("pushed")
        else:
            self.note("push", outcome.kind, f"{up.remote} {up.branch}: {outcome.reason}", None)
        return outcome

    def fast_forward(self) -> tuple[str, dict[str, Any]] | None:
        """Move trunk to the rebased head; None when done, else (code, data) saying why not."""
        plan, rebased = self.plan, self.entry.rebased
        assert rebased is not None
        now = branch_commit(self.cwd, plan.branch)
        if now != rebased:
            return "branch-moved", {"branch": plan.branch, "now": now}
        self.journal.step(self.entry, "fast-forward")
        trunk_wt = plan.trunk_worktree
        if trunk_wt is not None:
            # Re-check: the trunk worktree must still be clean and at the old trunk.
            if dirty_paths(trunk_wt.path) or operation_in_progress(trunk_wt.path):
                return "trunk-worktree-unclean", {"path": str(trunk_wt.path)}
            head = run_git(["rev-parse", "HEAD"], cwd=trunk_wt.path)
            if head != plan.trunk_old:
                return "trunk-moved", {"trunk": plan.trunk_branch, "cas": False}
            proc = run_git_bytes(
                ["merge", "--ff-only", "--no-edit", rebased], trunk_wt.path, check=False
            )
            if proc.returncode != 0:
                detail = proc.stderr.decode(errors="replace").strip()
                return "fast-forward-failed", {"path": str(trunk_wt.path), "detail": detail}
            how = f"fast-forwarded the worktree {trunk_wt.path}"
        else:
            proc = run_git_bytes(
                ["update-ref", "-m", f"agentls: land {plan.session.name}", plan.trunk_ref,
                 rebased, plan.trunk_old],
                self.cwd, check=False,
            )  # fmt: skip
            if proc.returncode != 0:
                return "trunk-moved", {"trunk": plan.trunk_branch, "cas": True}
            how = f"moved {plan.trunk_ref} by compare-and-swap"
        _kill_point("mid-ff")
        self.journal.step(self.entry, "advanced", trunk_new=rebased)
        self.note("fast-forward", "done", f"{how}: {plan.trunk_old[:12]} -> {rebased[:12]}", 90)
        return None


def land(
    ws: Workspace,
    session: str,
    *,
    dry_run: bool = False,
    keep_open: bool = False,
    remove: bool = False,
    progress: Progress | None = None,
    wait: float | None = None,
    push: bool | None = None,
) -> dict[str, Any]:
    """Land SESSION: rebase onto trunk, build + test, fast-forward trunk (see module doc).

    WAIT: seconds to wait for another land's lock (default: the configured lock_wait).
    PUSH: False lands on the local trunk only, even when trunk has an upstream.
    """
    from agentls.lifecycle.land_remote import land_remote, remote_named

    remote = remote_named(ws, session)
    if remote is not None:  # `origin:codex/x`: through a temporary local session
        return land_remote(
            ws, remote, dry_run=dry_run, keep_open=keep_open, progress=progress, wait=wait,
            push=push,
        )  # fmt: skip
    report: Progress = progress or (lambda message, percent: None)
    if dry_run:
        return _dry_run(ws, preflight(ws, session, fetch=False, push=push))
    journal = Journal(ws.store)
    try:
        target: str = _identify(ws, session).name
    except AgentlsError:
        if not journal.running():
            raise
        # An interrupted land (maybe of this very session, mid-rebase) is settled first.
        target = session_named(ws, session).name
    cwd = ws.repository.cwd
    lock_wait = wait if wait is not None else land_config.load(cwd, ws.trunk.commit).lock_wait
    lock = LandLock(ws.store, ws.repository.state_dir)

    def waiting(holder: str) -> None:  # only when another land holds the lock
        report(f"lock: waiting up to {lock_wait:g}s for {holder} to finish", 0)

    lock.acquire(target, lock_wait, on_wait=waiting)
    try:
        recovered = recover_locked(ws, journal, lock)
        for line in recovered:
            report(f"recovery: {line}", None)
        try:
            plan = preflight(ws, target, push=push)
        except NothingToLand as exc:
            landed_now = any(f"marked {target} landed" in line for line in recovered)
            if not landed_now:
                raise
            return {
                "ok": True,
                "session": target,
                "steps": [],
                "message": str(exc.message),
                "trunk": {"old": None, "new": ws.trunk.commit},
                "recovered": recovered,
            }
        steps: list[dict[str, Any]] = []
        while True:
            lander = _Lander(ws, plan, journal, report)
            lander.steps[:0] = steps  # the earlier attempts' steps, then this one's
            if plan.attempt == 1:
                lander.note("lock", "done", "holding the land lock", 5)
            _kill_point("locked")
            result = _attempt(ws, journal, lander, keep_open=keep_open)
            if "raced" not in result:
                break
            # The remote trunk moved between our fetch and our push: fetch, rebase onto
            # it and test again (the branch is already rebased onto the old one).
            steps = lander.steps
            plan = preflight(
                ws, target, push=push, previous_base=plan.base, attempt=plan.attempt + 1
            )
            lander.note("retry", "running", f"attempt {plan.attempt} of {upstream.ATTEMPTS}", 15)
            steps = lander.steps
    finally:
        lock.release()
    if recovered:
        result["recovered"] = recovered
    if result["ok"]:
        _withdraw_published(ws, plan.session.id, result)
    if remove and result["ok"]:
        # After the lock: removing is not part of the land, and it may delete the very
        # folder this process runs in (remove moves the workspace out of it first).
        from agentls.lifecycle.remove import remove_session

        result["removed"] = remove_session(ws, target, force=True)
    ws.refresh()
    return result


def _withdraw_published(ws: Workspace, session_id: str, result: dict[str, Any]) -> None:
    """A landed session's published work-in-progress ref goes (agentls.remote.publish)."""
    from agentls.remote.publish import withdraw

    withdrawn = withdraw(ws, session_id)
    if withdrawn is not None:
        result["unpublished"] = withdrawn


def _attempt(
    ws: Workspace, journal: Journal, lander: _Lander, *, keep_open: bool
) -> dict[str, Any]:
    """One attempt at landing (a retry after a lost push race is another one)."""
    plan = lander.plan
    try:
        return _run(ws, lander, keep_open=keep_open)
    except (AgentlsError, OSError, KeyboardInterrupt) as exc:  # (and SIGTERM, in the CLI)
        _settle(ws, journal, lander)
        folder = plan.session.path
        if isinstance(exc, (GitError, OSError)) and not folder.is_dir():
            # Removed under the land (a racing `remove --force`): say that, in one line.
            raise AgentlsError.refuse(
                "session-vanished", session=plan.session.name, path=str(folder)
            ) from exc
        raise


def _settle(ws: Workspace, journal: Journal, lander: _Lander) -> None:
    """A land stopped by an error or an interrupt: close its entry now, saying truthfully
    where things are, as recovery would (an open rebase of ours is aborted). When that
    cannot finish, the entry stays open for `agentls recover`."""
    entry = journal.get(lander.entry.id)
    if entry is not None and entry.status == "running":
        with contextlib.suppress(AgentlsError, OSError):
            recover_entry(ws, journal, entry)


def _run(ws: Workspace, lander: _Lander, *, keep_open: bool) -> dict[str, Any]:
    plan = lander.plan
    name = plan.session.name
    where: dict[str, Any] = {"session": name, "trunk": plan.trunk_branch, "branch": plan.branch}
    lander.backup()
    if not plan.session.path.is_dir():
        raise AgentlsError.refuse("session-vanished", session=name, path=str(plan.session.path))
    context = lander.rebase(keep_open)
    if context is not None:
        files = context["files"]
        if files:
            result = lander.fail(
                CONFLICT, "land-conflict", files=files, kept_open=context["kept_open"],
                stopped_on=context["stopped_on"], context=context, **where,
            )  # fmt: skip
            lander.note("rebase", "conflict", result["message"], None)
        else:
            result = lander.fail(
                FAILED, "rebase-failed", git=context["git"], context=context, **where
            )
            lander.note("rebase", "failed", result["message"], None)
        handoff = _write_handoff(ws, name, force=True)
        result.update(conflicts=files, handoff=handoff)
        return result
    failed = lander.run_commands()
    _remember_checks(ws, lander)
    if failed is not None:
        result = lander.fail(
            FAILED, "command-failed", kind=failed.kind, command=failed.command,
            exit_code=failed.exit_code, seconds=failed.seconds,
            backup=lander.entry.backup_ref, **where,
        )  # fmt: skip
        result["handoff"] = _write_handoff(ws, name, force=False)
        return result
    pushed = lander.push()
    if isinstance(pushed, tuple):
        code, data = pushed
        return lander.fail(FAILED, code, **data)
    if pushed is not None and pushed.kind != "accepted":
        return _push_failed(lander, pushed, where)
    extra: dict[str, Any] = {}
    problem = lander.fast_forward()
    if problem is not None and pushed is None:
        code, data = problem
        return lander.fail(FAILED, code, **data)
    if problem is not None:
        # The remote took it: the session is landed on the trunk of record; only this
        # clone's trunk could not follow (moved or made dirty during the land).
        lander.journal.step(lander.entry, "advanced", trunk_new=lander.entry.rebased)
        extra["warning"] = _local_behind(plan, problem)
    ws.store.update(plan.session.id, landed=time.time())
    # Short in words (the full id is in "trunk": {"new"}), like git's own messages.
    short = (lander.entry.rebased or "")[:12]
    message = f"landed {name}: {plan.trunk_branch} is now {short}"
    if plan.upstream is not None and "warning" in extra:
        message = f"landed {name}: {plan.upstream.describe()} is now {short}; {extra['warning']}"
    elif plan.upstream is not None:
        message += f" (pushed to {plan.upstream.describe()})"
    lander.finish(LANDED, message)
    handoff = _write_handoff(ws, name, force=False)
    if handoff:
        extra["handoff"] = handoff
    lander.note("done", "done", message, 100)
    return lander.result(True, message, **extra)


def _push_failed(
    lander: _Lander, outcome: upstream.PushOutcome, where: dict[str, Any]
) -> dict[str, Any]:
    """The push did not go through: local trunk stays where it was (at or behind the
    remote's), the branch stays rebased and tested (its old head in the backup)."""
    plan = lander.plan
    assert plan.upstream is not None
    data = {
        "remote": plan.upstream.remote, "remote_branch": plan.upstream.branch,
        "reason": outcome.reason, "backup": lander.entry.backup_ref, **where,
    }  # fmt: skip
    if outcome.kind == "raced" and plan.attempt < upstream.ATTEMPTS:
        message = f"{plan.upstream.describe()} moved during the land ({outcome.reason}); retrying"
        lander.finish(RACED, message)
        return lander.result(False, message, raced=outcome.reason)
    if outcome.kind == "raced":
        return lander.fail(FAILED, "push-raced", attempts=plan.attempt, **data)
    return lander.fail(FAILED, "push-failed", **data)


def _local_behind(plan: Plan, problem: tuple[str, dict[str, Any]]) -> str:
    assert plan.upstream is not None
    code, data = problem
    where = f" in {plan.trunk_worktree.path}" if plan.trunk_worktree else ""
    why = {
        "trunk-moved": f"local {plan.trunk_branch} moved during the land",
        "trunk-worktree-unclean": f"{data.get('path')} has uncommitted changes",
    }.get(code, data.get("detail") or code)
    return (
        f"local {plan.trunk_branch} was left where it was: {why}; bring it up to date with"
        f" `git merge --ff-only {plan.upstream.describe()}`{where}"
    )


def _remember_checks(ws: Workspace, lander: _Lander) -> None:
    """Keep the build/test results by the tree they ran on, for reviews of that tree."""
    from agentls.review.checks import record_land_checks

    try:
        record_land_checks(ws.store, ws.git, lander.entry.rebased, lander.commands,
                           lander.plan.session.name)  # fmt: skip
    except Exception:  # a cache: never let it fail a land
        logging.getLogger(__name__).warning("could not record land checks", exc_info=True)


def _write_handoff(ws: Workspace, name: str, *, force: bool) -> str | None:
    """Refresh HANDOFF.md (FORCE: create it) so the agent sees the landing result.

    Only in the landed or refused session's own worktree, and never over a tracked
    HANDOFF.md (that is the user's work; see agentls.session_files).
    """
    from agentls.lifecycle.handoff import write_handoff
    from agentls.session_files import HANDOFF

    try:
        session = ws.session(name)
        if not force and not (session.path / HANDOFF).exists():
            return None
        written = write_handoff(ws, name, automatic=True)  # (it refreshes the workspace)
    except (AgentlsError, OSError):
        return None
    return None if written.get("tracked") else str(written["path"])
