"""`land --all`: plan an order from the overlap graph and priorities, then land one by one.

Sessions that share no changed path are independent and land in any order;
overlapping ones land sequentially, highest priority (leftmost in the cascade)
first, each rebased onto the trunk the previous one produced. A failure skips the
sessions that overlap the failed one and continues with the rest. Two sessions with
a semantic conflict (agentls.semantic) count as overlapping, and the second is
checked again merged with the new trunk before it lands (agentls.semantic.landing).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from agentls.errors import AgentlsError
from agentls.lifecycle.landing import Progress, land
from agentls.report import Report
from agentls.session_files import NOTES
from agentls.workspace import Workspace

EDGE_KINDS = ("conflict", "overlap", "ownership", "semantic")


def plan(report: Report) -> tuple[list[str], dict[str, set[str]]]:
    """Landing order (cascade order among candidates) and who overlaps whom."""
    candidates = [
        s
        for s in report.sessions
        if s.role == "code" and s.branch and not s.is_trunk and not s.missing and s.ahead > 0
    ]
    names = {s.name for s in candidates}
    edges: dict[str, set[str]] = defaultdict(set)
    for collision in report.overlaps:
        if collision.kind not in EDGE_KINDS or len(collision.sessions) != 2:
            continue
        if collision.path in NOTES:  # session notes: land never takes them to trunk
            continue
        a, b = collision.sessions
        if a in names and b in names and a != b:
            edges[a].add(b)
            edges[b].add(a)
    ordered = sorted(candidates, key=lambda s: (s.priority, s.name))
    return [s.name for s in ordered], dict(edges)


def land_all(
    ws: Workspace,
    *,
    progress: Progress | None = None,
    dry_run: bool = False,
    approved_only: bool = False,
    push: bool | None = None,
) -> dict[str, Any]:
    """Land every finished code session in planned order; a table of results.

    PUSH False: land on the local trunk only (see land()).

    DRY_RUN changes nothing: it shows the plan and each session's dry run against
    trunk as it is now (later sessions would be rebased onto the earlier ones' result).
    APPROVED_ONLY (always, when trunk's land settings say `require-review = true`)
    lands only sessions whose current head a reviewer approved; the others wait.
    """
    from agentls.semantic.landing import recheck_after_land, semantic_partners

    report_progress: Progress = progress or (lambda message, percent: None)
    report = ws.refresh()
    order, edges = plan(report)
    partners = semantic_partners(report)
    landed: list[str] = []
    waiting = _unapproved(ws, order, approved_only)
    order = [name for name in order if name not in waiting]
    report_progress(f"plan: {' -> '.join(order) or 'nothing to land'}", 0)
    results: list[dict[str, Any]] = []
    failed: set[str] = set()
    for index, name in enumerate(order):
        blockers = sorted(edges.get(name, set()) & failed)
        if blockers:
            # Not an error of its own (the blocker's is): worded, with what blocked it.
            why = AgentlsError.refuse("blocked-by-failure", session=name, blockers=blockers)
            results.append(
                {"session": name, "ok": False, "skipped": True, "message": why.message,
                 "blockers": blockers}
            )  # fmt: skip
            failed.add(name)
            continue

        after = [n for n in landed if n in partners.get(name, set())]
        if after and not dry_run:
            refused = recheck_after_land(ws, name, after, report_progress)
            if refused is not None:
                results.append(refused)
                failed.add(name)
                continue

        def step(message: str, percent: int | None, name: str = name, index: int = index) -> None:
            overall = None if percent is None else (100 * index + percent) // max(1, len(order))
            report_progress(f"{name}: {message}", overall)

        try:
            outcome = land(ws, name, dry_run=dry_run, progress=None if dry_run else step, push=push)
        except AgentlsError as exc:
            outcome = {"ok": False, "message": str(exc), "error": exc.to_json()}
        if not outcome["ok"]:
            failed.add(name)
        elif not dry_run:
            landed.append(name)
        row = {"session": name, "ok": bool(outcome["ok"]), "skipped": False,
               "message": outcome["message"]}  # fmt: skip
        if outcome.get("handoff"):  # a note written into that session's worktree: say where
            row["handoff"] = outcome["handoff"]
        if outcome.get("error"):
            row["error"] = outcome["error"]
        results.append(row)
    ws.refresh()
    result = {
        "dryRun": dry_run,
        "ok": all(r["ok"] for r in results),
        "plan": order,
        "results": results,
        "trunk": {"branch": ws.trunk.branch, "commit": ws.trunk.commit},
    }
    if waiting:
        result["waiting"] = [{"session": name, "reason": why} for name, why in waiting.items()]
    return result


def _unapproved(ws: Workspace, order: list[str], approved_only: bool) -> dict[str, str]:
    """Sessions of ORDER that wait for a review (name -> why), when reviews gate landing."""
    from agentls.lifecycle.config import load
    from agentls.review.gate import approval

    if not approved_only and not load(ws.repository.cwd, ws.trunk.commit).require_review:
        return {}
    waiting = {}
    for name in order:
        approved, verdict = approval(ws, ws.session(name))
        if not approved:
            waiting[name] = (
                "not reviewed" if verdict is None
                else "changed since it was approved" if verdict["verdict"] == "approved"
                else verdict["verdict"]
            )  # fmt: skip
    return waiting
