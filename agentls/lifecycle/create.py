"""Creating sessions: `new` (a code session on its own branch) and `fork` (a research fork)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from agentls import session_files
from agentls.claims import globs_intersect, validate_glob
from agentls.errors import InvalidInputError
from agentls.git.repo import list_worktrees, rev_parse
from agentls.git.runner import run_git
from agentls.lifecycle import backups
from agentls.lifecycle.common import (
    BACKUP_PREFIX,
    branch_clash,
    branch_commit,
    git_dir,
    is_ancestor,
    require_present,
    session_brief,
)
from agentls.lifecycle.common import backups as backup_refs
from agentls.lifecycle.launch import AgentPlan, plan_agent, start_agent
from agentls.names import validate_branch, validate_name
from agentls.sessions import SESSION_ID_FILE, Session, session_id_for
from agentls.workspace import Workspace

log = logging.getLogger(__name__)


def _default_folder(ws: Workspace, name: str) -> Path:
    """`../<repo>-<name>` next to the primary checkout."""
    primary = next((w for w in list_worktrees(ws.repository) if w.is_primary), None)
    anchor = primary.path if primary and not primary.bare else ws.repository.common_dir
    return anchor.parent / f"{anchor.name}-{name}"


def _check_folder(ws: Workspace, folder: str | Path | None, name: str) -> Path:
    if folder is None:
        path = _default_folder(ws, name)
    else:
        if not isinstance(folder, (str, Path)) or not str(folder).strip() or "\0" in str(folder):
            raise InvalidInputError.refuse("invalid-folder", path=str(folder), reason="empty")
        path = Path(folder).expanduser()
        if not path.is_absolute():
            path = (ws.repository.toplevel or ws.repository.common_dir.parent) / path
    try:
        path = path.resolve()
        exists = path.exists() or path.is_symlink()
    except (OSError, RuntimeError) as exc:  # too long, a name too long, a symlink loop
        detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise InvalidInputError.refuse(
            "invalid-folder", path=str(path), reason="unusable", detail=detail.lower()
        ) from None
    if exists:
        raise InvalidInputError.refuse("invalid-folder", path=str(path), reason="exists")
    for session in ws.sessions:
        if path == session.path or session.path in path.parents:
            raise InvalidInputError.refuse(
                "invalid-folder", path=str(path), reason="inside-worktree",
                session=session.name, worktree=str(session.path),
            )  # fmt: skip
    common = ws.repository.common_dir
    if path == common or common in path.parents:
        raise InvalidInputError.refuse(
            "invalid-folder", path=str(path), reason="inside-git-dir", git_dir=str(common)
        )
    return path


def _check_name_free(ws: Workspace, name: str) -> None:
    holder = ws.store.by_name(name)
    if holder is not None:
        raise InvalidInputError.refuse("name-taken", name=name)


def _left_by_removal(ws: Workspace, name: str, branch: str, head: str, start: str | None) -> bool:
    """BRANCH is what a `remove NAME` killed half-way left: checked out nowhere, and START
    (one of NAME's backups, as `restore` suggests) holds its head. Reusing it loses nothing."""
    if start is None or any(s.branch == branch for s in ws.sessions):
        return False
    known = {commit for _, commit in backup_refs(ws.repository.cwd, name)}
    return start in known and is_ancestor(ws.repository.cwd, head, start)


def _check_claims(ws: Workspace, claims: Iterable[str]) -> list[str]:
    if isinstance(claims, str):
        raise InvalidInputError.refuse("invalid-glob", glob=None, reason="list")
    checked = list(dict.fromkeys(validate_glob(g) for g in claims))
    clashes = [
        {"glob": glob, "owner": other.name, "theirs": theirs}
        for glob in checked
        for other in ws.sessions
        for theirs in other.claims
        if globs_intersect(glob, theirs)
    ]
    if clashes:
        raise InvalidInputError.refuse("claim-taken", clashes=clashes, can_force=False)
    return checked


def _register(
    ws: Workspace, folder: Path, name: str, *, role: str = "code", source: str | None = None
) -> Session:
    """Record the new worktree's session under NAME (before anyone else names it)."""
    admin = git_dir(folder)
    session_id = next(
        (session_id_for(w) for w in list_worktrees(ws.repository) if w.path == folder), None
    )
    if session_id is None:  # should not happen: git just created it
        session_id = (admin / SESSION_ID_FILE).read_text().strip()
    record = ws.store.ensure(session_id, name, str(folder), role=role, source=source)
    if record.name != name:
        # A watcher (another window's server) saw the worktree first and named it by default.
        if ws.store.by_name(name) is None:
            ws.store.rename(session_id, name)
            record = record._replace(name=name)
        else:
            log.warning("session name %s was taken meanwhile; registered as %s", name, record.name)
    ws.store.update(session_id, role=role, source=source)
    ws.refresh()
    return ws.session(record.name)


def _free_claims(ws: Workspace, claims: list[str], taken: list[str]) -> tuple[list[str], list[str]]:
    """CLAIMS split into those no session (nor TAKEN) holds, and those already held."""
    held = [*taken, *(g for other in ws.sessions for g in other.claims)]
    free = [g for g in claims if not any(globs_intersect(g, h) for h in held)]
    return free, [g for g in claims if g not in free]


def new_session(
    ws: Workspace,
    name: str,
    *,
    branch: str | None = None,
    start: str | None = None,
    folder: str | Path | None = None,
    claims: Iterable[str] = (),
    agent: str | None = None,
    launch: bool | None = None,
) -> dict[str, Any]:
    """Create a worktree with its own branch and register it as a code session.

    With AGENT, install agentls's hooks for a known agent and start it there (see
    `agentls.lifecycle.launch`); LAUNCH None means "start it only on a terminal".

    START may be a removed session's backup ref: the session comes back whole (role,
    priority, claims no one else holds, notes), with real commits only — uncommitted
    files the backup kept return as uncommitted changes (agentls.lifecycle.backups).
    """
    validate_name(name)
    ws.refresh()
    _check_name_free(ws, name)
    cwd = ws.repository.cwd
    start_commit = ws.trunk.commit
    found: str | None = None
    keepsake: backups.Keepsake | None = None
    work: backups.RealWork | None = None
    if start is not None:
        if not isinstance(start, str) or not start or start.startswith("-"):
            raise InvalidInputError.refuse("invalid-start", start=str(start))
        found = rev_parse(cwd, start)
        if found is None:
            raise InvalidInputError.refuse("invalid-start", start=start, missing=True)
        if start.startswith(f"{BACKUP_PREFIX}/"):
            keepsake = backups.kept(ws.store, start)
        work = backups.real_work(ws, found, keepsake)
        start_commit = work.head
    research = keepsake is not None and keepsake.role == "research"
    if research and branch is not None:
        raise InvalidInputError.refuse(
            "invalid-argument",
            problem=f"{start} is a research fork's backup: it comes back detached,"
            " without a branch",
            hint="leave out --branch",
        )
    existing: str | None = None
    if not research:
        wanted = branch
        if wanted is None and keepsake is not None and keepsake.branch:
            wanted = keepsake.branch  # its old branch name, when nothing took it meanwhile
            taken = branch_commit(cwd, wanted)
            if taken is not None and not _left_by_removal(ws, name, wanted, taken, found):
                wanted = None
        branch = validate_branch(wanted if wanted is not None else name, cwd)
        existing = branch_commit(cwd, branch)
        if existing is not None and not _left_by_removal(ws, name, branch, existing, found):
            raise InvalidInputError.refuse("branch-exists", branch=branch)
        clash = branch_clash(cwd, branch)
        if clash is not None:
            raise InvalidInputError.refuse("branch-clash", branch=branch, existing=clash)
    path = _check_folder(ws, folder, name)
    checked_claims = _check_claims(ws, claims)
    kept_claims, held = _free_claims(ws, keepsake.claims if keepsake else [], checked_claims)
    plan: AgentPlan | None = plan_agent(agent) if agent is not None else None

    session_files.exclude(ws.repository.common_dir)  # notes and hook files never count as work
    if research:
        run_git(["worktree", "add", "--detach", "--", str(path), start_commit], cwd=cwd)
    else:
        assert branch is not None
        # -B only for a branch a killed `remove` left behind (see _left_by_removal).
        create = "-b" if existing is None else "-B"
        run_git(["worktree", "add", create, branch, "--", str(path), start_commit], cwd=cwd)
    source = keepsake.source if research and keepsake is not None else None
    session = _register(ws, path, name, role="research" if research else "code", source=source)
    all_claims = list(dict.fromkeys([*kept_claims, *checked_claims]))
    if all_claims:
        ws.store.update(session.id, claims=all_claims)
    if keepsake is not None:
        ws.store.update(session.id, priority=keepsake.priority)
    if all_claims or keepsake is not None:
        ws.refresh()
        session = ws.session(name)
    result: dict[str, Any] = {"ok": True, "session": session_brief(session)}
    if work is not None:
        backups.bring_back_files(path, work)
    if keepsake is not None or (work is not None and work.uncommitted):
        result["restored"] = {
            "from": start,
            "role": session.role,
            "claims": all_claims,
            "claimsHeldElsewhere": held,
            "priority": session.priority,
            "uncommitted": bool(work and work.uncommitted),
            "files": backups.put_back_files(path, keepsake),
        }
    if plan is not None:
        result["agent"] = start_agent(plan, path, ws.repository.state_dir, session.name, launch)
    return result


def fork_session(ws: Workspace, name: str, *, source: str | None = None) -> dict[str, Any]:
    """A research fork: a detached worktree at SOURCE's snapshot (uncommitted work included)."""
    validate_name(name)
    ws.refresh()
    _check_name_free(ws, name)
    if source is None:
        from agentls.sessions import session_at

        here = ws.repository.toplevel
        found = session_at(ws.sessions, here) if here else None
        if found is None:
            raise InvalidInputError.refuse("no-source-session")
        origin = found
    else:
        validate_name(source)
        origin = ws.session(source)
    require_present(origin, "fork")
    # Notes are never forked: the fork writes its own BRIEF.md and HANDOFF.md.
    session_files.exclude(ws.repository.common_dir)
    state = ws.states.get(origin.id)
    if state is not None and state.holds_untracked_notes():
        ws.reload(origin.id)  # read before git ignored them
        state = ws.states.get(origin.id)
    if state is None:
        raise InvalidInputError.refuse("source-unreadable", session=origin.name)
    snapshot = state.snapshot()  # what the source sees now, unsaved buffers included
    path = _check_folder(ws, None, name)
    run_git(["worktree", "add", "--detach", "--", str(path), snapshot], cwd=ws.repository.cwd)
    session = _register(ws, path, name, role="research", source=origin.name)
    result = session_brief(session)
    result.update(role="research", source=origin.name, commit=snapshot)
    return {"ok": True, "session": result}
