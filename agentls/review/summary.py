"""Each queued session's review state, in one small list: what `agentls/reviewChanged`
carries and the engine publishes with every report (so it imports nothing heavy:
the engine's first report must not wait for the lifecycle's modules).
"""

from __future__ import annotations

from typing import Any

from agentls.report import Report
from agentls.review.model import model_for
from agentls.review.queue import sweep
from agentls.review.state import ReviewBook
from agentls.workspace import Workspace


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
