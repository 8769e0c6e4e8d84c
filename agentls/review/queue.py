"""The review queue: one item per code session, in sweep order, built from the Workspace.

Order (the playbook's cascade, "sweep left to right, oldest to newest"): priority,
then age (when agentls first saw the session), oldest first; `newest_first`
reverses the whole sweep. Everything about collisions comes from the Workspace's
report (git's merge is the oracle there); this module adds what the object store
(agentls.review.model) and the store hold: commits, file lists with line counts,
landability, scope, review state, cached build/test results and the notes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agentls.changes import NOTES_FILES, SessionState
from agentls.claims import matching_claim
from agentls.errors import InvalidInputError
from agentls.report import KINDS, Report, SessionInfo
from agentls.review.checks import CheckBook, tree_of_commit
from agentls.review.model import FileChange, ReviewModel, model_for, stat, untracked_note
from agentls.review.state import Review, ReviewBook
from agentls.vocabulary import plural
from agentls.workspace import Workspace

MAX_NOTE_BYTES = 64 * 1024  # of BRIEF.md / HANDOFF.md shown in an item
_OPERATION_MARKERS = (
    ("rebase-merge", "rebase"),
    ("rebase-apply", "rebase"),
    ("MERGE_HEAD", "merge"),
    ("CHERRY_PICK_HEAD", "cherry-pick"),
    ("REVERT_HEAD", "revert"),
)


def _operation(gitdir: Path) -> str | None:
    for marker, what in _OPERATION_MARKERS:
        if (gitdir / marker).exists():
            return what
    return None


def _created(ws: Workspace) -> dict[str, float]:
    return {row[0]: row[1] for row in ws.store.db.execute("SELECT id, created FROM sessions")}


def _reviewable(info: SessionInfo, state: SessionState | None) -> str | None:
    """Why INFO is not in the queue (a short code), or None when it is."""
    if info.role != "code":
        return "research"
    if info.is_trunk:
        return "trunk"
    if info.missing or state is None:
        return "missing"
    if not info.head:
        return "no-commits"
    if info.ahead == 0 and not any(not untracked_note(state, p) for p in state.changed):
        return "nothing-to-review"
    return None


def sweep(ws: Workspace, report: Report, *, newest_first: bool = False) -> list[SessionInfo]:
    """Sessions to review, in sweep order: priority, then age (oldest first)."""
    created = _created(ws)
    candidates = [
        info for info in report.sessions if _reviewable(info, ws.states.get(info.id)) is None
    ]
    candidates.sort(key=lambda i: (i.priority, created.get(i.id, 0.0), i.name))
    if newest_first:
        candidates.reverse()
    return candidates


class ReportIndex:
    """The report's collisions by session, read once per queue (not once per item)."""

    def __init__(self, report: Report) -> None:
        self.report = report
        self.conflicts: dict[str, dict[str, set[str]]] = {}
        self.counts: dict[str, dict[str, int]] = {}
        for collision in report.overlaps:
            for name in collision.sessions:
                counts = self.counts.setdefault(name, dict.fromkeys(KINDS, 0))
                counts[collision.kind] += 1
                if collision.kind != "conflict":
                    continue
                for other in collision.sessions:
                    if other != name:
                        mine = self.conflicts.setdefault(name, {})
                        mine.setdefault(other, set()).add(collision.path)

    def conflicts_with(self, name: str, others: list[str]) -> list[dict[str, Any]]:
        """NAME's predicted conflicts with each of OTHERS (in their order)."""
        mine = self.conflicts.get(name, {})
        return [{"session": o, "paths": sorted(mine[o])} for o in others if o in mine]

    def counts_of(self, name: str) -> dict[str, int]:
        return dict(self.counts.get(name) or dict.fromkeys(KINDS, 0))


def _problem(code: str, message: str, **data: Any) -> dict[str, Any]:
    """One landability finding: a stable code, its data, and a neutral sentence."""
    return {"code": code, "message": message, "data": data}


def _landability(
    info: SessionInfo,
    state: SessionState,
    index: ReportIndex,
    earlier: list[str],
    uncommitted: list[str],
) -> dict[str, Any]:
    """Can it land now (blockers), and what will happen when it does (warnings)."""
    report = index.report
    trunk_name = report.trunk_branch
    blockers: list[dict[str, Any]] = []
    warnings: list[dict[str, Any]] = []
    operation = _operation(state.session.worktree.gitdir)
    if operation:
        message = f"a {operation} is in progress in its worktree"
        blockers.append(_problem("operation-in-progress", message, operation=operation))
    if not info.branch:
        blockers.append(_problem("detached", "not on a branch (detached HEAD)"))
    if uncommitted:
        message = f"{plural(len(uncommitted), 'file')} with uncommitted work"
        paths = uncommitted[:50]
        blockers.append(_problem("uncommitted", message, paths=paths, count=len(uncommitted)))
    if info.ahead == 0:
        blockers.append(_problem("nothing-to-land", f"no commits that {trunk_name} lacks"))
    trunk = next((s for s in report.sessions if s.is_trunk), None)
    trunk_conflicts = index.conflicts_with(info.name, [trunk.name]) if trunk else []
    trunk_paths = trunk_conflicts[0]["paths"] if trunk_conflicts else []
    if trunk_paths:
        message = f"predicted conflict with {trunk_name} in {', '.join(trunk_paths)}"
        blockers.append(_problem("trunk-conflict", message, paths=trunk_paths))
    if info.behind:
        message = f"{plural(info.behind, 'commit')} behind {trunk_name}; land rebases it"
        warnings.append(_problem("behind", message, commits=info.behind))
        if trunk is None:
            message = (
                f"{trunk_name} is not checked out in any worktree, so conflicts with it are"
                " not predicted here; a dry-run land checks"
            )
            warnings.append(_problem("trunk-unchecked", message))
    earlier_conflicts = index.conflicts_with(info.name, earlier)
    for conflict in earlier_conflicts:
        where = ", ".join(conflict["paths"])
        message = f"conflicts with {conflict['session']} (earlier in the sweep) in {where}"
        warnings.append(_problem("earlier-conflict", message, **conflict))
    return {
        "now": not blockers,
        "blockers": blockers,
        "warnings": warnings,
        "conflicts": {"trunk": trunk_paths, "earlier": earlier_conflicts},
    }


def _notes(path: Path, *, text: bool) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for note in sorted(NOTES_FILES):
        full = path / note
        if not text:
            found[note] = full.is_file()
            continue
        try:
            with open(full, "rb") as handle:
                data = handle.read(MAX_NOTE_BYTES + 1)
        except OSError:
            found[note] = None
            continue
        shown = data[:MAX_NOTE_BYTES].decode("utf-8", errors="replace")
        found[note] = shown + ("\n… (truncated)" if len(data) > MAX_NOTE_BYTES else "")
    return found


@dataclass
class _Context:
    """What every item of one queue build reads: built once per build."""

    ws: Workspace
    model: ReviewModel
    index: ReportIndex
    latest: dict[str, Review]  # session id -> latest verdict
    checks: CheckBook
    created: dict[str, float]

    @classmethod
    def build(cls, ws: Workspace, report: Report, latest: dict[str, Review]) -> _Context:
        model = model_for(ws)
        return cls(ws, model, ReportIndex(report), latest, CheckBook(ws.store), _created(ws))

    def summary(
        self, info: SessionInfo, position: int, earlier: list[str]
    ) -> tuple[dict[str, Any], list[FileChange]]:
        """One session's queue entry, and its file list."""
        state = self.ws.states[info.id]
        files = self.model.files(state)
        uncommitted = sorted(p for p in state.uncommitted if not untracked_note(state, p))
        claims = list(info.claims)
        outside = [f.path for f in files if claims and matching_claim(claims, f.path) is None]
        head_tree = tree_of_commit(self.model.repo, info.head)
        summary = {
            "session": info.name,
            "id": info.id,
            "position": position,
            "branch": info.branch,
            "path": info.path,
            "priority": info.priority,
            "created": self.created.get(info.id),
            "head": info.head,
            "base": info.base,
            "tree": head_tree,
            "ahead": info.ahead,
            "behind": info.behind,
            "dirty": bool(uncommitted),
            "stat": stat(files),
            "landable": _landability(info, state, self.index, earlier, uncommitted),
            "collisions": self.index.counts_of(info.name),
            "scope": {"claims": claims, "outside": outside},
            "review": self.model.review_status(info, self.latest.get(info.id)),
            "checks": self.checks.latest(head_tree) if head_tree else None,
            "notes": _notes(Path(info.path), text=False),
        }
        return summary, files


def _require(ws: Workspace) -> dict[str, Any]:
    on, error = model_for(ws).require_review()
    return {"requireReview": on, **({"configError": error} if error else {})}


def build_queue(ws: Workspace, *, newest_first: bool = False) -> dict[str, Any]:
    """The review queue from the Workspace as it is (call `ws.refresh()` first when cold)."""
    report = ws.report()
    order = sweep(ws, report, newest_first=newest_first)
    context = _Context.build(ws, report, ReviewBook(ws.store).latest_all())
    names = [info.name for info in order]
    items = [context.summary(info, i + 1, names[:i])[0] for i, info in enumerate(order)]
    queued = {i.id for i in order}
    others = [
        {"session": info.name, "reason": _reviewable(info, ws.states.get(info.id))}
        for info in report.sessions
        if info.id not in queued and info.remote is None  # remote: reviewed on its own machine
    ]
    return {
        "ok": True,
        "order": "newest-first" if newest_first else "oldest-first",
        "trunk": {"branch": report.trunk_branch, "commit": report.trunk_commit},
        **_require(ws),
        "items": items,
        "notQueued": others,
    }


def build_item(ws: Workspace, name: str, *, newest_first: bool = False) -> dict[str, Any]:
    """One session's full review item: the summary plus commits, files, collisions, notes."""
    if not isinstance(name, str) or not name:
        raise InvalidInputError("which session? give its name")
    report = ws.report()
    info = report.session(name)
    if info is None:
        ws.session(name)  # raises with the known names
        raise InvalidInputError(f"no session named {name!r}")
    reason = _reviewable(info, ws.states.get(info.id))
    if reason is not None:
        raise InvalidInputError(f"session {name} has nothing to review ({_REASONS[reason]})")
    names = [i.name for i in sweep(ws, report, newest_first=newest_first)]
    position = names.index(name)
    book = ReviewBook(ws.store)
    latest = book.latest(info.id)
    context = _Context.build(ws, report, {info.id: latest} if latest else {})
    summary, files = context.summary(info, position + 1, names[:position])
    state = ws.states[info.id]
    item = {
        **summary,
        "trunk": {"branch": report.trunk_branch, "commit": report.trunk_commit},
        **_require(ws),
        "snapshot": state.snapshot(),
        "commits": context.model.commits(info.base, info.head),
        "files": [f.to_json() for f in files],
        "collisionList": [c.to_json() for c in report.collisions_of(name)],
        "notes": _notes(Path(info.path), text=True),
        "sinceReview": (
            context.model.since_review(state, latest)
            if latest is not None and summary["review"]["changedSinceReview"]
            else None
        ),
        "history": [r.to_json() for r in book.history(info.id)],
    }
    return {"ok": True, "item": item}


_REASONS = {
    "research": "a research fork: it never lands",
    "trunk": "it has trunk checked out",
    "missing": "its folder is gone",
    "no-commits": "its branch has no commits",
    "nothing-to-review": "no commits or changes since its base",
}


def reason_text(code: str) -> str:
    return _REASONS.get(code, code)
