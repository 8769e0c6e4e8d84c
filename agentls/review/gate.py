"""The land gate: with `require-review = true` on trunk, land only approved heads.

`[tool.agentls.land] require-review = true` (or `[land] require-review = true` in
.agentls.toml) is read from trunk's committed files, like every land setting, so a
branch cannot switch its own gate off. A head is approved when its session's latest
verdict is `approved` and was given for that head, or for the same change before a
rebase (equal patch id, see agentls.review.state).
"""

from __future__ import annotations

from typing import Any

from agentls.errors import AgentlsError
from agentls.review.state import APPROVED, ReviewBook
from agentls.sessions import Session
from agentls.workspace import Workspace

REVIEW_REQUIRED = "review-required"


class ReviewRequiredError(AgentlsError):
    """Land refused: the session's current head is not approved (stable code below)."""

    default_code = REVIEW_REQUIRED

    def __init__(self, message: str, hint: str, data: dict[str, Any]) -> None:
        super().__init__(message, hint)
        # Set after the base class: with or without its code/data support, the same shape.
        self.code = REVIEW_REQUIRED
        self.data = data


def approval(ws: Workspace, session: Session) -> tuple[bool, dict[str, Any] | None]:
    """Whether SESSION's current head is approved, and its latest verdict (JSON) if any."""
    from agentls.review.model import model_for

    latest = ReviewBook(ws.store).latest(session.id)
    if latest is None or not session.head:
        return False, None
    verdict = latest.to_json()
    if latest.verdict != APPROVED:
        return False, verdict
    if latest.head == session.head:
        return True, verdict
    if latest.patch_id is None:
        return False, verdict
    state = ws.states.get(session.id)
    if state is not None:
        base = state.base
    else:
        base = ws.analyzer.merge_base(session.head, ws.trunk.commit)
    same = model_for(ws).patch_id(base, session.head) == latest.patch_id
    return same, verdict


def require_approval(ws: Workspace, session: Session) -> None:
    """Raise ReviewRequiredError unless SESSION's current head is approved."""
    approved, verdict = approval(ws, session)
    if approved:
        return
    head = (session.head or "")[:12]
    if verdict is None:
        why = "it has not been reviewed"
    elif verdict["verdict"] != APPROVED:
        why = f"its latest review is {verdict['verdict']}"
    else:
        why = f"it changed since it was approved at {verdict['head'][:12]}"
    raise ReviewRequiredError(
        f"land requires review (require-review is on): session {session.name} at {head} "
        f"is not approved; {why}",
        f"review it: agentls review {session.name} (then --approve)",
        {"session": session.name, "head": session.head, "review": verdict},
    )
