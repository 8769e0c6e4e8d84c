"""The review queue: one item per code session, in sweep order, built from the Workspace.

Order (the playbook's cascade, "sweep left to right, oldest to newest"): priority,
then age (when agentls first saw the session), oldest first; `newest_first`
reverses the whole sweep. Everything about collisions comes from the Workspace's
report (git's merge is the oracle there); this module only reads what the report
and the object store already hold: commits, the change set as a file list with
line counts, review state, cached build/test results and the session's notes.

Nothing here runs git as a process on the queue path: trees are diffed with
libgit2 through the Workspace's shared object store, and results are cached by
the ids they depend on, so a queue for 8 sessions of 50k files costs milliseconds.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pygit2

from agentls.changes import NOTES_FILES, Entry, SessionState, tree_entry
from agentls.claims import matching_claim
from agentls.errors import AgentlsError, InvalidInputError
from agentls.report import KINDS, Report, SessionInfo
from agentls.review.checks import CheckBook, tree_of_commit
from agentls.review.state import APPROVED, UNREVIEWED, Review, ReviewBook
from agentls.workspace import Workspace

MAX_COMMITS = 200  # listed per item; the count is always exact
MAX_NOTE_BYTES = 64 * 1024  # of BRIEF.md / HANDOFF.md shown in an item
_OPERATION_MARKERS = (
    ("rebase-merge", "rebase"),
    ("rebase-apply", "rebase"),
    ("MERGE_HEAD", "merge"),
    ("CHERRY_PICK_HEAD", "cherry-pick"),
    ("REVERT_HEAD", "revert"),
)


# (path, status, old path, insertions, deletions, binary) of one file between two trees
Delta = tuple[str, str, "str | None", int, int, bool]


@dataclass(frozen=True)
class FileChange:
    """One file of a change set, for the editors' diff lists (base vs current)."""

    path: str
    status: str  # git's letters: A added, M modified, D deleted, R renamed, T type changed
    old_path: str | None
    insertions: int
    deletions: int
    binary: bool
    uncommitted: bool  # differs from HEAD: not part of what would land yet

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "status": self.status,
            "oldPath": self.old_path,
            "insertions": self.insertions,
            "deletions": self.deletions,
            "binary": self.binary,
            "uncommitted": self.uncommitted,
        }


def stat(files: Iterable[FileChange]) -> dict[str, int]:
    files = list(files)
    return {
        "files": len(files),
        "insertions": sum(f.insertions for f in files),
        "deletions": sum(f.deletions for f in files),
    }


class ReviewModel:
    """Review items of one Workspace, with caches keyed by what they depend on."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        self.repo: pygit2.Repository = ws.git
        self._files: dict[tuple[str, str], list[Delta]] = {}
        self._patch_ids: dict[tuple[str | None, str], str | None] = {}
        self._changes: dict[tuple[tuple[str, Entry, Entry], ...], list[FileChange]] = {}
        self._config: tuple[str, bool, str | None] | None = None  # (trunk commit, on, error)
        self._empty_tree = str(self.repo.TreeBuilder().write())

    # --- reading the object store ----------------------------------------------------------

    def _tree(self, commit: str | None) -> str:
        return tree_of_commit(self.repo, commit) or self._empty_tree

    def diff_files(self, old_tree: str, new_tree: str) -> list[Delta]:
        """(path, status, old path, insertions, deletions, binary) from OLD_TREE to NEW_TREE."""
        key = (old_tree, new_tree)
        cached = self._files.get(key)
        if cached is not None:
            return cached
        old = self.repo[old_tree].peel(pygit2.Tree)
        new = self.repo[new_tree].peel(pygit2.Tree)
        diff = old.diff_to_tree(new)
        diff.find_similar()  # renames, as `git diff -M` shows them
        found: list[Delta] = []
        for patch in diff:
            if patch is None:
                continue
            delta = patch.delta
            _, insertions, deletions = patch.line_stats
            status = delta.status_char()
            renamed = status in ("R", "C")
            found.append(
                (
                    delta.new_file.path if status != "D" else delta.old_file.path,
                    "R" if renamed else status,
                    delta.old_file.path if renamed else None,
                    insertions,
                    deletions,
                    bool(delta.is_binary),
                )
            )
        found.sort()
        if len(self._files) > 512:
            self._files.clear()
        self._files[key] = found
        return found

    def patch_id(self, base: str | None, head: str) -> str | None:
        """git's patch id of BASE..HEAD: equal for the same change applied elsewhere."""
        key = (base, head)
        if key not in self._patch_ids:
            if len(self._patch_ids) > 1024:
                self._patch_ids.clear()
            try:
                old = self.repo[self._tree(base)].peel(pygit2.Tree)
                new = self.repo[self._tree(head)].peel(pygit2.Tree)
                self._patch_ids[key] = str(old.diff_to_tree(new).patchid)
            except (KeyError, ValueError, pygit2.GitError):
                self._patch_ids[key] = None
        return self._patch_ids[key]

    def commits(
        self, base: str | None, head: str | None, limit: int = MAX_COMMITS
    ) -> list[dict[str, Any]]:
        """Commits in BASE..HEAD, newest first (as `git log` lists them)."""
        if not head:
            return []
        walker = self.repo.walk(head, pygit2.enums.SortMode.TOPOLOGICAL)
        if base:
            walker.hide(base)
        found: list[dict[str, Any]] = []
        for commit in walker:
            if len(found) >= limit:
                break
            message = commit.message
            found.append(
                {
                    "id": str(commit.id),
                    "summary": message.split("\n", 1)[0],
                    "message": message,
                    "author": commit.author.name,
                    "email": commit.author.email,
                    "time": commit.author.time,
                }
            )
        return found

    def require_review(self) -> tuple[bool, str | None]:
        """Whether trunk's land settings say `require-review = true` (and a config error)."""
        trunk = self.ws.trunk.commit
        if self._config is None or self._config[0] != trunk:
            from agentls.lifecycle import config as land_config

            try:
                on, error = land_config.load(self.ws.repository.cwd, trunk).require_review, None
            except AgentlsError as exc:
                on, error = False, str(exc)
            self._config = (trunk, on, error)
        return self._config[1], self._config[2]

    # --- one session --------------------------------------------------------------------------

    def files(self, state: SessionState) -> list[FileChange]:
        """The change set, base to current (uncommitted work and unsaved buffers included).

        Only the changed paths are diffed: their base and current entries go into two
        small trees, whose diff (with git's rename detection) is the whole change set's
        diff, since renames pair only deleted and added files. The session's full tree
        is neither written nor walked, so the cost follows the change, not the repo.
        """
        changes = sorted(
            (path, state.base_entry(path), state.entry(path))
            for path in state.changed
            if not _untracked_note(state, path)
        )
        key = tuple(changes)
        found = self._changes.get(key)
        if found is None:
            old = self._small_tree((path, old) for path, old, _ in changes)
            new = self._small_tree((path, new) for path, _, new in changes)
            found = [
                FileChange(
                    path, status, old_path, insertions, deletions, binary,
                    uncommitted=path in state.uncommitted or old_path in state.uncommitted,
                )
                for path, status, old_path, insertions, deletions, binary in self.diff_files(
                    old, new
                )
            ]  # fmt: skip
            if len(self._changes) > 512:
                self._changes.clear()
            self._changes[key] = found
        return found

    def _small_tree(self, entries: Iterable[tuple[str, Entry]]) -> str:
        """A tree holding just ENTRIES (None entries left out)."""
        index = pygit2.Index()
        for path, entry in entries:
            if entry is not None:
                mode = pygit2.enums.FileMode(entry[1])
                index.add(pygit2.IndexEntry(path, pygit2.Oid(hex=entry[0]), mode))
        return str(index.write_tree(self.repo))

    def review_status(self, info: SessionInfo, latest: Review | None) -> dict[str, Any]:
        """The latest verdict and whether it still holds for the session's current head."""
        if latest is None:
            return {
                "state": UNREVIEWED,
                "approved": False,
                "current": False,
                "changedSinceReview": False,
                "rebasedSinceReview": False,
            }
        current = latest.head == info.head
        rebased = False
        if not current and info.head and latest.patch_id:
            # The same change on a new base (a land that rebased, then failed its tests).
            rebased = current = self.patch_id(info.base, info.head) == latest.patch_id
        return {
            "state": latest.verdict,
            "approved": latest.verdict == APPROVED and current,
            "current": current,
            "changedSinceReview": not current,
            "rebasedSinceReview": rebased,
            **latest.to_json(),
        }

    def since_review(self, state: SessionState, latest: Review) -> dict[str, Any]:
        """What changed since LATEST's head: new commits and files (the re-review diff)."""
        head = state.head
        try:
            reviewed = self.repo[latest.head].peel(pygit2.Commit)
        except (KeyError, ValueError, pygit2.GitError):
            return {"from": latest.head, "to": head, "available": False}
        assert head is not None
        rewritten = not (
            str(reviewed.id) == head or self.repo.descendant_of(head, str(reviewed.id))
        )
        changes = self.diff_files(str(reviewed.tree_id), self._tree(head))
        if rewritten:
            # History was rewritten (a rebase): only the session's own files are news;
            # what trunk brought in under it was reviewed when it landed.
            own = set(state.changed) | {
                p for p, *_ in self.diff_files(self._tree(latest.base), str(reviewed.tree_id))
            }
            changes = [c for c in changes if c[0] in own or c[2] in own]
        files = [FileChange(*c, uncommitted=False) for c in changes]
        return {
            "from": latest.head,
            "to": head,
            "available": True,
            "rewritten": rewritten,
            "commits": [] if rewritten else self.commits(latest.head, head),
            "files": [f.to_json() for f in files],
            "stat": stat(files),
        }


_models: weakref.WeakKeyDictionary[Workspace, ReviewModel] = weakref.WeakKeyDictionary()


def model_for(ws: Workspace) -> ReviewModel:
    """The Workspace's review model (one per Workspace, so its caches live as long)."""
    model = _models.get(ws)
    if model is None or model.repo is not ws.git:
        model = _models[ws] = ReviewModel(ws)
    return model


# --- the queue ------------------------------------------------------------------------------


def _untracked_note(state: SessionState, path: str) -> bool:
    """A root HANDOFF.md / BRIEF.md git does not track: the session's notes, not its work."""
    return (
        path in NOTES_FILES
        and tree_entry(state.repo, state.head_tree, path) is None
        and state.base_entry(path) is None
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
    if info.ahead == 0 and not any(not _untracked_note(state, p) for p in state.changed):
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
        message = f"{len(uncommitted)} file(s) with uncommitted work"
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
        message = f"{info.behind} commit(s) behind {trunk_name}; land rebases it"
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
        uncommitted = sorted(p for p in state.uncommitted if not _untracked_note(state, p))
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
        if info.id not in queued
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
