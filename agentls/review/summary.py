"""Each queued session's review state, in one small list: what `agentls/reviewChanged`
carries and the engine publishes with every report (so it imports nothing heavy:
the engine's first report must not wait for the lifecycle's modules).
"""

from __future__ import annotations

from typing import Any

from agentls.changes import NOTES_FILES
from agentls.report import Report
from agentls.review.model import model_for
from agentls.review.queue import sweep
from agentls.review.state import ReviewBook
from agentls.workspace import Workspace


def review_inputs(ws: Workspace, report: Report) -> tuple[object, ...]:
    """Everything review_summary reads: equal inputs give an equal summary, so the engine
    makes it again only when they differ (not after every edit of a file).

    The store (sessions' ages, verdicts), and of each session what the queue and the
    verdicts look at: whether it is loaded, its role, HEAD, base, commits ahead,
    priority, and whether it changed more than its notes.
    """
    return (
        ws.store.change_mark(),
        tuple(
            (
                info.id,
                info.name,
                info.id in ws.states,
                info.role,
                info.is_trunk,
                info.missing,
                info.head,
                info.base,
                info.ahead,
                info.priority,
                _work_of(info.changed),
            )
            for info in report.sessions
        ),
    )


def _work_of(changed: list[str]) -> object:
    """What the queue reads of a session's changed paths: whether any is more than the
    notes (HANDOFF.md, BRIEF.md); only then the paths themselves (a few notes)."""
    return True if any(path not in NOTES_FILES for path in changed) else tuple(changed)


def review_summary(ws: Workspace, report: Report) -> list[dict[str, Any]]:
    """Each queued session's review state: what `agentls/reviewChanged` carries.

    Cheap enough for every published report: one query, and a patch id only for a
    session whose head differs from the one reviewed (cached by base and head).
    """
    model = model_for(ws)
    latest = ReviewBook(ws.store).latest_all()
    summary = []
    for info in sweep(ws, report):
        status = model.review_status(info, latest.get(info.id))
        summary.append(
            {
                "session": info.name,
                "head": info.head,
                "state": status["state"],
                "approved": status["approved"],
                "changedSinceReview": status["changedSinceReview"],
                "reviewedHead": status.get("head"),
                "reviewer": status.get("reviewer"),
                "time": status.get("time"),
            }
        )
    return summary
