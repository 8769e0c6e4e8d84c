"""`land --all` and semantic conflicts: the second of a pair is checked again on the new trunk.

Two sessions with a semantic conflict land one after the other (the plan treats the
conflict as an overlap). Once the first has landed, the second is checked merged
with the new trunk before its own land starts: when it still breaks, it is not
landed (its branch and worktree stay untouched, where a land would have rebased it
and then failed its tests); when the check passes, its land goes ahead as usual.
`land` on its own refuses nothing new: it already tests the rebased result.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from agentls.report import Report
from agentls.semantic import config as verify_config

Progress = Callable[[str, "int | None"], None]


def semantic_partners(report: Report) -> dict[str, set[str]]:
    """Session name -> the sessions it has a semantic conflict with."""
    partners: dict[str, set[str]] = {}
    for collision in report.overlaps:
        if collision.kind == "semantic" and len(collision.sessions) == 2:
            a, b = collision.sessions
            partners.setdefault(a, set()).add(b)
            partners.setdefault(b, set()).add(a)
    return partners


def recheck_after_land(
    ws: Any, name: str, landed: list[str], progress: Progress
) -> dict[str, Any] | None:
    """Check NAME merged with trunk now that LANDED are on it; a row refusing it, or None."""
    from agentls.errors import AgentlsError
    from agentls.semantic.verify import run_pairs, select

    ws.refresh()
    try:
        config = verify_config.load(ws.repository.cwd, ws.trunk.commit)
    except AgentlsError:
        return None  # unreadable settings: the land's own tests decide
    if not config.enabled or not config.commands():
        return None
    after = ", ".join(landed)
    progress(f"{name}: semantic: checking again on {ws.trunk.branch} after {after}", None)
    result = run_pairs(
        ws,
        select(ws, [name, ws.trunk.branch], config),
        config,
        progress=lambda message, percent: progress(f"{name}: semantic: {message}", None),
    )
    pairs = result["pairs"]
    if not pairs or pairs[0]["status"] != "semantic":
        return None
    failed = pairs[0].get("failed") or {}
    error = AgentlsError.refuse(
        "semantic-conflict", session=name, trunk=ws.trunk.branch, after=list(landed),
        kind=failed.get("kind"), command=failed.get("command"),
        exit_code=failed.get("exitCode"), tests=failed.get("newFailures") or [],
        log=failed.get("log"),
    )  # fmt: skip
    return {
        "session": name,
        "ok": False,
        "skipped": False,
        "message": str(error),
        "error": error.to_json(),
    }
