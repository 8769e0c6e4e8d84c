"""Review actions: record a verdict (approve, request changes, skip), approve and land,
remove. Every change to a session goes through the lifecycle verbs the CLI uses
(`land`, `write_handoff`, `remove_session`), so their safety rules hold here too.
"""

from __future__ import annotations

import re
from typing import Any

from agentls.errors import AgentlsError, InvalidInputError
from agentls.git.runner import run_git_bytes
from agentls.lifecycle.common import require_present, session_named
from agentls.review.model import model_for
from agentls.review.state import (
    CHANGES_REQUESTED,
    ReviewBook,
    check_verdict,
    reviewer_identity,
)
from agentls.sessions import Session
from agentls.workspace import Workspace

_COMMIT = re.compile(r"[0-9a-f]{40}([0-9a-f]{24})?")


class StaleReviewError(AgentlsError):
    """The session moved after the reviewer looked: the verdict would cover unseen work."""

    default_code = "review-stale"

    def __init__(self, message: str, hint: str, data: dict[str, Any]) -> None:
        super().__init__(message, hint)
        self.code = self.default_code
        self.data = data


def _reviewable(ws: Workspace, name: object) -> Session:
    """SESSION as it is now: a verdict is about its current head, never a cached one."""
    session = session_named(ws, name)
    require_present(session, "review")
    if session.id not in ws.states or _current_head(session) != session.head:
        ws.refresh()
        session = ws.session(session.name)
    if session.is_research:
        raise InvalidInputError(
            f"session {session.name} is a research fork: it never lands, so it is not reviewed",
            "read its BRIEF.md / HANDOFF.md instead",
        )
    if session.branch is not None and session.branch == ws.trunk.branch:
        raise InvalidInputError(
            f"session {session.name} has trunk ({ws.trunk.branch}) checked out: nothing to review"
        )
    if not session.head:
        raise InvalidInputError(f"session {session.name} has no commits yet: nothing to review")
    return session


def _current_head(session: Session) -> str | None:
    proc = run_git_bytes(["rev-parse", "--verify", "--quiet", "HEAD"], session.path, check=False)
    return proc.stdout.decode().strip() or None if proc.returncode == 0 else None


def record_verdict(
    ws: Workspace,
    name: str,
    verdict: str,
    notes: str | None = None,
    *,
    head: str | None = None,
) -> dict[str, Any]:
    """Record VERDICT on SESSION's current head (HEAD, when given, must still be it).

    changes-requested also writes the reviewer's notes and a resume prompt into the
    session's HANDOFF.md (agentls's section; the session's own notes stay as they are).
    """
    verdict, notes = check_verdict(verdict, notes)
    if head is not None and (not isinstance(head, str) or not _COMMIT.fullmatch(head)):
        raise InvalidInputError(f"invalid head {head!r}", "give the full commit id reviewed")
    session = _reviewable(ws, name)
    assert session.head is not None
    if head is not None and head != session.head:
        raise StaleReviewError(
            f"session {session.name} moved while it was reviewed: it is at "
            f"{session.head[:12]} now, not {head[:12]}",
            "look at the new commits before giving a verdict",
            {"session": session.name, "reviewed": head, "current": session.head},
        )
    state = ws.states.get(session.id)
    base = state.base if state is not None else None
    book = ReviewBook(ws.store)
    review = book.record(
        session_id=session.id,
        name=session.name,
        head=session.head,
        base=base,
        patch_id=model_for(ws).patch_id(base, session.head),
        verdict=verdict,
        notes=notes,
        reviewer=reviewer_identity(ws.repository.cwd),
    )
    result: dict[str, Any] = {
        "ok": True,
        "session": session.name,
        "verdict": verdict,
        "head": session.head,
        "review": review.to_json(),
        "handoff": None,
    }
    if verdict == CHANGES_REQUESTED:
        from agentls.lifecycle.handoff import write_handoff

        try:
            written = write_handoff(ws, session.name)
        except (AgentlsError, OSError):
            book.undo(review.id)  # nothing half-done: no verdict without its note
            raise
        result["handoff"] = written["path"]
    return result


def approve_and_land(
    ws: Workspace, name: str, *, head: str | None = None, progress: Any = None
) -> dict[str, Any]:
    """Approve SESSION's current head, then land it now (the lifecycle's land)."""
    from agentls.lifecycle import land

    result = record_verdict(ws, name, "approved", head=head)
    try:
        result["land"] = land(ws, result["session"], progress=progress)
    except AgentlsError as exc:
        result["land"] = {"ok": False, "message": str(exc), "error": _error(exc)}
    result["ok"] = bool(result["land"].get("ok"))
    return result


def remove_reviewed(ws: Workspace, name: str, *, force: bool = False) -> dict[str, Any]:
    """Remove SESSION (worktree, branch; a backup ref keeps its work) and its verdicts."""
    from agentls.lifecycle import remove_session

    session = session_named(ws, name)
    result = remove_session(ws, session.name, force=force)
    ReviewBook(ws.store).forget(session.id)
    return result


def _error(exc: AgentlsError) -> dict[str, Any]:
    return {
        "code": getattr(exc, "code", "refused"),
        "message": exc.message,
        "data": dict(getattr(exc, "data", {}) or {}),
    }
