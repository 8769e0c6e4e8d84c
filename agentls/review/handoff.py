"""What a review puts into a session's HANDOFF.md: the reviewer's request, and the ask.

The request lives in the store (the latest verdict); the generated section of
HANDOFF.md shows it while it is the latest verdict, so every later `agentls handoff`
(or land) keeps it, and the agent's own notes outside the markers stay untouched.
"""

from __future__ import annotations

import datetime

from agentls.review.state import CHANGES_REQUESTED, ReviewBook
from agentls.workspace import Workspace

MOVED = " (you have changed it since: it waits for a new review)"


def review_section(
    ws: Workspace, session_id: str, head: str | None
) -> tuple[list[str], str | None]:
    """(a "Review" section's lines, the reviewer's ask) when changes were requested from
    SESSION_ID (at HEAD now); ([], None) otherwise."""
    latest = ReviewBook(ws.store).latest(session_id)
    if latest is None or latest.verdict != CHANGES_REQUESTED:
        return [], None
    when = datetime.datetime.fromtimestamp(latest.time, datetime.timezone.utc)
    lines = [
        "",
        "### Review: changes requested",
        "",
        f"- Reviewer: {latest.reviewer}, {when:%Y-%m-%d %H:%M} UTC",
        f"- Reviewed head: `{latest.head[:12]}`" + ("" if head == latest.head else MOVED),
        "",
        "The reviewer asks:",
        "",
        *[f"> {line}" if line else ">" for line in latest.notes.splitlines()],
    ]
    return lines, latest.notes
