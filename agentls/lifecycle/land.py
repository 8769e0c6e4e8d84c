"""Landing one session: rebase onto trunk, build and test, fast-forward trunk.

Safety (DESIGN.md hard rules): a dirty worktree is never touched; the branch's old
head is kept under refs/agentls/backup/<name>/<timestamp> before the rebase; trunk
moves only forward, by compare-and-swap (`update-ref NEW OLD`) or, when it is
checked out somewhere, by `merge --ff-only` in that worktree; every step is
journaled so an interrupted land is finished or undone by the next one
(`agentls.lifecycle.recovery`). One land at a time per repository (the land lock).
"""

from __future__ import annotations

import logging
import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from agentls.errors import AgentlsError, GitError, InvalidInputError
from agentls.git.runner import run_git, run_git_bytes
from agentls.git.snapshot import snapshots_in
from agentls.lifecycle import config as land_config
from agentls.lifecycle.commands import CommandResult, run_command
from agentls.lifecycle.common import (
    backup_ref,
    branch_commit,
    dirty_paths,
    is_ancestor,
    operation_in_progress,
    require_present,
    session_named,
    trunk_session,
)
from agentls.lifecycle.conflict import conflict_context, conflicted_files
from agentls.lifecycle.journal import CONFLICT, FAILED, LANDED, Entry, Journal, LandLock
from agentls.lifecycle.recovery import recover, recover_locked
from agentls.sessions import Session
from agentls.workspace import Workspace

Progress = Callable[[str, "int | None"], None]
FAILED_TAIL = 40  # lines of a failed build/test kept in the journal (and HANDOFF.md)

# Tests set this to a step name to SIGKILL the landing process right there.
KILL_ENV = "AGENTLS_TEST_KILL_AT"
KILL_POINTS = (
    "locked", "backup", "mid-rebase", "rebased", "during-build", "during-tests", "tested",
    "mid-ff",
)  # fmt: skip


def _kill_point(step: str) -> None:
    if os.environ.get(KILL_ENV) == step:
        os.kill(os.getpid(), signal.SIGKILL)


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


def _identify(ws: Workspace, name: str) -> Session:
    """Checks that do not depend on an interrupted land: who, and is it landable at all."""
    session = session_named(ws, name)
    ws.refresh()
    session = ws.session(session.name)
    require_present(session, "land")
    if session.is_research:
        raise InvalidInputError(
            f"session {session.name} is a research fork: there is nothing to land",
            "forks answer questions; put code in a code session",
        )
    if not session.branch:
        if operation_in_progress(session.path):  # a rebase detaches HEAD: say that instead
            _refuse_unclean(session, "session")
        raise InvalidInputError(
            f"session {session.name} is not on a branch (detached HEAD)",
            f"check out a branch in {session.path} first",
        )
    if session.branch == ws.trunk.branch:
        raise InvalidInputError(
            f"session {session.name} is on trunk ({ws.trunk.branch}): cannot land trunk onto itself"
        )
    if not ws.trunk.ref.startswith("refs/heads/"):
        raise AgentlsError(
            f"trunk {ws.trunk.branch} exists only as {ws.trunk.ref}",
            f"create the local branch first: git branch {ws.trunk.branch} {ws.trunk.ref}",
        )
    return session


def _refuse_unclean(session: Session, role: str) -> None:
    operation = operation_in_progress(session.path)
    if operation:
        raise AgentlsError(
            f"a {operation} is in progress in {role} {session.name} ({session.path})",
            f"finish it (git {operation} --continue) or abort it (git {operation} --abort) first",
        )
    dirty = dirty_paths(session.path)
    if dirty:
        shown = ", ".join(dirty[:5]) + (f" and {len(dirty) - 5} more" if len(dirty) > 5 else "")
        raise AgentlsError(
            f"{role} {session.name} has uncommitted changes ({shown}); land never touches them",
            f"commit or stash them in {session.path} first",
        )


def preflight(ws: Workspace, name: str) -> Plan:
    """Refuse unless the session can be landed now; what the land will do."""
    session = _identify(ws, name)
    _refuse_unclean(session, "session")
    trunk_wt = trunk_session(ws)
    if trunk_wt is not None:
        if trunk_wt.missing:
            raise AgentlsError(
                f"trunk {ws.trunk.branch} is checked out in {trunk_wt.path}, which is gone",
                "run `git worktree prune` and try again",
            )
        _refuse_unclean(trunk_wt, f"trunk's worktree (session {trunk_wt.name}), ")
    cwd = ws.repository.cwd
    head = branch_commit(cwd, session.branch or "")
    assert head is not None and session.branch is not None
    ahead = int(run_git(["rev-list", "--count", f"{ws.trunk.commit}..{head}"], cwd=cwd))
    if ahead == 0:
        raise NothingToLand(
            f"nothing to land: {session.branch} has no commits that {ws.trunk.branch} lacks",
            "commit your work first, or it has landed already",
        )
    _refuse_snapshots(ws, session, head)
    config = land_config.load(cwd, ws.trunk.commit)
    if config.require_review:  # the review gate (agentls.review.gate)
        from agentls.review.gate import require_approval

        require_approval(ws, session)
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
    )


def _refuse_snapshots(ws: Workspace, session: Session, head: str) -> None:
    """Never land agentls's own snapshot commits (author agentls@localhost, dated 1970).

    One gets onto a branch only by hand (a branch started at a backup or fork commit
    with plain git); its files are real work, the commit is not.
    """
    found = snapshots_in(ws.git, head, ws.trunk.commit)
    if not found:
        return
    newest = found[0]
    parent = newest.parents[0].id if newest.parents else None
    fix = (
        f"keep its files as your own commit: in {session.path} run `git reset --soft {parent}`"
        " and commit"
        if str(newest.id) == head and len(found) == 1 and parent is not None
        else f"rebuild {session.branch} without it (`git rebase -i {ws.trunk.branch}`,"
        " squash it into a commit of yours)"
    )
    raise AgentlsError(
        f"{session.branch} holds agentls's own snapshot commit {str(newest.id)[:12]}"
        f"{f' and {len(found) - 1} more' if len(found) > 1 else ''}: landing would put it on"
        f" {ws.trunk.branch}",
        fix,
    )


def _dry_run(ws: Workspace, plan: Plan) -> dict[str, Any]:
    merged = ws.merger.merge(plan.trunk_old, plan.head)
    conflicts = list(merged.conflicted)
    steps: list[dict[str, Any]] = [
        {"step": "lock", "status": "would", "detail": "take the land lock"},
        {"step": "backup", "status": "would",
         "detail": f"keep {plan.head[:12]} under refs/agentls/backup/{plan.session.name}/<time>"},
        {"step": "rebase", "status": "would fail" if conflicts else "would",
         "detail": f"rebase {plan.ahead} commit(s) of {plan.branch} onto "
                   f"{plan.trunk_branch} {plan.trunk_old[:12]}"
                   + (f"; predicted conflicts: {', '.join(conflicts)}" if conflicts else "")},
    ]  # fmt: skip
    for kind, command in plan.config.commands():
        steps.append({"step": kind, "status": "would", "detail": f"run `{command}`"})
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
        else f"dry run: {plan.session.name} would land {plan.ahead} commit(s) cleanly"
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
    if pending:
        result["recovery"] = [
            f"an interrupted land of {e.name} will be recovered first" for e in pending
        ]
    return result


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
        if is_ancestor(self.cwd, plan.trunk_old, plan.head):
            self.journal.step(self.entry, "rebased", rebased=plan.head)
            self.note("rebase", "skipped", f"{plan.branch} is already on {plan.trunk_branch}", 40)
            return None
        env = {"GIT_EDITOR": "true"}
        args = ["-c", "rebase.autoStash=false", "-c", "rebase.updateRefs=false", "rebase"]
        if os.environ.get(KILL_ENV) == "mid-rebase":
            # Test hook: stop the rebase after its first commit, as a crash would leave it.
            env["GIT_SEQUENCE_EDITOR"] = "sed -i '1a break'"
            args.append("--interactive")
        self.progress(f"rebase: {plan.ahead} commit(s) onto {plan.trunk_old[:12]}", 20)
        proc = run_git_bytes([*args, plan.trunk_old], cwd=self.worktree, env=env, check=False)
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
        files = conflicted_files(self.worktree) if in_progress else []
        landings = self.journal.landings()
        for entry in landings:  # name each landed session as it is called now (renames)
            record = self.ws.store.get(entry.session_id)
            entry.name = record.name if record is not None else entry.name
        context = conflict_context(
            self.cwd, files, plan.head, plan.trunk_old, landings, plan.trunk_branch
        )
        context["git"] = git_says[-2000:]
        if in_progress and not keep_open:
            run_git_bytes(["rebase", "--abort"], cwd=self.worktree, check=False)
            if branch_commit(self.cwd, plan.branch) != plan.head:
                raise GitError(
                    f"rebase --abort did not restore {plan.branch}",
                    f"its old head is kept at {self.entry.backup_ref}",
                )
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
            self.note(kind, "passed" if result.ok else "failed", result.summary, None)
            if not result.ok:
                return result
        self.journal.step(self.entry, "tested")
        _kill_point("tested")
        return None

    def fast_forward(self) -> str | None:
        """Move trunk to the rebased head; None when done, else why not."""
        plan, rebased = self.plan, self.entry.rebased
        assert rebased is not None
        now = branch_commit(self.cwd, plan.branch)
        if now != rebased:
            return f"{plan.branch} moved during the land (now {now}); trunk untouched, land again"
        self.journal.step(self.entry, "fast-forward")
        trunk_wt = plan.trunk_worktree
        if trunk_wt is not None:
            # Re-check: the trunk worktree must still be clean and at the old trunk.
            if dirty_paths(trunk_wt.path) or operation_in_progress(trunk_wt.path):
                return f"trunk's worktree {trunk_wt.path} is no longer clean; trunk untouched"
            head = run_git(["rev-parse", "HEAD"], cwd=trunk_wt.path)
            if head != plan.trunk_old:
                return f"{plan.trunk_branch} moved during the land; trunk untouched, land again"
            proc = run_git_bytes(
                ["merge", "--ff-only", "--no-edit", rebased], trunk_wt.path, check=False
            )
            if proc.returncode != 0:
                detail = proc.stderr.decode(errors="replace").strip()
                return f"could not fast-forward {trunk_wt.path}: {detail}"
            how = f"fast-forwarded the worktree {trunk_wt.path}"
        else:
            proc = run_git_bytes(
                ["update-ref", "-m", f"agentls: land {plan.session.name}", plan.trunk_ref,
                 rebased, plan.trunk_old],
                self.cwd, check=False,
            )  # fmt: skip
            if proc.returncode != 0:
                return (
                    f"{plan.trunk_branch} moved during the land (compare-and-swap failed);"
                    " trunk untouched, land again"
                )
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
) -> dict[str, Any]:
    """Land SESSION: rebase onto trunk, build + test, fast-forward trunk (see module doc)."""
    report: Progress = progress or (lambda message, percent: None)
    if dry_run:
        return _dry_run(ws, preflight(ws, session))
    journal = Journal(ws.store)
    # An interrupted land (maybe of this very session, mid-rebase): settle it first.
    recovered_early = recover(ws, wait=wait or 0.0) if journal.running() else []
    target = _identify(ws, session)
    lock = LandLock(ws.store, ws.repository.state_dir)
    cwd = ws.repository.cwd
    lock_wait = wait if wait is not None else land_config.load(cwd, ws.trunk.commit).lock_wait
    report(f"lock: waiting for the land lock ({target.name})", 0)
    lock.acquire(target.name, lock_wait)
    try:
        recovered = recovered_early + recover_locked(ws, journal, lock)
        if recovered:
            for line in recovered:
                report(f"recovery: {line}", None)
        try:
            plan = preflight(ws, target.name)
        except NothingToLand as exc:
            landed_now = any(f"marked {target.name} landed" in line for line in recovered)
            if not landed_now:
                raise
            return {
                "ok": True,
                "session": target.name,
                "steps": [],
                "message": str(exc.message),
                "trunk": {"old": None, "new": ws.trunk.commit},
                "recovered": recovered,
            }
        lander = _Lander(ws, plan, journal, report)
        lander.note("lock", "done", "holding the land lock", 5)
        _kill_point("locked")
        result = _run(ws, lander, keep_open=keep_open, remove=remove)
    finally:
        lock.release()
    if recovered:
        result["recovered"] = recovered
    ws.refresh()
    return result


def _run(ws: Workspace, lander: _Lander, *, keep_open: bool, remove: bool) -> dict[str, Any]:
    plan = lander.plan
    name = plan.session.name
    lander.backup()
    context = lander.rebase(keep_open)
    if context is not None:
        files = context["files"]
        if files:
            message = (
                f"{name} conflicts with {plan.trunk_branch} in {', '.join(files)}; "
                + ("the rebase is left open for you to resolve" if context["kept_open"]
                   else f"{plan.branch} and its worktree are unchanged")
            )  # fmt: skip
        else:
            message = f"the rebase of {name} failed: {context['git'] or 'unknown error'}"
        lander.note("rebase", "conflict" if files else "failed", message, None)
        lander.finish(CONFLICT if files else FAILED, message, conflict=context)
        handoff = _write_handoff(ws, name, force=True)
        return lander.result(False, message, conflicts=files, handoff=handoff)
    failed = lander.run_commands()
    _remember_checks(ws, lander)
    if failed is not None:
        message = (
            f"{failed.summary}; {plan.trunk_branch} untouched; {plan.branch} stays rebased"
            f" (old head at {lander.entry.backup_ref})"
        )
        lander.finish(FAILED, message)
        handoff = _write_handoff(ws, name, force=False)
        return lander.result(False, message, handoff=handoff)
    problem = lander.fast_forward()
    if problem is not None:
        lander.finish(FAILED, problem)
        return lander.result(False, problem)
    ws.store.update(plan.session.id, landed=time.time())
    # Short in words (the full id is in "trunk": {"new"}), like git's own messages.
    message = f"landed {name}: {plan.trunk_branch} is now {(lander.entry.rebased or '')[:12]}"
    lander.finish(LANDED, message)
    extra: dict[str, Any] = {}
    if remove:
        from agentls.lifecycle.remove import remove_session

        ws.refresh()
        extra["removed"] = remove_session(ws, name, force=True)
    else:
        handoff = _write_handoff(ws, name, force=False)
        if handoff:
            extra["handoff"] = handoff
    lander.note("done", "done", message, 100)
    return lander.result(True, message, **extra)


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

    ws.refresh()
    session = ws.session(name)
    if not force and not (session.path / HANDOFF).exists():
        return None
    try:
        written = write_handoff(ws, name, automatic=True)
    except (AgentlsError, OSError):
        return None
    return None if written.get("tracked") else str(written["path"])
