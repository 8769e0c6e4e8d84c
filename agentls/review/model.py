"""What a review reads from the object store: change sets as file lists, commits, patch
ids, and whether a verdict still holds for a session's head.

Nothing here runs git as a process: trees are diffed with libgit2 through the
Workspace's shared object store, and results are cached by the ids they depend on
(one ReviewModel per Workspace, so the engine's stays warm between requests).
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pygit2

from agentls.changes import NOTES_FILES, Entry, SessionState, tree_entry
from agentls.errors import AgentlsError
from agentls.report import SessionInfo
from agentls.review.checks import tree_of_commit
from agentls.review.state import APPROVED, UNREVIEWED, Review
from agentls.workspace import Workspace

MAX_COMMITS = 200  # listed per item; the count is always exact


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
            if not untracked_note(state, path)
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


def untracked_note(state: SessionState, path: str) -> bool:
    """A root HANDOFF.md / BRIEF.md git does not track: the session's notes, not its work."""
    return (
        path in NOTES_FILES
        and tree_entry(state.repo, state.head_tree, path) is None
        and state.base_entry(path) is None
    )
